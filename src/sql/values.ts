/**
 * Values in and out of statements: `bindValue` turns a JS value given as a
 * parameter into a q4d Value; `checkValue` checks and normalises a value
 * for a column at INSERT (and for DEFAULT literals), with MySQL's strict
 * mode errors.
 *
 * params → bindValue → Value → (engine: INSERT) → checkValue → stored Value
 *
 * Choices: floats into integer columns round half away from zero (MySQL);
 * strings into integer columns must be integer text; CHAR drops trailing
 * spaces (MySQL's read-back) and excess trailing spaces are cut, not an
 * error (MySQL strict mode); BINARY(n) is padded with zero bytes to n
 * (MySQL); JSON columns take JSON text, and numbers as their JSON text;
 * FLOAT is range-checked but kept as the double given (the storage layer
 * decides the bytes). DECIMAL(p,s) rounds half away from zero to s digits
 * and refuses more than p−s integer digits; dates and times are parsed
 * strictly (no zero dates), extra fraction digits rounded, a DATE keeps the
 * date of a datetime; ENUM/SET take members case-insensitively or by
 * index/mask; BIT takes integers and bytes (a string is its bytes).
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { ColumnDef, Value } from "./ast.ts";
import { textToBytes, valueToDecimal, valueToNumber, valueToText } from "./convert.ts";
import { Identifier } from "./identifier.ts";
import { Member, setMember } from "./member.ts";
import {
  Decimal,
  decimalFromNumber,
  decimalToInteger,
  fitDecimal,
  parseDecimal,
} from "./decimal.ts";
import {
  dateToTemporal,
  inDateRange,
  numberToDateTime,
  parseDateTime,
  parseTime,
  roundFsp,
  Temporal,
} from "./temporal.ts";

const fatalDecoder = new TextDecoder("utf-8", { fatal: true });
const int64Min = -(1n << 63n);
const uint64Max = (1n << 64n) - 1n;
const floatMax = 3.4028234663852886e38;
const integerText = /^[ \t\n\r]*[+-]?\d+[ \t\n\r]*$/;
const doubleText = /^[ \t\n\r]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t\n\r]*$/;

/**
 * Converts a JS value given as a parameter into a Value: numbers (finite),
 * bigint (within -2^63..2^64-1; small ones become numbers), strings,
 * booleans (1/0), null, Uint8Array, Dates (a DATETIME(3) in UTC), and plain
 * objects or arrays (their JSON text). Anything else (undefined, functions,
 * symbols, invalid Dates, class instances, an `ident()` outside a template)
 * is ER_WRONG_ARGUMENTS.
 *
 * @example
 * ```ts
 * console.log(bindValue(true), bindValue({ a: 1 })); // 1 '{"a":1}'
 * ```
 */
export function bindValue(value: unknown): Value {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      if (!Number.isFinite(value)) {
        throw new QueueError("ER_WRONG_ARGUMENTS", `Parameter ${value} is not a finite number`);
      }
      return value === 0 ? 0 : value;
    case "bigint":
      if (value < int64Min || value > uint64Max) {
        throw new QueueError("ER_WRONG_ARGUMENTS", `Parameter ${value}n is outside 64 bits`);
      }
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value;
    case "boolean":
      return value ? 1 : 0;
    case "object":
      if (value === null) return null;
      try {
        return bindObject(value);
      } catch (error) {
        if (error instanceof QueueError) throw error;
        // A Proxy's trap (or a revoked Proxy) threw while the value was
        // inspected; nothing of q4d's runs in bindObject but these reads.
        throw new QueueError("ER_WRONG_ARGUMENTS", "Parameter object cannot be read", {
          cause: error,
        });
      }
    default:
      throw new QueueError(
        "ER_WRONG_ARGUMENTS",
        `Parameter of type ${typeof value} is not supported`,
      );
  }
}

