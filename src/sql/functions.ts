/**
 * MySQL's native functions: the table compile.ts looks names up in, with
 * each function's argument count, result type and evaluation. Names are
 * case-insensitive (the parser lower-cases them). A wrong argument count is
 * ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT, MySQL's error 1582.
 *
 * call node → (compile.ts: arity, arguments compiled) → FunctionSpec.build → RowAccessor
 *
 * Semantics are MySQL's (checked against MariaDB 10.11), with q4d's value
 * model (compile.ts): a NULL argument gives NULL unless the function says
 * otherwise (CONCAT_WS, COALESCE, IFNULL, IF, CASE); strings count
 * positions in characters (code points), byte strings (Uint8Array) in
 * bytes; text comparisons (NULLIF, CASE, GREATEST, LOCATE, REPLACE) are
 * binary (case-sensitive), as everywhere in q4d.
 *
 * Numbers: each numeric function decides its arithmetic in one place,
 * `numericKindOf` (int or double today; DECIMAL gets its case there). ROUND
 * and TRUNCATE on a double work as MySQL's `rint(x * 10^d) / 10^d` (so
 * ROUND(2.5e0) is 2: half to even, as MySQL on DOUBLE); on integers they
 * round half away from zero. Decimal literals (2.5) are doubles in q4d
 * until DECIMAL lands, so ROUND(2.5) is 2 here and 3 in MySQL.
 *
 * String results longer than `stringResultBytesMax` (REPEAT, LPAD, RPAD,
 * CONCAT, CONCAT_WS, REPLACE) are NULL, as MySQL past max_allowed_packet
 * (where MySQL also warns; q4d has no warnings).
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { Value } from "./ast.ts";
import {
  bytesToText,
  compareNumbers,
  compareValues,
  isDoubleValue,
  textToBytes,
  valueToNumber,
  valueToText,
} from "./convert.ts";
import { jsonFunctions } from "./json_functions.ts";

/**
 * Longest string a function builds, in bytes: MySQL's `max_allowed_packet`
 * (MariaDB 10.11's default, 16 MiB; MySQL 8's is 64 MiB). Longer results
 * are NULL, as MySQL's. Also bounds the memory one expression can take.
 */
export const stringResultBytesMax = 16 * 1024 * 1024;

/** A compiled argument: evaluated only when (and as often as) the function asks. */
export type Arg = (row: readonly Value[], params: readonly Value[]) => Value;

/** What a native function is: its arity, result type and how to build its evaluator. */
export interface FunctionSpec {
  /** Fewest arguments. */
  min: number;
  /** Most arguments (Infinity: any). */
  max: number;
  /** Whether MySQL types the result as a number whatever its value (BETWEEN uses it). */
  numeric: boolean;
  /** The evaluator over the compiled arguments. `form` is the special syntax used (TRIM). */
  build(args: Arg[], form: string | undefined): Arg;
  /**
   * For functions whose result is one of their arguments (IF, COALESCE,
   * CASE…): the indexes, for `count` arguments, of those that can be the
   * result. MySQL types the result by aggregating theirs: a number beside
   * a string makes it a string.
   */
  resultArgs?: (count: number) => number[];
}

type NonNull = Exclude<Value, null>;

const int64Min = -(1n << 63n);
const uint64Max = (1n << 64n) - 1n;

/** The wrong-argument-count error (MySQL's 1582). */
export function paramCountError(name: string): QueueError {
  return new QueueError(
    "ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT",
    `Incorrect parameter count in the call to native function '${name}'`,
  );
}

// ---------------------------------------------------------------------------
// Helpers

/** An evaluator that is NULL when any argument is NULL, else `apply` of the values. */
function strictBuild(args: Arg[], apply: (values: NonNull[]) => Value): Arg {
  return (row, params) => {
    const values: NonNull[] = new Array(args.length);
    for (let i = 0; i < args.length; i++) {
      const value = args[i](row, params);
      if (value === null) return null;
      values[i] = value;
    }
    return apply(values);
  };
}

/** A function whose result is NULL when any argument is NULL. */
function strict(
  min: number,
  max: number,
  numeric: boolean,
  apply: (values: NonNull[]) => Value,
): FunctionSpec {
  return { min, max, numeric, build: (args) => strictBuild(args, apply) };
}

