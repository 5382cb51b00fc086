// Fuzz test for the SQL layer: random and mutated SQL through parse, compile
// and evaluate. The only failure allowed is a QueueError; nothing may hang or
// throw TypeError/RangeError. Seed from Q4D_SEED (printed on failure).
import { test } from "node:test";
import assert from "node:assert/strict";
import { QueueError } from "../../src/errors.ts";
import { compileExpr } from "../../src/sql/compile.ts";
import type { Expr, Value } from "../../src/sql/ast.ts";
import { parseExpression, parseStatement } from "../../src/sql/parser.ts";
import { prng, testSeed } from "../_random.ts";
import { at } from "../_at.ts";

const seed = testSeed();

const corpus = [
  "SELECT * FROM jobs",
  "SELECT queue_wait('jobs:prio=0', 'jobs', 5) AS got",
  "SELECT a, b + 1 AS c, `d` FROM t WHERE a = ? AND (b > 3 OR c IS NULL) ORDER BY a DESC LIMIT 10 OFFSET 2",
  "INSERT INTO jobs (id, prio, body) VALUES (1, 0, 'hello'), (2, -1, \"x\\ny\")",
  "DELETE FROM t WHERE v = 2 ORDER BY w LIMIT 1",
  "CREATE TABLE IF NOT EXISTS t (id INT NOT NULL DEFAULT 1, b VARCHAR(10) CHARACTER SET utf8mb4, j JSON, x BINARY(3)) ENGINE=QUEUE DEFAULT CHARSET=utf8mb4",
  "ALTER TABLE t ADD COLUMN c BIGINT UNSIGNED DEFAULT 18446744073709551615, DROP d",
  "DROP TABLE IF EXISTS a, b",
  "TRUNCATE TABLE t",
  "SHOW TABLES LIKE 'j%'",
  "SELECT 1 + 2 * 3 DIV 4 % 5 ^ 6 | 7 & 8 << 9 >> 10, ~1, !0, -a, POW(2, -1), 0x41, X'42', 1e3, .5",
  "SELECT a IN (1, 2, NULL), b NOT BETWEEN 1 AND 2, c LIKE 'a\\%' ESCAPE '|', d <=> NULL, e XOR f, NOT g",
  "SELECT COUNT(*) FROM t WHERE a <> 1 && b != 2 || c >= 3 -- comment\n # more\n /* block */",
  "SELECT CONCAT(a, 'x', NULL), SUBSTRING(b FROM 2 FOR 3), TRIM(LEADING 'x' FROM c), LPAD(a, 5, '*')",
  "SELECT CASE a WHEN 1 THEN 'one' ELSE 'other' END, CASE WHEN b > 0 THEN ROUND(b, 2) END FROM t",
  "SELECT body->>'$.region', body->'$.a[0].\"b c\"', JSON_EXTRACT(j, '$**.x', '$[*]') FROM t",
  "INSERT IGNORE INTO t SET a = DEFAULT, b = COALESCE(NULL, HEX(UNHEX('41')), IFNULL(NULL, 2))",
  "REPLACE INTO t VALUES (DEFAULT(a), GREATEST(1, 2.5e0), IF(1, LOCATE('a', 'ba'), REPEAT('x', 3)))",
  "CREATE TABLE j (p DECIMAL(10,2) UNSIGNED DEFAULT -0.5, at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE NOW(3), d DATE DEFAULT '2024-02-29', t TIME(1), y YEAR(4), e ENUM('a','b'), s SET('x','y'), f BIT(3) DEFAULT b'101')",
  "SELECT 0.1 + 0.2 = 0.3, 1/3, NOW(6) - INTERVAL 1.5 SECOND, DATE_ADD('2024-01-31', INTERVAL 1 MONTH), UNIX_TIMESTAMP(DATE '2024-01-01'), FROM_UNIXTIME(1.5), CURRENT_TIMESTAMP, TIME '10:00' < TIMESTAMP '2024-01-01 00:00:00', 0b101",
];