/** An object parameter: bytes, or a plain object or array as JSON text. May run user code (Proxy traps, toJSON). */
function bindObject(value: object): Value {
  if (value instanceof Uint8Array) return value;
  if (value instanceof Date) {
    const temporal = dateToTemporal(value);
    if (temporal === null) {
      throw new QueueError(
        "ER_WRONG_ARGUMENTS",
        "Parameter Date is invalid or outside years 0..9999",
      );
    }
    return temporal;
  }
  if (value instanceof Identifier) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      "An ident() is a name, not a value; use it in a tagged template",
    );
  }
  const prototype = Object.getPrototypeOf(value);
  if (Array.isArray(value) || prototype === Object.prototype || prototype === null) {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      throw new QueueError("ER_WRONG_ARGUMENTS", "Parameter object cannot be JSON text", {
        cause: error,
      });
    }
    if (json !== undefined) return json;
  }
  const name = (prototype?.constructor?.name as string | undefined) ?? "object";
  throw new QueueError("ER_WRONG_ARGUMENTS", `Parameter of type ${name} is not supported`);
}

/** Text types by byte limit, smallest first, and the blob types likewise. */
const textTypes: readonly [number, string][] = [
  [255, "TINYTEXT"],
  [65_535, "TEXT"],
  [16_777_215, "MEDIUMTEXT"],
  [4_294_967_295, "LONGTEXT"],
];
const blobTypes: readonly [number, string][] = [
  [255, "TINYBLOB"],
  [65_535, "BLOB"],
  [16_777_215, "MEDIUMBLOB"],
  [4_294_967_295, "LONGBLOB"],
];

/** The next type up from a byte limit, in a list of [limit, name]. */
function biggerType(types: readonly [number, string][], bytesMax: number): string {
  return (types.find(([limit]) => limit > bytesMax) ?? types.at(-1))?.[1] ?? "LONGBLOB";
}

/** MySQL's "Data too long", with the column's limit and the type that holds more. */
function tooLong(column: ColumnDef): QueueError {
  const type = column.type;
  let detail = "";
  switch (type.kind) {
    case "char":
      detail = `${
        type.variable ? "VARCHAR" : "CHAR"
      }(${type.length}) holds at most ${type.length} characters; declare a longer VARCHAR(n) (at most 16383) or TEXT`;
      break;
    case "binary":
      detail = `${
        type.variable ? "VARBINARY" : "BINARY"
      }(${type.length}) holds at most ${type.length} bytes; declare a longer VARBINARY(n) or BLOB`;
      break;
    case "text":
    case "blob": {
      const types = type.kind === "text" ? textTypes : blobTypes;
      detail = `${biggerType(types, type.bytesMax - 1)} holds at most ${type.bytesMax} bytes; use ${
        biggerType(types, type.bytesMax)
      }`;
      break;
    }
  }
  return new QueueError(
    "ER_DATA_TOO_LONG",
    `Data too long for column '${column.name}'${detail === "" ? "" : ` (${detail})`}`,
  );
}

function outOfRange(column: ColumnDef): QueueError {
  return new QueueError(
    "ER_WARN_DATA_OUT_OF_RANGE",
    `Out of range value for column '${column.name}'`,
  );
}

function wrongValue(kind: string, value: Value, column: ColumnDef): QueueError {
  const shown = value instanceof Uint8Array ? "(binary)" : String(value).slice(0, 64);
  return new QueueError(
    "ER_TRUNCATED_WRONG_VALUE",
    `Incorrect ${kind} value: '${shown}' for column '${column.name}'`,
  );
}

/**
 * Refuses a string holding a lone UTF-16 surrogate: it has no UTF-8 form
 * (encoding would store U+FFFD), so MySQL's strict mode refuses it with
 * "Incorrect string value", naming the bytes as MySQL would see them.
 */
function checkWellFormed(text: string, column: ColumnDef): string {
  if (text.isWellFormed()) return text;
  let at = 0;
  for (; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(at + 1);
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) at++;
    else break;
  }
  const code = text.charCodeAt(at);
  const shown = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
    .map((byte) => "\\x" + byte.toString(16).toUpperCase()).join("");
  throw new QueueError(
    "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
    `Incorrect string value: '${shown}' for column '${column.name}'`,
  );
}

/**
 * Refuses bytes that are not UTF-8 for a text column as MySQL does (1366,
 * "Incorrect string value: '\xED\xA0\x80…'"), naming the bytes from the
 * first one that does not decode. The same error as a string with a lone
 * surrogate, which a client over the wire can only send as such bytes.
 */