/** An integer argument (position, length, count) as MySQL's val_int reads it. */
export function integerArgument(value: NonNull): number {
  if (typeof value === "number") {
    const integer = Number.isInteger(value)
      ? value
      : Math.sign(value) * Math.round(Math.abs(value));
    return Math.min(Math.max(integer, -(2 ** 63)), 2 ** 63 - 1);
  }
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  const text = typeof value === "string" ? value : bytesToText(value);
  const match = /^[ \t\n\r]*([+-]?\d+)/.exec(text);
  if (match === null) return 0;
  // A longer digit run saturates at the BIGINT bounds, as MySQL's conversion.
  return Math.min(Math.max(Number(match[1]), -(2 ** 63)), 2 ** 63 - 1);
}

/**
 * A string argument: text counted in code points, or a byte string counted
 * in bytes. Text without surrogates is kept as the string itself (a code
 * unit is then a code point), so a long body costs no array per call.
 */
type Units = { binary: false; units: string | string[] } | { binary: true; units: Uint8Array };

const surrogate = /[\ud800-\udfff]/;

function textUnits(text: string): Units {
  return { binary: false, units: surrogate.test(text) ? Array.from(text) : text };
}

function unitsOf(value: NonNull): Units {
  if (value instanceof Uint8Array) return { binary: true, units: value };
  return textUnits(valueToText(value));
}

function sliceUnits(units: Units, start: number, end?: number): Value {
  if (units.binary) return units.units.slice(start, end);
  const u = units.units;
  return typeof u === "string" ? u.slice(start, end) : u.slice(start, end).join("");
}

function byteLength(value: string | Uint8Array): number {
  if (value instanceof Uint8Array) return value.length;
  return value.length > stringResultBytesMax / 3 ? textToBytes(value).length : value.length * 3;
}

/** NULL past the size limit (MySQL's max_allowed_packet rule). */
function bounded(value: string | Uint8Array): Value {
  if (byteLength(value) <= stringResultBytesMax) return value;
  return (value instanceof Uint8Array ? value.length : textToBytes(value).length) >
      stringResultBytesMax
    ? null
    : value;
}

/** Concatenation: text unless some part is a byte string. */
function concatenate(parts: NonNull[]): Value {
  if (!parts.some((part) => part instanceof Uint8Array)) {
    let bytes = 0;
    const texts = parts.map((part) => {
      const text = valueToText(part);
      bytes += text.length;
      return text;
    });
    if (bytes * 3 > stringResultBytesMax) return bounded(texts.join(""));
    return texts.join("");
  }
  const chunks = parts.map((part) =>
    part instanceof Uint8Array ? part : textToBytes(valueToText(part))
  );
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  if (total > stringResultBytesMax) return null;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Simple (one-to-one) case mapping per code point, as MySQL's: 'ß' stays 'ß' in UPPER. */
function mapCase(text: string, upper: boolean): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return upper ? text.toUpperCase() : text.toLowerCase();
  let out = "";
  for (const char of text) {
    const mapped = upper ? char.toUpperCase() : char.toLowerCase();
    out += Array.from(mapped).length === 1 ? mapped : char;
  }
  return out;
}

function indexOfUnits(haystack: Units, needle: Units, from: number): number {
  const h = haystack.units;
  const n = needle.units;
  if (typeof h === "string" && typeof n === "string") return h.indexOf(n, from);
  outer: for (let i = from; i + n.length <= h.length; i++) {
    for (let j = 0; j < n.length; j++) if (h[i + j] !== n[j]) continue outer;
    return i;
  }
  return -1;
}

/** Both strings as the same kind: bytes when either is, else code points. */
function unitsPair(a: NonNull, b: NonNull): [Units, Units] {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    const bytes = (v: NonNull): Units => ({
      binary: true,
      units: v instanceof Uint8Array ? v : textToBytes(valueToText(v)),
    });
    return [bytes(a), bytes(b)];
  }
  return [unitsOf(a), unitsOf(b)];
}

// ---------------------------------------------------------------------------
// Strings

function substring(values: NonNull[]): Value {
  const units = unitsOf(values[0]);
  const length = units.units.length;
  let position = integerArgument(values[1]);
  const count = values.length > 2 ? integerArgument(values[2]) : Infinity;
  if (position === 0 || count < 1 || Math.abs(position) > length) {
    return units.binary ? new Uint8Array(0) : "";
  }
  if (position < 0) position += length;
  else position -= 1;
  return sliceUnits(units, position, Math.min(length, position + count));
}