const fragments = [
  "(",
  ")",
  ",",
  ";",
  "'",
  '"',
  "`",
  "?",
  "-- ",
  "#",
  "/*",
  "*/",
  "\\",
  "NOT",
  "NULL",
  "AND",
  "OR",
  "IN",
  "BETWEEN",
  "LIKE",
  "ESCAPE",
  "IS",
  "TRUE",
  "SELECT",
  "FROM",
  "WHERE",
  "0x",
  "X'",
  "1e",
  "9223372036854775808",
  "18446744073709551616",
  "-",
  "~",
  "!",
  "^",
  "<<",
  ">>",
  "<=>",
  "DIV",
  "MOD",
  "pow(",
  "queue_wait(",
  "COUNT(*)",
  "é",
  "😀",
  "\0",
  "\n",
  " ",
  "(((((",
  ")))))",
  "DEFAULT",
  "CASE",
  "WHEN",
  "THEN",
  "ELSE",
  "END",
  "TRIM(",
  "LEADING",
  "FOR",
  "->",
  "->>",
  "'$.a[0]'",
  "'$**'",
  "'{\"a\": [1]}'",
  "JSON_EXTRACT(",
  "SUBSTRING(",
  "REPEAT(",
  "LPAD(",
];

function mutate(text: string, next: () => number): string {
  const pick = (n: number) => Math.floor(next() * n);
  let result = text;
  const steps = 1 + pick(4);
  for (let i = 0; i < steps; i++) {
    const at = pick(result.length + 1);
    switch (pick(5)) {
      case 0: // delete a range
        result = result.slice(0, at) + result.slice(at + pick(8));
        break;
      case 1: // insert a fragment
        result = result.slice(0, at) + fragments[pick(fragments.length)] + result.slice(at);
        break;
      case 2: // insert a random character
        result = result.slice(0, at) + String.fromCharCode(pick(128)) + result.slice(at);
        break;
      case 3: // duplicate a range
        result = result.slice(0, at) + result.slice(at, at + pick(16)) + result.slice(at);
        break;
      default: // splice in a piece of another statement
        result = result.slice(0, at) + corpus[pick(corpus.length)]?.slice(pick(40), pick(80)) +
          result.slice(at);
    }
  }
  return result;
}

function randomTokens(next: () => number): string {
  const count = 1 + Math.floor(next() * 20);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(at(fragments, Math.floor(next() * fragments.length)));
  return parts.join(next() < 0.5 ? " " : "");
}

const row: Value[] = [0, -5, "abc", new Uint8Array([0x31]), null, 18446744073709551615n];
const scope = {
  columnIndex: (name: string) => name.length % 7 === 6 ? -1 : name.length % row.length,
};

/** Compiles and evaluates every expression of a statement that parsed. */
function exercise(expressions: Expr[], params: Value[]): void {
  for (const expr of expressions) compileExpr(expr, scope)(row, params);
}

function expressionsOf(statement: ReturnType<typeof parseStatement>["statement"]): Expr[] {
  switch (statement.kind) {
    case "select":
      return [
        ...statement.items.flatMap((item) => item.kind === "expr" ? [item.expr] : []),
        ...(statement.where ? [statement.where] : []),
        ...statement.orderBy.map((term) => term.expr),
      ];
    case "insert":
      return statement.rows.flat();
    case "delete":
      return statement.where ? [statement.where] : [];
    default:
      return [];
  }
}

function attempt(run: () => void, text: string): void {
  try {
    run();
  } catch (error) {
    if (error instanceof QueueError) return;
    assert.fail(`seed ${seed}: ${String(error)} for ${JSON.stringify(text)}`);
  }
}

test(`random and mutated SQL only ever fails with QueueError (seed ${seed})`, () => {
  const next = prng(seed);
  const caseCount = 6000;
  for (let i = 0; i < caseCount; i++) {
    const text = i % 3 === 0 ? randomTokens(next) : mutate(at(corpus, i % corpus.length), next);
    attempt(() => {
      const { statement, paramCount } = parseStatement(text);
      const params: Value[] = Array.from({ length: paramCount }, (_, k) => k % 2 === 0 ? k : "p");
      exercise(expressionsOf(statement), params);
    }, text);
    const expressionText = text.replace(/^\s*SELECT\s+/i, "").replaceAll("?", "1");
    attempt(() => exercise([parseExpression(expressionText)], []), expressionText);
  }
});

test(`deep and long inputs fail cleanly (seed ${seed})`, () => {
  const next = prng(seed + 1);
  for (let i = 0; i < 50; i++) {
    const depth = 200 + Math.floor(next() * 20000);
    const opener = next() < 0.2
      ? "CASE WHEN 1 THEN "
      : next() < 0.25
      ? "CONCAT("
      : at(fragments, Math.floor(next() * 8)) + "(";
    const text = "SELECT " + opener.repeat(depth) + "1" + ")".repeat(depth);
    attempt(() => parseStatement(text), text.slice(0, 40));
  }
});
