/**
 * Q4M's t/04-blob.t and t/04-blob-cond.t ported: TEXT/BLOB rows read back
 * byte for byte; conditions work on a column placed after a BLOB; row ids
 * keep rising across compactions. Scaled down from ~50 KiB × 1000 rows and
 * 4000 rounds.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { notOnNats, openTemp, randomBytes, randomText, wait, withSeed } from "./_helpers.ts";

describe("q4m 04-blob", () => {
  test("MEDIUMTEXT rows of 0..49 KiB inserted 20 at a time read back exactly; DELETE LIMIT 20 removes the oldest 20", async () => {
    await withSeed(async (random) => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE q4m_t (data MEDIUMTEXT) ENGINE=QUEUE`;
      const expected: string[] = [];
      for (let batch = 0; batch < 5; batch++) {
        const values: string[] = [];
        for (let i = 0; i < 20; i++) values.push(randomText(random, Math.floor(random() * 50_000)));
        const placeholders = values.map(() => "(?)").join(", ");
        const result = await db.sql.unsafe(
          `INSERT INTO q4m_t (data) VALUES ${placeholders}`,
          values,
        );
        assert.equal(result.affectedRows, 20);
        expected.push(...values);
      }
      const rows = await db.sql`SELECT data FROM q4m_t`;
      assert.equal(rows.length, expected.length);
      rows.forEach((row, i) => assert.equal(row.data, expected[i], `row ${i}`));

      const deleted = await db.sql`DELETE FROM q4m_t LIMIT 20`;
      assert.equal(deleted.affectedRows, 20);
      const rest = await db.sql`SELECT data FROM q4m_t`;
      assert.equal(rest.length, expected.length - 20);
      rest.forEach((row, i) => assert.equal(row.data, expected[i + 20], `row ${i + 20}`));
      await db.close();
    });
  });
});

describe("q4m 04-blob-cond", () => {
  test(
    "a condition on a column after a BLOB selects rows; row ids rise by one across compactions",
    notOnNats("drives the local log's compaction (segmentBytes)"),
    async () => {
      await withSeed(async (random) => {
        const { db } = await openTemp({ sync: "none", segmentBytes: 64 * 1024 });
        await db.sql`CREATE TABLE q4m_t (data MEDIUMBLOB, id INT NOT NULL) ENGINE=QUEUE`;
        const first = randomBytes(random, 16 * 1024);
        await db.sql`INSERT INTO q4m_t (data, id) VALUES (${first}, ${-1})`;
        const s = db.session();
        assert.equal(await wait(s, ["q4m_t"], 0), 1);
        const [rowId] = await s.sql`SELECT queue_rowid() AS r`;
        assert.ok(rowId !== undefined);
        assert.equal(rowId.r, 1);
        const [aborted] = await s.sql`SELECT queue_abort() AS r`;
        assert.ok(aborted !== undefined);
        assert.equal(aborted.r, 1);

        const roundCount = 400;
        for (let i = 0; i < roundCount; i++) {
          const data = randomBytes(random, Math.floor(random() * 4096));
          await db.sql`INSERT INTO q4m_t (data, id) VALUES (${data}, ${i})`;
          assert.equal(await wait(s, ["q4m_t:id>=0"], 1), 1);
          const rows = await s.sql`SELECT * FROM q4m_t`;
          assert.equal(rows.length, 1);
          assert.equal(rows[0]?.id, i);
          assert.deepEqual(rows[0]?.data, data);
          const [r] = await s.sql`SELECT queue_rowid() AS r`;
          assert.ok(r !== undefined);
          assert.equal(r.r, i + 2);
          const [end] = await s.sql`SELECT queue_end() AS r`;
          assert.ok(end !== undefined);
          assert.equal(end.r, 1);
          if (i % 50 === 49) {
            const [compacted] = await db.sql`SELECT queue_compact('q4m_t') AS r`;
            assert.ok(compacted !== undefined);
            assert.equal(compacted.r, 1);
          }
          if (i === roundCount / 2) {
            assert.equal(await wait(s, ["q4m_t:id>=0"], 0), 0);
            assert.equal(await wait(s, ["q4m_t:id>=-1"], 0), 1);
            const [old] = await s.sql`SELECT * FROM q4m_t`;
            assert.ok(old !== undefined);
            assert.equal(old.id, -1);
            assert.deepEqual(old.data, first);
            const [oldRowId] = await s.sql`SELECT queue_rowid() AS r`;
            assert.ok(oldRowId !== undefined);
            assert.equal(oldRowId.r, 1);
            await s.sql`SELECT queue_abort()`;
          }
        }
        const [count] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t`;
        assert.ok(count !== undefined);
        assert.equal(count.n, 1);
        await db.close();
      });
    },
  );
});
