/**
 * Regression tests for issue 9's engine items: failed removals give back
 * ownership (4); on blocked waits: ALTER TABLE with blocked waiters (5), a
 * waiter's condition that fails to evaluate (9), conditions held by waiters
 * and the condition cache (12); a failed INSERT keeps the relay mark (25);
 * numeric strings in queue function arguments (26).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { conditionCacheBytesMax, conditionCacheEntriesMax } from "../../src/limits.ts";
import { openWithBackend } from "../../src/engine/mod.ts";
import { type LocalBackend, openLocalBackend } from "../../src/backend/mod.ts";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import {
  freshDirectory,
  nextTurn,
  notOnNats,
  openEngine,
  openTemp,
  plain,
  rejectsCode,
  testBackend,
  wait,
  within,
} from "./_helpers.ts";

/** Hang guard (not a timing assertion). */
const guardMs = 20_000;

/** A promise with a flag saying whether it has settled yet, and how. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  const done = promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error) => {
      state.settled = true;
      state.error = error;
    },
  );
  return { state, done };
}

/**
 * Lets a waiter a row should wake settle before checking it: the next turn
 * on the local backend (the INSERT wakes it at once); on NATS the wake is a
 * delivery over the network, so up to guardMs.
 */
async function settles(waiter: { done: Promise<void> }): Promise<void> {
  if (testBackend === "nats") await within(waiter.done, guardMs, "waiter").catch(() => {});
  else await nextTurn();
}

async function faultDb() {
  const fs = new FaultFileSystem();
  const db = await openEngine(freshDirectory(), { fs, autoCompact: false });
  return { fs, db };
}

describe("item 4: a failed removal gives back ownership", () => {
  test("a failed TRUNCATE leaves the owned row with its owner", async () => {
    const { fs, db } = await faultDb();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    const owner = db.session();
    assert.equal(await wait(owner, ["t"], 0), 1);
    fs.failNextWrite("EIO");
    await rejectsCode(db.sql`TRUNCATE TABLE t`, "ER_ERROR_ON_WRITE");
    const other = db.session();
    assert.equal(await wait(other, ["t"], 0), 1);
    assert.deepEqual(plain(await other.sql`SELECT v FROM t`), [{ v: 2 }]);
    const third = db.session();
    assert.equal(await wait(third, ["t"], 0), 0, "row 1 is still owned");
    assert.deepEqual(plain(await owner.sql`SELECT v FROM t`), [{ v: 1 }]);
    await owner.sql`SELECT queue_end()`;
    await other.sql`SELECT queue_end()`;
    assert.equal(db.stats("t").rowsRemoved, 2);
    await db.close();
  });

  test("a failed TRUNCATE does not hand the owned row to a blocked waiter", async () => {
    const { fs, db } = await faultDb();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const owner = db.session();
    assert.equal(await wait(owner, ["t"], 0), 1);
    const waiter = track(wait(db.session(), ["t"], 60));
    await nextTurn();
    fs.failNextWrite("EIO");
    await rejectsCode(db.sql`TRUNCATE TABLE t`, "ER_ERROR_ON_WRITE");
    await nextTurn();
    assert.equal(waiter.state.settled, false, "the waiter got a row its owner still holds");
    await owner.sql`SELECT queue_abort()`;
    await within(waiter.done, guardMs, "waiter");
    assert.equal(waiter.state.value, 1);
    await db.close();
  });

  test("queue_end during a TRUNCATE that then fails still consumes the row", async () => {
    const { fs, db } = await faultDb();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    const owner = db.session();
    assert.equal(await wait(owner, ["t"], 0), 1);
    fs.failNextWrite("EIO");
    const truncating = db.sql`TRUNCATE TABLE t`;
    const ending = owner.sql`SELECT queue_end() AS r`;
    await rejectsCode(truncating, "ER_ERROR_ON_WRITE");
    assert.deepEqual(plain(await ending), [{ r: 1 }]);
    // Row 1 was finished by its owner: only row 2 is left.
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), [{ v: 2 }]);
    const other = db.session();
    assert.equal(await wait(other, ["t"], 0), 1);
    assert.deepEqual(plain(await other.sql`SELECT v FROM t`), [{ v: 2 }]);
    await db.close();
  });

  test("an owner's failed DELETE leaves the row with its owner", async () => {
    const { fs, db } = await faultDb();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    const owner = db.session();
    assert.equal(await wait(owner, ["t"], 0), 1);
    fs.failNextWrite("EIO");
    await rejectsCode(owner.sql`DELETE FROM t`, "ER_ERROR_ON_WRITE");
    const other = db.session();
    assert.equal(await wait(other, ["t"], 0), 1);
    assert.deepEqual(plain(await other.sql`SELECT v FROM t`), [{ v: 2 }]);
    assert.equal(await wait(db.session(), ["t"], 0), 0, "row 1 is still owned");
    assert.deepEqual(plain(await owner.sql`SELECT v FROM t`), [{ v: 1 }]);
    await db.close();
  });
});

