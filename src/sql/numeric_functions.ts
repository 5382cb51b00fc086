/**
 * The numeric functions: ABS, CEIL/CEILING, FLOOR, ROUND, TRUNCATE, SIGN,
 * GREATEST, LEAST (MOD and POW are compile.ts' operators). Each decides
 * its arithmetic in one place, `numericKindOf` (int or double today;
 * DECIMAL gets its case there and in each function's switch). ROUND and
 * TRUNCATE of a double are MySQL's `rint(x * 10^d) / 10^d` (ROUND(2.5e0)
 * is 2: half to even, as MySQL on DOUBLE); of an integer they round half
 * away from zero.
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import type { Value } from "./ast.ts";
import {
  compareNumbers,
  compareValues,
  numericClass,
  textToBytes,
  valueToDecimal,
  valueToNumber,
} from "./convert.ts";
import {
  Decimal,
  decimalAbs,
  decimalCeil,
  decimalExtreme,
  decimalFloor,
  decimalRound,
  decimalTruncate,
} from "./decimal.ts";
import { type FunctionSpec, integerArgument, type NonNull, strict } from "./function_support.ts";
import { int64Min, uint64Max } from "./operators.ts";
import { asDateTime, compareTemporals, fspMax, parseTime, Temporal } from "./temporal.ts";
import { toDateTime } from "./typed_ops.ts";

/**
 * The arithmetic a numeric function uses for a value: exact integer, exact
 * DECIMAL (also a date with a fraction) or double. The single dispatch
 * point per value.
 */
export function numericKindOf(value: NonNull): "int" | "decimal" | "double" {
  const kind = numericClass(value);
  return kind === "integer" ? "int" : kind;
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
      case "decimal": {
        const exact = valueToDecimal(value);
        return truncate ? decimalTruncate(exact, places) : decimalRound(exact, places);
      }
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
      case "decimal": {
        // A BIGINT when it fits (MariaDB's type: ROUND(CEIL(9.99), 2) is 10), else a DECIMAL.
        const exact = valueToDecimal(value);
        const whole = up ? decimalCeil(exact) : decimalFloor(exact);
        const integer = whole.unscaled / 10n ** BigInt(whole.scale);
        return integer >= int64Min && integer <= -(int64Min + 1n) ? fromBigInt(integer) : whole;
      }
      case "double": {
        const number = Number(valueToNumber(value));
        const result = up ? Math.ceil(number) : Math.floor(number);
        return result === 0 ? 0 : result;
      }
    }
  });
}

/**
 * GREATEST / LEAST: strings as strings when all are, integers exactly,
 * decimals exactly when none is a double or a string, else doubles.
 */
function extreme(greatest: boolean): FunctionSpec {
  return strict(2, Infinity, false, (values) => {
    if (values.some((v) => v instanceof Temporal)) return temporalExtreme(values, greatest);
    const allText = values.every((v) => typeof v === "string" || v instanceof Uint8Array);
    const kinds = allText ? [] : values.map((v) => numericKindOf(v));
    if (kinds.includes("decimal") && !kinds.includes("double")) {
      return decimalExtreme(values.map((v) => valueToDecimal(v)), greatest);
    }
    const allInt = !allText && values.every((v) => !allTextLike(v) && numericKindOf(v) === "int");
    const comparable = (v: NonNull): NonNull => allText || allInt ? v : Number(valueToNumber(v));
    let best = comparable(values[0]);
    for (let i = 1; i < values.length; i++) {
      const value = comparable(defined(values[i], "i < length"));
      const sign = allText
        ? compareValues(value, best)
        : compareNumbers(valueToNumber(value), valueToNumber(best));
      if (greatest ? sign > 0 : sign < 0) best = value;
    }
    if (allInt) return typeof best === "boolean" ? (best ? 1 : 0) : best;
    // Strings with a byte string among them give bytes (MySQL's VARBINARY result).
    if (allText && typeof best === "string" && values.some((v) => v instanceof Uint8Array)) {
      return textToBytes(best);
    }
    return typeof best === "number" && best === 0 ? 0 : best;
  });
}

/**
 * GREATEST / LEAST with a temporal argument (MariaDB's): every argument is
 * read as the arguments' temporal type — TIME when every temporal one is a
 * TIME, else DATETIME when one is a DATETIME (or DATE beside TIME), else
 * DATE — with the largest fraction digits among them, and the result is of
 * that type. An argument that is no such value makes the result NULL
 * (MariaDB takes it as a zero date, which q4d does not have: README).
 */
function temporalExtreme(values: readonly NonNull[], greatest: boolean): Value {
  const temporals = values.filter((v): v is Temporal => v instanceof Temporal);
  const kinds = new Set(temporals.map((t) => t.kind));
  const kind = kinds.size === 1 && kinds.has("time")
    ? "time"
    : kinds.has("datetime") || kinds.has("time")
    ? "datetime"
    : "date";
  const fsp = kind === "date" ? 0 : Math.max(...temporals.map((t) => t.fsp));
  let best: Temporal | null = null;
  for (const value of values) {
    const read = asTemporal(value, kind);
    if (read === null) return null;
    const shown = kind === "date" || read.kind === kind ? read : asDateTime(read);
    const sign = best === null ? 0 : compareTemporals(shown, best);
    if (best === null || (greatest ? sign > 0 : sign < 0)) best = shown;
  }
  if (best === null) return null;
  if (kind === "date") return new Temporal("date", Math.floor(best.seconds / 86400) * 86400, 0, 0);
  return new Temporal(best.kind, best.seconds, best.micros, fsp);
}

/** A value read as a DATE, DATETIME or TIME; null when it is none. */
function asTemporal(value: NonNull, kind: "date" | "datetime" | "time"): Temporal | null {
  if (value instanceof Temporal) return value;
  if (kind === "time") {
    return typeof value === "string" || typeof value === "number" || typeof value === "bigint" ||
        value instanceof Decimal
      ? parseTime(String(value), fspMax)
      : null;
  }
  return toDateTime(value);
}

function allTextLike(value: NonNull): boolean {
  return typeof value === "string" || value instanceof Uint8Array;
}

/** The numeric functions, by lower-case name. */
export const numericFunctions: Record<string, FunctionSpec> = {
  abs: strict(1, 1, true, ([value]) => {
    switch (numericKindOf(value)) {
      case "int": {
        const number = valueToNumber(value);
        if (typeof number === "number") return number < 0 ? -number : number;
        if (number === int64Min) throw outOfRange(`abs(${number})`);
        return fromBigInt(number < 0n ? -number : number);
      }
      case "decimal":
        return decimalAbs(valueToDecimal(value));
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
