/**
 * MySQL's implicit conversions between q4d values: string → number by its
 * numeric prefix, number → string, bytes ↔ text, and the comparison that
 * `=`, `<`, IN, BETWEEN and ORDER BY share. Used by `compile.ts` and
 * `values.ts`; nothing here throws for data, only for q4d bugs.
 *
 * String comparison is binary: by Unicode code point (the order of UTF-8
 * bytes), case-sensitive, trailing spaces significant, like MySQL's
 * `utf8mb4_bin` minus its PAD SPACE. MySQL's default collation is
 * case-insensitive; q4d chooses the predictable rule for queue conditions.
 *
 * @module
 */

import { assert, defined } from "../errors.ts";
import type { Value } from "./ast.ts";
import { compareDecimals, Decimal, decimalFromNumber } from "./decimal.ts";
import { Member } from "./member.ts";
import {
  compareTemporals,
  numberToDateTime,
  parseDateTime,
  parseTime,
  Temporal,
} from "./temporal.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The numeric prefix MySQL reads from a string: spaces, sign, digits, fraction, exponent. */
const numericPrefix = /^[ \t\n\r\v\f]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;

/** A string's value as a number, MySQL's way: its numeric prefix, else 0 ("abc" is 0). */
export function stringToDouble(text: string): number {
  const match = numericPrefix.exec(text);
  if (match === null) return 0;
  const value = Number(match[1]);
  // A huge exponent saturates like MySQL's strtod instead of becoming Infinity.
  if (value === Infinity) return Number.MAX_VALUE;
  if (value === -Infinity) return -Number.MAX_VALUE;
  return value === 0 ? 0 : value;
}

/** Bytes as text, replacing invalid UTF-8 (for comparisons and conversions). */
export function bytesToText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Text as UTF-8 bytes. */
export function textToBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A double as MySQL prints it (shortest round-trip digits, `1e21`, not `1e+21`). */
export function doubleToText(value: number): string {
  return String(value).replace("e+", "e");
}

/** A non-NULL value as text (numbers in MySQL's spelling, bytes decoded, decimals and dates as MySQL prints them). */
export function valueToText(value: Exclude<Value, null>): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return doubleToText(value);
  if (typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  if (value instanceof Uint8Array) return bytesToText(value);
  return value.toString();
}

/**
 * A non-NULL value as a number: numbers as they are, strings by their
 * numeric prefix, a decimal as the nearest double, a date by its numeric
 * form (20240102).
 */
export function valueToNumber(value: Exclude<Value, null>): number | bigint {
  if (typeof value === "number" || typeof value === "bigint") return value;
  if (typeof value === "string") return stringToDouble(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Uint8Array) return stringToDouble(bytesToText(value));
  if (value instanceof Decimal) return value.toNumber();
  if (value instanceof Member) return value.number;
  const numeric = value.toNumeric();
  return numeric instanceof Decimal ? numeric.toNumber() : numeric;
}

/** Whether MySQL would compute with this value as a double (strings and bytes are read as doubles). */
export function isDoubleValue(value: Exclude<Value, null>): boolean {
  if (typeof value === "number") return !Number.isSafeInteger(value);
  return typeof value === "string" || value instanceof Uint8Array;
}

/** How MySQL computes with a value: as a double, an exact DECIMAL, or an integer. */
export type NumericClass = "double" | "decimal" | "integer";

/** The class of a non-NULL arithmetic operand (a date with a fraction is a decimal). */
export function numericClass(value: Exclude<Value, null>): NumericClass {
  if (typeof value === "number") return Number.isSafeInteger(value) ? "integer" : "double";
  if (typeof value === "bigint" || typeof value === "boolean" || value instanceof Member) {
    return "integer";
  }
  if (value instanceof Decimal) return "decimal";
  if (value instanceof Temporal) return value.fsp === 0 ? "integer" : "decimal";
  return "double";
}

/** An integer or decimal operand as a Decimal (a double by its shortest digits). */
export function valueToDecimal(value: Exclude<Value, null>): Decimal {
  if (value instanceof Decimal) return value;
  if (typeof value === "bigint") return Decimal.ofInteger(value);
  if (typeof value === "boolean") return Decimal.ofInteger(value ? 1n : 0n);
  if (value instanceof Temporal) {
    const numeric = value.toNumeric();
    return numeric instanceof Decimal ? numeric : Decimal.ofInteger(numeric);
  }
  const number = valueToNumber(value);
  if (typeof number === "bigint") return Decimal.ofInteger(number);
  const decimal = decimalFromNumber(number);
  assert(decimal !== null, "only integers and decimals are read as decimals");
  return decimal;
}

