/**
 * Q4M's t/12-truncate.t, t/13-drop-table.t, t/13-drop-table-while-waiting.t,
 * t/14-alter-table.t and t/15-delete.t ported: TRUNCATE, DROP, ALTER and
 * DELETE while rows are owned and sessions wait. Where q4d decided otherwise
 * (DESIGN.md decision 9: ALTER keeps owned rows and their ids; ids never
 * restart after TRUNCATE; a waiter on a dropped table gets 0 at once) the
 * test follows DESIGN.md.
 *
 * t/16-upgrade.t does not apply: it reads data files of Q4M 0.9.6–0.9.8, and
 * q4d has its own log format with no older versions yet.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { column, nextTurn, openTemp, plain, rejectsCode, wait } from "./_helpers.ts";

describe("q4m 12-truncate", () => {
  test("TRUNCATE empties the table", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (1), (2)`;
    await db.sql`TRUNCATE TABLE q4m_t`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), []);
    const [count] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, 0);
    await db.close();
  });

  test("after TRUNCATE an owner sees nothing, even new rows; its queue_end / queue_abort return 1 and change nothing", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    const owner = db.session();
    const other = db.session();
    for (let n = 1; n <= 6; n++) {
      await db.sql`INSERT INTO q4m_t (v) VALUES (${n})`;
      assert.equal(await wait(owner, ["q4m_t"], 0), 1);
      await db.sql`INSERT INTO q4m_t (v) VALUES (${n * 10})`;
      assert.deepEqual(column(await owner.sql`SELECT * FROM q4m_t`, "v"), [n]);
      assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [n * 10]);
      await db.sql`TRUNCATE q4m_t`;
      await db.sql`INSERT INTO q4m_t (v) VALUES (${n * 20})`;
      assert.deepEqual(plain(await owner.sql`SELECT * FROM q4m_t`), []);
      const [r] = n % 2 === 1
        ? await owner.sql`SELECT queue_end() AS r`
        : await owner.sql`SELECT queue_abort() AS r`;
      assert.ok(r !== undefined);
      assert.equal(r.r, 1);
      assert.deepEqual(column(await owner.sql`SELECT * FROM q4m_t`, "v"), [n * 20]);
      assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [n * 20]);
      await db.sql`TRUNCATE q4m_t`;
    }
    await db.close();
  });
});

describe("q4m 13-drop-table", () => {
  test("DROP TABLE succeeds while another session owns a row; the table is gone for everyone", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (1)`;
    const owner = db.session();
    assert.equal(await wait(owner, ["q4m_t"], 0), 1);
    await db.sql`DROP TABLE q4m_t`;
    assert.deepEqual(plain(await db.sql`SHOW TABLES`), []);
    await rejectsCode(owner.sql`SELECT * FROM q4m_t`, "ER_NO_SUCH_TABLE");
    await rejectsCode(db.sql`SELECT * FROM q4m_t`, "ER_NO_SUCH_TABLE");
    const [r] = await owner.sql`SELECT queue_end() AS r`;
    assert.ok(r !== undefined);
    assert.equal(r.r, 1);
    await db.close();
  });
});

describe("q4m 13-drop-table-while-waiting", () => {
  test("queue_wait returns 0 when its table is dropped", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    const waiting = wait(s, ["q4m_t"], 5);
    await nextTurn();
    await db.sql`DROP TABLE q4m_t`;
    assert.equal(await waiting, 0);
    await rejectsCode(s.sql`SELECT * FROM q4m_t`, "ER_NO_SUCH_TABLE");
    assert.deepEqual(plain(await db.sql`SHOW TABLES LIKE 'q4m%'`), []);
    await db.close();
  });
});

describe("q4m 14-alter-table", () => {
  test("ADD and DROP COLUMN reshape every row, the owned one included, and keep it owned", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v1 INT, v2 INT) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v1, v2) VALUES (1, 1)`;
    await db.sql`INSERT INTO q4m_t (v1, v2) VALUES (10, 10)`;
    const owner = db.session();
    assert.equal(await wait(owner, ["q4m_t"], 0), 1);
    const [before] = await owner.sql`SELECT queue_rowid() AS id`;
    assert.ok(before !== undefined);

    await db.sql`ALTER TABLE q4m_t ADD v3 INT`;
    await db.sql`INSERT INTO q4m_t (v1, v2, v3) VALUES (20, 20, 20)`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), [
      { v1: 10, v2: 10, v3: null },
      { v1: 20, v2: 20, v3: 20 },
    ]);
    assert.deepEqual(plain(await owner.sql`SELECT * FROM q4m_t`), [{ v1: 1, v2: 1, v3: null }]);

    await db.sql`ALTER TABLE q4m_t DROP v1`;
    await owner.sql`INSERT INTO q4m_t (v2, v3) VALUES (30, 30)`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), [
      { v2: 10, v3: null },
      { v2: 20, v3: 20 },
      { v2: 30, v3: 30 },
    ]);
    assert.deepEqual(plain(await owner.sql`SELECT * FROM q4m_t`), [{ v2: 1, v3: null }]);
    const [after] = await owner.sql`SELECT queue_rowid() AS id`;
    assert.ok(after !== undefined);
    assert.equal(after.id, before.id, "ALTER keeps the owned row's id");
    await owner.sql`SELECT queue_abort()`;
    assert.deepEqual(column(await db.sql`SELECT v2 FROM q4m_t`, "v2"), [1, 10, 20, 30]);
    await db.close();
  });
});

describe("q4m 15-delete", () => {
  test("DELETE removes only rows the session can see: others' owned rows survive, an owner deletes only its own", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (2)`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (20)`;
    const owner = db.session();
    const other = db.session();
    assert.equal(await wait(owner, ["q4m_t"], 0), 1);
    assert.deepEqual(column(await owner.sql`SELECT * FROM q4m_t`, "v"), [2]);
    assert.equal((await other.sql`DELETE FROM q4m_t`).affectedRows, 1);
    assert.deepEqual(column(await owner.sql`SELECT * FROM q4m_t`, "v"), [2]);
    await other.sql`INSERT INTO q4m_t (v) VALUES (30)`;
    assert.deepEqual(column(await owner.sql`SELECT * FROM q4m_t`, "v"), [2]);
    assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [30]);
    assert.equal((await owner.sql`DELETE FROM q4m_t`).affectedRows, 1);
    assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [30]);
    await owner.sql`SELECT queue_end()`;
    assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [30]);
    await db.close();
  });
});
