/**
 * Multi-statement transactions (q4d's extension, issue 12): BEGIN … COMMIT
 * writes one log batch; ROLLBACK, a failed COMMIT and a closed session undo
 * everything, the consumed row included; what others and the session itself
 * see meanwhile; the statements allowed inside; the size bound.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { batchBytesMax } from "../../src/limits.ts";
import {
  column,
  openEngine,
  openTemp,
  plain,
  rejectsCode,
  testBackend,
  wait,
  withSeed,
} from "./_helpers.ts";
import { skipUnless } from "../_skip.ts";
import { open } from "../../mod.ts";
import type { Database, Session } from "../../mod.ts";

async function pipeline(db: Database): Promise<void> {
  await db.sql`CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE`;
  await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
}

/** src and dst, src holding row 1, owned by a new session (returned). */
async function ownFirst(db: Database): Promise<Session> {
  await pipeline(db);
  await db.sql`INSERT INTO src VALUES (1)`;
  const s = db.session();
  assert.equal(await wait(s, ["src"], 0), 1);
  return s;
}

/**
 * ownFirst on a fault-injecting file system, with row 1's delivery count
 * already durable (so the next write is the statement under test).
 */
async function ownFirstFaulty(): Promise<{ fs: FaultFileSystem; db: Database; s: Session }> {
  const fs = new FaultFileSystem();
  const db = await openEngine("/db", { fs, autoCompact: false });
  const s = await ownFirst(db);
  await db.sql`INSERT INTO src VALUES (2)`; // the delivery count is durable now
  return { fs, db, s };
}

/** BEGIN, INSERT 10 into dst, queue_end(): a move waiting for its COMMIT. */
async function beginMove(s: Session): Promise<void> {
  await s.sql`BEGIN`;
  await s.sql`INSERT INTO dst VALUES (10)`;
  await s.sql`SELECT queue_end()`;
}

/** src holding rows 1 and 2; a new session's transaction took 1 and owns 2 (returned). */
async function takeBothInTransaction(db: Database): Promise<Session> {
  await pipeline(db);
  await db.sql`INSERT INTO src VALUES (1), (2)`;
  const s = db.session();
  await s.sql`BEGIN`;
  assert.equal(await wait(s, ["src"], 0), 1);
  assert.equal(await wait(s, ["src"], 0), 1); // ends row 1 inside the transaction
  return s;
}

