// Tests for src/sql/template.ts and src/sql/identifier.ts: caching per call
// site and per text, parameter binding and counts, identifiers, injection.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { bindParams, prepareTemplate, prepareText } from "../../src/sql/template.ts";
import { statementBytesMax, unsafeCacheBytesMax } from "../../src/limits.ts";
import { ident, Identifier } from "../../src/sql/identifier.ts";
import type { Value } from "../../src/sql/ast.ts";

function sql(
  strings: TemplateStringsArray,
  ...values: unknown[]
): ReturnType<typeof prepareTemplate> {
  return prepareTemplate(strings, values);
}

describe("prepareTemplate", () => {
  test("values become parameters in order", () => {
    const { prepared, params } =
      sql`INSERT INTO jobs (id, prio, body) VALUES (${1}, ${0}, ${"hello"})`;
    assert.equal(prepared.paramCount, 3);
    assert.equal(prepared.text, "INSERT INTO jobs (id, prio, body) VALUES (?, ?, ?)");
    assert.deepEqual(params, [1, 0, "hello"]);
  });

  test("one call site parses once: the same Prepared comes back", () => {
    const run = (id: number) => sql`SELECT * FROM jobs WHERE id = ${id}`;
    const first = run(1);
    const second = run(2);
    assert.equal(first.prepared, second.prepared);
    assert.deepEqual(second.params, [2]);
  });

  test("an ident() hole is a name, back-quoted, and each name gets its own statement", () => {
    const run = (table: Identifier, id: number) => sql`SELECT * FROM ${table} WHERE id = ${id}`;
    const a = run(ident("a"), 1);
    const b = run(ident("b"), 2);
    assert.equal(a.prepared.statement.kind === "select" && a.prepared.statement.from, "a");
    assert.equal(b.prepared.statement.kind === "select" && b.prepared.statement.from, "b");
    assert.deepEqual(b.params, [2]);
    assert.equal(run(ident("a"), 3).prepared, a.prepared);
  });

  test("a '?' in the template text is refused (it would shift the values)", () => {
    assert.throws(() => sql`SELECT ? + ${1}`, { code: "ER_WRONG_PARAMCOUNT" });
  });

  test("values that cannot be bound are ER_WRONG_ARGUMENTS", () => {
    assert.throws(() => sql`SELECT ${undefined}`, { code: "ER_WRONG_ARGUMENTS" });
    assert.throws(() => sql`SELECT ${new Date(Number.NaN)}`, { code: "ER_WRONG_ARGUMENTS" });
  });

  test("bad SQL in a template is ER_PARSE_ERROR", () => {
    assert.throws(() => sql`SELEC ${1}`, { code: "ER_PARSE_ERROR" });
  });

  test("a hand-made strings array is read on every call: mutating it changes the statement", () => {
    const strings = Object.assign(["SELECT * FROM a WHERE id = ", ""], {
      raw: ["SELECT * FROM a WHERE id = ", ""],
    });
    const first = prepareTemplate(strings as unknown as TemplateStringsArray, [1]);
    assert.equal(first.prepared.statement.kind === "select" && first.prepared.statement.from, "a");
    strings[0] = "SELECT * FROM b WHERE id = ";
    const second = prepareTemplate(strings as unknown as TemplateStringsArray, [1]);
    assert.equal(
      second.prepared.statement.kind === "select" && second.prepared.statement.from,
      "b",
    );
  });
});

