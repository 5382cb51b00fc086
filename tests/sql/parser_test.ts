// Tests for src/sql/parser.ts and src/sql/expression.ts: every statement form,
// precedence and associativity of every operator, names as written, errors.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseExpression, parseStatement } from "../../src/sql/parser.ts";
import type { Expr, Statement } from "../../src/sql/ast.ts";
import { QueueError } from "../../src/errors.ts";

/** An expression as a compact S-expression, for precedence tests. */
function show(expr: Expr): string {
  switch (expr.kind) {
    case "literal":
      return expr.value === null
        ? "NULL"
        : typeof expr.value === "string"
        ? `'${expr.value}'`
        : String(expr.value);
    case "param":
      return `?${expr.index}`;
    case "column":
      return expr.name;
    case "unary":
      return `(${expr.op} ${show(expr.operand)})`;
    case "binary":
      return `(${expr.op} ${show(expr.left)} ${show(expr.right)})`;
    case "is":
      return `(is${expr.negated ? "-not" : ""}-${expr.test} ${show(expr.operand)})`;
    case "in":
      return `(${expr.negated ? "not-" : ""}in ${show(expr.operand)} ${
        expr.list.map(show).join(" ")
      })`;
    case "between":
      return `(${expr.negated ? "not-" : ""}between ${show(expr.operand)} ${show(expr.low)} ${
        show(expr.high)
      })`;
    case "like":
      return `(${expr.negated ? "not-" : ""}like ${show(expr.operand)} ${show(expr.pattern)}${
        expr.escape ? " " + show(expr.escape) : ""
      })`;
    case "call":
      return `(${expr.name}${expr.form === undefined ? "" : ":" + expr.form}${
        expr.args.map((arg) => " " + show(arg)).join("")
      })`;
    case "count_star":
      return "count(*)";
    case "interval":
      return `(interval ${show(expr.value)} ${expr.unit})`;
  }
}

function parse(text: string): Statement {
  return parseStatement(text).statement;
}

function assertError(text: string, code: string, position?: number): void {
  assert.throws(() => parseStatement(text), (error: unknown) => {
    assert.ok(error instanceof QueueError, `QueueError expected for ${text}`);
    assert.equal(error.code, code, `${text}: ${error.message}`);
    if (position !== undefined) assert.equal(error.position, position, error.message);
    return true;
  });
}