describe("transactions: commit", () => {
  test("BEGIN; INSERT; queue_end(); COMMIT moves a row in one sync", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine("/db", { fs, autoCompact: false });
    const s = await ownFirst(db);
    await s.sql`BEGIN`;
    const before = fs.syncCount;
    const inserted = await s.sql`INSERT INTO dst VALUES (10), (11)`;
    assert.equal(inserted.affectedRows, 2);
    const [ended] = await s.sql`SELECT queue_end() AS e`;
    assert.equal(ended?.e, 1);
    assert.equal(fs.syncCount, before, "nothing is written before COMMIT");
    await s.sql`COMMIT`;
    // The COMMIT's batch, plus at most the deferred delivery count riding with it.
    assert.equal(fs.syncCount, before + 1, "one batch, one sync");
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [10, 11]);
    assert.deepEqual(plain(await db.sql`SELECT v FROM src`), []);
    assert.equal(db.stats("src").rowsRemoved, 1);
    await db.close();
  });

  test("others see nothing of a transaction until COMMIT; the session sees its own INSERTs only then too", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    await db.sql`INSERT INTO src VALUES (1), (2)`;
    const s = db.session();
    const other = db.session();
    assert.equal(await wait(s, ["src"], 0), 1);
    await beginMove(s);
    assert.deepEqual(column(await other.sql`SELECT v FROM dst`, "v"), []);
    assert.deepEqual(column(await s.sql`SELECT v FROM dst`, "v"), []);
    // The consumed row stays hidden from everyone: it is not back in the queue.
    assert.deepEqual(column(await other.sql`SELECT v FROM src`, "v"), [2]);
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [2]);
    const [count] = await other.sql`SELECT COUNT(*) AS n FROM src`;
    assert.equal(count?.n, 1);
    await s.sql`COMMIT`;
    assert.deepEqual(column(await other.sql`SELECT v FROM dst`, "v"), [10]);
    assert.deepEqual(column(await other.sql`SELECT v FROM src`, "v"), [2]);
    await db.close();
  });

  test("queue_wait inside a transaction claims a row; its implicit end of the previous row is part of it", async () => {
    const { db } = await openTemp();
    const s = await takeBothInTransaction(db);
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [2]);
    await s.sql`INSERT INTO dst VALUES (20)`;
    await s.sql`SELECT queue_end()`;
    await s.sql`COMMIT`;
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), []);
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [20]);
    await db.close();
  });

  test("DELETE inside a transaction hides the rows until COMMIT removes them", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    await db.sql`INSERT INTO src VALUES (1), (2), (3)`;
    const s = db.session();
    await s.sql`BEGIN`;
    const deleted = await s.sql`DELETE FROM src WHERE v < 3`;
    assert.equal(deleted.affectedRows, 2);
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), [3]);
    const other = db.session();
    assert.equal(await wait(other, ["src:v < 3"], 0), 0, "held rows are not handed out");
    await other.sql`SELECT queue_end()`;
    await s.sql`COMMIT`;
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), [3]);
    assert.equal(db.stats("src").rowsRemoved, 2);
    await db.close();
  });

  test("COMMIT AND CHAIN starts the next transaction; COMMIT and ROLLBACK outside one do nothing", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    const s = db.session();
    await s.sql`COMMIT`;
    await s.sql`ROLLBACK`;
    await s.sql`START TRANSACTION WITH CONSISTENT SNAPSHOT, READ WRITE`;
    await s.sql`INSERT INTO dst VALUES (1)`;
    await s.sql`COMMIT WORK AND CHAIN`;
    await s.sql`INSERT INTO dst VALUES (2)`;
    await s.sql`ROLLBACK WORK`;
    await s.sql`BEGIN WORK`;
    await s.sql`INSERT INTO dst VALUES (3)`;
    await s.sql`COMMIT AND NO CHAIN`;
    await s.sql`INSERT INTO dst VALUES (4)`; // autocommit again
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [1, 3, 4]);
    await db.close();
  });

  test("BEGIN inside a transaction commits it first, as MySQL", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    const s = db.session();
    await s.sql`BEGIN`;
    await s.sql`INSERT INTO dst VALUES (1)`;
    await s.sql`BEGIN`;
    await s.sql`INSERT INTO dst VALUES (2)`;
    await s.sql`ROLLBACK`;
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [1]);
    await db.close();
  });

  test("DDL inside a transaction commits it first, as MySQL", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    const s = db.session();
    await s.sql`BEGIN`;
    await s.sql`INSERT INTO dst VALUES (1)`;
    await s.sql`CREATE TABLE third (v INT) ENGINE=QUEUE`;
    await s.sql`ROLLBACK`;
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [1]);
    await db.close();
  });

  test("a delayed INSERT inside a transaction keeps its delay", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    const s = db.session();
    await s.sql`BEGIN`;
    await s.sql`SELECT queue_set_delay(3600)`;
    await s.sql`INSERT INTO dst VALUES (1)`;
    await s.sql`COMMIT`;
    assert.equal(db.stats("dst").rowsDelayed, 1);
    assert.equal(await wait(db.session(), ["dst"], 0), 0);
    await db.close();
  });

  test("queue_fail() counts rows_failed once its transaction commits", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    await db.sql`INSERT INTO src VALUES (1), (2)`;
    const s = db.session();
    assert.equal(await wait(s, ["src"], 0), 1);
    await s.sql`SELECT queue_fail()`;
    assert.equal(db.stats("src").rowsFailed, 1);
    assert.equal(await wait(s, ["src"], 0), 1);
    await s.sql`BEGIN`;
    await s.sql`INSERT INTO dst VALUES (2)`;
    await s.sql`SELECT queue_fail()`;
    assert.equal(db.stats("src").rowsFailed, 1);
    await s.sql`COMMIT`;
    assert.equal(db.stats("src").rowsFailed, 2);
    const [text] = await db.sql`SELECT queue_stats('src') AS s`;
    assert.match(text?.s as string, /\nrows_failed: 2\n/);
    await db.close();
  });
});

