/**
 * Q4M's t/03-queue-error.t and t/03-queue-error-wait.t ported: queue_abort
 * puts a row back at its place, a closed session ("kill -9 of a client",
 * here `Session.close()`) returns its row, and a timed-out queue_wait leaves
 * the session in owner mode with no row.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { column, openTemp, plain, wait } from "./_helpers.ts";

describe("q4m 03-queue-error", () => {
  test("queue_abort returns the row to its place; queue_end consumes it; a closed client's row reappears", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (1)`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (2)`;
    const owner = db.session();
    const other = db.session();
    assert.equal(await wait(owner, ["q4m_t"], 0), 1);
    assert.deepEqual(column(await owner.sql`SELECT * FROM q4m_t`, "v"), [1]);
    assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [2]);

    const [aborted] = await owner.sql`SELECT queue_abort() AS r`;
    assert.ok(aborted !== undefined);
    assert.equal(aborted.r, 1);
    assert.deepEqual(column(await owner.sql`SELECT * FROM q4m_t`, "v"), [1, 2]);
    assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [1, 2]);
    assert.equal(db.stats("q4m_t").restoredByAbort, 1);

    assert.equal(await wait(owner, ["q4m_t"], 0), 1);
    assert.deepEqual(column(await owner.sql`SELECT * FROM q4m_t`, "v"), [1]);
    await owner.sql`SELECT queue_end()`;
    assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [2]);

    const client = db.session();
    assert.equal(await wait(client, ["q4m_t"], 0), 1);
    assert.deepEqual(column(await client.sql`SELECT * FROM q4m_t`, "v"), [2]);
    assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), []);
    await client.close();
    assert.deepEqual(column(await other.sql`SELECT * FROM q4m_t`, "v"), [2]);
    assert.equal(db.stats("q4m_t").restoredByClose, 1);
    await db.close();
  });
});

describe("q4m 03-queue-error-wait", () => {
  test("after a timed-out queue_wait the session sees nothing, even its own insert, until queue_end", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    assert.equal(await wait(s, ["q4m_t"], 0.05), 0);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), []);
    await s.sql`INSERT INTO q4m_t (v) VALUES (1)`;
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), []);
    const [count] = await s.sql`SELECT COUNT(*) AS n FROM q4m_t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, 0);
    await s.sql`SELECT queue_end()`;
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ v: 1 }]);
    await db.close();
  });

  test("a queue_wait that times out still consumes the row owned before it", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await wait(s, ["q4m_t"], 0), 1);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ v: 1 }]);
    assert.equal(await wait(s, ["q4m_t"], 0.05), 0);
    await s.sql`SELECT queue_end()`;
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), []);
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), []);
    assert.equal(db.stats("q4m_t").rowsRemoved, 1);
    await db.close();
  });
});