function trim(values: NonNull[], form: string | undefined): Value {
  const [subject, remove] = values.length > 1
    ? unitsPair(values[0], values[1])
    : [unitsOf(values[0]), unitsOf(" ")];
  const s = subject.units;
  const r = remove.units;
  if (r.length === 0) return values[0] instanceof Uint8Array ? values[0] : valueToText(values[0]);
  let start = 0;
  let end = s.length;
  const matchesAt = (at: number): boolean => {
    for (let j = 0; j < r.length; j++) if (s[at + j] !== r[j]) return false;
    return true;
  };
  if (form !== "trailing") {
    while (start + r.length <= end && matchesAt(start)) start += r.length;
  }
  if (form !== "leading") {
    while (end - r.length >= start && matchesAt(end - r.length)) end -= r.length;
  }
  return sliceUnits(subject, start, end);
}

/**
 * REPLACE, evaluated in MySQL's order: the replacement is read only when the
 * search string occurs, so REPLACE('q', 'x', <NULL>) is 'q'. (MariaDB folds
 * a literal NULL replacement to NULL; q4d reads it like any NULL.)
 */
function replace([subjectArg, fromArg, toArg]: Arg[]): Arg {
  return (row, params) => {
    const subjectValue = subjectArg(row, params);
    if (subjectValue === null) return null;
    const fromValue = fromArg(row, params);
    if (fromValue === null) return null;
    const [subject, from] = unitsPair(subjectValue, fromValue);
    const original = subjectValue instanceof Uint8Array ? subjectValue : valueToText(subjectValue);
    if (from.units.length === 0 || indexOfUnits(subject, from, 0) < 0) return original;
    const toValue = toArg(row, params);
    if (toValue === null) return null;
    if (!subject.binary && !(toValue instanceof Uint8Array)) {
      return bounded((original as string).replaceAll(valueToText(fromValue), valueToText(toValue)));
    }
    const text = bytesToText(subject.binary ? subject.units : textToBytes(original as string));
    const result = text.replaceAll(bytesToText(from.units as Uint8Array), textOf(toValue));
    return bounded(textToBytes(result));
  };
}

function textOf(value: NonNull): string {
  return value instanceof Uint8Array ? bytesToText(value) : valueToText(value);
}

/** LOCATE's 1-based position of `needle` from `start`, 0 when absent (MariaDB's bounds). */
function locate(needleValue: NonNull, haystackValue: NonNull, start: number | null): number {
  const [haystack, needle] = unitsPair(haystackValue, needleValue);
  if (start !== null && (start < 1 || start > haystack.units.length)) return 0;
  const from = start === null ? 0 : start - 1;
  if (needle.units.length === 0) return from + 1;
  return indexOfUnits(haystack, needle, from) + 1;
}

function repeat(values: NonNull[]): Value {
  const count = integerArgument(values[1]);
  const text = values[0];
  if (count <= 0) return text instanceof Uint8Array ? new Uint8Array(0) : "";
  const unit = text instanceof Uint8Array ? text : valueToText(text);
  const unitBytes = unit instanceof Uint8Array ? unit.length : textToBytes(unit).length;
  if (unitBytes * count > stringResultBytesMax) return null;
  if (typeof unit === "string") return unit.repeat(count);
  const out = new Uint8Array(unit.length * count);
  for (let i = 0; i < count; i++) out.set(unit, i * unit.length);
  return out;
}

function pad(values: NonNull[], left: boolean): Value {
  const length = integerArgument(values[1]);
  if (length < 0) return null;
  const [subject, padding] = unitsPair(values[0], values[2]);
  const have = subject.units.length;
  if (length <= have) return sliceUnits(subject, 0, length);
  if (padding.units.length === 0) return null;
  const need = length - have;
  if (need > stringResultBytesMax) return null;
  const own = subject.units;
  const padUnits = padding.units;
  if (typeof own === "string" && typeof padUnits === "string") {
    const fill = padUnits.repeat(Math.ceil(need / padUnits.length)).slice(0, need);
    return bounded(left ? fill + own : own + fill);
  }
  const fill: (string | number)[] = [];
  for (let i = 0; i < need; i++) fill.push(padUnits[i % padUnits.length]);
  const mine = Array.from(own as ArrayLike<string | number>);
  const all = left ? [...fill, ...mine] : [...mine, ...fill];
  const result = subject.binary ? Uint8Array.from(all as number[]) : (all as string[]).join("");
  return bounded(result);
}

