/**
 * Routing columns (`PARTITION BY KEY (c, …)`, issue 14): declared in
 * CREATE TABLE, kept in the catalog, written back by SHOW CREATE TABLE as
 * MySQL writes KEY partitioning (`/*!50100 PARTITION BY KEY (…) *\/`), so
 * SHOW CREATE TABLE's output and a dump run again give the same table; the
 * routing columns cannot be dropped; queue_wait conditions over them give
 * the same rows as on a table without. Runs on every backend (local,
 * served, NATS — where the rows are routed by subject).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openTemp, plain, rejectsCode, reopen } from "./_helpers.ts";

const routed = "CREATE TABLE jobs (id INT NOT NULL, region VARCHAR(20), body TEXT) " +
  "ENGINE=QUEUE PARTITION BY KEY (region)";

describe("routing columns (PARTITION BY KEY)", () => {
  test("SHOW CREATE TABLE writes them; running its output gives the same table", async () => {
    const { db: created, directory } = await openTemp();
    await created.sql.unsafe(routed);
    await created.close();
    // Kept in the catalog: the reopened database still has them.
    const db = await reopen(directory);
    try {
      const [first] = await db.sql`SHOW CREATE TABLE jobs`;
      const text = String(first!["Create Table"]);
      assert.equal(
        text,
        "CREATE TABLE `jobs` (\n  `id` int(11) NOT NULL,\n  `region` varchar(20) DEFAULT NULL,\n" +
          "  `body` text DEFAULT NULL\n) ENGINE=QUEUE DEFAULT CHARSET=utf8mb4\n" +
          "/*!50100 PARTITION BY KEY (`region`) */",
      );
      await db.sql`DROP TABLE jobs`;
      await db.sql.unsafe(text);
      const [again] = await db.sql`SHOW CREATE TABLE jobs`;
      assert.equal(again!["Create Table"], text);
      // Several columns, LINEAR, ALGORITHM and PARTITIONS are accepted (MySQL's spelling).
      await db.sql.unsafe(
        "CREATE TABLE two (a INT, `b c` CHAR(2)) /*!50100 PARTITION BY LINEAR KEY ALGORITHM=2 (`b c`, a) PARTITIONS 4 */",
      );
      const [two] = await db.sql`SHOW CREATE TABLE two`;
      assert.match(
        String(two!["Create Table"]),
        /\n\/\*!50100 PARTITION BY KEY \(`b c`,`a`\) \*\/$/,
      );
    } finally {
      await db.close();
    }
  });

  test("bad declarations are refused and create nothing", async () => {
    const { db } = await openTemp();
    try {
      await rejectsCode(
        db.sql.unsafe("CREATE TABLE t (a INT) PARTITION BY KEY (b)"),
        "ER_BAD_FIELD_ERROR",
      );
      await rejectsCode(
        db.sql.unsafe("CREATE TABLE t (a INT) PARTITION BY KEY (a, A)"),
        "ER_DUP_FIELDNAME",
      );
      await rejectsCode(
        db.sql.unsafe("CREATE TABLE t (a INT) PARTITION BY KEY ()"),
        "ER_NOT_SUPPORTED_YET",
      );
      await rejectsCode(
        db.sql.unsafe("CREATE TABLE t (a INT) PARTITION BY HASH (a)"),
        "ER_NOT_SUPPORTED_YET",
      );
      assert.deepEqual(plain(await db.sql`SHOW TABLES`), []);
    } finally {
      await db.close();
    }
  });

  test("ALTER TABLE keeps them and refuses to drop one", async () => {
    const { db } = await openTemp();
    try {
      await db.sql.unsafe(routed);
      await rejectsCode(db.sql`ALTER TABLE jobs DROP COLUMN region`, "ER_NOT_SUPPORTED_YET");
      // Dropping a column before it moves its position; the declaration follows.
      await db.sql`ALTER TABLE jobs DROP COLUMN id, ADD COLUMN n INT`;
      const [shown] = await db.sql`SHOW CREATE TABLE jobs`;
      assert.match(String(shown!["Create Table"]), /PARTITION BY KEY \(`region`\) \*\/$/);
      await db.sql`INSERT INTO jobs (region, body, n) VALUES ('eu', 'x', 1), ('us', 'y', 2)`;
      const s = db.session();
      assert.deepEqual(plain(await s.sql`SELECT queue_wait('jobs:region = "us"', 5) AS got`), [
        { got: 1 },
      ]);
      assert.deepEqual(plain(await s.sql`SELECT region, body, n FROM jobs`), [
        { region: "us", body: "y", n: 2 },
      ]);
      await s.sql`SELECT queue_end()`;
      await s.close();
    } finally {
      await db.close();
    }
  });

  test("conditions over routing columns serve the matching rows in order", async () => {
    const { db } = await openTemp();
    try {
      await db.sql.unsafe(routed);
      await db.sql`INSERT INTO jobs (id, region, body) VALUES
        (1, 'eu', 'a'), (2, 'us', 'b'), (3, NULL, 'c'), (4, 'eu', 'd'), (5, 'a.b *>', 'e')`;
      const s = db.session();
      const served: number[] = [];
      for (const condition of ["region = 'eu'", "region IS NULL", "region = 'a.b *>'"]) {
        for (;;) {
          const [row] = await s.sql`SELECT queue_wait(${"jobs:" + condition}, 0) AS got`;
          if (row!.got === 0) break;
          const [job] = await s.sql`SELECT id FROM jobs`;
          served.push(job!.id as number);
          await s.sql`SELECT queue_end()`;
        }
      }
      assert.deepEqual(served, [1, 4, 3, 5]);
      assert.deepEqual(plain(await db.sql`SELECT id FROM jobs`), [{ id: 2 }]);
      await s.close();
    } finally {
      await db.close();
    }
  });
});
