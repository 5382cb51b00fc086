/**
 * The `mariadb` command-line client against the server: batch `-e` over TCP
 * and over the Unix socket, a wrong password. Skipped visibly when the CLI is
 * not installed (`apt-get install mariadb-client`).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
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
    assert.equal(result.stdout, "root@localhost\ninformation_schema\nq4d\n");
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

const tmuxMissing: string | null = (() => {
  if (mariadbMissing !== null) return mariadbMissing;
  const probe = spawnSync("tmux", ["-V"], { encoding: "utf8" });
  return probe.status === 0 ? null : "tmux not installed";
})();

test(
  "Ctrl-C in the interactive mariadb CLI kills a blocked queue_wait; the session goes on",
  skipUnless(tmuxMissing),
  async () => {
    const served = await startServer();
    await served.db.sql`CREATE TABLE w (id INT NOT NULL) ENGINE=QUEUE`;
    const session = `q4d-test-${process.pid}`;
    const tmux = (...args: string[]) => runProgram("tmux", args);
    const screen = async () => (await tmux("capture-pane", "-t", session, "-p")).stdout;
    const waitFor = async (text: string) => {
      for (let i = 0; i < 1000; i++) {
        if ((await screen()).includes(text)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`the CLI never showed ${text}:\n${await screen()}`);
    };
    try {
      await tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "200",
        "-y",
        "50",
        `mariadb --no-defaults -h 127.0.0.1 -P ${served.port} -u root -psecret`,
      );
      await waitFor("MySQL [(none)]>");
      await tmux("send-keys", "-t", session, "SELECT queue_wait('w', 60)\\;", "Enter");
      // Ctrl-C only means something once the statement waits on the server.
      const observer = await served.connect();
      for (let i = 0; i < 1000; i++) {
        const [list] = (await observer.query("SHOW PROCESSLIST")) as unknown as [
          { State: string }[],
        ];
        if (list.some((p) => p.State === "queue_wait(w)")) break;
      }
      await observer.end();
      await tmux("send-keys", "-t", session, "C-c");
      await waitFor("ERROR 1317 (70100): Query execution was interrupted");
      await tmux("send-keys", "-t", session, "SELECT 40 + 2 AS answer\\;", "Enter");
      await waitFor("|     42 |");
    } finally {
      await tmux("kill-session", "-t", session);
      await served.close();
    }
  },
);

/** Runs a program without blocking the event loop the server runs on. */
async function runProgram(
  program: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { spawn } = await import("node:child_process");
  return await new Promise((resolve) => {
    const child = spawn(program, args);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
