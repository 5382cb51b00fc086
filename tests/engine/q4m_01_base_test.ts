/**
 * Q4M's t/01-base.t and t/01-base-rnd_pos.t ported: inserts come back in
 * insert order; DELETE with WHERE (and ORDER BY … LIMIT) removes exactly
 * the matching rows. Scaled down from 1024 rows / 512 deletes.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { column, openTemp, plain, withSeed } from "./_helpers.ts";

const rowCount = 256;
const deleteCount = 128;

describe("q4m 01-base", () => {
  test("single-row inserts read back in insert order, and each DELETE leaves the rest in order", async () => {
    await withSeed(async (random) => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
      const expected: number[] = [];
      for (let i = 1; i <= rowCount; i++) {
        await db.sql`INSERT INTO q4m_t (v) VALUES (${i})`;
        expected.push(i);
      }
      assert.deepEqual(column(await db.sql`SELECT * FROM q4m_t`, "v"), expected);
      for (let d = 0; d < deleteCount; d++) {
        const victim = expected.splice(Math.floor(random() * expected.length), 1)[0];
        const result = await db.sql`DELETE FROM q4m_t WHERE v = ${victim}`;
        assert.equal(result.affectedRows, 1);
        assert.deepEqual(column(await db.sql`SELECT * FROM q4m_t`, "v"), expected);
      }
      const [count] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t`;
      assert.ok(count !== undefined);
      assert.equal(count.n, rowCount - deleteCount);
      await db.close();
    });
  });
});

describe("q4m 01-base-rnd_pos", () => {
  test("DELETE … WHERE v=2 ORDER BY w LIMIT 1 removes the row with the smallest w", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL, w INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v, w) VALUES (1, 3), (2, 2), (2, 1), (3, 0)`;
    const result = await db.sql`DELETE FROM q4m_t WHERE v = 2 ORDER BY w LIMIT 1`;
    assert.equal(result.affectedRows, 1);
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), [
      { v: 1, w: 3 },
      { v: 2, w: 2 },
      { v: 3, w: 0 },
    ]);
    await db.close();
  });
});