/** Compares a temporal value with any other non-NULL value, MySQL's way. */
function compareWithTemporal(a: Temporal, b: Exclude<Value, null>, asHeld: boolean): number {
  if (b instanceof Temporal) return compareTemporals(a, b);
  if (typeof b === "string" || b instanceof Uint8Array) {
    const text = typeof b === "string" ? b : bytesToText(b);
    const parsed = a.kind === "time" ? parseTime(text, 6) : parseDateTime(text, "datetime", 6);
    if (parsed !== null) return compareTemporals(a, parsed);
    return compareStrings(a.toString(), text);
  }
  // A number that spells a date or time (20240201, 100000) compares as one, as MySQL converts it.
  if (typeof b === "number" || typeof b === "bigint" || b instanceof Decimal) {
    const parsed = a.kind === "time"
      ? parseTime(valueToText(b), 6)
      : Number.isFinite(Number(b))
      ? numberToDateTime(b, "datetime", 6)
      : null;
    if (parsed !== null) return compareTemporals(a, parsed);
  }
  return compareExact(valueToDecimal(a), b, asHeld);
}

/** An ENUM/SET member: as text beside text (and another member), as its number beside a number. */
function compareMember(a: Member, b: Exclude<Value, null>, asHeld: boolean): number {
  if (b instanceof Member || typeof b === "string") {
    return compareStrings(a.text, typeof b === "string" ? b : b.text);
  }
  if (b instanceof Uint8Array) return compareBytes(textToBytes(a.text), b);
  return compareValues(a.number, b, asHeld);
}

/** A decimal against a number: exactly against integers and decimals, as doubles against doubles. */
function compareExact(a: Decimal, b: Exclude<Value, null>, asHeld: boolean): number {
  if (numericClass(b) === "double") return compareNumbers(a.toNumber(), valueToNumber(b));
  return compareDecimals(a, valueToDecimal(b), asHeld);
}

/** Compares numbers exactly (number and bigint mixed). */
export function compareNumbers(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares strings by code point (UTF-16 order differs above U+D800). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (astral code points) sort after U+E000..U+FFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Compares byte strings, unsigned bytes, shorter first on a common prefix. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = defined(a[i], "i < both lengths");
    const y = defined(b[i], "i < both lengths");
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/**
 * Compares two non-NULL values with MySQL's rules: two strings as strings,
 * bytes with text or bytes as bytes, anything with a number as numbers,
 * dates as dates. Decimals compare at their declared scale, or with
 * `decimalsAsHeld` at every digit they hold (IN and BETWEEN; see
 * `compareDecimals`).
 */
export function compareValues(
  a: Exclude<Value, null>,
  b: Exclude<Value, null>,
  decimalsAsHeld: boolean = false,
): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (a instanceof Member) return compareMember(a, b, decimalsAsHeld);
  if (b instanceof Member) return -compareMember(b, a, decimalsAsHeld);
  if (a instanceof Temporal) return compareWithTemporal(a, b, decimalsAsHeld);
  if (b instanceof Temporal) return -compareWithTemporal(b, a, decimalsAsHeld);
  if (a instanceof Decimal) return compareExact(a, b, decimalsAsHeld);
  if (b instanceof Decimal) return -compareExact(b, a, decimalsAsHeld);
  const aIsText = typeof a === "string" || a instanceof Uint8Array;
  const bIsText = typeof b === "string" || b instanceof Uint8Array;
  if (aIsText && bIsText) {
    return compareBytes(
      typeof a === "string" ? textToBytes(a) : a as Uint8Array,
      typeof b === "string" ? textToBytes(b) : b as Uint8Array,
    );
  }
  return compareNumbers(valueToNumber(a), valueToNumber(b));
}

/**
 * A value as a user receives it: DECIMAL as its exact text ("9.99"), dates
 * and times as MySQL's text ("2024-01-02 03:04:05"), ENUM and SET as their
 * text; others unchanged.
 */
export function outputValue(value: Value): Value {
  if (value instanceof Decimal || value instanceof Temporal || value instanceof Member) {
    return value.toString();
  }
  return value;
}
