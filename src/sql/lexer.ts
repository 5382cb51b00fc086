/**
 * The SQL lexer: text → tokens with positions (UTF-16 index for slicing,
 * UTF-8 byte offset for errors, line and column). First step of
 * text → (lexer) → tokens → (parser) → Statement.
 *
 * MySQL's lexical rules: case-insensitive keywords (kept as `word` tokens,
 * the parser compares upper-cased text), back-quoted identifiers with ``` `` ```
 * for a back-quote, '…' and "…" strings with MySQL's backslash escapes and
 * doubled quotes, integer, decimal, exponent and hex (`0x…`, `X'…'`)
 * literals, comments `-- ` (dash dash space), `#` and `/* … *\/`, and `?`.
 * `->` and `->>` (JSON access) are operators, as in MySQL 5.7+.
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import { statementBytesMax } from "../limits.ts";
import { Decimal, integerDigits, parseDecimal } from "./decimal.ts";

/** What a token is. Keywords are `word` tokens; the parser decides. */
export type TokenKind =
  | "word"
  | "quoted"
  | "string"
  | "integer"
  | "float"
  | "hex"
  | "param"
  | "op"
  | "end";

/** One token. `start`/`end` index the JS string; `byteStart`/`byteEnd` its UTF-8 bytes. */
export interface Token {
  kind: TokenKind;
  /** Raw text as written (for `op`: the operator; for `word`: the word). */
  text: string;
  /** Upper-cased text of a `word`, else "". */
  upper: string;
  /**
   * Decoded value: string contents, identifier name, number/bigint, hex
   * bytes; a `float` token without exponent (`0.1`) is an exact Decimal.
   */
  value: string | number | bigint | Uint8Array | Decimal | null;
  start: number;
  end: number;
  byteStart: number;
  byteEnd: number;
  /** 1-based line of the token's start. */
  line: number;
}

/** Character set introducers accepted before a string literal. */
const introducers = new Set([
  "_BINARY",
  "_UTF8",
  "_UTF8MB3",
  "_UTF8MB4",
  "_LATIN1",
  "_ASCII",
]);

/** Operators, longest first so that the first match is the longest one. */
const operators: readonly string[] = [
  "->>",
  "->",
  "<=>",
  "<=",
  ">=",
  "<>",
  "!=",
  "<<",
  ">>",
  "||",
  "&&",
  "=",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "&",
  "|",
  "~",
  "!",
  "(",
  ")",
  ",",
  ";",
  ".",
];

/** Operators grouped by first character code, longest first. */
const operatorsByFirst: ReadonlyMap<number, readonly string[]> = (() => {
  const map = new Map<number, string[]>();
  for (const op of operators) {
    const list = map.get(op.charCodeAt(0)) ?? [];
    list.push(op);
    map.set(op.charCodeAt(0), list);
  }
  return map;
})();

const twoPow64 = 1n << 64n;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/** Characters of an unquoted identifier: MySQL's [0-9a-zA-Z$_] and U+0080 and above. */
function isWordChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || isDigit(code) ||
    code === 95 || code === 36 || code >= 0x80;
}

/** UTF-8 byte length of the code unit at `index` (surrogate pairs count 4 on the high half). */
function utf8Bytes(code: number): number {
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdbff) return 4;
  if (code >= 0xdc00 && code <= 0xdfff) return 0;
  return 3;
}

/** UTF-8 length of a JS string, in bytes. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) bytes += utf8Bytes(text.charCodeAt(i));
  return bytes;
}

/** The MySQL-style syntax error for a failure at `index` of `text`. */
export function syntaxError(text: string, index: number, detail: string): QueueError {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  const near = text.slice(index, index + 80);
  return new QueueError(
    "ER_PARSE_ERROR",
    `You have an error in your SQL syntax; ${detail} near '${near}' at line ${line}`,
    { position: utf8Length(text.slice(0, index)) },
  );
}

/** Decodes an integer literal: number when exact, bigint up to 2^64-1, else a DECIMAL (MySQL's). */
function integerValue(digits: string): number | bigint | Decimal {
  if (digits.length <= 15) return Number(digits);
  const big = BigInt(digits);
  if (big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big);
  return big < twoPow64 ? big : decimalOrDouble(digits);
}

