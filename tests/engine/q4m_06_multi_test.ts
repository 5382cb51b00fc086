/**
 * Q4M's t/06-multi.t ported: queue_wait over two tables returns the index
 * of the table that produced the row, serves the first table before the
 * second, and a blocked two-table wait is woken by either table.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ident } from "../../mod.ts";
import { assertWaitedBlocked, column, nextTurn, openTemp, plain, wait } from "./_helpers.ts";

async function twoTables() {
  const opened = await openTemp();
  await opened.db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
  await opened.db.sql`CREATE TABLE q4m_t2 (v INT NOT NULL) ENGINE=QUEUE`;
  return opened.db;
}

describe("q4m 06-multi", () => {
  test("a two-table queue_wait returns 0 when both are empty and 1 for a row of the first", async () => {
    const db = await twoTables();
    const s = db.session();
    assert.equal(await wait(s, ["q4m_t", "q4m_t2"], 0), 0);
    await db.sql`INSERT INTO q4m_t (v) VALUES (1)`;
    assert.equal(await wait(s, ["q4m_t", "q4m_t2"], 0), 1);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ v: 1 }]);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t2`), []);
    await db.close();
  });

  test("successive two-table waits drain the first table before the second, then return 0", async () => {
    const db = await twoTables();
    await db.sql`INSERT INTO q4m_t (v) VALUES (2)`;
    await db.sql`INSERT INTO q4m_t2 (v) VALUES (3)`;
    await db.sql`INSERT INTO q4m_t2 (v) VALUES (4)`;
    const s = db.session();
    const expected: [number, string, string, number][] = [
      [1, "q4m_t", "q4m_t2", 2],
      [2, "q4m_t2", "q4m_t", 3],
      [2, "q4m_t2", "q4m_t", 4],
    ];
    for (const [index, table, other, v] of expected) {
      assert.equal(await wait(s, ["q4m_t", "q4m_t2"], 0), index);
      assert.deepEqual(column(await s.sql`SELECT * FROM ${ident(table)}`, "v"), [v]);
      assert.deepEqual(plain(await s.sql`SELECT * FROM ${ident(other)}`), []);
    }
    assert.equal(await wait(s, ["q4m_t", "q4m_t2"], 0), 0);
    await db.close();
  });

  for (const [table, index] of [["q4m_t", 1], ["q4m_t2", 2]] as const) {
    test(`a blocked two-table wait returns ${index} when a row arrives in ${table}`, async () => {
      const db = await twoTables();
      const s = db.session();
      const waiting = wait(s, ["q4m_t", "q4m_t2"], 30);
      await nextTurn();
      await db.sql`INSERT INTO ${ident(table)} (v) VALUES (${7})`;
      assert.equal(await waiting, index);
      assert.deepEqual(column(await s.sql`SELECT * FROM ${ident(table)}`, "v"), [7]);
      assertWaitedBlocked(db, table);
      await db.close();
    });
  }
});
