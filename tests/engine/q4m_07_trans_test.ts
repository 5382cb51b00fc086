/**
 * Q4M's t/07-trans.t ported: queue_rowid outside owner mode is an error, and
 * a manual relay with queue_set_srcid: a duplicate ('a' with an id not above
 * the slot's watermark) is dropped, slots are independent, 'w' forces, and
 * sources outside 0..63 give NULL. Duplicates report affectedRows 0 (q4d's
 * decision 14; Q4M reports the row count).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Row } from "../../mod.ts";
import { column, openTemp, rejectsCode, wait } from "./_helpers.ts";

describe("q4m 07-trans", () => {
  test("queue_rowid outside owner mode is ER_NOT_OWNER", async () => {
    const { db } = await openTemp();
    await rejectsCode(db.sql`SELECT queue_rowid()`, "ER_NOT_OWNER");
    await db.close();
  });

  test("a manual relay drops duplicates per slot, 'w' forces, and bad slots give NULL", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE q4m_t2 (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (1)`;
    const src = db.session();
    const dst = db.session();
    assert.equal(await wait(src, ["q4m_t"], 0), 1);
    const id: number = (await src.sql`SELECT queue_rowid() AS id`)[0]?.id;
    assert.equal(id, 1);
    const v: number = (await src.sql`SELECT v FROM q4m_t`)[0]?.v;

    const relay = async (source: number, mode: string): Promise<number | undefined> => {
      const [armed] = await dst.sql`SELECT queue_set_srcid(${source}, ${mode}, ${id}) AS r`;
      assert.ok(armed !== undefined);
      assert.equal(armed.r, 1);
      return (await dst.sql`INSERT INTO q4m_t2 (v) VALUES (${v})`).affectedRows;
    };
    const count = async () => (await dst.sql`SELECT COUNT(*) AS n FROM q4m_t2`)[0]?.n;

    assert.equal(await relay(0, "a"), 1);
    assert.equal(await count(), 1);
    assert.equal(await relay(0, "a"), 0, "same id on the same slot is a duplicate");
    assert.equal(await count(), 1);
    assert.equal(await relay(1, "a"), 1, "another slot accepts the same id");
    assert.equal(await count(), 2);
    assert.equal(await relay(0, "w"), 1, "'w' forces the write");
    assert.equal(await count(), 3);
    assert.equal(await relay(0, "a"), 0, "'a' drops it again");
    assert.equal(await count(), 3);
    assert.deepEqual(column(await dst.sql`SELECT v FROM q4m_t2`, "v"), [1, 1, 1]);

    for (const source of [-1, 64]) {
      const bad: Row[] = await dst.sql`SELECT queue_set_srcid(${source}, 'a', ${id}) AS r`;
      assert.equal(bad[0]?.r, null, `source ${source}`);
    }
    assert.equal(db.stats("q4m_t2").rowsWritten, 3);
    await src.sql`SELECT queue_end()`;
    await db.close();
  });
});
