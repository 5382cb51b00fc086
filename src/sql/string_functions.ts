/**
 * The string functions: CONCAT, CONCAT_WS, LENGTH, CHAR_LENGTH, LOWER,
 * UPPER, SUBSTRING, LEFT, RIGHT, TRIM, LTRIM, RTRIM, REPLACE, LOCATE,
 * INSTR, POSITION … IN, REPEAT, REVERSE, LPAD, RPAD, HEX, UNHEX (and MySQL's aliases).
 * Text counts positions in code points, byte strings (Uint8Array) in
 * bytes; a byte-string argument makes CONCAT's result bytes. Comparisons
 * (LOCATE, REPLACE, TRIM) are binary. Results over `stringResultBytesMax`
 * are NULL, as MySQL past max_allowed_packet.
 *
 * @module
 */

import { defined } from "../errors.ts";
import type { Value } from "./ast.ts";
import { bytesToText, textToBytes, valueToText } from "./convert.ts";
import { Decimal, decimalToInteger } from "./decimal.ts";
import {
  addAlias,
  type Arg,
  arityChecked,
  type AtLeast,
  type FunctionSpec,
  integerArgument,
  type NonNull,
  strict,
  strictBuild,
  stringResultBytesMax,
} from "./function_support.ts";

const uint64Max = (1n << 64n) - 1n;

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

function substring(values: AtLeast<2, NonNull>): Value {
  const units = unitsOf(values[0]);
  const length = units.units.length;
  let position = integerArgument(values[1]);
  const count = values[2] === undefined ? Infinity : integerArgument(values[2]);
  if (position === 0 || count < 1 || Math.abs(position) > length) {
    return units.binary ? new Uint8Array(0) : "";
  }
  if (position < 0) position += length;
  else position -= 1;
  return sliceUnits(units, position, Math.min(length, position + count));
}

function trim(values: AtLeast<1, NonNull>, form: string | undefined): Value {
  const [subject, remove] = unitsPair(values[0], values[1] ?? " ");
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
function replace(args: Arg[]): Arg {
  const [subjectArg, fromArg, toArg] = arityChecked(args, 3);
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
    // Some argument is a byte string: the result is bytes, replaced byte for byte.
    const bytes = (value: NonNull): Units => ({
      binary: true,
      units: value instanceof Uint8Array ? value : textToBytes(valueToText(value)),
    });
    return replaceBytes(bytes(subjectValue), bytes(fromValue), bytes(toValue));
  };
}

