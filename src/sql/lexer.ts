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

import { assert, QueueError } from "../errors.ts";
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

/** A character outside ASCII (UTF-8 offsets differ from UTF-16 indexes after it). */
const nonAscii = /[\u0080-\uffff]/;

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
  const lexer = new Lexer(text);
  while (lexer.index < text.length) lexer.scanNext();
  lexer.push("end", text.length, text.length, null);
  return lexer.tokens;
}

/**
 * The one token `tokenize` reads when a token starts at `index` of `text`
 * (already free of executable comments), with the index after it; null
 * when a space or comment starts there instead. Throws as `tokenize` does
 * for a bad token. For template.ts' shape matcher, which reads literals
 * between pieces of text it already knows.
 *
 * @example
 * ```ts
 * const text = "VALUES (42, 'x')";
 * console.log(tokenAt(text, 8)?.token.value, tokenAt(text, 8)?.end); // 42 10
 * ```
 */
export function tokenAt(text: string, index: number): { token: Token; end: number } | null {
  const lexer = new Lexer(text);
  lexer.index = index;
  lexer.scanNext();
  const token = lexer.tokens[0];
  return token === undefined ? null : { token, end: lexer.index };
}

/**
 * The state of one tokenize() call and its steps: each `scan…` method reads
 * one token kind (or skips space and comments) from `index` on and pushes
 * what it read, with its UTF-8 byte offsets and line.
 */
class Lexer {
  readonly text: string;
  readonly tokens: Token[] = [];
  /** UTF-16 index of the next character to read. */
  index = 0;
  /** Line of `index`, from 1. */
  #line = 1;
  /** Bytes are counted lazily: `#byteOffset` is the UTF-8 offset of `#byteIndex`. */
  #byteIndex = 0;
  #byteOffset = 0;

  /** The text is all ASCII: a UTF-16 index is its UTF-8 offset (tested when first needed). */
  #ascii: boolean | undefined = undefined;

  constructor(text: string) {
    this.text = text;
  }

  /** Reads the next token (or skips space or a comment). */
  scanNext(): void {
    const code = this.text.charCodeAt(this.index);
    if (this.#skipSpaceOrComment(code)) return;
    const start = this.index;
    if (code === 39 || code === 34) this.#scanString(start, code);
    else if (code === 96) this.#scanQuotedIdentifier(start);
    else if (code === 63) {
      this.push("param", start, start + 1, null);
      this.index++;
    } else if (!this.#scanBitOrHexString(code, start)) {
      if (isDigit(code) || (code === 46 && isDigit(this.text.charCodeAt(start + 1)))) {
        this.#scanNumber(code, start);
      } else if (isWordChar(code)) this.#scanWord(start, start + 1);
      else this.#scanOperator(code, start);
    }
    assert(this.index > start, "every scan step consumes input");
  }

  /** Appends a token for `text[start, end)`. */
  push(kind: TokenKind, start: number, end: number, value: Token["value"], upper = ""): void {
    const byteStart = this.#byteAt(start);
    this.tokens.push({
      kind,
      text: this.text.slice(start, end),
      upper,
      value,
      start,
      end,
      byteStart,
      byteEnd: this.#byteAt(end),
      line: this.#line,
    });
  }

  #byteAt(target: number): number {
    this.#ascii ??= !nonAscii.test(this.text);
    if (this.#ascii) return target;
    for (; this.#byteIndex < target; this.#byteIndex++) {
      this.#byteOffset += utf8Bytes(this.text.charCodeAt(this.#byteIndex));
    }
    return this.#byteOffset;
  }

  #countLines(from: number, to: number): void {
    const text = this.text;
    for (let i = text.indexOf("\n", from); i >= 0 && i < to; i = text.indexOf("\n", i + 1)) {
      this.#line++;
    }
  }