/** A literal with a point and no exponent is an exact DECIMAL (MySQL), a double when too long for one. */
function decimalOrDouble(digits: string): Decimal | number {
  const decimal = parseDecimal(digits);
  return decimal !== null && integerDigits(decimal) <= 65 ? decimal : Number(digits);
}

/** A bit string as bytes, big-endian, padded on the left to whole bytes (MySQL's b'…'). */
function bitBytes(bits: string): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  const padded = bits.padStart(bytes.length * 8, "0");
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(padded.slice(i * 8, i * 8 + 8), 2);
  return bytes;
}

function hexBytes(hex: string): Uint8Array {
  const padded = hex.length % 2 === 1 ? "0" + hex : hex;
  const bytes = new Uint8Array(padded.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(padded.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

const escapes: Record<string, string> = {
  "0": "\0",
  "b": "\b",
  "n": "\n",
  "r": "\r",
  "t": "\t",
  "Z": "\x1a",
  // MySQL keeps the backslash before % and _ so that LIKE sees an escaped wildcard.
  "%": "\\%",
  "_": "\\_",
};

/**
 * Splits SQL text into tokens, ending with one `end` token.
 * Throws ER_PARSE_ERROR for text longer than `bytesMax` (default
 * `statementBytesMax`; large_insert.ts passes more for one long row), an
 * unterminated string, identifier or comment, or a character that starts no token;
 * ER_ILLEGAL_VALUE_FOR_TYPE for a number beyond the double range (`1e999`).
 *
 * @example
 * ```ts
 * const tokens = tokenize("SELECT 1");
 * console.log(tokens.map((t) => t.kind)); // ["word", "integer", "end"]
 * ```
 */
export function tokenize(sql: string, bytesMax: number = statementBytesMax): Token[] {
  const text = openExecutableComments(sql);
  if (text.length > bytesMax / 3 && utf8Length(text) > bytesMax) {
    throw new QueueError(
      "ER_PARSE_ERROR",
      `SQL text of ${utf8Length(text)} bytes is longer than the limit of ${bytesMax}`,
      { position: 0 },
    );
  }
  const tokens: Token[] = [];
  const length = text.length;
  let index = 0;
  let byteOffset = 0;
  let line = 1;
  // Bytes are counted lazily: `byteOffset` is the UTF-8 offset of `byteIndex`.
  let byteIndex = 0;
  const byteAt = (target: number): number => {
    for (; byteIndex < target; byteIndex++) byteOffset += utf8Bytes(text.charCodeAt(byteIndex));
    return byteOffset;
  };
  const lineTo = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) line++;
  };
  const push = (
    kind: TokenKind,
    start: number,
    end: number,
    value: Token["value"],
    upper = "",
  ): void => {
    const byteStart = byteAt(start);
    tokens.push({
      kind,
      text: text.slice(start, end),
      upper,
      value,
      start,
      end,
      byteStart,
      byteEnd: byteAt(end),
      line,
    });
  };

  while (index < length) {
    const code = text.charCodeAt(index);
    // Whitespace.
    if (code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12) {
      if (code === 10) line++;
      index++;
      continue;
    }
    // Comments.
    if (
      code === 35 ||
      (code === 45 && text.charCodeAt(index + 1) === 45 &&
        (index + 2 >= length || text.charCodeAt(index + 2) <= 32))
    ) {
      while (index < length && text.charCodeAt(index) !== 10) index++;
      continue;
    }
    if (code === 47 && text.charCodeAt(index + 1) === 42) {
      const close = text.indexOf("*/", index + 2);
      if (close < 0) throw syntaxError(text, index, "unterminated comment");
      lineTo(index, close);
      index = close + 2;
      continue;
    }
    const start = index;
    // Strings.
    if (code === 39 || code === 34) {
      const { value, end } = scanString(text, index, code);
      // A character set introducer (`_binary '…'` in MySQL 8's dumps, `_utf8mb4 '…'`): the
      // string as written; the column it is stored in decides text or bytes.
      const previous = tokens[tokens.length - 1];
      if (previous?.kind === "word" && introducers.has(previous.upper)) tokens.pop();
      push("string", start, end, value);
      lineTo(start, end);
      index = end;
      continue;
    }
    // Back-quoted identifiers.
    if (code === 96) {
      let name = "";
      let at = index + 1;
      for (;;) {
        const close = text.indexOf("`", at);
        if (close < 0) throw syntaxError(text, start, "unterminated quoted identifier");
        name += text.slice(at, close);
        if (text.charCodeAt(close + 1) === 96) {
          name += "`";
          at = close + 2;
          continue;
        }
        index = close + 1;
        break;
      }
      if (name === "") throw syntaxError(text, start, "empty quoted identifier");
      push("quoted", start, index, name);
      lineTo(start, index);
      continue;
    }
    if (code === 63) {
      push("param", start, start + 1, null);
      index++;
      continue;
    }
    // X'…' hex strings.
    if ((code === 120 || code === 88) && text.charCodeAt(index + 1) === 39) {
      const close = text.indexOf("'", index + 2);
      if (close < 0) throw syntaxError(text, start, "unterminated hex literal");
      const hex = text.slice(index + 2, close);
      if (hex.length % 2 === 1 || !/^[0-9a-fA-F]*$/.test(hex)) {
        throw syntaxError(text, start, "bad hex literal");
      }
      index = close + 1;
      push("hex", start, index, hexBytes(hex));
      continue;
    }
    // B'…' bit strings (MySQL's bit-value literal): bytes, like hex strings.
    if ((code === 98 || code === 66) && text.charCodeAt(index + 1) === 39) {
      const close = text.indexOf("'", index + 2);
      if (close < 0) throw syntaxError(text, start, "unterminated bit literal");
      const bits = text.slice(index + 2, close);
      if (!/^[01]*$/.test(bits)) throw syntaxError(text, start, "bad bit literal");
      index = close + 1;
      push("hex", start, index, bitBytes(bits));
      continue;
    }
    // Numbers (and identifiers that start with digits, like MySQL's `1abc`).
    if (isDigit(code) || (code === 46 && isDigit(text.charCodeAt(index + 1)))) {
      if (code === 48 && (text.charCodeAt(index + 1) | 32) === 120) {
        let end = index + 2;
        while (end < length && isHexDigit(text.charCodeAt(end))) end++;
        if (end > index + 2 && (end >= length || !isWordChar(text.charCodeAt(end)))) {
          push("hex", start, end, hexBytes(text.slice(index + 2, end)));
          index = end;
          continue;
        }
      }
      if (code === 48 && text.charCodeAt(index + 1) === 98) {
        let end = index + 2;
        while (end < length && (text.charCodeAt(end) | 1) === 49) end++;
        if (end > index + 2 && (end >= length || !isWordChar(text.charCodeAt(end)))) {
          push("hex", start, end, bitBytes(text.slice(index + 2, end)));
          index = end;
          continue;
        }
      }
      let end = index;
      while (end < length && isDigit(text.charCodeAt(end))) end++;
      let isFloat = false;
      let hasExponent = false;
      if (text.charCodeAt(end) === 46) {
        isFloat = true;
        end++;
        while (end < length && isDigit(text.charCodeAt(end))) end++;
      }
      if ((text.charCodeAt(end) | 32) === 101) {
        let at = end + 1;
        const sign = text.charCodeAt(at);
        if (sign === 43 || sign === 45) at++;
        if (isDigit(text.charCodeAt(at))) {
          while (at < length && isDigit(text.charCodeAt(at))) at++;
          end = at;
          isFloat = true;
          hasExponent = true;
        }
      }
      if (!isFloat && end < length && isWordChar(text.charCodeAt(end))) {
        while (end < length && isWordChar(text.charCodeAt(end))) end++;
        const word = text.slice(start, end);
        push("word", start, end, word, word.toUpperCase());
        index = end;
        continue;
      }
      const digits = text.slice(start, end);
      const value = !isFloat
        ? integerValue(digits)
        : hasExponent
        ? Number(digits)
        : decimalOrDouble(digits);
      if (value === Infinity) {
        // MySQL refuses a literal beyond the double range rather than round it.
        throw new QueueError(
          "ER_ILLEGAL_VALUE_FOR_TYPE",
          `Illegal double '${digits.slice(0, 192)}' value found during parsing`,
          { position: utf8Length(text.slice(0, start)) },
        );
      }
      push(isFloat ? "float" : "integer", start, end, value);
      index = end;
      continue;
    }
    if (isWordChar(code)) {
      let end = index + 1;
      while (end < length && isWordChar(text.charCodeAt(end))) end++;
      const word = text.slice(start, end);
      push("word", start, end, word, word.toUpperCase());
      index = end;
      continue;
    }
    let matched = "";
    const candidates = operatorsByFirst.get(code);
    if (candidates !== undefined) {
      for (const op of candidates) {
        if (op.length === 1 || text.startsWith(op, index)) {
          matched = op;
          break;
        }
      }
    }
    if (matched === "") throw syntaxError(text, start, "unexpected character");
    push("op", start, start + matched.length, null);
    index += matched.length;
  }
  push("end", length, length, null);
  return tokens;
}

/** Scans a '…' or "…" string starting at `start`; returns its value and end index. */
function scanString(text: string, start: number, quote: number): { value: string; end: number } {
  let value = "";
  let at = start + 1;
  let runStart = at;
  for (;;) {
    if (at >= text.length) throw syntaxError(text, start, "unterminated string");
    const code = text.charCodeAt(at);
    if (code === quote) {
      value += text.slice(runStart, at);
      if (text.charCodeAt(at + 1) === quote) {
        value += text[at];
        at += 2;
        runStart = at;
        continue;
      }
      return { value, end: at + 1 };
    }
    if (code === 92) {
      value += text.slice(runStart, at);
      if (at + 1 >= text.length) throw syntaxError(text, start, "unterminated string");
      const next = text[at + 1];
      // A surrogate pair after a backslash stays whole.
      value += next === undefined ? "" : escapes[next] ?? next;
      at += 2;
      runStart = at;
      continue;
    }
    at++;
  }
}

/**
 * The MySQL version q4d speaks, as the number an executable comment names
 * (`/*!80036 … *\/` runs, `/*!80100 … *\/` does not). The server's
 * `@@version` (8.0.36) must agree.
 */
export const mysqlVersionId = 80036;

/**
 * MySQL's executable comments opened: `/*! text *\/` always and
 * `/*!NNNNN text *\/` or MariaDB's `/*M!NNNNNN text *\/` when
 * `mysqlVersionId` ≥ NNNNN become their text; the markers are replaced by
 * spaces so every index of the result is the same as in `text`. Others stay
 * comments. Strings, quoted names and ordinary comments are left alone.
 *
 * @example
 * ```ts
 * console.log(openExecutableComments("/*!40101 SET @a=1 *\/").trim()); // "SET @a=1"
 * ```
 */
export function openExecutableComments(text: string): string {
  if (!text.includes("/*!") && !text.includes("/*M!")) return text;
  let out = "";
  let copied = 0;
  let open = false;
  const length = text.length;
  const blank = (from: number, to: number): void => {
    out += text.slice(copied, from) + " ".repeat(to - from);
    copied = to;
  };
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 39 || c === 34 || c === 96) {
      // '…', "…" and `…`: doubled quotes, and backslash escapes outside `…`.
      let j = i + 1;
      while (j < length) {
        const d = text.charCodeAt(j);
        if (d === 92 && c !== 96) j += 2;
        else if (d === c && text.charCodeAt(j + 1) === c) j += 2;
        else if (d === c) break;
        else j++;
      }
      i = j + 1;
      continue;
    }
    if (
      c === 35 ||
      (c === 45 && text.charCodeAt(i + 1) === 45 &&
        (i + 2 >= length || text.charCodeAt(i + 2) <= 32))
    ) {
      while (i < length && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (open && c === 42 && text.charCodeAt(i + 1) === 47) {
      blank(i, i + 2);
      open = false;
      i += 2;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const mariadb = text[i + 2] === "M" && text[i + 3] === "!";
      if (text[i + 2] === "!" || mariadb) {
        const digitsAt = i + (mariadb ? 4 : 3);
        let j = digitsAt;
        while (
          j < length && j < digitsAt + 6 && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57
        ) {
          j++;
        }
        const digits = j - digitsAt;
        const runs = digits === 0 ? !mariadb : (digits === 5 || digits === 6) &&
          Number(text.slice(digitsAt, j)) <= mysqlVersionId;
        if (runs && !open) {
          blank(i, j);
          open = true;
          i = j;
          continue;
        }
      }
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? length : close + 2;
      continue;
    }
    i++;
  }
  // Unterminated: left as written, for the lexer's "unterminated comment".
  if (open) return text;
  return copied === 0 ? text : out + text.slice(copied);
}
