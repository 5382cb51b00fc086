// Tests for src/sql/decimal.ts and the DECIMAL arithmetic of compile.ts:
// exact results and MySQL's scales, each expected value as MariaDB 10.11
// printed it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  compareDecimals,
  Decimal,
  decimalAbs,
  decimalAdd,
  decimalCeil,
  decimalDivide,
  decimalExtreme,
  decimalFloor,
  decimalFromNumber,
  decimalMultiply,
  decimalRound,
  decimalTruncate,
  fitDecimal,
  parseDecimal,
  roundDecimal,
} from "../../src/sql/decimal.ts";
import { compileExpr } from "../../src/sql/compile.ts";
import { parseExpression } from "../../src/sql/parser.ts";
import { QueueError } from "../../src/errors.ts";

function evaluate(text: string): string {
  const value = compileExpr(parseExpression(text), { columnIndex: () => -1 })([], []);
  return value === null ? "NULL" : String(value);
}

function d(text: string): Decimal {
  const value = parseDecimal(text);
  assert.ok(value !== null, text);
  return value;
}

describe("decimal values", () => {
  const parsed: [string, string][] = [
    ["0.1", "0.1"],
    ["-0.50", "-0.50"],
    [".5", "0.5"],
    ["1.", "1"],
    ["  12  ", "12"],
    ["1e3", "1000"],
    ["1.5e-3", "0.0015"],
    ["-0", "0"],
    ["+7.25", "7.25"],
  ];
  for (const [text, shown] of parsed) {
    test(`'${text}' parses as ${shown}`, () => assert.equal(String(d(text)), shown));
  }
  for (const text of ["", ".", "abc", "1x", "1..2", "- 1", "e3"]) {
    test(`'${text}' is no decimal`, () => assert.equal(parseDecimal(text), null));
  }
  test("a double becomes its shortest digits", () => {
    assert.equal(String(decimalFromNumber(0.1)), "0.1");
    assert.equal(String(decimalFromNumber(1e-7)), "0.0000001");
    assert.equal(String(decimalFromNumber(-2.5e21)), "-2500000000000000000000");
  });
  test("rounding is half away from zero", () => {
    assert.equal(String(roundDecimal(d("1.005"), 2)), "1.01");
    assert.equal(String(roundDecimal(d("-1.005"), 2)), "-1.01");
    assert.equal(String(roundDecimal(d("1.004"), 2)), "1.00");
    assert.equal(String(roundDecimal(d("2.5"), 0)), "3");
    assert.equal(String(roundDecimal(d("1.5"), 3)), "1.500");
  });
  test("fitting into DECIMAL(5,2) rounds, and refuses too many integer digits", () => {
    assert.equal(String(fitDecimal(d("999.994"), 5, 2)), "999.99");
    assert.equal(fitDecimal(d("999.995"), 5, 2), null);
    assert.equal(fitDecimal(d("-1000"), 5, 2), null);
    assert.equal(String(fitDecimal(d("0.001"), 5, 2)), "0.00");
  });
  test("scales: + - keep the larger, * adds them, / adds 4 to the dividend's", () => {
    assert.equal(String(decimalAdd(d("1.10"), d("1"), "+")), "2.10");
    assert.equal(String(decimalAdd(d("0.1"), d("0.25"), "-")), "-0.15");
    assert.equal(String(decimalMultiply(d("1.5"), d("2.25"))), "3.375");
    assert.equal(String(decimalDivide(d("1.0"), d("3.00"))), "0.33333");
    assert.equal(decimalDivide(d("1"), d("0.00")), null);
  });
  test("comparison is at the declared scale, so 1/3 equals 0.3333", () => {
    const third = decimalDivide(d("1"), d("3"))!;
    assert.equal(compareDecimals(third, d("0.3333")), 0);
    assert.equal(compareDecimals(third, d("0.333333333")), -1);
    assert.equal(compareDecimals(d("2"), d("1.999")), 1);
  });
});