function hex(value: NonNull): string {
  if (typeof value === "string" || value instanceof Uint8Array) {
    const bytes = typeof value === "string" ? textToBytes(value) : value;
    let out = "";
    for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
    return out.toUpperCase();
  }
  let integer: bigint;
  if (typeof value === "bigint") integer = value;
  else if (typeof value === "boolean") integer = value ? 1n : 0n;
  // A double outside the 64-bit range is all ones (MariaDB's HEX), at either end.
  else if (!(value > -(2 ** 63) && value < 2 ** 64)) integer = uint64Max;
  else integer = BigInt(Math.sign(value) * Math.round(Math.abs(value)));
  return BigInt.asUintN(64, integer).toString(16).toUpperCase();
}

function unhex(value: NonNull): Value {
  let text = value instanceof Uint8Array ? bytesToText(value) : valueToText(value);
  if (!/^[0-9a-fA-F]*$/.test(text)) return null;
  if (text.length % 2 === 1) text = "0" + text;
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

const stringFunctions: Record<string, FunctionSpec> = {
  concat: strict(1, Infinity, false, concatenate),
  concat_ws: {
    min: 2,
    max: Infinity,
    numeric: false,
    build: ([separator, ...parts]) => (row, params) => {
      const sep = separator(row, params);
      if (sep === null) return null;
      const joined: NonNull[] = [];
      for (const part of parts) {
        const value = part(row, params);
        if (value === null) continue;
        if (joined.length > 0) joined.push(sep);
        joined.push(value);
      }
      return concatenate(joined);
    },
  },
  length: strict(
    1,
    1,
    true,
    ([value]) =>
      value instanceof Uint8Array ? value.length : textToBytes(valueToText(value)).length,
  ),
  char_length: strict(1, 1, true, ([value]) => {
    if (value instanceof Uint8Array) return value.length;
    const text = valueToText(value);
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0xdc00 || code > 0xdfff) count++;
    }
    return count;
  }),
  lower: strict(
    1,
    1,
    false,
    ([value]) => value instanceof Uint8Array ? value : mapCase(valueToText(value), false),
  ),
  upper: strict(
    1,
    1,
    false,
    ([value]) => value instanceof Uint8Array ? value : mapCase(valueToText(value), true),
  ),
  substring: strict(2, 3, false, substring),
  left: strict(2, 2, false, ([value, count]) => {
    const units = unitsOf(value);
    return sliceUnits(units, 0, Math.max(0, integerArgument(count)));
  }),
  right: strict(2, 2, false, ([value, count]) => {
    const units = unitsOf(value);
    const n = integerArgument(count);
    if (n <= 0) return sliceUnits(units, 0, 0);
    return sliceUnits(units, Math.max(0, units.units.length - n));
  }),
  trim: {
    min: 1,
    max: 2,
    numeric: false,
    build: (args, form) => strictBuild(args, (values) => trim(values, form)),
  },
  ltrim: strict(1, 1, false, (values) => trim(values, "leading")),
  rtrim: strict(1, 1, false, (values) => trim(values, "trailing")),
  replace: { min: 3, max: 3, numeric: false, build: replace },
  locate: strict(
    2,
    3,
    true,
    (values) => locate(values[0], values[1], values.length > 2 ? integerArgument(values[2]) : null),
  ),
  instr: strict(2, 2, true, ([haystack, needle]) => locate(needle, haystack, null)),
  repeat: strict(2, 2, false, repeat),
  reverse: strict(1, 1, false, ([value]) => {
    if (value instanceof Uint8Array) return value.slice().reverse();
    return Array.from(valueToText(value)).reverse().join("");
  }),
  lpad: strict(3, 3, false, (values) => pad(values, true)),
  rpad: strict(3, 3, false, (values) => pad(values, false)),
  hex: strict(1, 1, false, ([value]) => hex(value)),
  unhex: strict(1, 1, false, ([value]) => unhex(value)),
};
stringFunctions.character_length = stringFunctions.char_length;
stringFunctions.octet_length = stringFunctions.length;
stringFunctions.lcase = stringFunctions.lower;
stringFunctions.ucase = stringFunctions.upper;
stringFunctions.substr = stringFunctions.substring;
stringFunctions.mid = strict(3, 3, false, substring);

// ---------------------------------------------------------------------------
// Control flow

/** Whether a condition value counts as true (compile.ts' rule, repeated to avoid a cycle). */
function truthy(value: Value): boolean {
  if (value === null) return false;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "bigint") return value !== 0n;
  if (typeof value === "boolean") return value;
  return valueToNumber(value) != 0;
}

