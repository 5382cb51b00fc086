// Tests for src/sql/values.ts: checkValue per column type, bindValue per JS type.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { bindValue, checkValue } from "../../src/sql/values.ts";
import { ident } from "../../src/sql/identifier.ts";
import type { ColumnDef, ColumnType, Value } from "../../src/sql/ast.ts";

function column(type: ColumnType, notNull = false): ColumnDef {
  return { name: "c", type, notNull, typeText: "" };
}

const int = (bits: 8 | 16 | 24 | 32 | 64, unsigned = false): ColumnDef =>
  column({ kind: "int", bits, unsigned });
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("checkValue", () => {
  const accepted: [string, ColumnDef, Value, Value][] = [
    ["TINYINT min", int(8), -128, -128],
    ["TINYINT max", int(8), 127, 127],
    ["TINYINT UNSIGNED max", int(8, true), 255, 255],
    ["SMALLINT", int(16), -32768, -32768],
    ["MEDIUMINT UNSIGNED", int(24, true), 16777215, 16777215],
    ["INT", int(32), 2147483647, 2147483647],
    ["INT UNSIGNED", int(32, true), 4294967295, 4294967295],
    ["BIGINT min", int(64), -9223372036854775808n, -9223372036854775808n],
    ["BIGINT UNSIGNED max", int(64, true), 18446744073709551615n, 18446744073709551615n],
    ["small bigint normalised to number", int(64), 5n, 5],
    ["integer text", int(32), " -42 ", -42],
    ["big integer text", int(64, true), "18446744073709551615", 18446744073709551615n],
    ["float rounds half away from zero", int(32), 2.5, 3],
    ["negative float rounds half away from zero", int(32), -2.5, -3],
    ["boolean", int(8), true, 1],
    ["bytes of integer text", int(8), bytes("12"), 12],
    ["NULL in a nullable column", int(8), null, null],
    ["FLOAT", column({ kind: "float", double: false }), 1.5, 1.5],
    ["DOUBLE from text", column({ kind: "float", double: true }), "1e3", 1000],
    ["DOUBLE from bigint", column({ kind: "float", double: true }), 2n ** 60n, 2 ** 60],
    [
      "CHAR strips trailing spaces",
      column({ kind: "char", length: 4, variable: false }),
      "ab  ",
      "ab",
    ],
    [
      "VARCHAR keeps trailing spaces",
      column({ kind: "char", length: 4, variable: true }),
      "ab  ",
      "ab  ",
    ],
    [
      "VARCHAR counts code points",
      column({ kind: "char", length: 2, variable: true }),
      "😀é",
      "😀é",
    ],
    [
      "VARCHAR cuts excess spaces",
      column({ kind: "char", length: 2, variable: true }),
      "ab   ",
      "ab",
    ],
    ["VARCHAR from number", column({ kind: "char", length: 4, variable: true }), 12, "12"],
    ["TEXT from UTF-8 bytes", column({ kind: "text", bytesMax: 255 }), bytes("héllo"), "héllo"],
    [
      "TINYTEXT at its limit",
      column({ kind: "text", bytesMax: 255 }),
      "é".repeat(127) + "a",
      "é".repeat(127) + "a",
    ],
    [
      "BINARY pads with zeros",
      column({ kind: "binary", length: 4, variable: false }),
      "ab",
      new Uint8Array([0x61, 0x62, 0, 0]),
    ],
    [
      "VARBINARY does not pad",
      column({ kind: "binary", length: 4, variable: true }),
      "ab",
      new Uint8Array([0x61, 0x62]),
    ],
    [
      "BLOB from string",
      column({ kind: "blob", bytesMax: 255 }),
      "é",
      new Uint8Array([0xc3, 0xa9]),
    ],
    ["JSON text", column({ kind: "json" }), '{"a": [1, 2]}', '{"a": [1, 2]}'],
    ["JSON number", column({ kind: "json" }), 5, "5"],
  ];
  for (const [name, target, value, expected] of accepted) {
    test(`accepts ${name}`, () => assert.deepEqual(checkValue(target, value), expected));
  }

  const rejected: [string, ColumnDef, Value, string][] = [
    ["NULL in NOT NULL", int(8, false), null, "ER_BAD_NULL_ERROR"],
    ["TINYINT 128", int(8), 128, "ER_WARN_DATA_OUT_OF_RANGE"],
    ["TINYINT -129", int(8), -129, "ER_WARN_DATA_OUT_OF_RANGE"],
    ["TINYINT UNSIGNED -1", int(8, true), -1, "ER_WARN_DATA_OUT_OF_RANGE"],
    ["TINYINT 127.5 rounds to 128", int(8), 127.5, "ER_WARN_DATA_OUT_OF_RANGE"],
    ["INT UNSIGNED 2^32", int(32, true), 4294967296, "ER_WARN_DATA_OUT_OF_RANGE"],
    ["BIGINT 2^63", int(64), 9223372036854775808n, "ER_WARN_DATA_OUT_OF_RANGE"],
    ["BIGINT 1e30", int(64), 1e30, "ER_WARN_DATA_OUT_OF_RANGE"],
    ["integer from '12abc'", int(32), "12abc", "ER_TRUNCATED_WRONG_VALUE"],
    ["integer from '1.5'", int(32), "1.5", "ER_TRUNCATED_WRONG_VALUE"],
    ["integer from ''", int(32), "", "ER_TRUNCATED_WRONG_VALUE"],
    [
      "double from 'abc'",
      column({ kind: "float", double: true }),
      "abc",
      "ER_TRUNCATED_WRONG_VALUE",
    ],
    ["FLOAT 1e39", column({ kind: "float", double: false }), 1e39, "ER_WARN_DATA_OUT_OF_RANGE"],
    [
      "CHAR(2) 'abc'",
      column({ kind: "char", length: 2, variable: false }),
      "abc",
      "ER_DATA_TOO_LONG",
    ],
    [
      "VARCHAR(1) '😀😀'",
      column({ kind: "char", length: 1, variable: true }),
      "😀😀",
      "ER_DATA_TOO_LONG",
    ],
    [
      "TINYTEXT 256 bytes",
      column({ kind: "text", bytesMax: 255 }),
      "é".repeat(128),
      "ER_DATA_TOO_LONG",
    ],
    [
      "TEXT from invalid UTF-8",
      column({ kind: "text", bytesMax: 255 }),
      new Uint8Array([0xff]),
      "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD", // MariaDB: 1366 Incorrect string value: '\xFF'
    ],
    [
      "BINARY(2) 3 bytes",
      column({ kind: "binary", length: 2, variable: false }),
      "abc",
      "ER_DATA_TOO_LONG",
    ],
    [
      "TINYBLOB 256 bytes",
      column({ kind: "blob", bytesMax: 255 }),
      new Uint8Array(256),
      "ER_DATA_TOO_LONG",
    ],
    ["JSON '{a'", column({ kind: "json" }), "{a", "ER_INVALID_JSON_TEXT"],
    [
      "TEXT with a lone high surrogate",
      column({ kind: "text", bytesMax: 255 }),
      "a\ud800b",
      "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
    ],
    [
      "VARCHAR ending in a lone high surrogate",
      column({ kind: "char", length: 8, variable: true }),
      "ab\ud83d",
      "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
    ],
    [
      "CHAR with a lone low surrogate",
      column({ kind: "char", length: 8, variable: false }),
      "\ude00a",
      "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
    ],
    [
      "JSON with a lone surrogate",
      column({ kind: "json" }),
      '"\udfff"',
      "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
    ],
    [
      "BLOB from text with a lone surrogate",
      column({ kind: "blob", bytesMax: 255 }),
      "\ud800",
      "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
    ],
  ];
  for (const [name, target, value, code] of rejected) {
    test(`rejects ${name} with ${code}`, () => {
      assert.throws(
        () =>
          checkValue(name.startsWith("NULL in NOT") ? { ...target, notNull: true } : target, value),
        { code },
      );
    });
  }

  test("a well-formed surrogate pair is stored as it is", () => {
    assert.equal(checkValue(column({ kind: "text", bytesMax: 255 }), "a😀"), "a😀");
    assert.equal(checkValue(column({ kind: "json" }), '"😀"'), '"😀"');
    assert.equal(checkValue(column({ kind: "json" }), '"\\ud83d\\ude00"'), '"\\ud83d\\ude00"');
    assert.equal(checkValue(column({ kind: "json" }), '"\\\\ud800"'), '"\\\\ud800"');
  });

  test("JSON text escaping a lone surrogate is ER_INVALID_JSON_TEXT (MySQL's JSON parser refuses it)", () => {
    for (const text of ['"\\ud800"', '{"\\udc00": 1}', '["\\ud83dx"]']) {
      assert.throws(() => checkValue(column({ kind: "json" }), text), {
        code: "ER_INVALID_JSON_TEXT",
      });
    }
  });

  test("a lone surrogate is named by the bytes MySQL would show", () => {
    assert.throws(() => checkValue(column({ kind: "text", bytesMax: 255 }), "ok😀\ud800"), {
      message: "Incorrect string value: '\\xED\\xA0\\x80' for column 'c'",
    });
  });

  test("error messages name the column", () => {
    assert.throws(() => checkValue({ ...int(8), name: "prio" }, 300), {
      message: "Out of range value for column 'prio'",
    });
    assert.throws(() => checkValue({ ...int(8), name: "prio", notNull: true }, null), {
      message: "Column 'prio' cannot be null",
    });
  });
});