describe("decimal expressions agree with MariaDB 10.11", () => {
  const cases: [string, string][] = [
    ["0.1 + 0.2 = 0.3", "1"],
    ["0.1 * 3 = 0.3", "1"],
    ["1/3", "0.3333"],
    ["2/3", "0.6667"],
    ["10/4", "2.5000"],
    ["0/5", "0.0000"],
    ["1/-3", "-0.3333"],
    ["0.00001/3", "0.000003333"],
    ["1.0/3.00", "0.33333"],
    ["1/3/3", "0.11111111"],
    ["1/3*3", "1.0000"],
    ["1/7*7", "1.0000"],
    ["1/3*3 = 1", "1"],
    ["1/3 = 0.333333333", "0"],
    ["(1/3) + 0.00001", "0.33334"],
    ["1/3 + 1/3 + 1/3", "1.0000"],
    ["1.5 * 2.25", "3.375"],
    ["5 % 1.5", "0.5"],
    ["7 DIV 2.5", "2"],
    ["-0.5 * 0", "0.0"],
    ["1.10 + 1", "2.10"],
    ["5/0", "NULL"],
    ["1/'3'", "0.3333333333333333"],
    ["0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5", "0.00390625"],
    ["-(0.25)", "-0.25"],
    ["2.5 | 0", "3"],
    ["1.5 IN (1.50, 2)", "1"],
    ["1/3 IN (0.3333, 5)", "0"],
    ["1/3 BETWEEN 0.3333 AND 0.3333", "0"],
    ["1/3 >= 0.33331", "0"],
    ["0 = 10/4294967295", "1"],
    ["0 IN (10/4294967295, 1)", "0"],
    ["1/(1/100000)", "100000.0000"],
    ["1 % (1/100000)", "0.0000"],
    ["10 DIV (1/3)", "30"],
    ["1/(0.0001/3)", "30000.3000"],
    ["1.5 BETWEEN 1 AND 2", "1"],
    ["0.1 + 0.2 = '0.3'", "1"],
    ["123456789012345678901234567890 * 10", "1234567890123456789012345678900"],
  ];
  for (const [text, expected] of cases) {
    test(`${text} is ${expected}`, () => assert.equal(evaluate(text), expected));
  }

  test("an integer part beyond 81 digits overflows with ER_DATA_OUT_OF_RANGE", () => {
    const big = "9".repeat(60);
    assert.throws(
      () => evaluate(`${big}.5 * ${big}.5`),
      (error: unknown) => error instanceof QueueError && error.code === "ER_DATA_OUT_OF_RANGE",
    );
  });
});

describe("decimal helpers for the math functions agree with MariaDB 10.11", () => {
  const third = decimalDivide(d("1"), d("3"))!;
  const twoThirds = decimalDivide(d("2"), d("3"))!;
  const cases: [string, Decimal, string][] = [
    ["ROUND(1.005, 2)", decimalRound(d("1.005"), 2), "1.01"],
    ["ROUND(-2.5)", decimalRound(d("-2.5"), 0), "-3"],
    ["ROUND(123.456, -1)", decimalRound(d("123.456"), -1), "120"],
    ["ROUND(1.5, 3)", decimalRound(d("1.5"), 3), "1.500"],
    ["ROUND(1/3, 2)", decimalRound(third, 2), "0.33"],
    ["ROUND(2/3, 10)", decimalRound(twoThirds, 10), "0.6666666660"],
    ["ROUND(155, -1)", decimalRound(d("155"), -1), "160"],
    ["ROUND(-0.4)", decimalRound(d("-0.4"), 0), "0"],
    ["ROUND(99.95, 1)", decimalRound(d("99.95"), 1), "100.0"],
    ["CEIL(1.2)", decimalCeil(d("1.2")), "2"],
    ["CEIL(-1.2)", decimalCeil(d("-1.2")), "-1"],
    ["FLOOR(-1.2)", decimalFloor(d("-1.2")), "-2"],
    ["CEIL(1/3)", decimalCeil(third), "1"],
    ["ABS(-1.50)", decimalAbs(d("-1.50")), "1.50"],
    ["ABS(-1/3)", decimalAbs(decimalDivide(d("-1"), d("3"))!), "0.3333"],
    ["TRUNCATE(1.999, 2)", decimalTruncate(d("1.999"), 2), "1.99"],
    ["TRUNCATE(-1.999, 1)", decimalTruncate(d("-1.999"), 1), "-1.9"],
    ["ROUND(5, -1000000000)", decimalRound(d("5"), -1e9), "0"],
    ["GREATEST(1.5, 2)", decimalExtreme([d("1.5"), d("2")], true), "2.0"],
    ["LEAST(0.1, 1/3)", decimalExtreme([d("0.1"), third], false), "0.1000"],
  ];
  for (const [text, value, expected] of cases) {
    test(`${text} is ${expected}`, () => assert.equal(String(value), expected));
  }
});

describe("decimal parsing is bounded", () => {
  test("a tiny exponent is zero, a huge one no decimal, without building huge numbers", () => {
    assert.equal(parseDecimal("1e-999999999")!.unscaled, 0n);
    assert.equal(parseDecimal("1e999999999"), null);
    assert.equal(parseDecimal("1e99999999999999999999999"), null);
  });
  test("a literal with 100,000 fraction digits keeps 81 of them, rounded", () => {
    const text = "0." + "3".repeat(100_000);
    const value = parseDecimal(text)!;
    assert.equal(value.scale, 81);
    assert.equal(String(parseDecimal("0." + "0".repeat(81) + "5")), "0." + "0".repeat(80) + "1");
  });
});

describe("doubles too large for a decimal", () => {
  test("DATE_ADD and FROM_UNIXTIME of 1e300 are NULL, not a crash", () => {
    assert.equal(evaluate("DATE_ADD('2024-01-01', INTERVAL 1e300 DAY)"), "NULL");
    assert.equal(evaluate("FROM_UNIXTIME(1e300)"), "NULL");
    assert.equal(evaluate("FROM_UNIXTIME(-1e300)"), "NULL");
  });
});
