/**
 * `q4d forward`: the q4m-forward relay as a command. Killed (SIGKILL) at
 * random moments while producers write, then restarted, it still delivers
 * every row exactly once (the source keeps a row until the destination has
 * it; queue_set_srcid drops a row sent again); SIGTERM stops it cleanly.
 * Also the relay in-process between directories and URLs, with --reset,
 * --sender and db-qualified tables.
 */

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { open } from "../../mod.ts";
import { forward } from "../../src/forward.ts";
import { startServer } from "../server/_helpers.ts";
import { prng, testSeed } from "../_random.ts";
import { skipUnless } from "../_skip.ts";
import { cliCommand, cliMissing } from "./_cli.ts";

const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-forward-test-"));
after(() => nodeFs.rmSync(root, { recursive: true, force: true }));
let directoryCount = 0;

/** A new data directory holding `setup`'s tables and rows, closed. */
async function directoryWith(setup: string[]): Promise<string> {
  const directory = path.join(root, `db${++directoryCount}`);
  const db = await open(directory, { sync: "none" });
  for (const text of setup) await db.sql.unsafe(text);
  await db.close();
  return directory;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `q4d forward args…` as a child; resolves its exit (code or signal) and stderr. */
function startForward(args: string[]): { child: ChildProcess; exited: Promise<string> } {
  const [command, argv] = cliCommand(["forward", ...args]);
  const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stderr += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<string>((resolve) =>
    child.on("exit", (code, signal) => resolve(`${code ?? signal} ${stderr}`))
  );
  return { child, exited };
}

test(
  "killed at random moments while producers write, every row arrives exactly once",
  { ...skipUnless(cliMissing), timeout: 240_000 },
  async () => {
    const random = prng(testSeed());
    const served = await startServer();
    const destination = await directoryWith([
      "CREATE TABLE relayed (body VARCHAR(100), id INT NOT NULL) ENGINE=QUEUE",
    ]);
    try {
      await served.db.sql`CREATE TABLE jobs (id INT NOT NULL, body VARCHAR(100)) ENGINE=QUEUE`;
      const total = 1000;
      const producing = (async () => {
        for (let i = 0; i < total; i += 5) {
          const rows = [0, 1, 2, 3, 4].map((k) => `(${i + k}, 'body ${i + k}')`).join(", ");
          // Singles and batches of five, as producers write them.
          await served.db.sql.unsafe(`INSERT INTO jobs VALUES ${rows}`);
          await sleep(random() * 150);
        }
      })();
      const url = `mysql://root:secret@127.0.0.1:${served.port}/q4d`;
      const args = [url, destination, "--table", "jobs", "--to-table", "relayed", "--sender", "7"];
      let kills = 0;
      const handedOverAtKills: number[] = [];
      const deadline = Date.now() + 180_000;
      for (;;) {
        const { child, exited } = startForward(args);
        const removed = () => served.db.stats("jobs").rowsRemoved;
        if (kills < 10) {
          await sleep(400 + random() * 1200);
          child.kill("SIGKILL");
          handedOverAtKills.push(removed());
          const status = await exited;
          assert.match(status, /^(SIGKILL|137)/, status);
          kills++;
          continue;
        }
        await producing;
        // The last one runs until the source has handed every row over and consumed it.
        while (removed() < total && Date.now() < deadline) await sleep(100);
        child.kill("SIGTERM");
        const status = await exited;
        assert.match(status, /^(0|SIGTERM) *$/, status);
        break;
      }
      assert.equal(served.db.stats("jobs").rowsRemoved, total, "the source handed over every row");
      // Most kills came mid-stream: rows had gone over before and more came after.
      const midStream = handedOverAtKills.filter((n) => n > 0 && n < total);
      assert.ok(midStream.length >= 5, `kills at ${handedOverAtKills}`);
      const db = await open(destination, { sync: "none" });
      try {
        const rows = await db.sql`SELECT id, body FROM relayed`;
        const ids = rows.map((row) => row.id as number);
        assert.equal(new Set(ids).size, ids.length, "no row twice");
        assert.deepEqual(ids, Array.from({ length: total }, (_, i) => i), "every row, in order");
        assert.ok(rows.every((row) => row.body === `body ${row.id}`));
      } finally {
        await db.close();
      }
    } finally {
      await served.close();
    }
  },
);

test("a directory to a URL in-process: --reset, --sender, db.t, column order, a clean stop", async () => {
  const source = await directoryWith([
    "CREATE TABLE src (v INT NOT NULL, s VARCHAR(20), d DECIMAL(8,2), at DATETIME) ENGINE=QUEUE",
    "INSERT INTO src VALUES (1, 'a', 1.50, '2024-01-02 03:04:05'), (2, NULL, NULL, NULL)",
  ]);
  const served = await startServer();
  try {
    await served.db.sql`CREATE DATABASE eu`;
    await served.db
      .sql`CREATE TABLE eu.dst (at DATETIME, d DECIMAL(8,2), s VARCHAR(20), v INT NOT NULL) ENGINE=QUEUE`;
    // A watermark of slot 3 above the source's ids: only --reset gets rows through.
    const s = served.db.session();
    await s.sql`SELECT queue_set_srcid(3, 'w', 1000)`;
    await s.sql`INSERT INTO eu.dst (v) VALUES (0)`;
    await s.close();
    const url = `mysql://root:secret@127.0.0.1:${served.port}`;
    const stop = new AbortController();
    const progress: number[] = [];
    const running = forward({ location: source, table: "src" }, {
      location: url,
      table: "eu.dst",
    }, {
      sender: 3,
      reset: true,
      waitSeconds: 0.1,
      signal: stop.signal,
      onProgress: (p) => progress.push(p.rows),
    });
    const consumer = served.db.session();
    const got: unknown[] = [];
    while (got.length < 3) {
      const [w] = await consumer.sql`SELECT queue_wait('eu.dst', 10) AS w`;
      assert.equal(w?.w, 1);
      const [row] = await consumer.sql`SELECT v, s, d, at FROM eu.dst`;
      got.push({ ...row, at: row?.at === null ? null : String(row?.at) });
    }
    await consumer.sql`SELECT queue_end()`;
    await consumer.close();
    stop.abort();
    assert.equal(await running, 2);
    assert.deepEqual(got.slice(1), [
      { v: 1, s: "a", d: "1.50", at: "2024-01-02 03:04:05" },
      { v: 2, s: null, d: null, at: null },
    ]);
    // The clean stop consumed the last row at the source: nothing to send again.
    const db = await open(source, { sync: "none" });
    assert.deepEqual(await db.sql`SELECT COUNT(*) AS c FROM src`, [{ c: 0 }]);
    await db.close();
  } finally {
    await served.close();
  }
});

test("bad ends and slots are clear errors", async () => {
  await assert.rejects(
    forward({ location: path.join(root, "none"), table: "t" }, { location: root, table: "t" }),
    { code: "ER_CANT_OPEN_FILE" },
  );
  const directory = await directoryWith(["CREATE TABLE t (x INT) ENGINE=QUEUE"]);
  await assert.rejects(
    forward({ location: directory, table: "t" }, { location: directory, table: "t" }, {
      sender: 64,
    }),
    { code: "ER_WRONG_ARGUMENTS" },
  );
  await assert.rejects(
    forward({ location: directory, table: "nosuch" }, { location: directory, table: "t" }),
    { code: "ER_NO_SUCH_TABLE" },
  );
});
