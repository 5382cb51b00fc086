/**
 * Parsing of the inspection statements (src/sql/show.ts), of `db.table`
 * names and of the database statements: the AST each form gives, and the
 * errors of bad ones.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseStatement } from "../../src/sql/parser.ts";
import { QueueError } from "../../src/errors.ts";
import { qualifiedRef, resolveTable } from "../../src/sql/names.ts";

function show(text: string): unknown {
  const { statement } = parseStatement(text);
  assert.equal(statement.kind, "show");
  return (statement as { show: unknown }).show;
}

function parseCode(text: string): string {
  try {
    parseStatement(text);
  } catch (error) {
    assert.ok(error instanceof QueueError, String(error));
    return error.code;
  }
  throw new Error(`parsed: ${text}`);
}

describe("inspection statement parsing", () => {
  test("each form gives its ShowStatement", () => {
    assert.deepEqual(show("SHOW CREATE TABLE `t`;"), { what: "create_table", table: "t" });
    assert.deepEqual(show("SHOW CREATE TABLE q4d.`t`;"), {
      what: "create_table",
      table: qualifiedRef("q4d", "t"),
    });
    assert.deepEqual(show("show engine queue status"), { what: "engine_status" });
    assert.deepEqual(show("SHOW CREATE SCHEMA q4d"), {
      what: "create_database",
      database: "q4d",
    });
    for (const text of ["DESCRIBE t", "DESC t", "EXPLAIN t", "SHOW COLUMNS FROM t FROM d"]) {
      assert.deepEqual(show(text), {
        what: "columns",
        table: text.endsWith("FROM d") ? qualifiedRef("d", "t") : "t",
        full: text.startsWith("SHOW FULL"),
        like: null,
        where: null,
      }, text);
    }
    const full = show("SHOW FULL FIELDS IN t LIKE 'a%'") as { full: boolean; like: unknown };
    assert.equal(full.full, true);
    assert.equal((full.like as { kind: string }).kind, "literal");
    const described = show("DESCRIBE t `col`") as { like: { value: unknown } };
    assert.equal(described.like.value, "col");
    const status = show("SHOW TABLE STATUS WHERE Rows > 0") as { where: { kind: string } };
    assert.equal(status.where.kind, "binary");
    assert.deepEqual(show("SHOW DATABASES"), { what: "databases", like: null, where: null });
    assert.deepEqual(show("SHOW SCHEMAS"), { what: "databases", like: null, where: null });
    assert.deepEqual(show("SHOW FULL TABLES"), { what: "full_tables", like: null, where: null });
  });

  test("db.table is a qualified reference; information_schema.X is a view", () => {
    const select = parseStatement("SELECT * FROM q4d.jobs").statement as { from: string };
    assert.equal(select.from, qualifiedRef("q4d", "jobs"));
    assert.equal(resolveTable(select.from, "other"), "jobs");
    assert.equal(resolveTable("jobs", "other"), qualifiedRef("other", "jobs"));
    assert.equal((select as { view?: string }).view, undefined);
    const view = parseStatement("SELECT * FROM INFORMATION_SCHEMA.tables").statement as {
      view?: string;
    };
    assert.equal(view.view, "TABLES");
    const insert = parseStatement("INSERT INTO d.jobs VALUES (1)").statement as { table: string };
    assert.equal(insert.table, qualifiedRef("d", "jobs"));
    assert.deepEqual(parseStatement("USE `d`").statement, { kind: "use", database: "d" });
    assert.deepEqual(
      parseStatement("CREATE DATABASE IF NOT EXISTS d DEFAULT CHARACTER SET utf8mb4 COLLATE x")
        .statement,
      { kind: "create_database", database: "d", ifNotExists: true },
    );
    assert.deepEqual(parseStatement("DROP SCHEMA IF EXISTS d").statement, {
      kind: "drop_database",
      database: "d",
      ifExists: true,
    });
  });

  test("bad forms are clear errors", () => {
    assert.equal(parseCode("SHOW"), "ER_PARSE_ERROR");
    assert.equal(parseCode("SHOW FULL STATUS"), "ER_PARSE_ERROR");
    assert.equal(parseCode("SHOW COLUMNS t"), "ER_PARSE_ERROR");
    assert.equal(parseCode("SHOW TABLE STATUS LIKE 3"), "ER_PARSE_ERROR");
    assert.equal(parseCode("SHOW CREATE TABLE"), "ER_PARSE_ERROR");
    assert.equal(parseCode("SHOW CREATE TABLE t extra"), "ER_PARSE_ERROR");
    assert.equal(parseCode("DESCRIBE"), "ER_PARSE_ERROR");
    assert.equal(parseCode("SHOW CREATE PROCEDURE p"), "ER_NOT_SUPPORTED_YET");
    assert.equal(parseCode("EXPLAIN SELECT 1"), "ER_NOT_SUPPORTED_YET");
    assert.equal(parseCode("SHOW ENGINE MyISAM STATUS"), "ER_UNKNOWN_STORAGE_ENGINE");
    assert.equal(parseCode("CREATE DATABASE d DEFAULT"), "ER_PARSE_ERROR");
    assert.equal(parseCode("USE"), "ER_PARSE_ERROR");
    assert.equal(parseCode("SHOW DATABASES LIKE"), "ER_PARSE_ERROR");
  });
});
