/**
 * `q4d stats DIR|URL`: queue_stats of every table, from a closed directory or
 * over the wire from a served database; --json's shape; exit 3 when it
 * cannot read (missing directory, directory open elsewhere).
 */

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { open } from "../../mod.ts";
import { formatStats, openStatsSource, type StatsSnapshot } from "../../src/ops.ts";
import { startServer } from "../server/_helpers.ts";
import { skipUnless } from "../_skip.ts";
import { cliCommand, cliMissing } from "./_cli.ts";

const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-stats-test-"));
after(() => nodeFs.rmSync(root, { recursive: true, force: true }));

/** Runs the CLI without blocking the event loop (the server under test runs in this process). */
function runCli(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [command, argv] = cliCommand(args);
  const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) =>
    child.on("close", (status) => resolve({ status, stdout, stderr }))
  );
}

const statKeys = [
  "bytes_removed",
  "bytes_total",
  "compaction_errors",
  "restored_by_abort",
  "restored_by_close",
  "rows_delayed",
  "rows_failed",
  "rows_live",
  "rows_removed",
  "rows_written",
  "wait_delayed",
  "wait_immediate",
  "wait_timeout",
];

async function makeDatabase(): Promise<string> {
  const directory = path.join(root, `db${Math.random().toString(36).slice(2)}`);
  const db = await open(directory, { sync: "none" });
  await db.sql`CREATE TABLE a (id INT NOT NULL) ENGINE=QUEUE`;
  await db.sql`CREATE TABLE b (id INT NOT NULL) ENGINE=QUEUE`;
  for (let i = 0; i < 3; i++) await db.sql`INSERT INTO a VALUES (${i})`;
  await db.sql`DELETE FROM a WHERE id = ${0}`;
  await db.close();
  return directory;
}

test("stats of a directory: every table's queue_stats, then the database is closed", async () => {
  const directory = await makeDatabase();
  const source = await openStatsSource(directory);
  const snapshot = await source.read();
  await source.close();
  assert.deepEqual(Object.keys(snapshot), ["a", "b"]);
  assert.deepEqual(Object.keys(tableOf(snapshot, "a")).sort(), statKeys);
  assert.equal(tableOf(snapshot, "a").rows_written, 3);
  assert.equal(tableOf(snapshot, "a").rows_removed, 1);
  assert.equal(tableOf(snapshot, "b").rows_written, 0);
  assert.match(formatStats(snapshot), /^table +live[\s\S]*\na +2 /);
  // Closed again: it opens here.
  const db = await open(directory);
  await db.close();
});

test("stats of a missing directory or one open elsewhere cannot read, and creates nothing", async () => {
  const missing = path.join(root, "missing");
  await assert.rejects(openStatsSource(missing), { code: "ER_CANT_OPEN_FILE" });
  assert.equal(nodeFs.existsSync(missing), false);
  const directory = await makeDatabase();
  const db = await open(directory);
  try {
    await assert.rejects(openStatsSource(directory), { code: "ER_DB_LOCKED" });
  } finally {
    await db.close();
  }
});

test("stats of a served database over a mysql:// URL, every database's tables", async () => {
  const served = await startServer();
  try {
    await served.db.sql`CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE`;
    await served.db.sql`INSERT INTO q VALUES (${1})`;
    await served.db.sql`INSERT INTO q VALUES (${2})`;
    await served.db.sql`CREATE DATABASE eu`;
    await served.db.sql`CREATE TABLE eu.q (id INT NOT NULL) ENGINE=QUEUE`;
    await served.db.sql`INSERT INTO eu.q VALUES (${3})`;
    const s = served.db.session();
    await s.sql`SELECT queue_wait('q', 0)`;
    const source = await openStatsSource(`mysql://root:secret@127.0.0.1:${served.port}`);
    const snapshot = await source.read();
    await source.close();
    await s.close();
    assert.deepEqual(Object.keys(snapshot), ["eu.q", "q"]);
    assert.equal(tableOf(snapshot, "eu.q").rows_written, 1);
    assert.deepEqual(Object.keys(tableOf(snapshot, "q")).sort(), statKeys);
    assert.equal(tableOf(snapshot, "q").rows_written, 2);
    assert.equal(tableOf(snapshot, "q").wait_immediate, 1);
  } finally {
    await served.close();
  }
});

test(
  "q4d stats as a child process: --json of a URL, exit 3, --watch repeats",
  { ...skipUnless(cliMissing), timeout: 120_000 },
  async () => {
    const served = await startServer();
    try {
      await served.db.sql`CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE`;
      await served.db.sql`INSERT INTO q VALUES (${1})`;
      const url = `mysql://root:secret@127.0.0.1:${served.port}`;
      const json = await runCli(["stats", url, "--json"]);
      assert.equal(json.status, 0, json.stderr);
      const parsed = JSON.parse(json.stdout);
      assert.equal(parsed.source, url);
      assert.equal(typeof parsed.at, "string");
      assert.equal(parsed.tables.q.rows_written, 1);
      const bad = await runCli(["stats", path.join(root, "none")]);
      assert.equal(bad.status, 3, bad.stdout + bad.stderr);
      // --watch with stdout not a terminal: plain repeated output; stopped by SIGTERM, exit 0.
      const [watchCommand, watchArgs] = cliCommand(["stats", url, "--watch", "0.1"]);
      const child = spawn(watchCommand, watchArgs, { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      const exited = new Promise<number | string | null>((resolve) =>
        child.on("exit", (code, signal) => resolve(code ?? signal))
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
          stdout += chunk;
          if ((stdout.match(/^table /gm) ?? []).length >= 2) resolve();
        });
        child.on("exit", () => reject(new Error(`watch exited early: ${stderr}`)));
      });
      child.kill("SIGTERM");
      // The handler closes the connection and exits 0; Deno's node:child_process
      // reports (null, "SIGTERM") for any child it sent SIGTERM, even one that
      // handled it and exited 0 (checked with a bare `deno eval` child).
      const status = await exited;
      assert.equal(status === 0 || status === "SIGTERM", true, `${status} ${stderr}\n${stdout}`);
      assert.equal(stdout.includes("\u001b["), false, "no terminal escapes when not a TTY");
    } finally {
      await served.close();
    }
  },
);

/** The stats of table `name` in a snapshot; a missing table fails the test. */
function tableOf(snapshot: StatsSnapshot, name: string): Record<string, number> {
  const stats = snapshot[name];
  assert.ok(stats !== undefined, `no table ${name} in the snapshot`);
  return stats;
}