const everyIndex = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

/** CASE's result arguments: each THEN and the ELSE, from index `first` (the first WHEN). */
function caseResults(first: number): (count: number) => number[] {
  return (count) => {
    const indexes: number[] = [];
    let i = first;
    for (; i + 1 < count; i += 2) indexes.push(i + 1);
    if (i < count) indexes.push(i);
    return indexes;
  };
}

const controlFunctions: Record<string, FunctionSpec> = {
  coalesce: {
    min: 1,
    max: Infinity,
    numeric: false,
    resultArgs: everyIndex,
    build: (args) => (row, params) => {
      for (const arg of args) {
        const value = arg(row, params);
        if (value !== null) return value;
      }
      return null;
    },
  },
  ifnull: {
    min: 2,
    max: 2,
    numeric: false,
    resultArgs: everyIndex,
    build: ([a, b]) => (row, params) => a(row, params) ?? b(row, params),
  },
  nullif: {
    min: 2,
    max: 2,
    numeric: false,
    build: ([a, b]) => (row, params) => {
      const x = a(row, params);
      if (x === null) return null;
      const y = b(row, params);
      return y !== null && compareValues(x, y) === 0 ? null : x;
    },
  },
  if: {
    min: 3,
    max: 3,
    numeric: false,
    resultArgs: () => [1, 2],
    build: ([condition, yes, no]) => (row, params) =>
      truthy(condition(row, params)) ? yes(row, params) : no(row, params),
  },
  /** Searched CASE: args are when, then, when, then, …[, else]. */
  "case searched": {
    min: 2,
    max: Infinity,
    numeric: false,
    resultArgs: caseResults(0),
    build: (args) => (row, params) => {
      let i = 0;
      for (; i + 1 < args.length; i += 2) {
        if (truthy(args[i](row, params))) return args[i + 1](row, params);
      }
      return i < args.length ? args[i](row, params) : null;
    },
  },
  /** Simple CASE: args are the operand, then when, then, …[, else]. */
  "case simple": {
    min: 3,
    max: Infinity,
    numeric: false,
    resultArgs: caseResults(1),
    build: ([operand, ...rest]) => (row, params) => {
      const value = operand(row, params);
      let i = 0;
      for (; i + 1 < rest.length; i += 2) {
        if (value === null) continue;
        const candidate = rest[i](row, params);
        if (candidate !== null && compareValues(value, candidate) === 0) {
          return rest[i + 1](row, params);
        }
      }
      return i < rest.length ? rest[i](row, params) : null;
    },
  },
};

// ---------------------------------------------------------------------------
// Numbers

/**
 * The arithmetic a numeric function uses for a value: exact integer or
 * double. The single dispatch point per value: DECIMAL adds its kind here.
 */
export function numericKindOf(value: NonNull): "int" | "double" {
  return isDoubleValue(value) ? "double" : "int";
}

function asInteger(value: NonNull): bigint {
  const number = valueToNumber(value);
  return typeof number === "bigint" ? number : BigInt(number);
}

function fromBigInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function outOfRange(text: string): QueueError {
  return new QueueError("ER_DATA_OUT_OF_RANGE", `BIGINT value is out of range in '${text}'`);
}

/** C's rint(): nearest integer, halves to even (MySQL rounds doubles with it). */
function rint(value: number): number {
  const rounded = Math.round(value);
  if (Math.abs(value % 1) === 0.5 && rounded % 2 !== 0) return rounded - 1;
  return rounded === 0 ? 0 : rounded;
}

/** MySQL's my_double_round: ROUND (and, `truncate`, TRUNCATE) of a double to `places`. */
function roundDouble(value: number, places: number, truncate: boolean): number {
  const scale = Math.pow(10, Math.abs(places));
  let result: number;
  if (places < 0 && !Number.isFinite(scale)) {
    result = 0;
  } else if (places >= 0 && !Number.isFinite(value * scale)) {
    result = value;
  } else if (truncate) {
    const scaled = places < 0 ? value / scale : value * scale;
    const whole = value >= 0 ? Math.floor(scaled) : Math.ceil(scaled);
    result = places < 0 ? whole * scale : whole / scale;
  } else {
    result = places < 0 ? rint(value / scale) * scale : rint(value * scale) / scale;
  }
  return result === 0 ? 0 : result;
}