describe("expression precedence and associativity", () => {
  const cases: [string, string][] = [
    ["a OR b XOR c", "(or a (xor b c))"],
    ["a || b AND c", "(or a (and b c))"],
    ["a XOR b AND c", "(xor a (and b c))"],
    ["a AND b && c", "(and (and a b) c)"],
    ["NOT a AND b", "(and (not a) b)"],
    ["NOT NOT a", "(not (not a))"],
    ["NOT a = b", "(not (= a b))"],
    ["a = b < c", "(< (= a b) c)"],
    ["a <=> b != c <> d", "(<> (<> (<=> a b) c) d)"],
    ["a >= b <= c > d", "(> (<= (>= a b) c) d)"],
    ["a = b IS NULL", "(is-null (= a b))"],
    ["a IS NOT TRUE", "(is-not-true a)"],
    ["a IS FALSE", "(is-false a)"],
    ["a IS UNKNOWN", "(is-null a)"],
    ["a = b | c", "(= a (| b c))"],
    ["a | b & c", "(| a (& b c))"],
    ["a & b << c", "(& a (<< b c))"],
    ["a << b + c", "(<< a (+ b c))"],
    ["a >> b - c", "(>> a (- b c))"],
    ["a + b * c", "(+ a (* b c))"],
    ["a - b - c", "(- (- a b) c)"],
    ["a * b / c DIV d % e MOD f", "(% (% (div (/ (* a b) c) d) e) f)"],
    ["a * b ^ c", "(* a (^ b c))"],
    ["-a ^ b", "(^ (- a) b)"],
    ["~a ^ b", "(^ (~ a) b)"],
    ["!a + b", "(+ (not a) b)"],
    ["- -a", "(- (- a))"],
    ["+a", "a"],
    ["(a OR b) AND c", "(and (or a b) c)"],
    ["a IN (1, 2, b + 1)", "(in a 1 2 (+ b 1))"],
    ["a NOT IN (1)", "(not-in a 1)"],
    ["a BETWEEN 1 AND 2 AND b", "(and (between a 1 2) b)"],
    ["a NOT BETWEEN b + 1 AND c * 2", "(not-between a (+ b 1) (* c 2))"],
    ["a LIKE 'x%' ESCAPE '!'", "(like a 'x%' '!')"],
    ["a NOT LIKE 'x'", "(not-like a 'x')"],
    ["a + 1 IN (2) = 1", "(= (in (+ a 1) 2) 1)"],
    ["POW(a, 2)", "(pow a 2)"],
    ["pow (2, 3)", "(pow 2 3)"],
    ["TRUE AND FALSE OR NULL", "(or (and 1 0) NULL)"],
    ["`select` = 1", "(= select 1)"],
    ["-9223372036854775808", "-9223372036854775808"],
  ];
  for (const [text, expected] of cases) {
    test(`${text} parses as ${expected}`, () => {
      assert.equal(show(parseExpression(text)), expected);
    });
  }

  test("start and end are byte offsets of the expression text", () => {
    const expr = parseExpression("'é' = x");
    assert.equal(expr.start, 0);
    assert.equal(expr.end, 8);
  });

  test("a bare expression refuses '?' and trailing text", () => {
    assert.throws(() => parseExpression("a = ?"), { code: "ER_PARSE_ERROR" });
    assert.throws(() => parseExpression("a = 1 b"), { code: "ER_PARSE_ERROR" });
    assert.throws(() => parseExpression(""), { code: "ER_PARSE_ERROR" });
  });

  test("nesting beyond expressionDepthMax is ER_PARSE_ERROR, not a stack overflow", () => {
    assert.throws(() => parseExpression("(".repeat(100000) + "1" + ")".repeat(100000)), {
      code: "ER_PARSE_ERROR",
    });
    assert.throws(() => parseExpression("-".repeat(100000) + "1"), { code: "ER_PARSE_ERROR" });
    assert.throws(() => parseExpression("NOT ".repeat(100000) + "1"), { code: "ER_PARSE_ERROR" });
    assert.throws(() => parseExpression("1" + "+1".repeat(100000)), { code: "ER_PARSE_ERROR" });
    assert.equal(show(parseExpression("(((1)))")), "1");
  });

  test("a long IN list is fine", () => {
    const expr = parseExpression(`a IN (${Array.from({ length: 50000 }, (_, i) => i).join(",")})`);
    assert.equal(expr.kind === "in" && expr.list.length, 50000);
  });
});

