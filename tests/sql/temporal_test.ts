// Tests for src/sql/temporal.ts: parsing with strict validation, MySQL's
// text and numeric forms, calendar math, INTERVAL arithmetic, the clock.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  addInterval,
  civilFromDays,
  daysFromCivil,
  fromUnixTime,
  now,
  numberToDateTime,
  parseDateTime,
  parseTime,
  setClock,
  Temporal,
  unixTimestamp,
} from "../../src/sql/temporal.ts";
import { Decimal, parseDecimal } from "../../src/sql/decimal.ts";
import { compileExpr } from "../../src/sql/compile.ts";
import { parseExpression } from "../../src/sql/parser.ts";
import { QueueError } from "../../src/errors.ts";

function datetime(text: string, fsp = 6): Temporal {
  const value = parseDateTime(text, "datetime", fsp);
  assert.ok(value !== null, text);
  return value;
}

describe("calendar", () => {
  test("days from 1970 and back agree for every day of years 0..9999 sampled", () => {
    for (let days = daysFromCivil(0, 1, 1); days < daysFromCivil(10000, 1, 1); days += 997) {
      const [year, month, day] = civilFromDays(days);
      assert.equal(daysFromCivil(year, month, day), days);
    }
    assert.equal(daysFromCivil(1970, 1, 1), 0);
    assert.deepEqual(civilFromDays(19782), [2024, 2, 29]);
  });
});

describe("parsing dates and datetimes", () => {
  const good: [string, string][] = [
    ["2024-01-02", "2024-01-02 00:00:00"],
    ["2024-1-2 3:4:5", "2024-01-02 03:04:05"],
    ["2024/01/02T03:04:05", "2024-01-02 03:04:05"],
    ["20240102", "2024-01-02 00:00:00"],
    ["20240102030405", "2024-01-02 03:04:05"],
    ["24-01-02", "2024-01-02 00:00:00"],
    ["99-01-02", "1999-01-02 00:00:00"],
    ["2024-02-29 23:59:59.9999995", "2024-03-01 00:00:00"],
    ["0001-01-01", "0001-01-01 00:00:00"],
    ["9999-12-31 23:59:59", "9999-12-31 23:59:59"],
  ];
  for (const [text, shown] of good) {
    test(`'${text}' is ${shown}`, () => assert.equal(String(datetime(text, 0)), shown));
  }
  const bad = [
    "",
    "2024-02-30",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "0000-00-00",
    "2024-01-01 24:00:00",
    "2024-01-01 10:60",
    "2024-01-01x",
    "abc",
    "9999-12-31 23:59:59.9999999",
  ];
  for (const text of bad) {
    test(`'${text}' is no datetime`, () => assert.equal(parseDateTime(text, "datetime"), null));
  }
  test("the fraction shows fsp digits and rounds", () => {
    assert.equal(String(datetime("2024-01-02 03:04:05.123456", 3)), "2024-01-02 03:04:05.123");
    assert.equal(String(datetime("2024-01-02 03:04:05.1235", 3)), "2024-01-02 03:04:05.124");
  });
  test("numbers: YYYYMMDD, YYMMDD and YYYYMMDDhhmmss", () => {
    assert.equal(String(numberToDateTime(20240102, "date")), "2024-01-02");
    assert.equal(String(numberToDateTime(240102, "date")), "2024-01-02");
    assert.equal(
      String(numberToDateTime(20240102030405, "datetime")),
      "2024-01-02 03:04:05",
    );
    assert.equal(numberToDateTime(2024010, "date"), null);
    assert.equal(numberToDateTime(-20240102, "date"), null);
  });
});

describe("parsing times", () => {
  const good: [string, string][] = [
    ["10:00", "10:00:00"],
    ["-10:00:01.5", "-10:00:01.5"],
    ["838:59:59", "838:59:59"],
    ["-838:59:59", "-838:59:59"],
    ["1 10:00", "34:00:00"],
    ["123", "00:01:23"],
    ["101010", "10:10:10"],
  ];
  for (const [text, shown] of good) {
    test(`'${text}' is ${shown}`, () => {
      const value = parseTime(text, text.includes(".") ? 1 : 0);
      assert.equal(String(value), shown);
    });
  }
  for (const text of ["839:00:00", "10:60", "10:00:60", "abc", "1:2:3:4"]) {
    test(`'${text}' is no time`, () => assert.equal(parseTime(text), null));
  }
});