describe("item 5: ALTER TABLE with blocked waiters", () => {
  test("a waiter blocked across an ALTER is woken by a new row", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    const waiter = track(wait(db.session(), ["t"], 60));
    await nextTurn();
    await db.sql`ALTER TABLE t ADD COLUMN w INT`;
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    await settles(waiter);
    assert.equal(waiter.state.settled, true, "the waiter was not woken by the new row");
    assert.equal(waiter.state.value, 1);
    await db.close();
  });

  test(
    "a waiter that starts after an ALTER is woken by a new row",
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`ALTER TABLE t ADD COLUMN w INT`;
      const waiter = track(wait(db.session(), ["t"], 60));
      await nextTurn();
      await db.sql`INSERT INTO t (v) VALUES (1)`;
      await settles(waiter);
      assert.equal(waiter.state.settled, true, "the waiter was not woken by the new row");
      assert.equal(waiter.state.value, 1);
      await db.close();
    },
  );

  test(
    "a waiter's condition is recompiled for the new column positions",
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE t (a INT, b INT) ENGINE=QUEUE`;
      const s = db.session();
      const waiter = track(wait(s, ["t:b = 2"], 60));
      await nextTurn();
      await db.sql`ALTER TABLE t DROP COLUMN a, ADD COLUMN c INT`;
      await db.sql`INSERT INTO t (b, c) VALUES (5, 2)`;
      await nextTurn();
      assert.equal(waiter.state.settled, false, "the waiter took a row with b = 5");
      await db.sql`INSERT INTO t (b, c) VALUES (2, 0)`;
      await within(waiter.done, guardMs, "waiter");
      assert.equal(waiter.state.value, 1);
      assert.deepEqual(plain(await s.sql`SELECT b, c FROM t`), [{ b: 2, c: 0 }]);
      await db.close();
    },
  );

  test(
    "a waiter whose condition names a dropped column fails with ER_BAD_FIELD_ERROR",
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE t (a INT, b INT) ENGINE=QUEUE`;
      const s = db.session();
      // Checked from the start: the wait fails while the ALTER is still
      // running (on NATS, maybe before its reply), with a handler attached.
      const waiter = rejectsCode(wait(s, ["t:a = 1"], 60), "ER_BAD_FIELD_ERROR");
      await nextTurn();
      await db.sql`ALTER TABLE t DROP COLUMN a`;
      await within(waiter, guardMs, "waiter");
      // The session is usable and waits again.
      await db.sql`INSERT INTO t (b) VALUES (1)`;
      assert.equal(await wait(s, ["t"], 0), 1);
      await db.close();
    },
  );
});

describe("item 9: a condition that fails to evaluate stays with its waiter", () => {
  test("BIGINT overflow in a blocked waiter's condition fails that wait only", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q (v BIGINT NOT NULL) ENGINE=QUEUE`;
    const bad = wait(db.session(), ["q:v + 9223372036854775807 > 0"], 60);
    bad.catch(() => {});
    const good = wait(db.session(), ["q"], 60);
    await nextTurn();
    await within(db.sql`INSERT INTO q (v) VALUES (1)`, guardMs, "insert");
    await within(rejectsCode(bad, "ER_DATA_OUT_OF_RANGE"), guardMs, "bad waiter");
    assert.equal(await within(good, guardMs, "good waiter"), 1);
    // The commit loop still runs: later writes and close finish.
    await within(db.sql`INSERT INTO q (v) VALUES (2)`, guardMs, "later insert");
    await within(db.close(), guardMs, "close");
  });

  test(
    "the same condition fails at once when the row is already there",
    notOnNats(
      "a row a client-side condition turned down stays hidden from every wait for filterDelayMs (README)",
    ),
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE q (v BIGINT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO q (v) VALUES (1)`;
      const s = db.session();
      await rejectsCode(wait(s, ["q:v + 9223372036854775807 > 0"], 60), "ER_DATA_OUT_OF_RANGE");
      assert.equal(await wait(s, ["q"], 0), 1, "the row is still available");
      await db.close();
    },
  );
});