describe("bindValue", () => {
  const accepted: [string, unknown, Value][] = [
    ["number", 1.5, 1.5],
    ["-0 as 0", -0, 0],
    ["small bigint as number", 7n, 7],
    ["large bigint", 2n ** 60n, 2n ** 60n],
    ["string", "x", "x"],
    ["true", true, 1],
    ["false", false, 0],
    ["null", null, null],
    ["bytes", new Uint8Array([1]), new Uint8Array([1])],
    ["plain object as JSON text", { a: [1, "b"] }, '{"a":[1,"b"]}'],
    ["array as JSON text", [1, null], "[1,null]"],
    ["null-prototype object", Object.assign(Object.create(null), { k: 1 }), '{"k":1}'],
  ];
  for (const [name, value, expected] of accepted) {
    test(`binds ${name}`, () => assert.deepEqual(bindValue(value), expected));
  }

  const rejected: [string, unknown][] = [
    ["undefined", undefined],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["bigint beyond 2^64", 2n ** 64n],
    ["bigint below -2^63", -(2n ** 63n) - 1n],
    ["function", () => 1],
    ["symbol", Symbol("x")],
    ["invalid Date", new Date(Number.NaN)],
    ["Map", new Map()],
    ["class instance", new (class Thing {})()],
    ["ident()", ident("t")],
    ["object with a bigint", { a: 1n }],
    [
      "circular object",
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
    ],
  ];
  const throwing = () => {
    throw new Error("trap");
  };
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const revokedArray = Proxy.revocable([1], {});
  revokedArray.revoke();
  rejected.push(
    ["revoked Proxy", revoked.proxy],
    ["revoked Proxy of an array", revokedArray.proxy],
    ["Proxy whose getPrototypeOf throws", new Proxy({}, { getPrototypeOf: throwing })],
    ["Proxy whose get throws", new Proxy({ a: 1 }, { get: throwing })],
    ["Proxy whose ownKeys throws", new Proxy({ a: 1 }, { ownKeys: throwing })],
    ["array Proxy whose get throws", new Proxy([1], { get: throwing })],
  );
  for (const [name, value] of rejected) {
    test(`rejects ${name} with ER_WRONG_ARGUMENTS`, () => {
      assert.throws(() => bindValue(value), { code: "ER_WRONG_ARGUMENTS" });
    });
  }
});

