/**
 * JSON documents for the JSON functions: text → a tree that keeps MySQL's
 * number kinds (integer or double), and a tree → text in MySQL's output
 * form (`{"a": 1, "b": [1, 2]}`: a space after `:` and `,`, object keys
 * sorted by length then bytes, doubles with a fraction or exponent).
 *
 * JSON text (a JSON column, a string) → parseJson → JsonValue → json_path.ts
 *                                                             → jsonToText
 *
 * Differences from MySQL kept on purpose: a number in a document keeps its
 * kind (integer up to 64 bits, else double) but a double prints in
 * JavaScript's shortest form with MySQL's `e` spelling (`1e20`, `1.5e-7`),
 * and integral doubles get `.0` below 1e15 (`100.0`).
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";

/** Deepest nesting of arrays and objects in a document (MySQL's limit). */
export const jsonDepthMax = 100;

/** A JSON value: objects are Maps in document order (a repeated key keeps the last value). */
export type JsonValue =
  | null
  | boolean
  | string
  | JsonInteger
  | JsonDouble
  | JsonValue[]
  | Map<string, JsonValue>;

/** An integer of a document (MySQL's INTEGER / UNSIGNED INTEGER). */
export interface JsonInteger {
  readonly integer: bigint;
}

/** A number with a fraction or exponent, or beyond 64 bits (MySQL's DOUBLE). */
export interface JsonDouble {
  readonly double: number;
}

const int64Min = -(1n << 63n);
const uint64Max = (1n << 64n) - 1n;

class JsonSyntaxError extends Error {
  constructor(readonly detail: string, readonly at: number) {
    super(detail);
  }
}

class Reader {
  at = 0;
  constructor(readonly text: string) {}

  fail(detail: string): never {
    throw new JsonSyntaxError(detail, this.at);
  }

  skipSpace(): void {
    const text = this.text;
    while (this.at < text.length) {
      const code = text.charCodeAt(this.at);
      if (code !== 32 && code !== 9 && code !== 10 && code !== 13) break;
      this.at++;
    }
  }

  value(depth: number): JsonValue {
    this.skipSpace();
    const code = this.text.charCodeAt(this.at);
    if (code === 123 || code === 91) {
      if (depth >= jsonDepthMax) this.fail(`document nested deeper than ${jsonDepthMax}`);
      return code === 123 ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (code === 34) return this.string();
    if (code === 45 || (code >= 48 && code <= 57)) return this.number();
    for (const [word, value] of literals) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    return this.fail(
      this.at >= this.text.length ? "unexpected end of text" : "unexpected character",
    );
  }

  object(depth: number): Map<string, JsonValue> {
    this.at++;
    const map = new Map<string, JsonValue>();
    this.skipSpace();
    if (this.text.charCodeAt(this.at) === 125) {
      this.at++;
      return map;
    }
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.at) !== 34) this.fail("expected a key");
      const key = this.string();
      this.skipSpace();
      if (this.text.charCodeAt(this.at) !== 58) this.fail("expected ':'");
      this.at++;
      const value = this.value(depth);
      map.delete(key);
      map.set(key, value);
      this.skipSpace();
      const next = this.text.charCodeAt(this.at++);
      if (next === 125) return map;
      if (next !== 44) this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): JsonValue[] {
    this.at++;
    const items: JsonValue[] = [];
    this.skipSpace();
    if (this.text.charCodeAt(this.at) === 93) {
      this.at++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipSpace();
      const next = this.text.charCodeAt(this.at++);
      if (next === 93) return items;
      if (next !== 44) this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const text = this.text;
    let at = this.at + 1;
    let out = "";
    let runStart = at;
    for (;;) {
      if (at >= text.length) this.fail("unterminated string");
      const code = text.charCodeAt(at);
      if (code === 34) break;
      if (code < 0x20) {
        this.at = at;
        this.fail("control character in a string");
      }
      if (code !== 92) {
        at++;
        continue;
      }
      out += text.slice(runStart, at);
      const escape = text[at + 1];
      if (escape === "u") {
        const hex = text.slice(at + 2, at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.at = at;
          this.fail("bad \\u escape");
        }
        out += String.fromCharCode(parseInt(hex, 16));
        at += 6;
      } else {
        const decoded = escape === undefined ? undefined : escapes[escape];
        if (decoded === undefined) {
          this.at = at;
          this.fail("bad escape");
        }
        out += decoded;
        at += 2;
      }
      runStart = at;
    }
    out += text.slice(runStart, at);
    this.at = at + 1;
    // A lone surrogate (from "\ud800") is no character: invalid, as in MySQL.
    if (!out.isWellFormed()) this.fail("lone surrogate in a string");
    return out;
  }

  number(): JsonInteger | JsonDouble {
    numberPattern.lastIndex = this.at;
    const match = numberPattern.exec(this.text);
    if (match === null) return this.fail("bad number");
    this.at += match[0].length;
    if (match[1] === undefined && match[2] === undefined) {
      const integer = BigInt(match[0]);
      if (integer >= int64Min && integer <= uint64Max) return { integer };
    }
    const double = Number(match[0]);
    if (!Number.isFinite(double)) this.fail("number out of range");
    return { double: double === 0 ? 0 : double };
  }
}

