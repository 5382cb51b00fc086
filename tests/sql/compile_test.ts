// Tests for src/sql/compile.ts: operator results, NULL truth tables, MySQL
// conversions, overflow errors, folding, truthiness and ORDER BY order.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compileExpr } from "../../src/sql/compile.ts";
import { compareForOrder, isTruthy } from "../../src/sql/operators.ts";
import type { CompileScope } from "../../src/sql/compile.ts";
import { parseExpression, parseStatement } from "../../src/sql/parser.ts";
import type { Value } from "../../src/sql/ast.ts";

const columns = ["prio", "v", "s", "b", "n", "big"];
const row: Value[] = [0, 5, "abc", new Uint8Array([0x31, 0x32]), null, 18446744073709551615n];
const scope: CompileScope = {
  columnIndex: (name, quoted) => columns.indexOf(quoted ? name : name.toLowerCase()),
};

function evaluate(text: string, params: Value[] = []): Value {
  return compileExpr(parseExpression(text), scope)(row, params);
}

describe("NULL truth tables (three-valued logic)", () => {
  const values: [string, Value][] = [["1", 1], ["0", 0], ["NULL", null]];
  const and = (a: Value, b: Value): Value =>
    a === 0 || b === 0 ? 0 : a === null || b === null ? null : 1;
  const or = (a: Value, b: Value): Value =>
    a === 1 || b === 1 ? 1 : a === null || b === null ? null : 0;
  const xor = (a: Value, b: Value): Value => a === null || b === null ? null : a !== b ? 1 : 0;
  for (const [x, a] of values) {
    for (const [y, b] of values) {
      test(`${x} AND ${y}, ${x} OR ${y}, ${x} XOR ${y}`, () => {
        assert.equal(evaluate(`${x} AND ${y}`), and(a, b));
        assert.equal(evaluate(`${x} && ${y}`), and(a, b));
        assert.equal(evaluate(`${x} OR ${y}`), or(a, b));
        assert.equal(evaluate(`${x} || ${y}`), or(a, b));
        assert.equal(evaluate(`${x} XOR ${y}`), xor(a, b));
      });
    }
    test(`NOT ${x}, ${x} IS [NOT] TRUE/FALSE/NULL`, () => {
      assert.equal(evaluate(`NOT ${x}`), a === null ? null : a === 1 ? 0 : 1);
      assert.equal(evaluate(`${x} IS TRUE`), a === 1 ? 1 : 0);
      assert.equal(evaluate(`${x} IS FALSE`), a === 0 ? 1 : 0);
      assert.equal(evaluate(`${x} IS NULL`), a === null ? 1 : 0);
      assert.equal(evaluate(`${x} IS NOT TRUE`), a === 1 ? 0 : 1);
      assert.equal(evaluate(`${x} IS NOT NULL`), a === null ? 0 : 1);
    });
  }
});