function notUtf8(bytes: Uint8Array, column: ColumnDef): QueueError {
  let at = 0;
  while (at < bytes.length) {
    const step = Math.min(4, bytes.length - at);
    let length = 0;
    for (let n = 1; n <= step && length === 0; n++) {
      try {
        fatalDecoder.decode(bytes.subarray(at, at + n));
        length = n;
      } catch {
        // not yet a whole character
      }
    }
    if (length === 0) break;
    at += length;
  }
  const shown = [...bytes.subarray(at, at + 3)]
    .map((byte) => "\\x" + byte.toString(16).toUpperCase().padStart(2, "0")).join("");
  return new QueueError(
    "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
    `Incorrect string value: '${shown}${
      bytes.length - at > 3 ? "..." : ""
    }' for column '${column.name}'`,
  );
}

/** A `\u` escape of a surrogate (or a false hit after an escaped backslash, settled by parsing). */
const surrogateEscape = /\\u[dD][89a-fA-F]/;

/** True when parsed JSON text holds a string or key with a lone surrogate. */
function jsonHasLoneSurrogate(text: string): boolean {
  let found = false;
  JSON.parse(text, (key, value) => {
    if (!key.isWellFormed() || (typeof value === "string" && !value.isWellFormed())) found = true;
    return value;
  });
  return found;
}

/** Text from a value for a text column; bytes must be valid UTF-8. */
function toText(value: Exclude<Value, null>, column: ColumnDef): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) {
    try {
      return fatalDecoder.decode(value);
    } catch {
      throw notUtf8(value, column);
    }
  }
  return valueToText(value);
}

/** A non-bytes value as text for a binary column; a string must have a UTF-8 form. */
function textOf(value: Exclude<Value, null | Uint8Array>, column: ColumnDef): string {
  return typeof value === "string" ? checkWellFormed(value, column) : valueToText(value);
}

function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xdc00 || code > 0xdfff) count++;
  }
  return count;
}

/** Cuts `text` to `length` code points when only spaces are cut, else fails. */
function fitCharacters(text: string, length: number, column: ColumnDef): string {
  if (text.length <= length || countCodePoints(text) <= length) return text;
  const kept = Array.from(text).slice(0, length).join("");
  if (/[^ ]/.test(text.slice(kept.length))) {
    throw tooLong(column);
  }
  return kept;
}

function checkInteger(column: ColumnDef, value: Exclude<Value, null>): number | bigint {
  const type = column.type;
  if (type.kind !== "int") throw new Error("unreachable");
  let integer: number | bigint;
  if (typeof value === "number") {
    integer = Number.isInteger(value) ? value : Math.sign(value) * Math.round(Math.abs(value));
  } else if (typeof value === "bigint") {
    integer = value;
  } else if (typeof value === "boolean") {
    integer = value ? 1 : 0;
  } else if (value instanceof Decimal || value instanceof Temporal) {
    // MySQL rounds a decimal half away from zero; a date is its number (20240102).
    integer = decimalToInteger(valueToDecimal(value));
  } else {
    const text = toText(value, column);
    if (!integerText.test(text)) throw wrongValue("integer", value, column);
    integer = BigInt(text.trim());
  }
  let min: bigint;
  let max: bigint;
  if (type.unsigned) {
    min = 0n;
    max = (1n << BigInt(type.bits)) - 1n;
  } else {
    min = -(1n << BigInt(type.bits - 1));
    max = (1n << BigInt(type.bits - 1)) - 1n;
  }
  if (typeof integer === "number" && !Number.isSafeInteger(integer)) {
    if (!Number.isFinite(integer)) throw outOfRange(column);
    integer = BigInt(integer);
  }
  if (integer < min || integer > max) throw outOfRange(column);
  if (typeof integer === "bigint") {
    return integer >= BigInt(Number.MIN_SAFE_INTEGER) && integer <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(integer)
      : integer;
  }
  return integer === 0 ? 0 : integer;
}

