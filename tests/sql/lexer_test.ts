// Tests for src/sql/lexer.ts: token kinds, literal values, escapes, comments, positions.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Decimal } from "../../src/sql/decimal.ts";
import { tokenize } from "../../src/sql/lexer.ts";
import { QueueError } from "../../src/errors.ts";

function kinds(text: string): string[] {
  return tokenize(text).map((token) => token.kind);
}

function valueOf(text: string): unknown {
  const tokens = tokenize(text);
  assert.equal(tokens.length, 2, `one token expected in ${text}`);
  return tokens[0]?.value;
}

describe("lexer", () => {
  test("keywords are words matched upper-cased", () => {
    const [token] = tokenize("sElEcT");
    assert.ok(token !== undefined);
    assert.equal(token.kind, "word");
    assert.equal(token.upper, "SELECT");
  });

  const literals: [string, unknown][] = [
    ["42", 42],
    ["010", 10],
    ["9007199254740993", 9007199254740993n],
    ["18446744073709551615", 18446744073709551615n],
    ["18446744073709551616", new Decimal(18446744073709551616n, 0)],
    ["1.5", new Decimal(15n, 1)],
    [".5", new Decimal(5n, 1)],
    ["1.", new Decimal(1n, 0)],
    [`1${"0".repeat(70)}.5`, 1e70],
    ["1e3", 1000],
    ["2.5E-1", 0.25],
    ["'it''s'", "it's"],
    ['"say ""hi"""', 'say "hi"'],
    ["'a\\nb\\tc\\0d\\Ze'", "a\nb\tc\0d\x1ae"],
    ["'\\'\\\"\\\\\\b\\r'", "'\"\\\b\r"],
    ["'\\%\\_'", "\\%\\_"],
    ["'\\x'", "x"],
    ["'héllo 😀'", "héllo 😀"],
    ["`a``b`", "a`b"],
    ["0x4142", new Uint8Array([0x41, 0x42])],
    ["0x1", new Uint8Array([0x01])],
    ["X'4142'", new Uint8Array([0x41, 0x42])],
    ["x''", new Uint8Array([])],
  ];
  for (const [text, expected] of literals) {
    test(`literal ${text} decodes to ${String(expected)}`, () => {
      assert.deepEqual(valueOf(text), expected);
    });
  }

  test("a word may start with digits (MySQL's 1abc), 0x with non-hex is a word", () => {
    assert.deepEqual(kinds("1abc 0xZZ"), ["word", "word", "end"]);
  });

  test("operators are matched longest first", () => {
    const texts = tokenize("<=> <= <> != << >> || && = < > ! ~ ^").map((token) => token.text);
    assert.deepEqual(texts, [
      "<=>",
      "<=",
      "<>",
      "!=",
      "<<",
      ">>",
      "||",
      "&&",
      "=",
      "<",
      ">",
      "!",
      "~",
      "^",
      "",
    ]);
  });

  test("comments are skipped: '-- ', '#', '/* */'; '--' without space is two minus signs", () => {
    assert.deepEqual(kinds("1 -- c\n2 # c\n3 /* c\n */ 4"), [
      "integer",
      "integer",
      "integer",
      "integer",
      "end",
    ]);
    assert.deepEqual(kinds("1--2").slice(0, 4), ["integer", "op", "op", "integer"]);
    assert.deepEqual(kinds("1 --"), ["integer", "end"]);
  });

  test("? is a parameter token outside strings only", () => {
    assert.deepEqual(kinds("? '?' `?`"), ["param", "string", "quoted", "end"]);
  });

  test("positions: index, UTF-8 byte offset and line", () => {
    const tokens = tokenize("'é'\n  x");
    assert.equal(tokens[1]?.start, 6);
    assert.equal(tokens[1]?.byteStart, 7);
    assert.equal(tokens[1]?.line, 2);
  });

  const errors: [string, number][] = [
    ["'abc", 0],
    ["SELECT `abc", 7],
    ["SELECT /* x", 7],
    ["SELECT X'4'", 7],
    ["SELECT X'zz'", 7],
    ["SELECT 1 @", 9],
    ["'é' @", 5],
  ];
  for (const [text, position] of errors) {
    test(`${JSON.stringify(text)} is ER_PARSE_ERROR at byte ${position}`, () => {
      assert.throws(() => tokenize(text), (error: unknown) => {
        assert.ok(error instanceof QueueError);
        assert.equal(error.code, "ER_PARSE_ERROR");
        assert.equal(error.position, position);
        assert.match(
          error.message,
          /^You have an error in your SQL syntax; .* near '.*' at line 1$/,
        );
        return true;
      });
    });
  }

  test("text longer than statementBytesMax is ER_PARSE_ERROR", () => {
    assert.throws(() => tokenize("x".repeat(1024 * 1024 + 1)), { code: "ER_PARSE_ERROR" });
  });
});

test("executable comments run by version; others stay comments", () => {
  const words = (sql: string) =>
    tokenize(sql).filter((t) => t.kind !== "end").map((t) => t.text).join(" ");
  assert.equal(words("/*!40100 SELECT 1, '' */"), "SELECT 1 , ''");
  assert.equal(words("SELECT /*!40001 SQL_NO_CACHE */ * FROM t"), "SELECT SQL_NO_CACHE * FROM t");
  assert.equal(words("SELECT 1 /*! + 2 */"), "SELECT 1 + 2");
  assert.equal(words("SELECT 1 /*!90000 + 2 */"), "SELECT 1");
  assert.equal(words("SELECT 1 /*M!100616 + 2 */ /*M!999999\\- sandbox */"), "SELECT 1");
  assert.equal(words("SELECT '/*!40101 x */' /* !1 */"), "SELECT '/*!40101 x */'");
  // Unterminated, it is an unterminated comment, as an ordinary one.
  assert.throws(() => tokenize("/*!40101 SELECT 1"), /unterminated comment/);
  // Positions stay those of the original text.
  const token = tokenize("/*!40101 SELECT */")[0];
  assert.ok(token !== undefined);
  assert.equal(token.start, 9);
});