describe("statements", () => {
  test("SELECT with every clause", () => {
    const statement = parse(
      "select *, a AS x, b y, 'lit' `z`, a + 1 FROM t WHERE a = ? ORDER BY a DESC, b ASC, c LIMIT 10 OFFSET ?;",
    );
    assert.equal(statement.kind, "select");
    if (statement.kind !== "select") return;
    assert.deepEqual(statement.items.map((item) => item.kind === "star" ? "*" : item.name), [
      "*",
      "x",
      "y",
      "z",
      "a + 1",
    ]);
    assert.equal(statement.from, "t");
    assert.equal(show(statement.where!), "(= a ?0)");
    assert.deepEqual(statement.orderBy.map((term) => [show(term.expr), term.descending]), [
      ["a", true],
      ["b", false],
      ["c", false],
    ]);
    assert.equal(show(statement.limit!), "10");
    assert.equal(show(statement.offset!), "?1");
  });

  test("select item names are the text as written, or the column name", () => {
    const statement = parse(
      "SELECT queue_wait('jobs', 5), `my col`, COUNT(*), queue_stats('t') AS 's'",
    );
    assert.ok(statement.kind === "select");
    assert.deepEqual(statement.items.map((item) => item.kind === "expr" ? item.name : "*"), [
      "queue_wait('jobs', 5)",
      "my col",
      "COUNT(*)",
      "s",
    ]);
    assert.equal(
      statement.items[2]?.kind === "expr" && statement.items[2]?.expr.kind,
      "count_star",
    );
  });

  test("table-qualified columns and table.* keep the qualifier; the item is named by the column", () => {
    const statement = parse(
      "SELECT jobs.id, `jobs`.`my col`, jobs.* FROM jobs WHERE jobs.prio = 0",
    );
    assert.ok(statement.kind === "select");
    const [id, spaced, star] = statement.items;
    assert.ok(id !== undefined);
    assert.ok(spaced !== undefined);
    assert.ok(id.kind === "expr" && id.expr.kind === "column");
    assert.deepEqual([id.name, id.expr.name, id.expr.table, id.expr.quoted], [
      "id",
      "id",
      "jobs",
      false,
    ]);
    assert.ok(spaced.kind === "expr" && spaced.expr.kind === "column");
    assert.deepEqual([spaced.name, spaced.expr.table, spaced.expr.quoted], [
      "my col",
      "jobs",
      true,
    ]);
    assert.deepEqual(star, { kind: "star", table: "jobs" });
    const where = statement.where!;
    assert.ok(where.kind === "binary" && where.left.kind === "column");
    assert.equal(where.left.table, "jobs");
    assert.throws(() => parse("SELECT jobs.1 FROM jobs"), QueueError);
    assert.throws(() => parse("SELECT jobs.'x' FROM jobs"), QueueError);
  });

  test("LIMIT offset, count (MySQL's comma form)", () => {
    const statement = parse("SELECT a FROM t LIMIT 5, 10");
    assert.ok(statement.kind === "select");
    assert.equal(show(statement.limit!), "10");
    assert.equal(show(statement.offset!), "5");
  });

  test("INSERT with and without columns, several rows, parameters numbered in order", () => {
    const result = parseStatement("INSERT INTO t (a, `b`) VALUES (1, ?), (?, 'x')");
    assert.equal(result.paramCount, 2);
    const statement = result.statement;
    assert.ok(statement.kind === "insert");
    assert.deepEqual(statement.columns, ["a", "b"]);
    assert.deepEqual(statement.rows.map((row) => row.map(show)), [["1", "?0"], ["?1", "'x'"]]);
    const bare = parse("insert t value (1)");
    assert.ok(bare.kind === "insert");
    assert.equal(bare.columns, null);
  });

  test("INSERT … SET, IGNORE, DEFAULT, REPLACE and the ignored priority words", () => {
    const insert = (text: string) => {
      const statement = parse(text);
      assert.equal(statement.kind, "insert");
      if (statement.kind !== "insert") throw new Error("unreachable");
      return {
        table: statement.table,
        columns: statement.columns,
        rows: statement.rows.map((row) => row.map(show).join(" ")),
        ignore: statement.ignore,
      };
    };
    assert.deepEqual(insert("INSERT INTO t SET a = 1, `b` = DEFAULT, c = DEFAULT(a)"), {
      table: "t",
      columns: ["a", "b", "c"],
      rows: ["1 (default) (default a)"],
      ignore: false,
    });
    assert.deepEqual(insert("insert low_priority ignore t values (default, 1 + 2)"), {
      table: "t",
      columns: null,
      rows: ["(default) (+ 1 2)"],
      ignore: true,
    });
    assert.deepEqual(insert("REPLACE INTO t (a) VALUES (CONCAT('x', 1))"), {
      table: "t",
      columns: ["a"],
      rows: ["(concat 'x' 1)"],
      ignore: false,
    });
    assert.deepEqual(insert("REPLACE DELAYED t SET a = 2").rows, ["2"]);
    assertError("INSERT INTO t SET", "ER_PARSE_ERROR");
    assertError("INSERT INTO t SET a = 1,", "ER_PARSE_ERROR");
    assertError("INSERT INTO t (a) SET a = 1", "ER_PARSE_ERROR");
    assertError("INSERT INTO t VALUES (DEFAULT DEFAULT)", "ER_PARSE_ERROR");
  });

  test("function syntax: CASE, TRIM forms, SUBSTRING FROM/FOR, -> and ->>", () => {
    const cases: [string, string][] = [
      ["CASE WHEN a THEN 1 ELSE 2 END", "(case:searched a 1 2)"],
      ["CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' END", "(case:simple a 1 'x' 2 'y')"],
      ["CASE WHEN a = 1 OR b THEN c END + 1", "(+ (case:searched (or (= a 1) b) c) 1)"],
      ["TRIM(a)", "(trim a)"],
      ["TRIM('x' FROM a)", "(trim a 'x')"],
      ["TRIM(LEADING 'x' FROM a)", "(trim:leading a 'x')"],
      ["trim(trailing from a)", "(trim:trailing a)"],
      ["TRIM(BOTH a || b FROM c)", "(trim:both c (or a b))"],
      ["SUBSTRING(a FROM 2 FOR 3)", "(substring a 2 3)"],
      ["SUBSTR(a FROM b + 1)", "(substr a (+ b 1))"],
      ["body->'$.a'", "(json_extract body '$.a')"],
      ['t.body->>"$.a" = "eu"', "(= (json_unquote (json_extract body '$.a')) 'eu')"],
      ["`Body`->>'$[0]' IS NULL", "(is-null (json_unquote (json_extract Body '$[0]')))"],
      ["MOD(a, 2)", "(mod a 2)"],
      ["POSITION(a | b IN c)", "(position (| a b) c)"],
      ["POSITION(a + 1 IN c = d)", "(position (+ a 1) (= c d))"],
      ["LEFT(a, 1) = RIGHT(b, 1)", "(= (left a 1) (right b 1))"],
    ];
    for (const [text, expected] of cases) assert.equal(show(parseExpression(text)), expected, text);
    for (
      const text of [
        "CASE END",
        "CASE WHEN 1 THEN 2",
        "CASE a ELSE 1 END",
        "TRIM(LEADING 'x' a)",
        "TRIM(LEADING 'x' FROM)",
        "SUBSTRING(a FOR 2)",
        "body->",
        "body->>1",
        "1->'$'",
        "(body)->'$'",
        "then",
        "POSITION(a, b)",
        "POSITION(a IN)",
      ]
    ) {
      assert.throws(() => parseExpression(text), { code: "ER_PARSE_ERROR" }, text);
    }
  });

  test("INSERT value count mismatch is ER_WRONG_VALUE_COUNT_ON_ROW", () => {
    assertError("INSERT INTO t (a, b) VALUES (1)", "ER_WRONG_VALUE_COUNT_ON_ROW");
    assertError("INSERT INTO t VALUES (1, 2), (3)", "ER_WRONG_VALUE_COUNT_ON_ROW");
  });

  test("DELETE with WHERE, ORDER BY, LIMIT", () => {
    const statement = parse("DELETE FROM t WHERE v = 2 ORDER BY w LIMIT 1");
    assert.ok(statement.kind === "delete");
    assert.equal(statement.table, "t");
    assert.equal(show(statement.where!), "(= v 2)");
    assert.equal(statement.orderBy.length, 1);
    assert.equal(show(statement.limit!), "1");
  });

  test("SHOW TABLES [LIKE]", () => {
    assert.deepEqual(parse("SHOW TABLES"), { kind: "show_tables", like: null });
    const statement = parse("show tables like 'j%'");
    assert.ok(statement.kind === "show_tables");
    assert.equal(show(statement.like!), "'j%'");
  });

  test("DROP, TRUNCATE, ALTER", () => {
    assert.deepEqual(parse("DROP TABLE IF EXISTS a, `b`"), {
      kind: "drop_table",
      tables: ["a", "b"],
      ifExists: true,
    });
    assert.deepEqual(parse("TRUNCATE t"), { kind: "truncate", table: "t" });
    assert.deepEqual(parse("TRUNCATE TABLE t"), { kind: "truncate", table: "t" });
    const alter = parse("ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 5, DROP d, ADD e TEXT");
    assert.ok(alter.kind === "alter_table");
    assert.deepEqual(
      alter.actions.map((action) =>
        action.kind === "add" ? `+${action.column.name}` : `-${action.name}`
      ),
      ["+c", "-d", "+e"],
    );
    const first = alter.actions[0];
    assert.ok(first !== undefined);
    assert.ok(first.kind === "add");
    assert.equal(first.column.defaultValue, 5);
  });

  test("CREATE TABLE: every column type", () => {
    const statement = parse(`CREATE TABLE IF NOT EXISTS t (
      a TINYINT, b SMALLINT UNSIGNED, c MEDIUMINT, d INT(11), e INTEGER, f BIGINT UNSIGNED,
      g FLOAT, h DOUBLE, i BOOLEAN, j BOOL, k CHAR(3), l CHAR, m VARCHAR(96), n TINYTEXT,
      o TEXT, p MEDIUMTEXT, q LONGTEXT, r BINARY(4), s VARBINARY(8), t2 TINYBLOB, u BLOB,
      v MEDIUMBLOB, w LONGBLOB, x JSON
    ) ENGINE=QUEUE DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    assert.ok(statement.kind === "create_table");
    assert.equal(statement.ifNotExists, true);
    const types = Object.fromEntries(statement.columns.map((column) => [column.name, column.type]));
    assert.deepEqual(types.a, { kind: "int", bits: 8, unsigned: false });
    assert.deepEqual(types.b, { kind: "int", bits: 16, unsigned: true });
    assert.deepEqual(types.c, { kind: "int", bits: 24, unsigned: false });
    assert.deepEqual(types.d, { kind: "int", bits: 32, unsigned: false });
    assert.deepEqual(types.e, { kind: "int", bits: 32, unsigned: false });
    assert.deepEqual(types.f, { kind: "int", bits: 64, unsigned: true });
    assert.deepEqual(types.g, { kind: "float", double: false });
    assert.deepEqual(types.h, { kind: "float", double: true });
    assert.deepEqual(types.i, { kind: "int", bits: 8, unsigned: false });
    assert.deepEqual(types.j, { kind: "int", bits: 8, unsigned: false });
    assert.deepEqual(types.k, { kind: "char", length: 3, variable: false });
    assert.deepEqual(types.l, { kind: "char", length: 1, variable: false });
    assert.deepEqual(types.m, { kind: "char", length: 96, variable: true });
    assert.deepEqual(types.n, { kind: "text", bytesMax: 255 });
    assert.deepEqual(types.o, { kind: "text", bytesMax: 65535 });
    assert.deepEqual(types.p, { kind: "text", bytesMax: 16777215 });
    assert.deepEqual(types.q, { kind: "text", bytesMax: 4294967295 });
    assert.deepEqual(types.r, { kind: "binary", length: 4, variable: false });
    assert.deepEqual(types.s, { kind: "binary", length: 8, variable: true });
    assert.deepEqual(types.t2, { kind: "blob", bytesMax: 255 });
    assert.deepEqual(types.u, { kind: "blob", bytesMax: 65535 });
    assert.deepEqual(types.v, { kind: "blob", bytesMax: 16777215 });
    assert.deepEqual(types.w, { kind: "blob", bytesMax: 4294967295 });
    assert.deepEqual(types.x, { kind: "json" });
    assert.equal(statement.columns.find((column) => column.name === "m")!.typeText, "VARCHAR(96)");
  });

  test("CREATE TABLE column attributes: NOT NULL, NULL, DEFAULT checked, charset ignored", () => {
    const statement = parse(
      "CREATE TABLE t (a INT NOT NULL DEFAULT -3, b VARCHAR(4) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL DEFAULT 'ab', c BOOL DEFAULT TRUE, d TEXT DEFAULT NULL)",
    );
    assert.ok(statement.kind === "create_table");
    assert.deepEqual(
      statement.columns.map((column) => [column.name, column.notNull, column.defaultValue]),
      [
        ["a", true, -3],
        ["b", false, "ab"],
        ["c", false, 1],
        ["d", false, null],
      ],
    );
  });

  const rejected: [string, string][] = [
    ["CREATE TABLE t (id INT PRIMARY KEY)", "ER_NOT_SUPPORTED_YET"],
    ["CREATE TABLE t (id INT AUTO_INCREMENT)", "ER_NOT_SUPPORTED_YET"],
    ["CREATE TABLE t (id INT, PRIMARY KEY (id))", "ER_NOT_SUPPORTED_YET"],
    ["CREATE TABLE t (id INT, UNIQUE (id))", "ER_NOT_SUPPORTED_YET"],
    ["CREATE TABLE t (id INT, INDEX (id))", "ER_NOT_SUPPORTED_YET"],
    ["CREATE TABLE t (id INT UNIQUE)", "ER_NOT_SUPPORTED_YET"],
    ["CREATE TABLE t (id INT) ENGINE=InnoDB", "ER_NOT_SUPPORTED_YET"],
    ["CREATE TABLE t (a INT, A TEXT)", "ER_DUP_FIELDNAME"],
    ["CREATE TABLE t (a TINYINT DEFAULT 300)", "ER_INVALID_DEFAULT"],
    ["CREATE TABLE t (a INT NOT NULL DEFAULT NULL)", "ER_INVALID_DEFAULT"],
    ["CREATE TABLE t (a CHAR(2) DEFAULT 'abc')", "ER_INVALID_DEFAULT"],
    ["CREATE TABLE t (a CHAR(256))", "ER_TOO_BIG_FIELDLENGTH"],
    ["CREATE TABLE t (a VARCHAR)", "ER_PARSE_ERROR"],
    ["CREATE TABLE t (a GEOMETRY)", "ER_PARSE_ERROR"],
    ["CREATE TABLE t ()", "ER_PARSE_ERROR"],
    ["UPDATE t SET a = 1", "ER_NOT_SUPPORTED_YET"],
    ["REPLACE INTO t SELECT 1", "ER_NOT_SUPPORTED_YET"],
    ["INSERT INTO t SET a", "ER_PARSE_ERROR"],
    ["INSERT INTO t SET a = 1 ON DUPLICATE KEY UPDATE a = 2", "ER_NOT_SUPPORTED_YET"],
    ["INSERT INTO t SELECT 1", "ER_NOT_SUPPORTED_YET"],
    ["ALTER TABLE t MODIFY a INT", "ER_NOT_SUPPORTED_YET"],
    ["SELECT 1; SELECT 2", "ER_PARSE_ERROR"],
    ["SELECT 1;;", "ER_PARSE_ERROR"],
    ["", "ER_PARSE_ERROR"],
    ["SELECT", "ER_PARSE_ERROR"],
    ["SELECT * FROM", "ER_PARSE_ERROR"],
    ["SELECT a FROM select", "ER_PARSE_ERROR"],
    ["SELECT a FROM t LIMIT a", "ER_PARSE_ERROR"],
    ["SELECT a FROM t WHERE", "ER_PARSE_ERROR"],
    ["DELETE t", "ER_PARSE_ERROR"],
    ["SELECT `` FROM t", "ER_PARSE_ERROR"],
    [`SELECT * FROM ${"t".repeat(65)}`, "ER_TOO_LONG_IDENT"],
    [`CREATE TABLE ${"t".repeat(65)} (a INT)`, "ER_TOO_LONG_IDENT"],
    [`CREATE TABLE \`${"é".repeat(65)}\` (a INT)`, "ER_TOO_LONG_IDENT"],
    [`CREATE TABLE t (${"a".repeat(65)} INT)`, "ER_TOO_LONG_IDENT"],
    [`ALTER TABLE t ADD ${"a".repeat(65)} INT`, "ER_TOO_LONG_IDENT"],
    ["CREATE TABLE `tt ` (a INT)", "ER_WRONG_TABLE_NAME"],
    ["CREATE TABLE `   ` (a INT)", "ER_WRONG_TABLE_NAME"],
    ["INSERT INTO `tt ` VALUES (1)", "ER_WRONG_TABLE_NAME"],
    ["SELECT * FROM `tt `", "ER_WRONG_TABLE_NAME"],
    ["DROP TABLE t, `tt `", "ER_WRONG_TABLE_NAME"],
    ["TRUNCATE `tt `", "ER_WRONG_TABLE_NAME"],
    ["ALTER TABLE `tt ` ADD b INT", "ER_WRONG_TABLE_NAME"],
    ["CREATE TABLE t (`a ` INT)", "ER_WRONG_COLUMN_NAME"],
    ["CREATE TABLE t (` ` INT)", "ER_WRONG_COLUMN_NAME"],
    ["ALTER TABLE t ADD `b ` INT", "ER_WRONG_COLUMN_NAME"],
    ["SELECT 1e999", "ER_ILLEGAL_VALUE_FOR_TYPE"],
    ["SELECT -1.5e400", "ER_ILLEGAL_VALUE_FOR_TYPE"],
    [`SELECT ${"9".repeat(5000)}`, "ER_ILLEGAL_VALUE_FOR_TYPE"],
    [`SELECT ${"9".repeat(309)}.5`, "ER_ILLEGAL_VALUE_FOR_TYPE"],
    ["SELECT * FROM t WHERE a > 1e999", "ER_ILLEGAL_VALUE_FOR_TYPE"],
    ["INSERT INTO t VALUES (1e999)", "ER_ILLEGAL_VALUE_FOR_TYPE"],
    ["CREATE TABLE t (a DOUBLE DEFAULT 1e999)", "ER_ILLEGAL_VALUE_FOR_TYPE"],
    ["SELECT a NOT 1", "ER_PARSE_ERROR"],
    ["SELECT 1 IN (1) IN (1)", "ER_PARSE_ERROR"],
  ];
  for (const [text, code] of rejected) {
    test(`${text.slice(0, 60)} is ${code}`, () => assertError(text, code));
  }

  test("names MySQL accepts: leading spaces, inner spaces, 64 characters; huge but finite numbers", () => {
    assert.equal(parse("CREATE TABLE ` t` (`a b` INT)").kind, "create_table");
    assert.equal(
      parse(`CREATE TABLE ${"t".repeat(64)} (${"a".repeat(64)} INT)`).kind,
      "create_table",
    );
    assert.equal(parse(`CREATE TABLE \`${"😀".repeat(64)}\` (a INT)`).kind, "create_table");
    assert.equal(parse("INSERT INTO t (`a `) VALUES (1)").kind, "insert");
    assert.equal(parse(`SELECT 1e308, 1e-999, 0e999, ${"9".repeat(300)}`).kind, "select");
    assert.equal(parseExpression("1e-400 + 1.7976931348623157e308").kind, "binary");
    assert.throws(() => parseExpression("a < 1e999"), { code: "ER_ILLEGAL_VALUE_FOR_TYPE" });
  });

  test("an out-of-range number names itself like MySQL", () => {
    assert.throws(() => parseStatement("SELECT 1 + 1e999"), {
      message: "Illegal double '1e999' value found during parsing",
    });
  });

  test("a trailing ; is fine", () => {
    assert.equal(parse("SELECT 1 ;").kind, "select");
  });

  const positions: [string, number, RegExp][] = [
    ["SELECT 1 2", 9, /near '2' at line 1$/],
    ["SELECT a FROM t WHERE a = = 1", 26, /near '= 1' at line 1$/],
    ["SELECT 'é' FROM t WHERE", 24, /near '' at line 1$/],
    ["SELECT 1\nFROM t\nWHERE )", 22, /near '\)' at line 3$/],
  ];
  for (const [text, position, message] of positions) {
    test(`error in ${JSON.stringify(text)} is at byte ${position}`, () => {
      assert.throws(() => parseStatement(text), (error: unknown) => {
        assert.ok(error instanceof QueueError);
        assert.equal(error.code, "ER_PARSE_ERROR");
        assert.equal(error.position, position);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe("transaction statements", () => {
  const parsed: [string, Statement][] = [
    ["BEGIN", { kind: "transaction", action: "begin", chain: false, savepoint: null }],
    ["begin work;", { kind: "transaction", action: "begin", chain: false, savepoint: null }],
    [
      "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT",
      { kind: "transaction", action: "begin", chain: false, savepoint: null },
    ],
    ["COMMIT AND CHAIN", { kind: "transaction", action: "commit", chain: true, savepoint: null }],
    [
      "ROLLBACK WORK AND NO CHAIN",
      { kind: "transaction", action: "rollback", chain: false, savepoint: null },
    ],
    [
      "ROLLBACK TO sp",
      { kind: "transaction", action: "rollback_to_savepoint", chain: false, savepoint: "sp" },
    ],
    ["SAVEPOINT `a b`", {
      kind: "transaction",
      action: "savepoint",
      chain: false,
      savepoint: "a b",
    }],
    [
      "RELEASE SAVEPOINT sp",
      { kind: "transaction", action: "release_savepoint", chain: false, savepoint: "sp" },
    ],
  ];
  for (const [text, statement] of parsed) {
    test(text, () => assert.deepEqual(parseStatement(text).statement, statement));
  }
  for (const text of ["START SLAVE", "COMMIT RELEASE", "START TRANSACTION READ", "RELEASE sp"]) {
    test(`${text} is ER_PARSE_ERROR`, () => {
      assert.throws(
        () => parseStatement(text),
        (error: unknown) => error instanceof QueueError && error.code === "ER_PARSE_ERROR",
      );
    });
  }
});