describe("Data too long says what to do", () => {
  const cases: [ColumnType, Value, RegExp][] = [
    [
      { kind: "char", length: 5, variable: true },
      "abcdefg",
      /VARCHAR\(5\) holds at most 5 characters; declare a longer VARCHAR\(n\) .* or TEXT\)$/,
    ],
    [
      { kind: "text", bytesMax: 255 },
      "x".repeat(256),
      /\(TINYTEXT holds at most 255 bytes; use TEXT\)$/,
    ],
    [
      { kind: "text", bytesMax: 65535 },
      "x".repeat(65536),
      /\(TEXT holds at most 65535 bytes; use MEDIUMTEXT\)$/,
    ],
    [
      { kind: "binary", length: 3, variable: true },
      new Uint8Array(4),
      /\(VARBINARY\(3\) holds at most 3 bytes; declare a longer VARBINARY\(n\) or BLOB\)$/,
    ],
    [
      { kind: "blob", bytesMax: 255 },
      new Uint8Array(256),
      /\(TINYBLOB holds at most 255 bytes; use BLOB\)$/,
    ],
  ];
  for (const [type, value, message] of cases) {
    test(`${type.kind} names its limit and the bigger type`, () => {
      assert.throws(() => checkValue(column(type), value), (error: unknown) => {
        assert.equal((error as { code?: string }).code, "ER_DATA_TOO_LONG");
        assert.match((error as Error).message, /^Data too long for column 'c' \(/);
        assert.match((error as Error).message, message);
        return true;
      });
    });
  }
});