function checkFloat(column: ColumnDef, value: Exclude<Value, null>, double: boolean): number {
  let number: number;
  if (typeof value === "number") number = value;
  else if (typeof value === "bigint") number = Number(value);
  else if (typeof value === "boolean") number = value ? 1 : 0;
  else if (value instanceof Decimal || value instanceof Temporal) {
    number = valueToNumber(value) as number;
  } else {
    const text = toText(value, column);
    if (!doubleText.test(text)) throw wrongValue("double", value, column);
    number = Number(text.trim());
  }
  if (!Number.isFinite(number) || (!double && Math.abs(number) > floatMax)) {
    throw outOfRange(column);
  }
  return number === 0 ? 0 : number;
}

function checkJson(column: ColumnDef, value: Exclude<Value, null>): string {
  if (
    typeof value === "number" || typeof value === "bigint" || typeof value === "boolean" ||
    value instanceof Decimal
  ) {
    return valueToText(value);
  }
  if (value instanceof Temporal) return JSON.stringify(value.toString());
  const text = checkWellFormed(toText(value, column), column);
  let valid = true;
  try {
    JSON.parse(text);
    // An escaped lone surrogate ("\ud800") is no character: invalid JSON text in MySQL.
    if (surrogateEscape.test(text)) valid = !jsonHasLoneSurrogate(text);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new QueueError(
      "ER_INVALID_JSON_TEXT",
      `Invalid JSON text for column '${column.name}'`,
    );
  }
  return text;
}

/**
 * Checks a value against a column and returns it normalised for storage:
 * integers as number (bigint beyond 2^53), floats as number, CHAR/TEXT/JSON
 * as string, BINARY/BLOB as Uint8Array, NULL as null.
 * Errors: ER_BAD_NULL_ERROR, ER_WARN_DATA_OUT_OF_RANGE,
 * ER_TRUNCATED_WRONG_VALUE, ER_DATA_TOO_LONG, ER_INVALID_JSON_TEXT,
 * ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (a string with a lone surrogate).
 *
 * @example
 * ```ts
 * const column = { name: "n", type: { kind: "int", bits: 8, unsigned: false }, notNull: true, typeText: "TINYINT" } as const;
 * console.log(checkValue(column, "12")); // 12
 * ```
 */
export function checkValue(column: ColumnDef, value: Value): Value {
  if (value === null) {
    if (column.notNull) {
      throw new QueueError("ER_BAD_NULL_ERROR", `Column '${column.name}' cannot be null`);
    }
    return null;
  }
  const type = column.type;
  switch (type.kind) {
    case "int":
      return checkInteger(column, value);
    case "float":
      return checkFloat(column, value, type.double);
    case "char": {
      const text = fitCharacters(
        checkWellFormed(toText(value, column), column),
        type.length,
        column,
      );
      return type.variable ? text : text.replace(/ +$/, "");
    }
    case "text": {
      const text = checkWellFormed(toText(value, column), column);
      if (text.length * 3 > type.bytesMax && textToBytes(text).length > type.bytesMax) {
        throw tooLong(column);
      }
      return text;
    }
    case "binary": {
      const bytes = value instanceof Uint8Array ? value : textToBytes(textOf(value, column));
      if (bytes.length > type.length) throw tooLong(column);
      if (type.variable || bytes.length === type.length) return bytes;
      const padded = new Uint8Array(type.length);
      padded.set(bytes);
      return padded;
    }
    case "blob": {
      const bytes = value instanceof Uint8Array ? value : textToBytes(textOf(value, column));
      if (bytes.length > type.bytesMax) throw tooLong(column);
      return bytes;
    }
    case "json":
      return checkJson(column, value);
    case "decimal":
      return checkDecimal(column, type, value);
    case "date":
    case "datetime":
      return checkDateTime(column, type, value);
    case "time":
      return checkTime(column, type.fsp, value);
    case "year":
      return checkYear(column, value);
    case "enum":
      return checkEnum(column, type.members, value);
    case "set":
      return checkSet(column, type.members, value);
    case "bit":
      return checkBit(column, type.bits, value);
  }
}