describe("item 12: conditions held by waiters stay in the cache", () => {
  test(
    "a waiter's condition survives many other conditions and is rewound on abort",
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO q (v) VALUES (1), (2)`;
      const owner = db.session();
      assert.equal(await wait(owner, ["q"], 0), 1);
      // Its cursor passes row 1 (owned) and row 2 (no match), then it blocks.
      const waiter = track(wait(db.session(), ["q:v = 1"], 60));
      await nextTurn();
      const poller = db.session();
      for (let i = 0; i < conditionCacheEntriesMax + 10; i++) {
        assert.equal(await wait(poller, [`q:v = ${i + 100}`], 0), 0);
      }
      await owner.sql`SELECT queue_abort()`;
      await settles(waiter);
      assert.equal(waiter.state.settled, true, "the waiter was not handed the aborted row");
      assert.equal(waiter.state.value, 1);
      await db.close();
    },
  );
});

describe("item 25: a failed INSERT keeps the relay mark armed", () => {
  test("a bad value does not consume the mark", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    await rejectsCode(db.sql`INSERT INTO dst (v) VALUES (NULL)`, "ER_BAD_NULL_ERROR");
    assert.equal((await db.sql`INSERT INTO dst (v) VALUES (1)`).affectedRows, 1);
    // The mark went with the row: a resend of source row 5 is a duplicate.
    await db.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    assert.equal((await db.sql`INSERT INTO dst (v) VALUES (1)`).affectedRows, 0);
    assert.equal(db.stats("dst").rowsWritten, 1);
    await db.close();
  });

  test("a write error does not consume the mark", async () => {
    const { fs, db } = await faultDb();
    await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`SELECT queue_set_srcid(3, 'a', 7)`;
    fs.failNextWrite("ENOSPC");
    await rejectsCode(db.sql`INSERT INTO dst (v) VALUES (1)`, "ER_DISK_FULL");
    assert.equal((await db.sql`INSERT INTO dst (v) VALUES (1)`).affectedRows, 1);
    await db.sql`SELECT queue_set_srcid(3, 'a', 7)`;
    assert.equal((await db.sql`INSERT INTO dst (v) VALUES (1)`).affectedRows, 0);
    assert.equal(db.stats("dst").rowsWritten, 1);
    await db.close();
  });
});

describe("item 26: numeric strings in queue function arguments", () => {
  test("queue_set_srcid takes complete integer strings", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
    const [armed] = await db.sql.unsafe("SELECT queue_set_srcid(?, ?, ?) AS r", ["0", "a", "5"]);
    assert.ok(armed !== undefined);
    assert.equal(armed.r, 1);
    assert.equal((await db.sql`INSERT INTO dst (v) VALUES (1)`).affectedRows, 1);
    await db.sql.unsafe("SELECT queue_set_srcid('0', 'a', '5')");
    assert.equal((await db.sql`INSERT INTO dst (v) VALUES (1)`).affectedRows, 0, "duplicate");
    for (const bad of [["x", "a", "5"], ["0", "a", "5x"], ["0", "a", "5.5"], ["64", "a", "1"]]) {
      const [row] = await db.sql.unsafe("SELECT queue_set_srcid(?, ?, ?) AS r", bad);
      assert.ok(row !== undefined);
      assert.equal(row.r, null, `queue_set_srcid(${bad.join(", ")})`);
    }
    await db.close();
  });

  test("a last queue_wait argument that is a complete numeric string is the timeout", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    assert.equal(await wait(s, ["src", "0"], undefined), 0, "'0' polls");
    assert.equal(await wait(s, ["src", "0.01"], undefined), 0, "'0.01' is a timeout");
    await db.sql`INSERT INTO src (v) VALUES (1)`;
    assert.equal(await wait(s, ["src", "5"], undefined), 1);
    await rejectsCode(wait(s, ["src", "-1"], undefined), "ER_WRONG_ARGUMENTS");
    // Not a complete number: a table name (missing here, so NULL).
    assert.equal(await wait(s, ["src", "5x"], undefined), null);
    await db.close();
  });
});

describe("item 15: the condition cache is bounded by bytes", () => {
  test("many large distinct conditions keep the cached text within conditionCacheBytesMax", async () => {
    let backend: LocalBackend | undefined;
    const db = await openWithBackend(async (options) => {
      backend = await openLocalBackend(freshDirectory(), { ...options, sync: "none" });
      return backend;
    });
    assert.ok(backend !== undefined);
    await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    const padding = "x".repeat(200_000);
    for (let i = 0; i < 40; i++) {
      assert.equal(await wait(s, [`q:v = ${i} OR '${padding}' = ''`], 0), 0);
    }
    const tableId = backend.tables()[0]!.tableId;
    const cachedBytes = () => backend!.conditionCacheBytes(tableId);
    assert.ok(
      cachedBytes() <= conditionCacheBytesMax,
      `${cachedBytes()} bytes of condition text cached`,
    );
    // A condition larger than the whole bound is still compiled and used.
    const huge = `q:v = 1 OR '${"y".repeat(conditionCacheBytesMax + 1000)}' = ''`;
    await db.sql`INSERT INTO q (v) VALUES (1)`;
    assert.equal(await wait(s, [huge], 0), 1);
    assert.ok(cachedBytes() <= conditionCacheBytesMax + huge.length);
    await db.close();
  });
});