describe("transactions: rollback", () => {
  test("ROLLBACK undoes the INSERTs and the queue_end: the row is owned again", async () => {
    const { db } = await openTemp();
    const s = await ownFirst(db);
    const [id] = await s.sql`SELECT queue_rowid() AS id`;
    await beginMove(s);
    await s.sql`ROLLBACK`;
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), []);
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [1], "owner mode is back");
    const [again] = await s.sql`SELECT queue_rowid() AS id`;
    assert.equal(again?.id, id?.id);
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), [], "still owned");
    await s.sql`SELECT queue_end()`;
    assert.equal(db.stats("src").rowsRemoved, 1);
    assert.equal(db.stats("dst").rowsWritten, 0);
    await db.close();
  });

  test("ROLLBACK returns a row claimed inside the transaction to its queue", async () => {
    const { db } = await openTemp();
    const s = await takeBothInTransaction(db);
    await s.sql`ROLLBACK`;
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [1, 2]);
    assert.equal(db.stats("src").restoredByAbort, 2);
    // The same rows are delivered again, in order.
    assert.equal(await wait(s, ["src"], 0), 1);
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [1]);
    await db.close();
  });

  test("ROLLBACK of an owner's DELETE gives the row back to its owner", async () => {
    const { db } = await openTemp();
    const s = await ownFirst(db);
    await s.sql`BEGIN`;
    assert.equal((await s.sql`DELETE FROM src`).affectedRows, 1);
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), []);
    await s.sql`ROLLBACK`;
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [1]);
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), []);
    await db.close();
  });

  test("closing a session with an open transaction rolls it back", async () => {
    const { db } = await openTemp();
    const s = await ownFirst(db);
    await beginMove(s);
    await s.close();
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), []);
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), [1]);
    assert.equal(db.stats("src").restoredByClose, 1);
    await db.close();
  });

  test("ROLLBACK restores a relay mark the transaction reserved", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    const s = db.session();
    await s.sql`BEGIN`;
    await s.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    assert.equal((await s.sql`INSERT INTO dst VALUES (5)`).affectedRows, 1);
    await s.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    assert.equal((await s.sql`INSERT INTO dst VALUES (5)`).affectedRows, 0, "a duplicate");
    await s.sql`ROLLBACK`;
    await s.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    assert.equal((await s.sql`INSERT INTO dst VALUES (5)`).affectedRows, 1);
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [5]);
    await db.close();
  });
});

describe("transactions: durability details", () => {
  test("a relay mark committed in the first batch of a segment survives compaction and reopen", async () => {
    const { db, directory } = await openTemp({ sync: "none", segmentBytes: 65536 });
    await db.sql`CREATE TABLE dst (v INT NOT NULL, pad BLOB) ENGINE=QUEUE`;
    const s = db.session();
    await s.sql`BEGIN`;
    await s.sql`SELECT queue_set_srcid(3, 'a', 42)`;
    // Larger than a segment's room: the batch starts a new segment, after its checkpoint.
    await s.sql`INSERT INTO dst VALUES (1, ${new Uint8Array(60_000)}), (2, ${new Uint8Array(
      60_000,
    )})`;
    await s.sql`COMMIT`;
    await db.sql`DELETE FROM dst`;
    await db.sql`SELECT queue_compact('dst')`;
    await db.close();
    const reopened = await open(directory, { sync: "none", segmentBytes: 65536 });
    await reopened.sql`SELECT queue_set_srcid(3, 'a', 42)`;
    const again = await reopened.sql`INSERT INTO dst VALUES (3, NULL)`;
    assert.equal(again.affectedRows, 0, "the relay mark survived");
    await reopened.close();
  });
});