describe("numeric forms", () => {
  test("a date, a datetime and a time as MySQL's numbers", () => {
    assert.equal(parseDateTime("2024-01-02", "date")!.toNumeric(), 20240102);
    assert.equal(datetime("2024-01-02 03:04:05", 0).toNumeric(), 20240102030405);
    assert.equal(String(datetime("2024-01-02 03:04:05.5", 1).toNumeric()), "20240102030405.5");
    assert.equal(parseTime("-01:02:03")!.toNumeric(), -10203);
  });
});

describe("INTERVAL arithmetic", () => {
  const amount = (text: string): Decimal => parseDecimal(text)!;
  test("months clamp the day to the month's end", () => {
    const jan31 = parseDateTime("2024-01-31", "date")!;
    assert.equal(String(addInterval(jan31, amount("1"), "MONTH")), "2024-02-29");
    assert.equal(String(addInterval(jan31, amount("13"), "MONTH")), "2025-02-28");
    assert.equal(String(addInterval(jan31, amount("-1"), "QUARTER")), "2023-10-31");
  });
  test("a DATE plus a time unit becomes a DATETIME; plus days stays a DATE", () => {
    const day = parseDateTime("2024-01-01", "date")!;
    assert.equal(String(addInterval(day, amount("1"), "HOUR")), "2024-01-01 01:00:00");
    assert.equal(String(addInterval(day, amount("1.5"), "DAY")), "2024-01-03");
    assert.equal(String(addInterval(day, amount("-1.5"), "DAY")), "2023-12-30");
    assert.equal(String(addInterval(day, amount("1.5"), "SECOND")), "2024-01-01 00:00:01.5");
  });
  test("leaving years 0..9999 is NULL", () => {
    const last = parseDateTime("9999-12-31", "date")!;
    assert.equal(addInterval(last, amount("1"), "DAY"), null);
  });
  test("microseconds carry into seconds and back", () => {
    const value = datetime("2024-01-01 10:00:00", 0);
    assert.equal(
      String(addInterval(value, amount("-1"), "MICROSECOND")),
      "2024-01-01 09:59:59.999999",
    );
  });
});

describe("unix time and the clock", () => {
  test("UNIX_TIMESTAMP and FROM_UNIXTIME are inverse, in UTC", () => {
    assert.equal(unixTimestamp(datetime("2024-01-01 00:00:00", 0)), 1704067200);
    assert.equal(String(unixTimestamp(datetime("2024-01-01 00:00:00.25", 2))), "1704067200.25");
    assert.equal(String(fromUnixTime(parseDecimal("1.5")!)), "1970-01-01 00:00:01.5");
    assert.equal(fromUnixTime(parseDecimal("-1")!), null);
  });
  test("NOW() reads the clock once per synchronous run and truncates to fsp", async () => {
    let micros = Date.UTC(2030, 0, 1) * 1000 + 123456;
    setClock(() => micros++);
    try {
      assert.equal(String(now(0)), "2030-01-01 00:00:00");
      assert.equal(String(now(6)), "2030-01-01 00:00:00.123456");
      assert.equal(String(now(3)), "2030-01-01 00:00:00.123");
      await Promise.resolve();
      micros += 2_000_000;
      assert.equal(String(now(0)), "2030-01-01 00:00:02");
    } finally {
      setClock(null);
    }
  });
});

describe("temporal parsing is bounded", () => {
  test("a megabyte of digits is no date or time, found without backtracking", () => {
    const digits = "1".repeat(1 << 20);
    assert.equal(parseTime(digits), null);
    assert.equal(parseTime(" ".repeat(1 << 20) + "1"), null);
    assert.equal(parseDateTime(digits, "datetime"), null);
    assert.equal(parseTime("9".repeat(60)), null);
  });
});

describe("typed literals DATE '…', TIME '…', TIMESTAMP '…'", () => {
  const evaluate = (text: string): string =>
    String(compileExpr(parseExpression(text), { columnIndex: () => -1 })([], []));
  const cases: [string, string][] = [
    ["DATE '2024-01-02'", "2024-01-02"],
    ["DATE '2024-1-2'", "2024-01-02"],
    ["TIMESTAMP '2024-01-02 03:04:05.5'", "2024-01-02 03:04:05.5"],
    ["TIME '10:00'", "10:00:00"],
    ["DATE '2024-01-02' + INTERVAL 1 DAY", "2024-01-03"],
  ];
  for (const [text, expected] of cases) {
    test(`${text} is ${expected} (MariaDB 10.11)`, () => assert.equal(evaluate(text), expected));
  }
  test("an invalid one is ER_WRONG_VALUE at parse time", () => {
    assert.throws(
      () => parseExpression("DATE '2024-02-30'"),
      (error: unknown) => error instanceof QueueError && error.code === "ER_WRONG_VALUE",
    );
  });
});