describe("injection stays data", () => {
  const hostile = [
    "'; DROP TABLE x; --",
    "\\'; DROP TABLE x; --",
    "1 OR 1=1",
    "`; DROP TABLE x; --",
    "?",
    "${1}",
    "/*",
    "\0",
  ];
  for (const value of hostile) {
    test(`value ${JSON.stringify(value)} is one parameter`, () => {
      const { prepared, params } = sql`SELECT * FROM t WHERE name = ${value}`;
      assert.equal(prepared.paramCount, 1);
      assert.deepEqual(params, [value]);
      const statement = prepared.statement;
      assert.ok(statement.kind === "select");
      assert.equal(statement.where?.kind === "binary" && statement.where.right.kind, "param");
    });
  }

  test("objects are JSON text parameters, never SQL", () => {
    const { params } = sql`INSERT INTO t (j) VALUES (${{ "'); DROP TABLE x; --": 1 }})`;
    assert.deepEqual(params, ['{"\'); DROP TABLE x; --":1}']);
  });

  const names = ["a`b", "x` (a INT); DROP TABLE y; --", "ta ble", "select", "😀"];
  for (const name of names) {
    test(`ident(${JSON.stringify(name)}) stays one identifier`, () => {
      const { prepared } = sql`SELECT * FROM ${ident(name)} WHERE a = ${1}`;
      const statement = prepared.statement;
      assert.ok(statement.kind === "select");
      assert.equal(statement.from, name);
      assert.equal(prepared.paramCount, 1);
    });
  }

  test("ident() validates its name", () => {
    for (const bad of ["", "a\0b"]) {
      assert.throws(() => ident(bad), { code: "ER_WRONG_ARGUMENTS" });
    }
    assert.throws(() => ident("a".repeat(65)), { code: "ER_TOO_LONG_IDENT" });
    assert.throws(() => ident(5 as unknown as string), { code: "ER_WRONG_ARGUMENTS" });
    assert.equal(ident("😀".repeat(64)).name.length, 128);
  });

  test("an ident() name MySQL refuses is refused where it is used (table or column)", () => {
    assert.throws(() => sql`CREATE TABLE ${ident("tt ")} (a INT)`, {
      code: "ER_WRONG_TABLE_NAME",
    });
    assert.throws(() => sql`SELECT * FROM ${ident("  ")}`, { code: "ER_WRONG_TABLE_NAME" });
    assert.throws(() => sql`CREATE TABLE t (${ident("a ")} INT)`, {
      code: "ER_WRONG_COLUMN_NAME",
    });
  });
});

describe("prepareText and bindParams", () => {
  test("the same text returns the cached Prepared", () => {
    assert.equal(prepareText("SELECT 1 + ?"), prepareText("SELECT 1 + ?"));
  });

  test("the cache holds at most unsafeCacheEntriesMax texts, least recently used out first", () => {
    const kept = prepareText("SELECT 'kept'");
    const cold = prepareText("SELECT 'cold'");
    for (let i = 0; i < 2000; i++) {
      prepareText(`SELECT ${i}`);
      if (i % 500 === 0) prepareText("SELECT 'kept'");
    }
    assert.equal(prepareText("SELECT 'kept'"), kept);
    assert.notEqual(prepareText("SELECT 'cold'"), cold);
  });

  test("the cache holds at most unsafeCacheBytesMax bytes of text, least recently used out first", () => {
    const textOf = (i: number) => `SELECT '${"x".repeat(statementBytesMax - 100)}', ${i}`;
    const first = prepareText(textOf(0));
    const textCount = Math.ceil(unsafeCacheBytesMax / (statementBytesMax - 100)) + 1;
    for (let i = 1; i <= textCount; i++) prepareText(textOf(i));
    assert.notEqual(prepareText(textOf(0)), first);
    assert.equal(prepareText(textOf(textCount)), prepareText(textOf(textCount)));
  });

  test("bindParams: a parameter list Proxy that throws is ER_WRONG_ARGUMENTS", () => {
    const prepared = prepareText("SELECT ?");
    const throwing = new Proxy([1], {
      get: () => {
        throw new Error("trap");
      },
    });
    assert.throws(() => bindParams(prepared, throwing), { code: "ER_WRONG_ARGUMENTS" });
    const revoked = Proxy.revocable([1], {});
    revoked.revoke();
    assert.throws(() => bindParams(prepared, revoked.proxy), { code: "ER_WRONG_ARGUMENTS" });
  });

  test("bindParams checks the count and converts", () => {
    const prepared = prepareText("SELECT ?, ?");
    assert.deepEqual(bindParams(prepared, [true, { a: 1 }]), [1, '{"a":1}'] as Value[]);
    assert.throws(() => bindParams(prepared, [1]), { code: "ER_WRONG_PARAMCOUNT" });
    assert.throws(() => bindParams(prepared, [1, 2, 3]), { code: "ER_WRONG_PARAMCOUNT" });
  });

  test("a parse error is not cached and is thrown again", () => {
    assert.throws(() => prepareText("SELECT FROM"), { code: "ER_PARSE_ERROR" });
    assert.throws(() => prepareText("SELECT FROM"), { code: "ER_PARSE_ERROR" });
  });
});

test("a table name written as ${value} points to ident()", () => {
  const name = "jobs";
  assert.throws(() => sql`SELECT * FROM ${name}`, (error: unknown) => {
    assert.equal((error as { code?: string }).code, "ER_PARSE_ERROR");
    assert.match((error as Error).message, /not a bound value.*\$\{ident\(name\)\}/);
    return true;
  });
});
