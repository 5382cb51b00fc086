/**
 * INSERTs longer than the embedded statement limit, as a served connection
 * runs them (a dump's multi-row INSERTs up to max_allowed_packet): cut
 * between tuples (src/sql/large_insert.ts) and written as one append, so
 * all-or-nothing; anything else long is still refused.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { splitLargeInsert } from "../../src/sql/large_insert.ts";
import { runLongInsert, type Session } from "../../src/engine/database.ts";
import { statementBytesMax } from "../../src/limits.ts";
import { openTemp, plain, rejectsCode } from "./_helpers.ts";

const packet = 64 * 1024 * 1024;

function long(session: Session, text: string) {
  const run = session[runLongInsert](text, packet);
  assert.ok(run !== null, "a long INSERT");
  return run;
}

describe("long INSERT", () => {
  test("pieces cut between tuples only, never inside strings, names or comments", () => {
    const text = "INSERT /* VALUES ( */ INTO `values` (`a`, b) VALUES (1, '),(x'), " +
      "(2, \"a\\\")(\"), (3, /* ), ( */ ''''), -- ),(\n (4, CONCAT('(', ')'));";
    assert.deepEqual([...splitLargeInsert(text)!], [
      "INSERT /* VALUES ( */ INTO `values` (`a`, b) VALUES " +
      "(1, '),(x'), (2, \"a\\\")(\"), (3, /* ), ( */ ''''), -- ),(\n (4, CONCAT('(', ')'))",
    ]);
    assert.equal(splitLargeInsert("INSERT INTO t SET a = 1"), null);
    assert.equal(splitLargeInsert("INSERT INTO t SELECT 1"), null);
    assert.equal(splitLargeInsert("DELETE FROM t"), null);
    // Many tuples: several pieces of the same head, each under the lexer's limit.
    const many = "INSERT INTO t VALUES " +
      Array.from({ length: 100000 }, (_, i) => `(${i}, 'x${i}')`).join(",");
    const pieces = [...splitLargeInsert(many)!];
    assert.ok(pieces.length > 4, String(pieces.length));
    for (const piece of pieces) {
      assert.ok(piece.startsWith("INSERT INTO t VALUES ("));
      assert.ok(piece.length < statementBytesMax / 3);
    }
    assert.equal(pieces.join("").split("(").length - 1, 100000);
  });

  test("a long INSERT writes every row in order, as one append", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (n INT NOT NULL, s VARCHAR(100)) ENGINE=QUEUE`;
    const s = db.session();
    const count = 100000; // over insertRowCountMax, and over 1 MiB of text
    const text = "INSERT INTO t VALUES " +
      Array.from({ length: count }, (_, i) => `(${i}, 'row ${i} \\'q\\'')`).join(",\n") + ";";
    assert.ok(text.length > statementBytesMax);
    await rejectsCode(s.sql.unsafe(text), "ER_PARSE_ERROR"); // the embedded limit stands
    const result = await long(s, text);
    assert.equal(result.affectedRows, count);
    const [counted] = await db.sql`SELECT COUNT(*) AS c FROM t`;
    assert.equal(counted?.c, count);
    assert.deepEqual(plain(await db.sql`SELECT * FROM t LIMIT 2 OFFSET 99998`), [
      { n: 99998, s: "row 99998 'q'" },
      { n: 99999, s: "row 99999 'q'" },
    ]);
    assert.equal(db.stats("t").rowsWritten, count);
    await s.close();
    await db.close();
  });

  test("one bad row anywhere writes nothing; other long statements stay refused", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (n TINYINT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    const rows = Array.from({ length: 70000 }, (_, i) => `(${i % 100})`);
    rows[rows.length - 1] = "(1000)"; // out of range, in the last piece
    await rejectsCode(
      long(s, `INSERT INTO t VALUES ${rows.join(",")}`),
      "ER_WARN_DATA_OUT_OF_RANGE",
    );
    rows[rows.length - 1] = "(1) ON DUPLICATE KEY UPDATE n = 1";
    await rejectsCode(long(s, `INSERT INTO t VALUES ${rows.join(",")}`), "ER_NOT_SUPPORTED_YET");
    rows[rows.length - 1] = "(1), (";
    await rejectsCode(long(s, `INSERT INTO t VALUES ${rows.join(",")}`), "ER_PARSE_ERROR");
    rows[rows.length - 1] = "(1, 2)";
    await rejectsCode(
      long(s, `INSERT INTO t VALUES ${rows.join(",")}`),
      "ER_WRONG_VALUE_COUNT_ON_ROW",
    );
    await rejectsCode(long(s, `INSERT INTO nosuch VALUES ${rows.join(",")}`), "ER_NO_SUCH_TABLE");
    assert.deepEqual(plain(await db.sql`SELECT COUNT(*) AS c FROM t`), [{ c: 0 }]);
    assert.equal(db.stats("t").rowsWritten, 0);
    const select = `SELECT ${"1 + ".repeat(statementBytesMax / 4)}1`;
    assert.equal(s[runLongInsert](select, packet), null);
    await s.close();
    await db.close();
  });

  test("INSERT IGNORE, the session's armed relay mark and database apply to the whole statement", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE DATABASE d`;
    await db.sql`CREATE TABLE d.t (n TINYINT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    await s.sql`USE d`;
    const rows = Array.from({ length: 70000 }, (_, i) => `(${i % 200})`);
    const ignored = await long(s, `INSERT IGNORE INTO t VALUES ${rows.join(",")}`);
    assert.equal(ignored.affectedRows, 70000 * 128 / 200);
    await s.sql`SELECT queue_set_srcid(1, 'a', 5)`;
    const first = await long(
      s,
      `INSERT INTO t VALUES ${rows.map(() => "(1)").join(",")}`,
    );
    assert.equal(first.affectedRows, 70000);
    await s.sql`SELECT queue_set_srcid(1, 'a', 5)`;
    const again = await long(
      s,
      `INSERT INTO t VALUES ${rows.map(() => "(1)").join(",")}`,
    );
    assert.equal(again.affectedRows, 0, "a relay duplicate is dropped whole");
    await s.close();
    await db.close();
  });
});