  /** Whitespace, `#` and `-- ` line comments, `/* … *\/` comments: skipped. */
  #skipSpaceOrComment(code: number): boolean {
    const text = this.text;
    const length = text.length;
    if (code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12) {
      if (code === 10) this.#line++;
      this.index++;
      return true;
    }
    if (
      code === 35 ||
      (code === 45 && text.charCodeAt(this.index + 1) === 45 &&
        (this.index + 2 >= length || text.charCodeAt(this.index + 2) <= 32))
    ) {
      while (this.index < length && text.charCodeAt(this.index) !== 10) this.index++;
      return true;
    }
    if (code === 47 && text.charCodeAt(this.index + 1) === 42) {
      const close = text.indexOf("*/", this.index + 2);
      if (close < 0) throw syntaxError(text, this.index, "unterminated comment");
      this.#countLines(this.index, close);
      this.index = close + 2;
      return true;
    }
    return false;
  }

  /** A '…' or "…" string. */
  #scanString(start: number, quote: number): void {
    const { value, end } = scanString(this.text, start, quote);
    // A character set introducer (`_binary '…'` in MySQL 8's dumps, `_utf8mb4 '…'`): the
    // string as written; the column it is stored in decides text or bytes.
    const previous = this.tokens[this.tokens.length - 1];
    if (previous?.kind === "word" && introducers.has(previous.upper)) this.tokens.pop();
    this.push("string", start, end, value);
    this.#countLines(start, end);
    this.index = end;
  }

  /** A back-quoted identifier; a doubled back quote inside is one. */
  #scanQuotedIdentifier(start: number): void {
    const text = this.text;
    let name = "";
    let at = start + 1;
    for (;;) {
      const close = text.indexOf("`", at);
      if (close < 0) throw syntaxError(text, start, "unterminated quoted identifier");
      name += text.slice(at, close);
      if (text.charCodeAt(close + 1) === 96) {
        name += "`";
        at = close + 2;
        continue;
      }
      this.index = close + 1;
      break;
    }
    if (name === "") throw syntaxError(text, start, "empty quoted identifier");
    this.push("quoted", start, this.index, name);
    this.#countLines(start, this.index);
  }

  /** X'…' hex strings and B'…' bit strings (MySQL's bit-value literal): bytes. */
  #scanBitOrHexString(code: number, start: number): boolean {
    const text = this.text;
    if (text.charCodeAt(start + 1) !== 39) return false;
    if (code === 120 || code === 88) {
      const close = text.indexOf("'", start + 2);
      if (close < 0) throw syntaxError(text, start, "unterminated hex literal");
      const hex = text.slice(start + 2, close);
      if (hex.length % 2 === 1 || !/^[0-9a-fA-F]*$/.test(hex)) {
        throw syntaxError(text, start, "bad hex literal");
      }
      this.index = close + 1;
      this.push("hex", start, this.index, hexBytes(hex));
      return true;
    }
    if (code === 98 || code === 66) {
      const close = text.indexOf("'", start + 2);
      if (close < 0) throw syntaxError(text, start, "unterminated bit literal");
      const bits = text.slice(start + 2, close);
      if (!/^[01]*$/.test(bits)) throw syntaxError(text, start, "bad bit literal");
      this.index = close + 1;
      this.push("hex", start, this.index, bitBytes(bits));
      return true;
    }
    return false;
  }

  /**
   * A number: 0x… and 0b… literals (bytes), integers, decimals and doubles,
   * or an identifier that starts with digits, like MySQL's `1abc`.
   */
  #scanNumber(code: number, start: number): void {
    const text = this.text;
    const length = text.length;
    if (code === 48 && (text.charCodeAt(start + 1) | 32) === 120) {
      let end = start + 2;
      while (end < length && isHexDigit(text.charCodeAt(end))) end++;
      if (end > start + 2 && (end >= length || !isWordChar(text.charCodeAt(end)))) {
        this.push("hex", start, end, hexBytes(text.slice(start + 2, end)));
        this.index = end;
        return;
      }
    }
    if (code === 48 && text.charCodeAt(start + 1) === 98) {
      let end = start + 2;
      while (end < length && (text.charCodeAt(end) | 1) === 49) end++;
      if (end > start + 2 && (end >= length || !isWordChar(text.charCodeAt(end)))) {
        this.push("hex", start, end, bitBytes(text.slice(start + 2, end)));
        this.index = end;
        return;
      }
    }
    let end = start;
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
      this.#scanWord(start, end);
      return;
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
    this.push(isFloat ? "float" : "integer", start, end, value);
    this.index = end;
  }

  /** A bare word from `start`, its word characters known up to `from`. */
  #scanWord(start: number, from: number): void {
    const text = this.text;
    let end = from;
    while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
    const word = text.slice(start, end);
    this.push("word", start, end, word, word.toUpperCase());
    this.index = end;
  }

  /** An operator or punctuation, longest match first. */
  #scanOperator(code: number, start: number): void {
    const text = this.text;
    let matched = "";
    const candidates = operatorsByFirst.get(code);
    if (candidates !== undefined) {
      for (const op of candidates) {
        if (op.length === 1 || text.startsWith(op, start)) {
          matched = op;
          break;
        }
      }
    }
    if (matched === "") throw syntaxError(text, start, "unexpected character");
    this.push("op", start, start + matched.length, null);
    this.index += matched.length;
  }
}

/** Scans a '…' or "…" string starting at `start`; returns its value and end index. */
function scanString(text: string, start: number, quote: number): { value: string; end: number } {
  const quoteText = quote === 39 ? "'" : '"';
  let value = "";
  let at = start + 1;
  // Runs between quotes and backslashes are copied whole (found with indexOf).
  let backslash = text.indexOf("\\", at);
  for (;;) {
    const close = text.indexOf(quoteText, at);
    if (close < 0) throw syntaxError(text, start, "unterminated string");
    if (backslash >= 0 && backslash < at) backslash = text.indexOf("\\", at);
    if (backslash >= 0 && backslash < close) {
      value += text.slice(at, backslash);
      if (backslash + 1 >= text.length) throw syntaxError(text, start, "unterminated string");
      const next = text[backslash + 1];
      // A surrogate pair after a backslash stays whole.
      value += next === undefined ? "" : escapes[next] ?? next;
      at = backslash + 2;
      continue;
    }
    value += text.slice(at, close);
    if (text.charCodeAt(close + 1) === quote) {
      value += quoteText;
      at = close + 2;
      continue;
    }
    return { value, end: close + 1 };
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