/** Every occurrence of `from` in `subject` replaced by `to`, as bytes (NULL past the bound). */
function replaceBytes(subject: Units, from: Units, to: Units): Value {
  const chunks: Uint8Array[] = [];
  const source = subject.units as Uint8Array;
  const replacement = to.units as Uint8Array;
  let total = 0;
  let at = 0;
  for (;;) {
    const found = indexOfUnits(subject, from, at);
    const end = found < 0 ? source.length : found;
    chunks.push(source.subarray(at, end));
    total += end - at;
    if (found < 0) break;
    chunks.push(replacement);
    total += replacement.length;
    if (total > stringResultBytesMax) return null;
    at = found + from.units.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** LOCATE's 1-based position of `needle` from `start`, 0 when absent (MariaDB's bounds). */
function locate(needleValue: NonNull, haystackValue: NonNull, start: number | null): number {
  const [haystack, needle] = unitsPair(haystackValue, needleValue);
  if (start !== null && (start < 1 || start > haystack.units.length)) return 0;
  const from = start === null ? 0 : start - 1;
  if (needle.units.length === 0) return from + 1;
  return indexOfUnits(haystack, needle, from) + 1;
}

function repeat(values: AtLeast<2, NonNull>): Value {
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

function pad(values: AtLeast<3, NonNull>, left: boolean): Value {
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
  for (let i = 0; i < need; i++) fill.push(defined(padUnits[i % padUnits.length], "i mod length"));
  const mine = Array.from(own as ArrayLike<string | number>);
  const all = left ? [...fill, ...mine] : [...mine, ...fill];
  const result = subject.binary ? Uint8Array.from(all as number[]) : (all as string[]).join("");
  return bounded(result);
}

function hex(value: NonNull): string {
  if (value instanceof Decimal) {
    return BigInt.asUintN(64, decimalToInteger(value)).toString(16).toUpperCase();
  }
  if (typeof value !== "number" && typeof value !== "bigint" && typeof value !== "boolean") {
    // Text, bytes, dates and ENUM/SET members: the bytes of their text.
    const bytes = value instanceof Uint8Array ? value : textToBytes(valueToText(value));
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

/** Only the first argument is a string whose charset the result takes. */
const first = (): number[] => [0];
/** LPAD/RPAD: the string and the padding. */
const padArgs = (): number[] => [0, 2];

function withCharsetArgs(charsetArgs: () => number[], spec: FunctionSpec): FunctionSpec {
  return { ...spec, charsetArgs };
}

/** The string functions, by lower-case name. */
export const stringFunctions: Record<string, FunctionSpec> = {
  concat: strict(1, Infinity, false, concatenate),
  concat_ws: {
    min: 2,
    max: Infinity,
    numeric: false,
    build: (args) => {
      const [separator, ...parts] = arityChecked(args, 2);
      return (row, params) => {
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
      };
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
  substring: { ...strict(2, 3, false, substring), charsetArgs: first },
  left: withCharsetArgs(
    first,
    strict(2, 2, false, ([value, count]) => {
      const units = unitsOf(value);
      return sliceUnits(units, 0, Math.max(0, integerArgument(count)));
    }),
  ),
  right: withCharsetArgs(
    first,
    strict(2, 2, false, ([value, count]) => {
      const units = unitsOf(value);
      const n = integerArgument(count);
      if (n <= 0) return sliceUnits(units, 0, 0);
      return sliceUnits(units, Math.max(0, units.units.length - n));
    }),
  ),
  trim: {
    min: 1,
    max: 2,
    numeric: false,
    build: (args, form) => strictBuild(args, 1, (values) => trim(values, form)),
  },
  ltrim: strict(1, 1, false, (values) => trim(values, "leading")),
  rtrim: strict(1, 1, false, (values) => trim(values, "trailing")),
  replace: { min: 3, max: 3, numeric: false, build: replace },
  locate: strict(
    2,
    3,
    true,
    (values) =>
      locate(values[0], values[1], values[2] === undefined ? null : integerArgument(values[2])),
  ),
  instr: strict(2, 2, true, ([haystack, needle]) => locate(needle, haystack, null)),
  /** POSITION(substr IN str); the parser gives it (substr, str). */
  position: strict(2, 2, true, ([needle, haystack]) => locate(needle, haystack, null)),
  repeat: { ...strict(2, 2, false, repeat), charsetArgs: first },
  reverse: strict(1, 1, false, ([value]) => {
    if (value instanceof Uint8Array) return value.slice().reverse();
    return Array.from(valueToText(value)).reverse().join("");
  }),
  lpad: { ...strict(3, 3, false, (values) => pad(values, true)), charsetArgs: padArgs },
  rpad: { ...strict(3, 3, false, (values) => pad(values, false)), charsetArgs: padArgs },
  hex: { ...strict(1, 1, false, ([value]) => hex(value)), textResult: "string" },
  unhex: { ...strict(1, 1, false, ([value]) => unhex(value)), textResult: "binary" },
};
addAlias(stringFunctions, "character_length", "char_length");
addAlias(stringFunctions, "octet_length", "length");
addAlias(stringFunctions, "lcase", "lower");
addAlias(stringFunctions, "ucase", "upper");
addAlias(stringFunctions, "substr", "substring");
stringFunctions.mid = { ...strict(3, 3, false, substring), charsetArgs: first };