function checkDecimal(
  column: ColumnDef,
  type: Extract<ColumnDef["type"], { kind: "decimal" }>,
  value: Exclude<Value, null>,
): Decimal {
  let decimal: Decimal | null;
  if (value instanceof Decimal) decimal = value;
  else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw outOfRange(column);
    decimal = decimalFromNumber(value);
    if (decimal === null) throw outOfRange(column);
  } else if (typeof value === "bigint") decimal = Decimal.ofInteger(value);
  else if (typeof value === "boolean") decimal = Decimal.ofInteger(value ? 1n : 0n);
  else if (value instanceof Temporal) {
    const numeric = value.toNumeric();
    decimal = numeric instanceof Decimal ? numeric : Decimal.ofInteger(numeric);
  } else {
    decimal = parseDecimal(toText(value, column));
    if (decimal === null) throw wrongValue("decimal", value, column);
  }
  const fitted = fitDecimal(decimal, type.precision, type.scale);
  if (fitted === null || (type.unsigned && fitted.unscaled < 0n)) throw outOfRange(column);
  return fitted.unscaled === 0n ? new Decimal(0n, fitted.scale) : fitted;
}

/** TIMESTAMP's range in seconds since 1970 UTC: 1970-01-01 00:00:01 .. 2038-01-19 03:14:07.999999. */
const timestampSecondsMin = 1;
const timestampSecondsMax = 2147483647;

function checkDateTime(
  column: ColumnDef,
  type: { kind: "date" } | { kind: "datetime"; fsp: number; timestamp: boolean },
  value: Exclude<Value, null>,
): Temporal {
  const kind = type.kind;
  const fsp = type.kind === "date" ? 0 : type.fsp;
  let temporal: Temporal | null;
  if (value instanceof Temporal) {
    temporal = value.kind === "time" ? null : value;
  } else if (typeof value === "string" || value instanceof Uint8Array || value instanceof Member) {
    const text = toText(value, column);
    temporal = parseDateTime(text, "datetime", 6);
  } else if (typeof value === "boolean") {
    temporal = null;
  } else {
    temporal = numberToDateTime(value, "datetime", 6);
  }
  if (temporal === null || !inDateRange(temporal)) {
    throw wrongValue(kind === "date" ? "date" : "datetime", value, column);
  }
  if (kind === "date") {
    // A time part is dropped (MySQL stores the date with a note, also in strict mode).
    return new Temporal(
      "date",
      temporal.seconds - (((temporal.seconds % 86400) + 86400) % 86400),
      0,
      0,
    );
  }
  const rounded = roundFsp(new Temporal("datetime", temporal.seconds, temporal.micros, 0), fsp);
  if (
    type.kind === "datetime" && type.timestamp &&
    (rounded.seconds < timestampSecondsMin || rounded.seconds > timestampSecondsMax)
  ) {
    throw wrongValue("datetime", value, column);
  }
  if (!inDateRange(rounded)) throw wrongValue("datetime", value, column);
  return rounded;
}

function checkTime(column: ColumnDef, fsp: number, value: Exclude<Value, null>): Temporal {
  let temporal: Temporal | null = null;
  if (value instanceof Temporal) {
    temporal = value.kind === "time"
      ? value
      : value.kind === "datetime"
      ? new Temporal("time", ((value.seconds % 86400) + 86400) % 86400, value.micros, value.fsp)
      : null;
  } else if (typeof value !== "boolean") {
    temporal = parseTime(valueToTextFor(value, column), 6);
  }
  if (temporal === null) throw wrongValue("time", value, column);
  const rounded = roundFsp(temporal, fsp);
  if (
    Math.abs(rounded.seconds + (rounded.seconds < 0 && rounded.micros > 0 ? 1 : 0)) >
      838 * 3600 + 59 * 60 + 59
  ) {
    throw wrongValue("time", value, column);
  }
  return rounded;
}

function valueToTextFor(value: Exclude<Value, null | boolean>, column: ColumnDef): string {
  return typeof value === "string" || value instanceof Uint8Array
    ? toText(value, column)
    : valueToText(value);
}

