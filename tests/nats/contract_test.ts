/**
 * DESIGN.md's queue contract run on both backends — the local log and the
 * 3-node NATS cluster — through the same public `sql` API. Where a backend
 * declares a weaker contract (`db.capabilities`), the test asserts that
 * weaker contract instead of skipping.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../../mod.ts";
import { open as openNats } from "../../src/nats/mod.ts";
import { openTemp, rejectsCode } from "../engine/_helpers.ts";
import { skipUnless } from "../_skip.ts";
import { natsMissing, useCluster } from "./_helpers.ts";

const cluster = useCluster();
let namespaceCount = 0;

const backends: { name: string; skip: string | null; open: () => Promise<Database> }[] = [
  { name: "local", skip: null, open: async () => (await openTemp()).db },
  {
    name: "nats",
    skip: natsMissing,
    open: () =>
      openNats(cluster().url, {
        namespace: `contract${process.pid}n${++namespaceCount}`,
        leaseMs: 2_000,
      }),
  },
];

/** Plain copies of rows, for deepEqual. */
async function rows(result: Promise<Record<string, unknown>[]>): Promise<unknown[]> {
  return (await result).map((r) => ({ ...r }));
}

for (const backend of backends) {
  describe(`the queue contract on the ${backend.name} backend`, skipUnless(backend.skip), () => {
    const withDb = (name: string, body: (db: Database) => Promise<void>) =>
      it(name, { timeout: 60_000 }, async () => {
        const db = await backend.open();
        try {
          await body(db);
        } finally {
          await db.close();
        }
      });

    withDb("row ids start at 1, rise by one and never restart, not after TRUNCATE", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      const first = await db.sql`INSERT INTO t VALUES (${1})`;
      assert.equal(first.insertId, 1);
      const two = await db.sql`INSERT INTO t VALUES (${2}), (${3})`;
      assert.equal(two.insertId, 2);
      assert.equal(two.affectedRows, 2);
      await db.sql`TRUNCATE t`;
      assert.equal((await db.sql`INSERT INTO t VALUES (${4})`).insertId, 4);
    });

    withDb("a bad row fails the whole INSERT and writes nothing", async (db) => {
      await db.sql`CREATE TABLE t (n TINYINT NOT NULL) ENGINE=QUEUE`;
      await rejectsCode(
        db.sql`INSERT INTO t VALUES (${1}), (${1000})`,
        "ER_WARN_DATA_OUT_OF_RANGE",
      );
      await rejectsCode(db.sql`INSERT INTO t VALUES (${1}), (${null})`, "ER_BAD_NULL_ERROR");
      assert.deepEqual(await rows(db.sql`SELECT COUNT(*) AS n FROM t`), [{ n: 0 }]);
    });

    withDb("owner mode: wait, SELECT sees the owned row only, end, rowid", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO t VALUES (${10}), (${20})`;
      const s = db.session();
      await rejectsCode(s.sql`SELECT queue_rowid()`, "ER_NOT_OWNER");
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('t', 5) AS w`), [{ w: 1 }]);
      assert.deepEqual(await rows(s.sql`SELECT n FROM t`), [{ n: 10 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_rowid() AS r`), [{ r: 1 }]);
      // COUNT(*) of another session leaves the owned row out (decision 1).
      assert.deepEqual(await rows(db.sql`SELECT COUNT(*) AS n FROM t`), [{ n: 1 }]);
      // queue_wait first finishes the owned row (decision 5).
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('t', 5) AS w`), [{ w: 1 }]);
      assert.deepEqual(await rows(s.sql`SELECT n FROM t`), [{ n: 20 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_end() AS e`), [{ e: 1 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_end() AS e`), [{ e: 1 }]);
      assert.deepEqual(await rows(db.sql`SELECT COUNT(*) AS n FROM t`), [{ n: 0 }]);
      await s.close();
    });

    withDb("an owner's DELETE then queue_end removes the row once", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO t VALUES (${1}), (${2})`;
      const s = db.session();
      await s.sql`SELECT queue_wait('t', 5)`;
      const deleted = await s.sql`DELETE FROM t`;
      assert.equal(deleted.affectedRows, 1);
      await s.sql`SELECT queue_end()`;
      assert.deepEqual(await rows(db.sql`SELECT n FROM t`), [{ n: 2 }]);
      await s.close();
    });

    withDb("queue_abort gives the row back; attempts count deliveries", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO t VALUES (${1})`;
      const s = db.session();
      await s.sql`SELECT queue_wait('t', 5)`;
      assert.deepEqual(await rows(s.sql`SELECT queue_attempts() AS a`), [{ a: 1 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_abort() AS a`), [{ a: 1 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('t', 5) AS w`), [{ w: 1 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_attempts() AS a`), [{ a: 2 }]);
      await s.sql`SELECT queue_end()`;
      await s.close();
    });

    withDb("priority across tables among rows already there; timeout and bounds", async (db) => {
      await db.sql`CREATE TABLE hi (n INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`CREATE TABLE lo (n INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO lo VALUES (${1})`;
      await db.sql`INSERT INTO hi VALUES (${2})`;
      const s = db.session();
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('hi', 'lo', 5) AS w`), [{ w: 1 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('hi', 'lo', 5) AS w`), [{ w: 2 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('hi', 'lo', 0) AS w`), [{ w: 0 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('missing', 0) AS w`), [{ w: null }]);
      await rejectsCode(s.sql`SELECT queue_wait('hi', -1)`, "ER_WRONG_ARGUMENTS");
      await rejectsCode(s.sql`SELECT queue_wait('', 1)`, "ER_WRONG_ARGUMENTS");
      await s.close();
    });

    withDb("a blocked queue_wait is served by a later INSERT", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      const s = db.session();
      const waiting = s.sql`SELECT queue_wait('t', 10) AS w`;
      await new Promise((r) => setTimeout(r, 100));
      await db.sql`INSERT INTO t VALUES (${5})`;
      assert.deepEqual(await rows(waiting), [{ w: 1 }]);
      assert.deepEqual(await rows(s.sql`SELECT n FROM t`), [{ n: 5 }]);
      await s.close();
    });

    withDb("close(): a pending wait rejects ER_CLOSED, the owned row goes back", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO t VALUES (${1})`;
      const owner = db.session();
      await owner.sql`SELECT queue_wait('t', 5)`;
      const waiter = db.session();
      const pending = waiter.sql`SELECT queue_wait('t', 30)`;
      await new Promise((r) => setTimeout(r, 100));
      await waiter.close();
      await rejectsCode(pending, "ER_CLOSED");
      await owner.close();
      const next = db.session();
      assert.deepEqual(await rows(next.sql`SELECT queue_wait('t', 5) AS w`), [{ w: 1 }]);
      await next.close();
    });

    withDb("a wait on a table that is dropped gets 0", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      const s = db.session();
      const pending = s.sql`SELECT queue_wait('t', 30) AS w`;
      await new Promise((r) => setTimeout(r, 100));
      await db.sql`DROP TABLE t`;
      assert.deepEqual(await rows(pending), [{ w: 0 }]);
      await s.close();
    });

    withDb("relay marks: a resent row is dropped with affectedRows 0", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      const relay = db.session();
      for (let i = 0; i < 2; i++) {
        await relay.sql`SELECT queue_set_srcid(5, 'a', ${42})`;
        const result = await relay.sql`INSERT INTO t VALUES (${42})`;
        assert.equal(result.affectedRows, i === 0 ? 1 : 0);
      }
      // Exact watermarks drop an older row too; the duplicate window only the same one.
      await relay.sql`SELECT queue_set_srcid(5, 'a', ${41})`;
      const older = await relay.sql`INSERT INTO t VALUES (${41})`;
      assert.equal(older.affectedRows, 0, "older row id than the watermark");
      await relay.close();
      assert.deepEqual(await rows(db.sql`SELECT n FROM t`), [{ n: 42 }]);
    });

    withDb("delays: queue_set_delay and queue_abort(s) hold rows back", async (db) => {
      assert.equal(db.capabilities.delayedRows, true);
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      const s = db.session();
      await s.sql`SELECT queue_set_delay(0.5)`;
      await s.sql`INSERT INTO t VALUES (${1})`;
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('t', 0) AS w`), [{ w: 0 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('t', 5) AS w`), [{ w: 1 }]);
      await s.sql`SELECT queue_abort(0.5)`;
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('t', 0) AS w`), [{ w: 0 }]);
      assert.deepEqual(await rows(s.sql`SELECT queue_wait('t', 5) AS w`), [{ w: 1 }]);
      await s.sql`SELECT queue_end()`;
      await s.close();
    });

    withDb("conditions: evaluated where the rows are, or ER_NOT_SUPPORTED_YET", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO t VALUES (${1}), (${2})`;
      const s = db.session();
      const waited = s.sql`SELECT queue_wait('t:n=2', 5) AS w`;
      if (db.capabilities.serverSideConditions === "any" || db.capabilities.clientSideConditions) {
        assert.deepEqual(await rows(waited), [{ w: 1 }]);
        assert.deepEqual(await rows(s.sql`SELECT n FROM t`), [{ n: 2 }]);
      } else {
        await rejectsCode(waited, "ER_NOT_SUPPORTED_YET");
      }
      await s.close();
    });

    withDb("the owner keeps its row while it lives, lease or not", async (db) => {
      await db.sql`CREATE TABLE t (n INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO t VALUES (${1})`;
      const owner = db.session();
      await owner.sql`SELECT queue_wait('t', 5)`;
      // Past a NATS lease of 2 s: the owner renews it.
      const other = db.session();
      assert.deepEqual(await rows(other.sql`SELECT queue_wait('t', 3) AS w`), [{ w: 0 }]);
      await owner.sql`SELECT queue_end()`;
      await owner.close();
      await other.close();
    });
  });
}
