/**
 * The `mariadb` command-line client against the server: batch `-e` over TCP
 * and over the Unix socket, a wrong password. Skipped visibly when the CLI is
 * not installed (`apt-get install mariadb-client`).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mariadbMissing, skipUnless, startServer } from "./_helpers.ts";

test("mariadb CLI runs the README's example over TCP", skipUnless(mariadbMissing), async () => {
  const served = await startServer();
  try {
    const sql = [
      "CREATE TABLE jobs (id INT NOT NULL, prio TINYINT NOT NULL, body TEXT) ENGINE=QUEUE",
      "INSERT INTO jobs (id, prio, body) VALUES (1, 0, 'hello')",
      "SELECT queue_wait('jobs:prio=0', 'jobs', 5) AS got",
      "SELECT * FROM jobs",
      "SELECT queue_end()",
      "SELECT @@version_comment LIMIT 1",
    ].join("; ");
    // spawnSync blocks this process's event loop, so the CLI runs in a child that awaits.
    const result = await runAsync([
      "-h",
      "127.0.0.1",
      "-P",
      String(served.port),
      "-u",
      "root",
      "-psecret",
      "-B",
      "-e",
      sql,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stdout,
      "got\n1\nid\tprio\tbody\n1\t0\thello\nqueue_end()\n1\n@@version_comment\nq4d server (MIT)\n",
    );
  } finally {
    await served.close();
  }
});

test("mariadb CLI connects over the Unix socket", skipUnless(mariadbMissing), async () => {
  const served = await startServer();
  try {
    const result = await runAsync([
      "-S",
      served.socket,
      "-u",
      "root",
      "-psecret",
      "-B",
      "-N",
      "-e",
      "SELECT USER(); SHOW DATABASES",
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "root@localhost\nq4d\n");
  } finally {
    await served.close();
  }
});

test(
  "mariadb CLI with a wrong password gets ERROR 1045 (28000)",
  skipUnless(mariadbMissing),
  async () => {
    const served = await startServer();
    try {
      const result = await runAsync([
        "-h",
        "127.0.0.1",
        "-P",
        String(served.port),
        "-u",
        "root",
        "-pwrong",
        "-e",
        "SELECT 1",
      ]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /ERROR 1045 \(28000\): Access denied for user 'root'/);
    } finally {
      await served.close();
    }
  },
);

/** Runs the mariadb CLI without blocking the event loop the server runs on. */
async function runAsync(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { spawn } = await import("node:child_process");
  return await new Promise((resolve) => {
    const child = spawn("mariadb", ["--no-defaults", ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