/** YEAR: 1901..2155 (or 0); 1..69 → 2001..2069, 70..99 → 1970..1999; strings '0'..'99' likewise ('0' → 2000). */
function checkYear(column: ColumnDef, value: Exclude<Value, null>): number {
  let year: number;
  let fromText = false;
  if (typeof value === "string" || value instanceof Uint8Array) {
    const text = toText(value, column).trim();
    if (!/^\d{1,4}$/.test(text)) throw wrongValue("integer", value, column);
    year = Number(text);
    fromText = text.length <= 2;
  } else if (value instanceof Temporal) {
    if (value.kind === "time") throw wrongValue("integer", value, column);
    year = Number(String(value).slice(0, 4));
  } else {
    const number = typeof value === "boolean" ? (value ? 1 : 0) : Number(valueToNumber(value));
    year = Math.sign(number) * Math.round(Math.abs(number));
  }
  if (fromText && year < 100) return year < 70 ? 2000 + year : 1900 + year;
  if (year === 0) return 0;
  if (year >= 1 && year <= 69) return 2000 + year;
  if (year >= 70 && year <= 99) return 1900 + year;
  if (year < 1901 || year > 2155) throw outOfRange(column);
  return year;
}

function dataTruncated(column: ColumnDef): QueueError {
  return new QueueError(
    "ER_WARN_DATA_TRUNCATED",
    `Data truncated for column '${column.name}' at row 1`,
  );
}

/** The member an ENUM value names: by text (case-insensitively, trailing spaces ignored) or 1-based index. */
function checkEnum(
  column: ColumnDef,
  members: readonly string[],
  value: Exclude<Value, null>,
): Member {
  if (typeof value === "string" || value instanceof Uint8Array || value instanceof Member) {
    const text = toText(value, column).replace(/ +$/, "");
    const exact = members.indexOf(text);
    if (exact >= 0) return new Member(text, exact + 1);
    const lower = text.toLowerCase();
    const loose = members.findIndex((member) => member.toLowerCase() === lower);
    const member = members[loose];
    if (member !== undefined) return new Member(member, loose + 1);
    throw dataTruncated(column);
  }
  const number = Number(
    valueToNumber(value instanceof Temporal ? value.toNumeric() as number : value),
  );
  const member = Number.isInteger(number) ? members[number - 1] : undefined;
  if (member === undefined) throw dataTruncated(column);
  return new Member(member, number);
}

/** A SET value: comma-separated members (any order, repeats merged) or a bit mask; stored in declaration order. */
function checkSet(
  column: ColumnDef,
  members: readonly string[],
  value: Exclude<Value, null>,
): Member {
  let mask = 0n;
  if (typeof value === "string" || value instanceof Uint8Array || value instanceof Member) {
    const text = toText(value, column);
    if (text !== "") {
      for (const part of text.split(",")) {
        const name = part.replace(/ +$/, "").toLowerCase();
        const index = members.findIndex((member) => member.toLowerCase() === name);
        if (index < 0) throw dataTruncated(column);
        mask |= 1n << BigInt(index);
      }
    }
  } else if (value instanceof Temporal) {
    throw dataTruncated(column);
  } else {
    const number = valueToNumber(value);
    if (typeof number === "number" && !Number.isInteger(number)) throw dataTruncated(column);
    mask = BigInt(number);
    if (mask < 0n || mask >= 1n << BigInt(members.length)) throw dataTruncated(column);
  }
  return setMember(members, mask);
}

/**
 * BIT(n): an unsigned integer below 2^n. Bytes, and strings as their UTF-8
 * bytes, are read big-endian, as MySQL stores a string in a BIT column
 * ('5' is 53) and as b'…' and 0x… literals spell them.
 */
function checkBit(column: ColumnDef, bits: number, value: Exclude<Value, null>): number | bigint {
  let integer: bigint;
  if (value instanceof Uint8Array || typeof value === "string") {
    const bytes = typeof value === "string" ? textToBytes(checkWellFormed(value, column)) : value;
    if (bytes.length * 8 > bits + 7) throw outOfRange(column);
    integer = 0n;
    for (const byte of bytes) integer = (integer << 8n) | BigInt(byte);
  } else if (value instanceof Decimal || value instanceof Temporal) {
    throw wrongValue("integer", value, column);
  } else if (value instanceof Member) {
    integer = BigInt(value.number);
  } else if (typeof value === "boolean") {
    integer = value ? 1n : 0n;
  } else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw outOfRange(column);
    integer = BigInt(Math.sign(value) * Math.round(Math.abs(value)));
  } else integer = value;
  if (integer < 0n || integer >= 1n << BigInt(bits)) throw outOfRange(column);
  return integer <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(integer) : integer;
}
