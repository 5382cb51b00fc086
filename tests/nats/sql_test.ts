/**
 * The public surface on the NATS backend: `open("nats://…")` from
 * `src/nats/mod.ts` gives the same Database as the local `open(dir)` —
 * SQL, sessions, queue functions, QueueError codes — over the 3-node
 * cluster, with what weakens declared in `db.capabilities`.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { QueueError } from "../../mod.ts";
import { open } from "../../src/nats/mod.ts";
import { openWithBackend } from "../../src/engine/mod.ts";
import { jetstream } from "../../src/nats/client.ts";
import { type NatsBackend, openNatsBackend } from "../../src/nats/backend.ts";
import { skipUnless } from "../_skip.ts";
import { natsMissing, useCluster } from "./_helpers.ts";

const cluster = useCluster();

describe("SQL on the NATS backend", skipUnless(natsMissing), () => {
  it("open → CREATE → INSERT → queue_wait → SELECT → queue_end/abort → stats", async () => {
    const db = await open(cluster().url, { namespace: `sql${process.pid}`, leaseMs: 2_000 });
    try {
      assert.equal(db.capabilities.name, "nats");
      assert.equal(db.capabilities.ownershipIsLease, true);
      await db.sql`CREATE TABLE jobs (id INT NOT NULL, body TEXT) ENGINE=QUEUE`;
      const inserted = await db
        .sql`INSERT INTO jobs (id, body) VALUES (${1}, ${"a"}), (${2}, ${"b"})`;
      assert.equal(inserted.affectedRows, 2);
      assert.equal(inserted.insertId, 1);
      assert.deepEqual([...await db.sql`SELECT id, body FROM jobs`], [
        { id: 1, body: "a" },
        { id: 2, body: "b" },
      ]);
      const s = db.session();
      assert.deepEqual([...await s.sql`SELECT queue_wait('jobs', 5) AS got`], [{ got: 1 }]);
      assert.deepEqual([...await s.sql`SELECT * FROM jobs`], [{ id: 1, body: "a" }]);
      assert.deepEqual([...await s.sql`SELECT queue_rowid() AS r, queue_attempts() AS n`], [
        { r: 1, n: 1 },
      ]);
      await s.sql`SELECT queue_end()`;
      assert.deepEqual([...await s.sql`SELECT queue_wait('jobs', 5) AS got`], [{ got: 1 }]);
      assert.deepEqual([...await s.sql`SELECT queue_rowid() AS r`], [{ r: 2 }]);
      await s.sql`SELECT queue_abort()`;
      // A condition needs client-side filtering on this backend.
      await assert.rejects(
        s.sql`SELECT queue_wait('jobs:id=2', 1)`,
        (e: unknown) => e instanceof QueueError && e.code === "ER_NOT_SUPPORTED_YET",
      );
      const [stats] = await db.sql`SELECT queue_stats('jobs') AS s`;
      assert.match(stats!.s, /rows_written: 2\nrows_removed: 1\n/);
      assert.match(stats!.s, /restored_by_abort: 1\n/);
      await db.sql`DELETE FROM jobs WHERE id = 2`;
      assert.deepEqual([...await db.sql`SELECT COUNT(*) AS n FROM jobs`], [{ n: 0 }]);
      await assert.rejects(
        db.sql`SELECT * FROM missing`,
        (e: unknown) => e instanceof QueueError && e.code === "ER_NO_SUCH_TABLE",
      );
      await s.close();
    } finally {
      await db.close();
    }
    await assert.rejects(
      db.sql`SELECT 1`,
      (e: unknown) => e instanceof QueueError && e.code === "ER_CLOSED",
    );
  });

  it("a second client follows the first one's DDL and sees its rows", async () => {
    const namespace = `sql2${process.pid}`;
    const a = await open(cluster().url, { namespace, leaseMs: 2_000 });
    const b = await open(cluster().url, { namespace, leaseMs: 2_000 });
    const tablesOf = async () => (await b.sql`SHOW TABLES`).map((r) => Object.values(r)[0]);
    const until = async (what: string, check: () => Promise<boolean>) => {
      for (let i = 0; i < 100; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`not within 5 s: ${what}`);
    };
    try {
      // b was open before the CREATE: the catalog watch brings the table.
      await a.sql`CREATE TABLE q (n INT NOT NULL) ENGINE=QUEUE`;
      await a.sql`INSERT INTO q VALUES (${7})`;
      await until("b sees table q", async () => (await tablesOf()).includes("q"));
      const s = b.session();
      assert.deepEqual([...await s.sql`SELECT queue_wait('q', 5) AS got`], [{ got: 1 }]);
      assert.deepEqual([...await s.sql`SELECT n FROM q`], [{ n: 7 }]);
      await s.sql`SELECT queue_end()`;
      await s.close();
      // Another client's end reaches COUNT(*) once the replicated stream has
      // applied the confirmed ack (README: within about 250 ms), not at once.
      await until(
        "a counts the row b ended",
        async () => (await a.sql`SELECT COUNT(*) AS n FROM q`)[0]?.n === 0,
      );
      // Another client's ALTER and DROP reach b too.
      await a.sql`ALTER TABLE q ADD COLUMN note TEXT`;
      await a.sql`INSERT INTO q (n, note) VALUES (${8}, ${"x"})`;
      await until("b sees the new column", async () => {
        try {
          return (await b.sql`SELECT n, note FROM q`).length === 1;
        } catch {
          return false;
        }
      });
      await a.sql`DROP TABLE q`;
      await until("b sees q dropped", async () => !(await tablesOf()).includes("q"));
    } finally {
      await b.close();
      await a.close();
    }
  });

  it("a blocked queue_wait follows another client's ALTER TABLE", async () => {
    const namespace = `sql3${process.pid}`;
    const options = { namespace, leaseMs: 2_000, clientSideConditions: true };
    const a = await open(cluster().url, options);
    const b = await open(cluster().url, options);
    const code = (e: unknown) => e instanceof QueueError ? e.code : String(e);
    try {
      await a.sql`CREATE TABLE t (a INT, b INT) ENGINE=QUEUE`;
      await a.sql`INSERT INTO t (a, b) VALUES (2, 1)`; // written under the old schema
      const s = b.session();
      // b learns of t through its watch; the wait blocks (no row has b = 2).
      let waited: Promise<unknown[]> | null = null;
      for (let i = 0; waited === null; i++) {
        try {
          await b.sql`SELECT 1 FROM t LIMIT 0`;
          waited = s.sql`SELECT queue_wait('t:b = 2', 10) AS got`.then((r) => [...r]);
        } catch (error) {
          if (i >= 100 || code(error) !== "ER_NO_SUCH_TABLE") throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      // a drops a and adds c: b's condition must now read b at its new position.
      await a.sql`ALTER TABLE t DROP COLUMN a, ADD COLUMN c INT`;
      await a.sql`INSERT INTO t (b, c) VALUES (5, 2)`;
      await a.sql`INSERT INTO t (b, c) VALUES (2, 0)`;
      assert.deepEqual(await waited, [{ got: 1 }]);
      assert.deepEqual([...await s.sql`SELECT b, c FROM t`], [{ b: 2, c: 0 }]);
      await s.sql`SELECT queue_end()`;
      // A condition on a column another client drops fails the blocked wait.
      const dropped = s.sql`SELECT queue_wait('t:c = 9', 10)`.then(
        () => "resolved",
        (error: unknown) => code(error),
      );
      await new Promise((r) => setTimeout(r, 300));
      await a.sql`ALTER TABLE t DROP COLUMN c`;
      assert.equal(await dropped, "ER_BAD_FIELD_ERROR");
      await s.close();
    } finally {
      await b.close();
      await a.close();
    }
  });

  it("a statement meeting another client's newer schema reads the catalog and runs again", async () => {
    const namespace = `sql4${process.pid}`;
    const a = await open(cluster().url, { namespace, leaseMs: 2_000 });
    let backend: NatsBackend | null = null;
    const b = await openWithBackend(async (options) =>
      backend = await openNatsBackend(cluster().url, { ...options, namespace, leaseMs: 2_000 })
    );
    const code = (e: unknown) => e instanceof QueueError ? e.code : String(e);
    try {
      await a.sql`CREATE TABLE t (a INT, b INT) ENGINE=QUEUE`;
      await a.sql`INSERT INTO t (a, b) VALUES (1, 2)`;
      for (let i = 0;; i++) {
        try {
          await b.sql`SELECT 1 FROM t LIMIT 0`; // b's watch has brought t
          break;
        } catch (error) {
          if (i >= 100 || code(error) !== "ER_NO_SUCH_TABLE") throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      // b's watch is held back: a's ALTER reaches b only through a catalog read.
      const release = backend!.holdCatalogWatch();
      await a.sql`ALTER TABLE t ADD COLUMN c INT`;
      await a.sql`INSERT INTO t (a, b, c) VALUES (3, 4, 5)`;
      // SELECT * gets the new column list; a row of the old schema shows c as NULL.
      assert.deepEqual([...await b.sql`SELECT * FROM t`], [
        { a: 1, b: 2, c: null },
        { a: 3, b: 4, c: 5 },
      ]);
      assert.deepEqual([...await b.sql`SELECT COUNT(*) AS n FROM t WHERE c = 5`], [{ n: 1 }]);
      // A column the SELECT names, dropped by a meanwhile: ER_BAD_FIELD_ERROR, as locally.
      await a.sql`ALTER TABLE t DROP COLUMN a`;
      await a.sql`INSERT INTO t (b, c) VALUES (6, 7)`;
      await assert.rejects(
        b.sql`SELECT a, b FROM t`,
        (e: unknown) => code(e) === "ER_BAD_FIELD_ERROR",
      );
      assert.deepEqual([...await b.sql`SELECT b, c FROM t`], [
        { b: 2, c: null },
        { b: 4, c: 5 },
        { b: 6, c: 7 },
      ]);
      // A column b has not heard of: the catalog read finds it.
      await a.sql`ALTER TABLE t ADD COLUMN d INT`;
      await a.sql`INSERT INTO t (b, c, d) VALUES (8, 9, 10)`;
      assert.deepEqual([...await b.sql`SELECT b, d FROM t WHERE d = 10`], [{ b: 8, d: 10 }]);
      // DELETE's WHERE reads rows too: it follows the catalog the same way.
      await a.sql`ALTER TABLE t ADD COLUMN e INT`;
      await a.sql`INSERT INTO t (b, e) VALUES (11, 12)`;
      assert.equal((await b.sql`DELETE FROM t WHERE b = 11`).affectedRows, 1);
      await a.sql`ALTER TABLE t ADD COLUMN f INT`;
      await a.sql`INSERT INTO t (b, f) VALUES (13, 14)`;
      assert.equal((await b.sql`DELETE FROM t WHERE f = 14`).affectedRows, 1);
      // An INSERT naming a column b has not heard of.
      await a.sql`ALTER TABLE t ADD COLUMN h INT`;
      assert.equal((await b.sql`INSERT INTO t (b, h) VALUES (15, 16)`).affectedRows, 1);
      assert.deepEqual([...await a.sql`SELECT b, h FROM t WHERE h = 16`], [{ b: 15, h: 16 }]);
      // A table b has not heard of.
      await a.sql`CREATE TABLE u (v INT) ENGINE=QUEUE`;
      await a.sql`INSERT INTO u VALUES (1)`;
      assert.deepEqual([...await b.sql`SELECT v FROM u`], [{ v: 1 }]);
      await a.sql`CREATE TABLE w (v INT) ENGINE=QUEUE`;
      assert.equal((await b.sql`INSERT INTO w VALUES (2)`).affectedRows, 1);
      // A queue_wait naming a table b has not heard of.
      await a.sql`CREATE TABLE x (v INT) ENGINE=QUEUE`;
      await a.sql`INSERT INTO x VALUES (3)`;
      const sx = b.session();
      assert.deepEqual([...await sx.sql`SELECT queue_wait('x', 5) AS w`], [{ w: 1 }]);
      assert.deepEqual([...await sx.sql`SELECT v FROM x`], [{ v: 3 }]);
      await sx.sql`SELECT queue_end()`;
      await a.sql`CREATE TABLE y (v INT) ENGINE=QUEUE`;
      await a.sql`INSERT INTO y VALUES (4)`;
      assert.deepEqual([...await sx.sql`SELECT v FROM y WHERE queue_wait('y', 5)`], [{ v: 4 }]);
      await sx.sql`SELECT queue_end()`;
      await sx.close();
      // Q4M's first form: the wait runs once, its read follows the catalog.
      await a.sql`DELETE FROM t`;
      await a.sql`ALTER TABLE t ADD COLUMN g INT`;
      await a.sql`INSERT INTO t (b, g) VALUES (20, 21)`;
      const s = b.session();
      assert.deepEqual([...await s.sql`SELECT b, g FROM t WHERE queue_wait('t', 5)`], [
        { b: 20, g: 21 },
      ]);
      await s.sql`SELECT queue_end()`;
      await s.close();
      // A version still unknown after the catalog read is corrupt.
      const [info] = backend!.tables().filter((t) => t.name === "t");
      const js = jetstream(backend!.nc);
      await js.publish(`${namespace}.t${info!.tableId}.r`, new Uint8Array([99, 0, 0, 0]));
      await assert.rejects(b.sql`SELECT b FROM t`, (e: unknown) => code(e) === "ER_CORRUPT");
      release();
    } finally {
      await b.close();
      await a.close();
    }
  });
});