describe("transactions: failures and limits", () => {
  test("a COMMIT whose write fails rolls back: nothing of it happened, in memory or on disk", async () => {
    const { fs, db, s } = await ownFirstFaulty();
    await s.sql`BEGIN`;
    await s.sql`INSERT INTO dst VALUES (10), (11)`;
    await s.sql`SELECT queue_end()`;
    fs.failNextWrite("ENOSPC");
    await rejectsCode(s.sql`COMMIT`, "ER_DISK_FULL");
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), []);
    assert.equal(db.stats("dst").rowsWritten, 0, "the ids are issued again");
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [1], "the row is owned again");
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), [2]);
    // The session is out of the transaction and works on.
    await s.sql`INSERT INTO dst VALUES (12)`;
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [12]);
    const survivor = fs.crash();
    const reopened = await openEngine("/db", { fs: survivor });
    assert.deepEqual(column(await reopened.sql`SELECT v FROM dst`, "v"), [12]);
    assert.deepEqual(column(await reopened.sql`SELECT v FROM src`, "v"), [1, 2]);
    await reopened.close();
  });

  test("a crash during COMMIT's sync, with the batch torn anywhere, leaves all of it or none", async () => {
    await withSeed(async (random) => {
      for (let round = 0; round < 20; round++) {
        const fs = new FaultFileSystem();
        const db = await openEngine("/db", { fs, autoCompact: false });
        await pipeline(db);
        await db.sql`CREATE TABLE pad (b MEDIUMTEXT) ENGINE=QUEUE`;
        await db.sql`INSERT INTO src VALUES (1)`;
        const s = db.session();
        assert.equal(await wait(s, ["src"], 0), 1);
        await db.sql`INSERT INTO src VALUES (2)`; // the delivery count is durable now
        await s.sql`BEGIN`;
        // A batch of a random size, spanning one to several pages, torn anywhere.
        await s.sql`INSERT INTO pad VALUES (${"x".repeat(Math.floor(random() * 20_000))})`;
        await s.sql`INSERT INTO dst VALUES (10), (11)`;
        await s.sql`SELECT queue_end()`;
        fs.crashAtSync(1);
        await rejectsCode(s.sql`COMMIT`, "ER_ERROR_ON_WRITE");
        const reopened = await openEngine("/db", { fs: fs.crash({ torn: "pages", random }) });
        const dst = column(await reopened.sql`SELECT v FROM dst`, "v");
        const src = column(await reopened.sql`SELECT v FROM src`, "v");
        if (dst.length === 0) assert.deepEqual(src, [1, 2], "none of it");
        else {
          assert.deepEqual(dst, [10, 11], "all of it");
          assert.deepEqual(src, [2]);
        }
        await reopened.close();
      }
    });
  });

  test("a transaction larger than one batch is ER_TRANS_CACHE_FULL; the statement changes nothing", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE big (b LONGBLOB) ENGINE=QUEUE`;
    const s = db.session();
    await s.sql`BEGIN`;
    const chunk = new Uint8Array(8 * 1024 * 1024);
    const fit = Math.floor(batchBytesMax / (chunk.length + 256));
    for (let i = 0; i < fit; i++) await s.sql`INSERT INTO big VALUES (${chunk})`;
    await rejectsCode(s.sql`INSERT INTO big VALUES (${chunk})`, "ER_TRANS_CACHE_FULL");
    await s.sql`COMMIT`;
    assert.equal(db.stats("big").rowsWritten, fit);
    await db.close();
  });

  test("queue_abort inside a transaction is refused and changes nothing", async () => {
    const { db } = await openTemp();
    const s = await ownFirst(db);
    await s.sql`BEGIN`;
    await rejectsCode(s.sql`SELECT queue_abort()`, "ER_CANT_DO_THIS_DURING_AN_TRANSACTION");
    await rejectsCode(s.sql`SELECT queue_abort(5)`, "ER_CANT_DO_THIS_DURING_AN_TRANSACTION");
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [1]);
    await s.sql`ROLLBACK`;
    await db.close();
  });

  test("COMMIT after a table it inserted into was dropped fails and rolls back", async () => {
    const { db } = await openTemp();
    const s = await ownFirst(db);
    await beginMove(s);
    await db.sql`DROP TABLE dst`;
    await rejectsCode(s.sql`COMMIT`, "ER_NO_SUCH_TABLE");
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [1]);
    await db.close();
  });

  test("savepoints: ROLLBACK TO a savepoint with no change since is accepted, after a change refused", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    const s = db.session();
    await s.sql`SAVEPOINT outside`; // autocommit: nothing to keep
    await rejectsCode(s.sql`ROLLBACK TO SAVEPOINT outside`, "ER_SP_DOES_NOT_EXIST");
    await s.sql`BEGIN`;
    await s.sql`SAVEPOINT sp`;
    await s.sql`SELECT v FROM dst`;
    await s.sql`ROLLBACK TO SAVEPOINT sp`;
    await s.sql`INSERT INTO dst VALUES (1)`;
    await rejectsCode(s.sql`ROLLBACK TO sp`, "ER_NOT_SUPPORTED_YET");
    await s.sql`RELEASE SAVEPOINT sp`;
    await rejectsCode(s.sql`RELEASE SAVEPOINT sp`, "ER_SP_DOES_NOT_EXIST");
    await s.sql`COMMIT`;
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [1]);
    await db.close();
  });
});

describe("transactions: relays from two sessions", () => {
  test("a relay mark reserved by a transaction goes with it, whatever the order they end in", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    const first = db.session();
    const second = db.session();
    for (const s of [first, second]) await s.sql`BEGIN`;
    await first.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    await first.sql`INSERT INTO dst VALUES (5)`;
    await second.sql`SELECT queue_set_srcid(0, 'a', 7)`;
    await second.sql`INSERT INTO dst VALUES (7)`;
    await first.sql`ROLLBACK`;
    await second.sql`ROLLBACK`;
    // Neither is reserved any more: row 5 is relayed again and written.
    await db.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    assert.equal((await db.sql`INSERT INTO dst VALUES (5)`).affectedRows, 1);
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [5]);
    await db.close();
  });

  test("inside a transaction 'w' moves the reserved mark back, as outside", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    for (const inTransaction of [false, true]) {
      const s = db.session();
      if (inTransaction) await s.sql`BEGIN`;
      const relay = async (mode: string, rowId: number) => {
        await s.sql`SELECT queue_set_srcid(${inTransaction ? 1 : 0}, ${mode}, ${rowId})`;
        return (await s.sql`INSERT INTO dst VALUES (${rowId})`).affectedRows;
      };
      assert.equal(await relay("a", 5), 1);
      assert.equal(await relay("w", 3), 1);
      assert.equal(
        await relay("a", 4),
        1,
        `after 'w' to 3, 4 is new (transaction: ${inTransaction})`,
      );
      assert.equal(await relay("a", 4), 0);
      if (inTransaction) await s.sql`COMMIT`;
      await s.close();
    }
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [5, 3, 4, 5, 3, 4]);
    await db.close();
  });

  test("a relay of a row another session's open transaction relayed is not dropped as a duplicate", async () => {
    const { db } = await openTemp();
    await pipeline(db);
    const first = db.session();
    const second = db.session();
    await first.sql`BEGIN`;
    await first.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    assert.equal((await first.sql`INSERT INTO dst VALUES (5)`).affectedRows, 1);
    // The second relayer of the same source is handed the same source row
    // (the first lost its source connection). Outside a transaction it
    // waits for the first's transaction to end, then decides.
    await second.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    const relayed = second.sql`INSERT INTO dst VALUES (5)`;
    await first.sql`ROLLBACK`;
    assert.equal((await relayed).affectedRows, 1, "the row is written, not dropped");
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [5]);
    // Committed: a relay waiting meanwhile is then a duplicate.
    await first.sql`BEGIN`;
    await first.sql`SELECT queue_set_srcid(0, 'a', 6)`;
    await first.sql`INSERT INTO dst VALUES (6)`;
    await second.sql`SELECT queue_set_srcid(0, 'a', 6)`;
    const again = second.sql`INSERT INTO dst VALUES (6)`;
    await first.sql`COMMIT`;
    assert.equal((await again).affectedRows, 0, "a duplicate once the first committed");
    // Inside a transaction it cannot wait (two could wait on each other): it fails.
    await first.sql`BEGIN`;
    await first.sql`SELECT queue_set_srcid(0, 'a', 7)`;
    await first.sql`INSERT INTO dst VALUES (7)`;
    await second.sql`BEGIN`;
    await second.sql`SELECT queue_set_srcid(0, 'a', 7)`;
    await rejectsCode(second.sql`INSERT INTO dst VALUES (7)`, "ER_LOCK_DEADLOCK");
    await second.sql`ROLLBACK`;
    await first.sql`ROLLBACK`;
    assert.deepEqual(column(await db.sql`SELECT v FROM dst`, "v"), [5, 6]);
    await db.close();
  });
});

/**
 * db.close() with a statement in flight: embedded, the statement finishes
 * and reports what happened; served, close() drops the connection first
 * (the client then cannot know, as with any server).
 */
const embeddedOnly = skipUnless(
  testBackend === "embedded" ? null : "closes the database under a statement in flight",
);

/** Row 1 owned, BEGIN, then queue_end() while a TRUNCATE of src is in flight and fails. */
async function endDuringFailedTruncate(): Promise<{ db: Database; s: Session }> {
  const { fs, db, s } = await ownFirstFaulty();
  await db.sql`DELETE FROM src WHERE v = 2`;
  await s.sql`BEGIN`;
  fs.failNextWrite("ENOSPC");
  const truncating = db.sql`TRUNCATE TABLE src`;
  await s.sql`SELECT queue_end()`;
  await rejectsCode(truncating, "ER_DISK_FULL");
  return { db, s };
}

describe("transactions: concurrent TRUNCATE, close and compaction", () => {
  test("a row ended in a transaction stays consumed when a TRUNCATE in flight fails", async () => {
    const { fs, db, s } = await ownFirstFaulty();
    await db.sql`DELETE FROM src WHERE v = 2`;
    await s.sql`BEGIN`;
    await s.sql`SELECT queue_end()`;
    fs.failNextWrite("ENOSPC");
    const truncating = db.sql`TRUNCATE TABLE src`;
    const committing = s.sql`COMMIT`;
    await rejectsCode(truncating, "ER_DISK_FULL");
    await committing;
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), [], "consumed by the COMMIT");
    const other = db.session();
    assert.equal(await wait(other, ["src"], 0), 0, "not delivered again");
    await db.close();
  });

  test("a row ended in a transaction while a TRUNCATE of it is in flight stays consumed", async () => {
    const { db, s } = await endDuringFailedTruncate();
    await s.sql`COMMIT`;
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), [], "consumed by the COMMIT");
    const other = db.session();
    assert.equal(await wait(other, ["src"], 0), 0, "not delivered again");
    await db.close();
  });

  test("ROLLBACK gives back a row ended in it while a failed TRUNCATE was in flight", async () => {
    const { db, s } = await endDuringFailedTruncate();
    await s.sql`ROLLBACK`;
    assert.deepEqual(column(await s.sql`SELECT v FROM src`, "v"), [1], "owned again, as at BEGIN");
    const other = db.session();
    assert.equal(await wait(other, ["src"], 0), 0, "still the session's");
    await s.sql`SELECT queue_end()`;
    assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), []);
    await db.close();
  });

  test(
    "closing the database during COMMIT: a COMMIT that is durable reports success",
    embeddedOnly,
    async () => {
      const { db, directory } = await openTemp();
      const s = await ownFirst(db);
      await beginMove(s);
      const committing = s.sql`COMMIT`;
      const deleting = db.sql`DELETE FROM src`; // nothing to delete: the row is the transaction's
      await db.close();
      await committing;
      await deleting;
      const reopened = await open(directory, { sync: "none" });
      assert.deepEqual(column(await reopened.sql`SELECT v FROM dst`, "v"), [10]);
      assert.deepEqual(column(await reopened.sql`SELECT v FROM src`, "v"), []);
      await reopened.close();
    },
  );

  test(
    "closing the database during an owner's DELETE: a durable DELETE reports success",
    embeddedOnly,
    async () => {
      const { db, directory } = await openTemp();
      const s = await ownFirst(db);
      const deleting = s.sql`DELETE FROM src`; // owner mode: its own row
      await db.close();
      assert.equal((await deleting).affectedRows, 1);
      const reopened = await open(directory, { sync: "none" });
      assert.deepEqual(column(await reopened.sql`SELECT v FROM src`, "v"), []);
      await reopened.close();
    },
  );

  for (const end of ["COMMIT", "ROLLBACK"]) {
    test(`compaction while a transaction holds ended rows keeps them until its ${end}`, async () => {
      const options = { sync: "none", segmentBytes: 65536 } as const;
      const { db, directory } = await openTemp(options);
      await db.sql`CREATE TABLE src (v INT NOT NULL, pad BLOB) ENGINE=QUEUE`;
      for (let i = 1; i <= 4; i++) {
        await db.sql`INSERT INTO src VALUES (${i}, ${new Uint8Array(30_000)})`;
      }
      const s = db.session();
      await s.sql`BEGIN`;
      for (let i = 0; i < 3; i++) assert.equal(await wait(s, ["src"], 0), 1); // ends 1 and 2
      await s.sql`SELECT queue_end()`; // and 3
      await db.sql`INSERT INTO src VALUES (5, NULL)`;
      await db.sql`SELECT queue_compact('src')`;
      await s.sql.unsafe(end);
      const left = end === "COMMIT" ? [4, 5] : [1, 2, 3, 4, 5];
      assert.deepEqual(column(await db.sql`SELECT v FROM src`, "v"), left);
      await db.sql`SELECT queue_compact('src')`;
      await db.close();
      const reopened = await open(directory, options);
      assert.deepEqual(column(await reopened.sql`SELECT v FROM src`, "v"), left);
      await reopened.close();
    });
  }
});
