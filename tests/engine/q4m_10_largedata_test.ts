/**
 * Q4M's t/10-largedata.t ported, scaled down from 1024 rows of 4 MiB (4 GiB)
 * to 16 rows of 4 MiB: large rows survive the log (and a reopen) byte for byte.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { open } from "../../mod.ts";
import { freshDirectory, randomBytes, wait, withSeed } from "./_helpers.ts";

describe("q4m 10-largedata", () => {
  test("16 rows of 4 MiB all equal the original, before and after reopening", async () => {
    await withSeed(async (random) => {
      const rowCount = 16;
      const data = randomBytes(random, 4 * 1024 * 1024);
      const directory = freshDirectory();
      let db = await open(directory, { sync: "none" });
      await db.sql`CREATE TABLE q4m_t (data LONGBLOB NOT NULL) ENGINE=QUEUE`;
      for (let i = 0; i < rowCount; i++) await db.sql`INSERT INTO q4m_t (data) VALUES (${data})`;
      const check = async () => {
        const [all] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t`;
        assert.ok(all !== undefined);
        assert.equal(all.n, rowCount);
        const [differ] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t WHERE data <> ${data}`;
        assert.ok(differ !== undefined);
        assert.equal(differ.n, 0);
      };
      await check();
      await db.close();
      db = await open(directory, { sync: "none" });
      await check();
      const s = db.session();
      for (let i = 0; i < rowCount; i++) {
        assert.equal(await wait(s, ["q4m_t"], 0), 1);
        const [row] = await s.sql`SELECT data FROM q4m_t`;
        assert.ok(row !== undefined);
        assert.ok(row.data instanceof Uint8Array);
        assert.equal(Buffer.compare(row.data, data), 0, `row ${i}`);
      }
      await s.sql`SELECT queue_end()`;
      assert.equal(db.stats("q4m_t").rowsRemoved, rowCount);
      await db.close();
    });
  });
});