const literals: [string, JsonValue][] = [["true", true], ["false", false], ["null", null]];
const numberPattern = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const escapes: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  "b": "\b",
  "f": "\f",
  "n": "\n",
  "r": "\r",
  "t": "\t",
};

/**
 * Parses JSON text, or returns a one-sentence reason why it is not JSON.
 *
 * @example
 * ```ts
 * const parsed = tryParseJson('{"a": [1, 2.5]}');
 * console.log(parsed.ok); // true
 * ```
 */
export function tryParseJson(
  text: string,
): { ok: true; value: JsonValue } | { ok: false; detail: string; at: number } {
  const reader = new Reader(text);
  try {
    const value = reader.value(0);
    reader.skipSpace();
    if (reader.at < text.length) reader.fail("text after the document");
    return { ok: true, value };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, detail: error.detail, at: error.at };
    throw error;
  }
}

/**
 * Parses a function's JSON argument; invalid text is
 * ER_INVALID_JSON_TEXT_IN_PARAM naming the argument and function (MySQL's
 * error 3141).
 */
export function parseJsonArgument(text: string, argument: number, functionName: string): JsonValue {
  const parsed = tryParseJson(text);
  if (parsed.ok) return parsed.value;
  throw new QueueError(
    "ER_INVALID_JSON_TEXT_IN_PARAM",
    `Invalid JSON text in argument ${argument} to function ${functionName}: "${parsed.detail}" at position ${parsed.at}`,
  );
}

/** Whether a JSON value is an object. */
export function isJsonObject(value: JsonValue): value is Map<string, JsonValue> {
  return value instanceof Map;
}

/** MySQL's JSON_TYPE name of a value. */
export function jsonTypeName(value: JsonValue): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return "BOOLEAN";
  if (typeof value === "string") return "STRING";
  if (Array.isArray(value)) return "ARRAY";
  if (value instanceof Map) return "OBJECT";
  if ("integer" in value) return value.integer > (1n << 63n) - 1n ? "UNSIGNED INTEGER" : "INTEGER";
  return "DOUBLE";
}

/** A string as a JSON string literal: `"`, `\` and control characters escaped. */
export function quoteJsonString(text: string): string {
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code !== 34 && code !== 92) continue;
    out += text.slice(runStart, i) + escapeOf(code);
    runStart = i + 1;
  }
  return out + text.slice(runStart) + '"';
}

function escapeOf(code: number): string {
  switch (code) {
    case 34:
      return '\\"';
    case 92:
      return "\\\\";
    case 8:
      return "\\b";
    case 12:
      return "\\f";
    case 10:
      return "\\n";
    case 13:
      return "\\r";
    case 9:
      return "\\t";
    default:
      return "\\u" + code.toString(16).padStart(4, "0");
  }
}

function doubleText(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return `${value}.0`;
  const text = Math.abs(value) >= 1e15 ? value.toExponential() : String(value);
  return text.replace("e+", "e");
}

/** MySQL's key order: shorter keys first, then by UTF-8 bytes (code points). */
/** The code point of a one-character string (as Array.from splits a string). */
function codePoint(character: string): number {
  return defined(character.codePointAt(0), "a character has a code point");
}

function compareKeys(a: string, b: string): number {
  const lengthA = new TextEncoder().encode(a).length;
  const lengthB = new TextEncoder().encode(b).length;
  if (lengthA !== lengthB) return lengthA - lengthB;
  const x = Array.from(a, codePoint);
  const y = Array.from(b, codePoint);
  for (let i = 0; i < x.length && i < y.length; i++) {
    const difference = defined(x[i], "i < length") - defined(y[i], "i < length");
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * A value as MySQL prints JSON: `{"a": 1, "b": [true, null]}`.
 *
 * @example
 * ```ts
 * const parsed = tryParseJson('{"b":[1,2],"a":"x"}');
 * if (parsed.ok) console.log(jsonToText(parsed.value)); // {"a": "x", "b": [1, 2]}
 * ```
 */
export function jsonToText(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return quoteJsonString(value);
  if (Array.isArray(value)) return `[${value.map(jsonToText).join(", ")}]`;
  if (value instanceof Map) {
    const keys = Array.from(value.keys()).sort(compareKeys);
    return `{${
      keys.map((key) => `${quoteJsonString(key)}: ${jsonToText(value.get(key)!)}`).join(", ")
    }}`;
  }
  if ("integer" in value) return String(value.integer);
  return doubleText(value.double);
}
