/**
 * q4d's SQL extensions of issue 12 below the job API: delayed visibility
 * (queue_set_delay before INSERT, queue_abort(seconds)), the persisted
 * delivery count (queue_attempts()) and queue_stats' rows_delayed. Delays
 * are small real ones (200 ms) with generous hang guards; nothing asserts
 * how fast anything is, only that a row never comes before its time.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import {
  freshDirectory,
  notOnNats,
  openEngine,
  openTemp,
  plain,
  rejectsCode,
  wait,
  within,
} from "./_helpers.ts";
import { childTimeoutMs, runAndKill } from "./_crash_harness.ts";
import { open } from "../../mod.ts";
import type { Database, Session } from "../../mod.ts";

const guardMs = 20_000;

async function attempts(s: Session | Database): Promise<unknown> {
  const [row] = await s.sql`SELECT queue_attempts() AS a`;
  assert.ok(row !== undefined);
  return row.a;
}

async function queueTable(db: Database): Promise<void> {
  await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
}

describe("delayed visibility", () => {
  test("a row inserted with queue_set_delay is not delivered before its time", async () => {
    const { db } = await openTemp();
    await queueTable(db);
    const s = db.session();
    await s.sql`SELECT queue_set_delay(0.2)`;
    const armedAt = Date.now();
    await s.sql`INSERT INTO t (v) VALUES (1)`;
    await s.sql`INSERT INTO t (v) VALUES (2)`; // the delay armed only the first INSERT
    const worker = db.session();
    assert.equal(await wait(worker, ["t"], 0), 1);
    assert.deepEqual(plain(await worker.sql`SELECT v FROM t`), [{ v: 2 }]);
    await worker.sql`SELECT queue_end()`;
    assert.equal(await wait(worker, ["t"], 0), 0, "the delayed row is not visible yet");
    assert.equal(db.stats("t").rowsDelayed, 1);
    const [text] = await db.sql`SELECT queue_stats('t') AS s`;
    assert.ok(text !== undefined);
    assert.match(text.s as string, /\nrows_delayed: 1\nrows_failed: 0\nrows_live: 1\n/);
    // A blocked waiter is woken when the row comes due (not at its timeout).
    assert.equal(await within(wait(worker, ["t"], 60), guardMs, "queue_wait"), 1);
    assert.ok(Date.now() >= armedAt + 200, "delivered before its due time");
    assert.deepEqual(plain(await worker.sql`SELECT v FROM t`), [{ v: 1 }]);
    assert.equal(db.stats("t").rowsDelayed, 0);
    await db.close();
  });

  test("queue_abort(seconds) returns the row invisible until then; waiters wake", async () => {
    const { db } = await openTemp();
    await queueTable(db);
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    const abortedAt = Date.now();
    assert.deepEqual(plain(await s.sql`SELECT queue_abort(0.2) AS r`), [{ r: 1 }]);
    assert.equal(db.stats("t").restoredByAbort, 1);
    const other = db.session();
    assert.equal(await wait(other, ["t"], 0), 0, "redelivered at once");
    const blocked = within(wait(other, ["t"], 60), guardMs, "queue_wait");
    assert.equal(await blocked, 1);
    assert.ok(Date.now() >= abortedAt + 200, "delivered before its due time");
    assert.equal(await attempts(other), 2);
    await db.close();
  });

  test("queue_abort(0) and queue_abort() redeliver at once; bad delays change nothing", async () => {
    const { db } = await openTemp();
    await queueTable(db);
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    await s.sql`SELECT queue_abort(0)`;
    assert.equal(await wait(s, ["t"], 0), 1);
    for (const bad of ["-1", "'soon'", "NULL", "1e12", "1, 2"]) {
      await rejectsCode(s.sql.unsafe(`SELECT queue_abort(${bad})`), "ER_WRONG_ARGUMENTS");
      assert.deepEqual(plain(await s.sql`SELECT v FROM t`), [{ v: 1 }], `after ${bad}`);
      assert.equal(await attempts(s), 2);
    }
    await s.sql`SELECT queue_abort()`;
    assert.equal(await wait(s, ["t"], 0), 1);
    assert.equal(db.stats("t").rowsDelayed, 0);
    await db.close();
  });

  test("a delayed row is skipped, not blocking, and later rows are served first", async () => {
    const { db } = await openTemp();
    await queueTable(db);
    await db.sql`SELECT queue_set_delay(3600)`;
    await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    await db.sql`INSERT INTO t (v) VALUES (3)`;
    const s = db.session();
    assert.equal(await wait(s, ["t:v >= 1"], 0), 1);
    assert.deepEqual(plain(await s.sql`SELECT v FROM t`), [{ v: 3 }]);
    await s.sql`SELECT queue_end()`;
    assert.equal(await wait(s, ["t"], 0), 0);
    assert.equal(db.stats("t").rowsDelayed, 2);
    // Outside owner mode SELECT still lists delayed rows (they are in the table).
    assert.equal((await db.sql`SELECT COUNT(*) AS n FROM t`)[0]?.n, 2);
    await db.sql`DELETE FROM t WHERE v = 1`;
    assert.equal(db.stats("t").rowsDelayed, 1);
    await db.close();
  });
});

describe("delivery count", () => {
  test("queue_attempts() counts deliveries; NULL outside owner mode", async () => {
    const { db } = await openTemp();
    await queueTable(db);
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await attempts(s), null);
    assert.equal(await wait(s, ["t"], 0), 1);
    assert.equal(await attempts(s), 1);
    await s.sql`SELECT queue_abort()`;
    assert.equal(await attempts(s), null);
    assert.equal(await wait(s, ["t"], 0), 1);
    assert.equal(await attempts(s), 2);
    await s.sql`SELECT queue_end()`;
    assert.equal(await wait(s, ["t"], 0), 0);
    assert.equal(await attempts(s), null, "owner mode without a row");
    await db.close();
  });
});

describe("delays and attempts survive restarts and crashes", () => {
  test(
    "a clean restart keeps due times and counts",
    notOnNats(
      "reopens the local directory (rowsDelayed on NATS counts this process's delayed naks only)",
    ),
    async () => {
      const { db, directory } = await openTemp();
      await queueTable(db);
      await db.sql`SELECT queue_set_delay(3600)`;
      await db.sql`INSERT INTO t (v) VALUES (1)`;
      await db.sql`INSERT INTO t (v) VALUES (2)`;
      const s = db.session();
      assert.equal(await wait(s, ["t"], 0), 1);
      await s.sql`SELECT queue_abort()`;
      assert.equal(await wait(s, ["t"], 0), 1);
      await db.close();
      const reopened = await open(directory, { sync: "none" });
      assert.equal(reopened.stats("t").rowsDelayed, 1);
      const r = reopened.session();
      assert.equal(await wait(r, ["t"], 0), 1);
      assert.deepEqual(plain(await r.sql`SELECT v FROM t`), [{ v: 2 }]);
      assert.equal(await attempts(r), 3);
      await r.sql`SELECT queue_end()`;
      assert.equal(await wait(r, ["t"], 0), 0, "row 1 is still delayed");
      await reopened.close();
    },
  );

  test(
    "compaction carries due times and counts forward",
    notOnNats("local compaction"),
    async () => {
      const { db, directory } = await openTemp();
      await queueTable(db);
      await db.sql`SELECT queue_set_delay(3600)`;
      await db.sql`INSERT INTO t (v) VALUES (1)`;
      await db.sql`INSERT INTO t (v) VALUES (2)`;
      const s = db.session();
      assert.equal(await wait(s, ["t"], 0), 1);
      await s.sql`SELECT queue_abort()`;
      await db.sql`SELECT queue_compact('t')`;
      await db.close();
      const reopened = await open(directory, { sync: "none" });
      assert.equal(reopened.stats("t").rowsDelayed, 1);
      const r = reopened.session();
      assert.equal(await wait(r, ["t"], 0), 1);
      assert.equal(await attempts(r), 2);
      await reopened.close();
    },
  );

  test("a crash keeps an aborted row's delay and the count of a delivery in progress", async () => {
    const root = "/db";
    const fs = new FaultFileSystem();
    const db = await openEngine(root, { fs });
    await queueTable(db);
    await db.sql`CREATE TABLE other (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    await s.sql`SELECT queue_abort(3600)`;
    const worker = db.session();
    assert.equal(await wait(worker, ["t"], 0), 1);
    assert.deepEqual(plain(await worker.sql`SELECT v FROM t`), [{ v: 2 }]);
    // The count of a delivery rides with the next commit (here another table's).
    await db.sql`INSERT INTO other (v) VALUES (9)`;
    const reopened = await openEngine(root, { fs: fs.crash() });
    assert.equal(reopened.stats("t").rowsDelayed, 1);
    const r = reopened.session();
    assert.equal(await wait(r, ["t"], 0), 1);
    assert.deepEqual(plain(await r.sql`SELECT v FROM t`), [{ v: 2 }]);
    assert.equal(await attempts(r), 2, "the delivery the crash interrupted counts");
    await r.sql`SELECT queue_end()`;
    assert.equal(await wait(r, ["t"], 0), 0, "row 1 is still delayed after the crash");
    await reopened.close();
  });

  test(
    "delays and counts survive SIGKILL of a real process",
    { timeout: childTimeoutMs * 2 },
    async () => {
      const directory = freshDirectory();
      const log = await runAndKill([directory, "delay", "1"], (line) => line.startsWith("HOLD"));
      assert.equal(log.held, 3);
      const db = await open(directory);
      assert.equal(db.stats("q").rowsDelayed, 2);
      const s = db.session();
      assert.equal(await wait(s, ["q"], 0), 1);
      assert.deepEqual(plain(await s.sql`SELECT v FROM q`), [{ v: 3 }]);
      assert.equal(await attempts(s), 2, "the delivery the kill interrupted counts");
      await s.sql`SELECT queue_end()`;
      assert.equal(await wait(s, ["q"], 0), 0, "rows 1 and 2 are still delayed");
      await db.close();
    },
  );

  /** A fault-injecting database with table t holding `count` rows (v = 0, 1, …). */
  async function filledTable(count: number): Promise<{ fs: FaultFileSystem; db: Database }> {
    const fs = new FaultFileSystem();
    const db = await openEngine("/db", { fs, autoCompact: false });
    await queueTable(db);
    await db.sql.unsafe(
      `INSERT INTO t (v) VALUES ${Array.from({ length: count }, (_, i) => `(${i})`).join(", ")}`,
    );
    return { fs, db };
  }

  test("counting deliveries adds no sync: a sequential drain syncs once per row", async () => {
    const rows = 20;
    const { fs, db } = await filledTable(rows);
    const s = db.session();
    const before = fs.syncCount;
    for (let i = 0; i < rows; i++) {
      assert.equal(await wait(s, ["t"], 0), 1);
      // The work on the row takes an event-loop turn, as any real work does.
      await new Promise((resolve) => setImmediate(resolve));
      await s.sql`SELECT queue_end()`;
    }
    // One sync per queue_end; each delivery's count rode in the next round.
    assert.equal(fs.syncCount - before, rows);
    assert.equal(await wait(s, ["t"], 0), 0);
    await db.close();
  });

  test("a count whose row queue_end removes in the same round writes no record", async () => {
    const rows = 10;
    const { fs, db } = await filledTable(rows + 1);
    // One round with one row's REMOVE record, for scale.
    let before = fs.bytesWritten;
    await db.sql`DELETE FROM t WHERE v = ${rows}`;
    const removalBytes = fs.bytesWritten - before;
    const s = db.session();
    before = fs.bytesWritten;
    for (let i = 0; i < rows; i++) {
      assert.equal(await wait(s, ["t"], 0), 1);
      assert.equal(await attempts(s), 1);
      await s.sql`SELECT queue_end()`;
    }
    // Each round holds the removal alone: the count it supersedes is left out.
    assert.equal(fs.bytesWritten - before, rows * removalBytes);
    await db.close();
  });

  test("a count is still written when its row's removal waits for a later round", async () => {
    // 64 KiB segments bound a round to less than two 40 KiB rows: the count
    // and the first big INSERT go in one round, the second and the
    // queue_end removing the counted row in the next, which fails here.
    const fs = new FaultFileSystem();
    const db = await openEngine("/db", { fs, autoCompact: false, segmentBytes: 64 * 1024 });
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE big (b LONGTEXT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    let bigWrites = 0;
    fs.failWriteWhen((_path, _position, data) => data.length > 30_000 && ++bigWrites === 2);
    const body = "b".repeat(40_000);
    const outcomes = await Promise.allSettled([
      db.sql`INSERT INTO big (b) VALUES (${body})`,
      db.sql`INSERT INTO big (b) VALUES (${body})`,
      s.sql`SELECT queue_end()`,
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected", "rejected"]);
    const reopened = await openEngine("/db", { fs: fs.crash() });
    const r = reopened.session();
    assert.equal(await wait(r, ["t"], 0), 1);
    assert.equal(await attempts(r), 2, "the first delivery's count was in the first round");
    await reopened.close();
  });

  test("a count queued during a commit round waits for the next commit too", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine("/db", { fs, autoCompact: false });
    await queueTable(db);
    const s = db.session();
    const blocked = wait(s, ["t"], 60);
    await new Promise((resolve) => setImmediate(resolve));
    const before = fs.syncCount;
    // The INSERT's commit hands the row to the blocked waiter while the round settles.
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    assert.equal(await within(blocked, guardMs, "queue_wait"), 1);
    await new Promise((resolve) => setImmediate(resolve));
    await s.sql`SELECT queue_end()`;
    assert.equal(fs.syncCount - before, 2, "one sync for the INSERT, one for queue_end");
    await db.close();
  });

  test("a failed write of queue_abort(seconds) leaves the row owned, nothing changed", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine("/db", { fs, autoCompact: false });
    await queueTable(db);
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    await db.sql`INSERT INTO t (v) VALUES (2)`; // flushes the delivery count
    fs.failNextWrite("EIO");
    await rejectsCode(s.sql`SELECT queue_abort(3600)`, "ER_ERROR_ON_WRITE");
    assert.deepEqual(plain(await s.sql`SELECT v FROM t`), [{ v: 1 }]);
    assert.equal(await attempts(s), 1);
    assert.equal(db.stats("t").rowsDelayed, 0);
    assert.equal(db.stats("t").restoredByAbort, 0);
    await s.sql`SELECT queue_abort()`;
    assert.equal(await wait(s, ["t"], 0), 1);
    assert.deepEqual(plain(await s.sql`SELECT v FROM t`), [{ v: 1 }]);
    await db.close();
  });

  test("a failed delayed INSERT leaves no delay armed on the reissued ids", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine("/db", { fs, autoCompact: false });
    await queueTable(db);
    await db.sql`SELECT queue_set_delay(3600)`;
    fs.failNextWrite("EIO");
    await rejectsCode(db.sql`INSERT INTO t (v) VALUES (1)`, "ER_ERROR_ON_WRITE");
    // The delay stays armed (like queue_set_srcid's mark): disarm it.
    await db.sql`SELECT queue_set_delay(0)`;
    await db.sql`INSERT INTO t (v) VALUES (2)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    assert.deepEqual(plain(await s.sql`SELECT v FROM t`), [{ v: 2 }]);
    assert.equal(db.stats("t").rowsDelayed, 0);
    await db.close();
  });
});
