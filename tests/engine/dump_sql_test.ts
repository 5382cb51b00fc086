/**
 * The SQL a mysqldump dump holds, run embedded through `sql.unsafe`:
 * executable comments, SQL_NO_CACHE, ALTER TABLE … DISABLE/ENABLE KEYS, and
 * the multi-row INSERT with MySQL's escapes.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { openTemp, plain, rejectsCode } from "./_helpers.ts";

test("dump statements run embedded, with the same rows as over the wire", async () => {
  const { db } = await openTemp();
  try {
    await db.sql.unsafe(
      "/*!40101 CREATE TABLE `t` (`id` int(11) NOT NULL, `b` blob DEFAULT NULL) ENGINE=QUEUE */",
    );
    await db.sql.unsafe("/*!40000 ALTER TABLE `t` DISABLE KEYS */");
    await db.sql.unsafe(
      "INSERT INTO `t` VALUES (1,'a\\0b\\n\\'\\\\\\Z'),(2,0x00FF),(3,_binary 'x'),(4,NULL)",
    );
    await db.sql.unsafe("/*!40000 ALTER TABLE `t` ENABLE KEYS */");
    const rows = plain(await db.sql.unsafe("SELECT /*!40001 SQL_NO_CACHE */ * FROM `t`"));
    assert.deepEqual(rows.map((row) => row.id), [1, 2, 3, 4]);
    const bytes = rows.map((row) => row.b === null ? null : [...(row.b as Uint8Array)]);
    assert.deepEqual(bytes, [
      [0x61, 0, 0x62, 0x0a, 0x27, 0x5c, 0x1a],
      [0, 0xff],
      [0x78],
      null,
    ]);
    // A comment for a later version stays a comment; a DISABLE KEYS of no table is an error.
    assert.deepEqual(plain(await db.sql.unsafe("SELECT 1 /*!90000 + 1 */ AS v")), [{ v: 1 }]);
    await rejectsCode(db.sql.unsafe("ALTER TABLE nope DISABLE KEYS"), "ER_NO_SUCH_TABLE");
  } finally {
    await db.close();
  }
});