describe("operators", () => {
  const cases: [string, Value][] = [
    ["prio = 0 AND v > 3", 1],
    ["prio = 0 AND v > 5", 0],
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["1 / 0", null],
    ["7 DIV 2", 3],
    ["-7 DIV 2", -3],
    ["7 DIV 0", null],
    ["7.5 DIV 2", 3],
    ["'7' DIV 2", 3],
    ["-7 % 3", -1],
    ["7 MOD -3", 1],
    ["5.5e0 MOD 2", 1.5],
    ["7 % 0", null],
    ["2 ^ 3", 1],
    ["-2 ^ 2", 18446744073709551612n],
    ["~0", 18446744073709551615n],
    ["~1 & 3", 2],
    ["5 | 2", 7],
    ["6 & 3", 2],
    ["1 << 63", 9223372036854775808n],
    ["1 << 64", 0],
    ["-1 >> 60", 15],
    ["-1 | 0", 18446744073709551615n],
    ["2.5 | 0", 3],
    ["-1.5 | 0", 18446744073709551614n],
    ["'2.5' | 0", 3],
    ["'18446744073709551615' | 0", 18446744073709551615n],
    ["0x41 + 0", 65],
    ["0x41 = 65", 1],
    ["0x41 = 'A'", 1],
    ["X'0100' | 0", 256],
    ["POW(2, 10)", 1024],
    ["pow(2, -1)", 0.5],
    ["POWER(4, 0.5)", 2],
    ["-v", -5],
    ["- -v", 5],
    ["!v", 0],
    ["!!v", 1],
    ["NOT v = 5", 0],
    ["'10' + '5'", 15],
    ["'1.5' + 1", 2.5],
    ["'abc' + 1", 1],
    ["' 12abc' * 2", 24],
    ["'abc' = 0", 1],
    ["'10' = 10", 1],
    ["'10' = '10.0'", 0],
    ["'a' < 'b'", 1],
    ["'a' = 'A'", 0],
    ["'B' < 'a'", 1],
    ["s = 'abc'", 1],
    ["s LIKE 'a%'", 1],
    ["s LIKE 'A%'", 0],
    ["s LIKE '_b_'", 1],
    ["s LIKE 'ab'", 0],
    ["'a%c' LIKE 'a\\%c'", 1],
    ["'abc' LIKE 'a\\%c'", 0],
    ["'a_c' LIKE 'a|_c' ESCAPE '|'", 1],
    ["'abc' NOT LIKE 'a|_c' ESCAPE '|'", 1],
    ["10 LIKE '1%'", 1],
    ["'😀x' LIKE '_x'", 1],
    ["'a.c' LIKE 'a.c'", 1],
    ["'-x/' LIKE '-%/'", 1],
    ["'(a]{' LIKE '(_]{'", 1],
    ["'abc' LIKE 'a.c'", 0],
    ["NULL LIKE 'a'", null],
    ["3 IN (1, 2, 3)", 1],
    ["3 IN (1, 2)", 0],
    ["3 IN (1, NULL)", null],
    ["1 IN (NULL, 1)", 1],
    ["NULL IN (1)", null],
    ["3 NOT IN (1, 2)", 1],
    ["3 NOT IN (1, NULL)", null],
    ["'1' IN (1, 'a')", 1],
    ["v IN (prio + 5)", 1],
    ["s IN ('x', 'abc')", 1],
    ["2 BETWEEN 1 AND 3", 1],
    ["4 BETWEEN 1 AND 3", 0],
    ["1 BETWEEN NULL AND 0", 0],
    ["1 BETWEEN NULL AND 2", null],
    ["2 NOT BETWEEN 1 AND 3", 0],
    ["'b' BETWEEN 'a' AND 'c'", 1],
    ["NULL = NULL", null],
    ["NULL <=> NULL", 1],
    ["1 <=> NULL", 0],
    ["1 <> 2", 1],
    ["1 != 1", 0],
    ["n IS NULL", 1],
    ["n + 1", null],
    ["b = '12'", 1],
    ["b + 1", 13],
    ["big = 18446744073709551615", 1],
    ["big - 1", 18446744073709551614n],
    ["big > 1", 1],
    ["9223372036854775807 + 0", 9223372036854775807n],
    ["-9223372036854775808", -9223372036854775808n],
    ["9007199254740992 + 1", 9007199254740993n],
    ["4294967296 * 2147483647", 9223372032559808512n],
    ["18446744073709551615 - 1", 18446744073709551614n],
    ["-9223372036854775807 - 1", -9223372036854775808n],
    ["TRUE + TRUE", 2],
    ["0 AND 9223372036854775807 + 1", 0],
  ];
  for (const [text, expected] of cases) {
    test(`${text} = ${String(expected)}`, () => {
      assert.deepEqual(evaluate(text), expected);
    });
  }

  const overflows = [
    "9223372036854775807 + 1",
    "-9223372036854775808 - 1",
    "0 - 9223372036854775808",
    "4294967296 * 4294967295",
    "-9223372036854775808 DIV -1",
    "1e308 * 10",
    "POW(10, 400)",
    "POW(-8, 1/3)",
  ];
  for (const text of overflows) {
    test(`${text} is ER_DATA_OUT_OF_RANGE`, () => {
      assert.throws(() => evaluate(text), { code: "ER_DATA_OUT_OF_RANGE" });
    });
  }

  test("parameters are read per evaluation", () => {
    const { statement } = parseStatement("SELECT * FROM t WHERE v = ? AND s = ?");
    assert.ok(statement.kind === "select");
    const where = compileExpr(statement.where!, scope);
    assert.equal(where(row, [5, "abc"]), 1);
    assert.equal(where(row, [5, "abd"]), 0);
    assert.equal(where(row, [null, "abc"]), null);
  });

  test("unknown column is ER_BAD_FIELD_ERROR; back-quoted names match exactly", () => {
    assert.throws(() => evaluate("nope = 1"), { code: "ER_BAD_FIELD_ERROR" });
    assert.equal(evaluate("PRIO = 0"), 1);
    assert.throws(() => evaluate("`PRIO` = 0"), { code: "ER_BAD_FIELD_ERROR" });
  });

  test("queue functions, COUNT(*) and unknown functions are ER_NOT_SUPPORTED_YET", () => {
    for (
      const text of [
        "queue_wait('t')",
        "QUEUE_END()",
        "queue_abort()",
        "queue_rowid()",
        "queue_set_srcid(1, 'a', 2)",
        "queue_compact('t')",
        "queue_stats('t')",
        "COUNT(*)",
        "nope(1)",
      ]
    ) {
      assert.throws(() => evaluate(text), { code: "ER_NOT_SUPPORTED_YET" }, text);
    }
    // MySQL 1582, ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT (was ER_WRONG_ARGUMENTS before functions.ts).
    assert.throws(() => evaluate("pow(1)"), { code: "ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT" });
    assert.throws(() => evaluate("'a' LIKE 'a' ESCAPE 'xy'"), { code: "ER_WRONG_ARGUMENTS" });
  });

  test("constant subexpressions are folded: a column-free expression never reads the row", () => {
    const accessor = compileExpr(parseExpression("1 + 2 * 3 IN (7, 8)"), scope);
    assert.equal(accessor(null as unknown as Value[], []), 1);
  });
});

describe("isTruthy and compareForOrder", () => {
  const truthy: [Value, boolean][] = [
    [null, false],
    [0, false],
    [1, true],
    [-1, true],
    [0.5, true],
    [0n, false],
    [5n, true],
    ["", false],
    ["abc", false],
    ["0", false],
    ["1abc", true],
    ["0.0", false],
    [" 2", true],
    [new Uint8Array([0x31]), true],
    [new Uint8Array([]), false],
    [true, true],
    [false, false],
  ];
  for (const [value, expected] of truthy) {
    test(`isTruthy(${String(value)}) is ${expected}`, () =>
      assert.equal(isTruthy(value), expected));
  }

  test("ORDER BY puts NULL first, numbers numerically, strings by code point", () => {
    assert.deepEqual([3, null, 10n, 2.5, -1].sort(compareForOrder), [null, -1, 2.5, 3, 10n]);
    assert.deepEqual(["b", "B", "a", null, "😀", "\uffff"].sort(compareForOrder), [
      null,
      "B",
      "a",
      "b",
      "\uffff",
      "😀",
    ]);
  });
});
