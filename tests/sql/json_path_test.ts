// JSON paths (src/sql/json_path.ts): the supported syntax, evaluation over
// documents, and clear errors for what is not supported.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { jsonToText, tryParseJson } from "../../src/sql/json.ts";
import { evaluateJsonPath, parseJsonPath } from "../../src/sql/json_path.ts";

const document = `{"a": {"b": [10, {"c": "x"}], "d e": 1}, "f": [[1, 2], [3]], "g": null,
  "é": true, "c": 0}`;

function select(path: string): string[] {
  const parsed = tryParseJson(document);
  assert.ok(parsed.ok);
  return evaluateJsonPath(parsed.value, parseJsonPath(path)).map(jsonToText);
}

describe("JSON paths", () => {
  test("members, quoted members, indexes and spaces between legs", () => {
    const cases: [string, string[]][] = [
      ["$", [jsonToText((tryParseJson(document) as { ok: true; value: never }).value)]],
      ["$.a.b[0]", ["10"]],
      ["$.a.b[1].c", ['"x"']],
      ['$.a."d e"', ["1"]],
      ['$."a"."b"[1]."c"', ['"x"']],
      ["$.é", ["true"]],
      ["$.g", ["null"]],
      ["$.f[1][0]", ["3"]],
      [" $ . a . b [ 0 ] ", ["10"]],
      ["$.a.b[5]", []],
      ["$.nope", []],
      ["$.a.b.c", []],
      ["$.f[0][0][0]", ["1"]],
      ["$.g[0]", ["null"]],
      ["$.a[0].b[0]", ["10"]],
      ["$.a[1]", []],
      ['$."\\u0063"', ["0"]],
    ];
    for (const [path, expected] of cases) assert.deepEqual(select(path), expected, path);
  });

  test("wildcards: .*, [*] and **", () => {
    assert.deepEqual(select("$.f[*]"), ["[1, 2]", "[3]"]);
    assert.deepEqual(select("$.f[*][*]"), ["1", "2", "3"]);
    assert.deepEqual(select("$.a.*"), ['[10, {"c": "x"}]', "1"]);
    assert.deepEqual(new Set(select("$**.c")), new Set(['"x"', "0"]));
    assert.deepEqual(select("$.g[*]"), []);
    assert.equal(parseJsonPath("$.a").wildcard, false);
    assert.equal(parseJsonPath("$**.a").wildcard, true);
  });

  test("bad syntax is ER_INVALID_JSON_PATH with the position", () => {
    for (
      const path of [
        "",
        "a",
        "$.",
        "$a",
        "$.1a",
        "$[",
        "$[-1]",
        "$[1",
        "$[a]",
        '$."unterminated',
        "$.a**",
        "$**",
        "$..a",
        "$.a b",
        "$[1.5]",
      ]
    ) {
      assert.throws(() => parseJsonPath(path), (error: unknown) => {
        const { code, message } = error as { code: string; message: string };
        assert.equal(code, "ER_INVALID_JSON_PATH", path);
        assert.match(message, /character position \d+/);
        return true;
      }, path);
    }
  });

  test("[last], [last-n] and ranges, on arrays and (as an array of one) on scalars", () => {
    const cases: [string, string[]][] = [
      ["$.a.b[last]", ['{"c": "x"}']],
      ["$.a.b[last-1]", ["10"]],
      ["$.a.b[last - 1]", ["10"]],
      ["$.a.b[last-2]", []],
      ["$.f[0 to 1]", ["[1, 2]", "[3]"]],
      ["$.f[0 to last]", ["[1, 2]", "[3]"]],
      ["$.f[last to last]", ["[3]"]],
      ["$.f[1 to 9]", ["[3]"]],
      ["$.f[1 to 0]", []],
      ["$.f[*][last]", ["2", "3"]],
      ["$.c[last]", ["0"]],
      ["$.c[0 to 3]", ["0"]],
    ];
    for (const [path, expected] of cases) assert.deepEqual(select(path), expected, path);
    assert.equal(parseJsonPath("$[last-1]").wildcard, false);
    assert.equal(parseJsonPath("$[0 to 1]").wildcard, true);
    for (
      const path of ["$[last-]", "$[last+1]", "$[1 to]", "$[lastx]", "$[to 2]", "$[1 to 2 to 3]"]
    ) {
      assert.throws(() => parseJsonPath(path), { code: "ER_INVALID_JSON_PATH" }, path);
    }
  });
});

describe("JSON text", () => {
  test("MySQL's output form: spaces, sorted keys, number kinds", () => {
    const cases: [string, string][] = [
      ['{"b":1,"a":2,"aa":3}', '{"a": 2, "b": 1, "aa": 3}'],
      [
        "[1,-0,1.50,1e2,12345678901234567890,123456789012345678901]",
        "[1, 0, 1.5, 100.0, 12345678901234567890, 1.2345678901234568e20]",
      ],
      ['"tab\\there\\u0001"', '"tab\\there\\u0001"'],
      ['"\\/"', '"/"'],
      ["[]", "[]"],
      ["{}", "{}"],
    ];
    for (const [text, expected] of cases) {
      const parsed = tryParseJson(text);
      assert.ok(parsed.ok, text);
      assert.equal(jsonToText(parsed.value), expected, text);
    }
  });

  test("invalid documents are refused with a reason", () => {
    for (
      const text of ["", "{", "[1,]", "{'a':1}", "01", "1.", "nul", '"\u0001"', "[1] x", "+1", ".5"]
    ) {
      const parsed = tryParseJson(text);
      assert.equal(parsed.ok, false, JSON.stringify(text));
    }
  });
});