/** ROUND/TRUNCATE of an integer to `places` < 0: half away from zero, or toward zero. */
function roundInteger(value: bigint, places: number, truncate: boolean, name: string): Value {
  if (places >= 0) return fromBigInt(value);
  if (places < -20) return 0;
  const scale = 10n ** BigInt(-places);
  let quotient = value / scale;
  const remainder = value % scale;
  if (!truncate && (remainder < 0n ? -remainder : remainder) * 2n >= scale) {
    quotient += value < 0n ? -1n : 1n;
  }
  const result = quotient * scale;
  // MySQL widens to DECIMAL here; q4d keeps the exact integer inside 64 bits.
  if (result < int64Min || result > uint64Max) throw outOfRange(`${name}(${value},${places})`);
  return fromBigInt(result);
}

function rounding(name: string, truncate: boolean): FunctionSpec {
  return strict(truncate ? 2 : 1, 2, true, (values) => {
    const places = values.length > 1 ? integerArgument(values[1]) : 0;
    const value = values[0];
    switch (numericKindOf(value)) {
      case "int":
        return roundInteger(asInteger(value), places, truncate, name);
      case "double":
        return roundDouble(Number(valueToNumber(value)), places, truncate);
    }
  });
}

function ceilOrFloor(up: boolean): FunctionSpec {
  return strict(1, 1, true, ([value]) => {
    switch (numericKindOf(value)) {
      case "int":
        return valueToNumber(value);
      case "double": {
        const number = Number(valueToNumber(value));
        const result = up ? Math.ceil(number) : Math.floor(number);
        return result === 0 ? 0 : result;
      }
    }
  });
}

/** GREATEST / LEAST: strings as strings when all are, integers exactly, else doubles. */
function extreme(greatest: boolean): FunctionSpec {
  return strict(2, Infinity, false, (values) => {
    const allText = values.every((v) => typeof v === "string" || v instanceof Uint8Array);
    const allInt = !allText && values.every((v) => !allTextLike(v) && numericKindOf(v) === "int");
    let best: NonNull = allText || allInt ? values[0] : Number(valueToNumber(values[0]));
    for (let i = 1; i < values.length; i++) {
      const value: NonNull = allText || allInt ? values[i] : Number(valueToNumber(values[i]));
      const sign = allText
        ? compareValues(value, best)
        : compareNumbers(valueToNumber(value), valueToNumber(best));
      if (greatest ? sign > 0 : sign < 0) best = value;
    }
    if (allInt) return typeof best === "boolean" ? (best ? 1 : 0) : best;
    return typeof best === "number" && best === 0 ? 0 : best;
  });
}

function allTextLike(value: NonNull): boolean {
  return typeof value === "string" || value instanceof Uint8Array;
}

const numericFunctions: Record<string, FunctionSpec> = {
  abs: strict(1, 1, true, ([value]) => {
    switch (numericKindOf(value)) {
      case "int": {
        const number = valueToNumber(value);
        if (typeof number === "number") return number < 0 ? -number : number;
        if (number === int64Min) throw outOfRange(`abs(${number})`);
        return fromBigInt(number < 0n ? -number : number);
      }
      case "double":
        return Math.abs(Number(valueToNumber(value)));
    }
  }),
  ceil: ceilOrFloor(true),
  ceiling: ceilOrFloor(true),
  floor: ceilOrFloor(false),
  round: rounding("round", false),
  truncate: rounding("truncate", true),
  sign: strict(1, 1, true, ([value]) => {
    const number = valueToNumber(value);
    return number > 0 ? 1 : number < 0 ? -1 : 0;
  }),
  greatest: extreme(true),
  least: extreme(false),
};

/**
 * Every native function q4d has, by lower-case name. `mod` and `pow` are
 * compiled by compile.ts (they share its operators' arithmetic). The keys
 * `case searched` / `case simple` are reached only through CASE syntax.
 */
export const nativeFunctions: ReadonlyMap<string, FunctionSpec> = new Map(
  Object.entries({
    ...stringFunctions,
    ...controlFunctions,
    ...numericFunctions,
    ...jsonFunctions,
  }),
);

/** The spec a call node names, or undefined (CASE's entries only through CASE syntax). */
export function functionSpecOf(name: string, form: string | undefined): FunctionSpec | undefined {
  if (name.includes(" ")) return undefined;
  return nativeFunctions.get(name === "case" && form !== undefined ? `case ${form}` : name);
}

/** Whether `name` (lower case) is a native function whose result is a number by type. */
export function functionReturnsNumber(name: string): boolean {
  return nativeFunctions.get(name)?.numeric ?? true;
}
