/**
 * MySQL's exact DECIMAL: a scaled integer on bigint, with MySQL's result
 * scale rules. Literals like `0.1`, DECIMAL(p,s) columns and `/` produce
 * these; `compile.ts` calls the arithmetic here, `values.ts` the column fit.
 *
 * A value carries two scales, as MySQL's items do: `scale`, the digits it
 * holds after the point, and `decimals`, the scale its type declares (what
 * it prints as and compares at). They differ only after `/`: MySQL computes
 * a quotient to whole 9-digit words (`1/3` holds 0.333333333) but declares
 * the dividend's scale + div_precision_increment (4), so `1/3` prints
 * 0.3333, `1/3 = 0.3333` is true, yet `1/7*7` is 1.0000 (not 1.0003) and
 * storing `2/3` into DECIMAL(20,9) keeps 0.666666666. Checked against
 * MariaDB 10.11.
 *
 * @module
 */

import { assert, defined, QueueError } from "../errors.ts";

/** Most digits of a DECIMAL column (MySQL's DECIMAL_MAX_PRECISION). */
export const decimalPrecisionMax = 65;
/** Most digits after the point of a DECIMAL column (MySQL's DECIMAL_MAX_SCALE). */
export const decimalScaleMax = 30;
/** MySQL's div_precision_increment default: `/` adds this many digits of scale. */
export const divPrecisionIncrement = 4;
/** MySQL computes with at most 9 words of 9 digits; more integer digits is an overflow. */
const integerDigitsMax = 81;
/** Digits MySQL computes a quotient to are whole words of this many. */
const wordDigits = 9;
/** Most digits kept after the point inside a computation (9 words, as MySQL's buffer). */
const internalScaleMax = 81;

const powers: bigint[] = [1n];
/** 10^n as bigint (cached). */
function power10(n: number): bigint {
  assert(n >= 0 && Number.isInteger(n), "power of ten of a natural number");
  for (let last = defined(powers.at(-1), "powers starts at 1n"); powers.length <= n;) {
    last *= 10n;
    powers.push(last);
  }
  return defined(powers[n], "filled up to n above");
}

/**
 * An exact decimal number: `unscaled / 10^scale`, printed and compared at
 * `decimals` digits after the point (see the module comment).
 *
 * @example
 * ```ts
 * const third = decimalDivide(Decimal.ofInteger(1n), Decimal.ofInteger(3n));
 * console.log(String(third)); // "0.3333"
 * ```
 */
export class Decimal {
  /** The digits as an integer. */
  readonly unscaled: bigint;
  /** Digits held after the point. */
  readonly scale: number;
  /** Digits after the point the value's type declares: what it prints and compares at. */
  readonly decimals: number;

  /** `unscaled / 10^scale`, declared with `decimals` (default: `scale`). */
  constructor(unscaled: bigint, scale: number, decimals: number = scale) {
    assert(Number.isInteger(scale) && scale >= 0, "a decimal's scale is a natural number");
    assert(
      Number.isInteger(decimals) && decimals >= 0 && decimals <= internalScaleMax,
      "a decimal's declared scale is bounded",
    );
    this.unscaled = unscaled;
    this.scale = scale;
    this.decimals = decimals;
  }

  /** An integer as a decimal of scale 0. */
  static ofInteger(value: bigint | number): Decimal {
    return new Decimal(BigInt(value), 0);
  }

  /** The value rounded (half away from zero) to its declared scale. */
  declared(): Decimal {
    return this.scale === this.decimals ? this : roundDecimal(this, this.decimals);
  }

  /** MySQL's text: the declared scale, e.g. `0.3333`, `-1.50`, `2`. */
  toString(): string {
    return decimalText(this.declared());
  }

  /** The nearest double. */
  toNumber(): number {
    const number = Number(decimalText(this));
    return number === 0 ? 0 : number;
  }
}

/** Exact text of `unscaled / 10^scale` with all `scale` digits. */
function decimalText(value: Decimal): string {
  const negative = value.unscaled < 0n;
  let digits = (negative ? -value.unscaled : value.unscaled).toString();
  if (value.scale > 0) {
    digits = digits.padStart(value.scale + 1, "0");
    digits = digits.slice(0, digits.length - value.scale) + "." +
      digits.slice(digits.length - value.scale);
  }
  return negative ? "-" + digits : digits;
}

/**
 * `value` at exactly `scale` digits after the point: rounded half away from
 * zero (MySQL's ROUND_HALF_UP) or padded with zeros.
 */
export function roundDecimal(value: Decimal, scale: number): Decimal {
  if (scale >= value.scale) {
    return new Decimal(value.unscaled * power10(scale - value.scale), scale);
  }
  const divisor = power10(value.scale - scale);
  let quotient = value.unscaled / divisor;
  const remainder = value.unscaled % divisor;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  if (twice >= divisor) quotient += value.unscaled < 0n ? -1n : 1n;
  return new Decimal(quotient, scale);
}

const decimalTextPattern = /^[ \t\n\r]*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?[ \t\n\r]*$/;

/**
 * Parses a complete decimal number (`12`, `-0.50`, `.5`, `1e-3`, spaces
 * around allowed), or returns null, also when the integer part needs more
 * than 81 digits. The scale is the digits after the point less the
 * exponent; beyond 81 digits after the point the value is rounded there.
 * Works on the text first, so a long or far-shifted number costs no huge
 * bigint.
 */
export function parseDecimal(text: string): Decimal | null {
  const match = decimalTextPattern.exec(text);
  if (match === null) return null;
  const whole = match[2];
  const fraction = match[3] ?? "";
  if (whole === "" && fraction === "") return null;
  // Clamped: beyond this the value is zero or too large either way.
  const exponent = match[4] === undefined ? 0 : Math.max(-1e7, Math.min(1e7, Number(match[4])));
  const negative = match[1] === "-";
  const digits = (whole + fraction).replace(/^0+/, "");
  let scale = fraction.length - exponent;
  if (digits === "") return new Decimal(0n, Math.min(Math.max(scale, 0), decimalScaleMax));
  if (digits.length - scale > integerDigitsMax) return null;
  let unscaled: bigint;
  if (scale > internalScaleMax) {
    // Keep the digits down to internalScaleMax places, rounding half up on the next one.
    const keep = digits.length - (scale - internalScaleMax);
    unscaled = keep > 0 ? BigInt(digits.slice(0, keep)) : 0n;
    if (keep >= 0 && keep < digits.length && digits.charCodeAt(keep) >= 53) unscaled += 1n;
    scale = internalScaleMax;
  } else if (scale < 0) {
    unscaled = BigInt(digits) * power10(-scale);
    scale = 0;
  } else {
    unscaled = BigInt(digits);
  }
  return new Decimal(negative ? -unscaled : unscaled, scale);
}

/**
 * A finite double as a decimal: its shortest round-trip digits (MySQL's
 * conversion); null when its integer part needs more than 81 digits.
 */
export function decimalFromNumber(value: number): Decimal | null {
  assert(Number.isFinite(value), "only finite doubles become decimals");
  return parseDecimal(String(value));
}

/** How many digits `value` has before the point (0 for |value| < 1). */
export function integerDigits(value: Decimal): number {
  const magnitude = value.unscaled < 0n ? -value.unscaled : value.unscaled;
  const whole = magnitude / power10(value.scale);
  return whole === 0n ? 0 : whole.toString().length;
}

function overflow(what: string): QueueError {
  return new QueueError("ER_DATA_OUT_OF_RANGE", `DECIMAL value is out of range in '${what}'`);
}

/** A computed result: integer digits within MySQL's buffer, else ER_DATA_OUT_OF_RANGE. */
function checked(result: Decimal, what: () => string): Decimal {
  if (integerDigits(result) > integerDigitsMax) throw overflow(what());
  if (result.scale > internalScaleMax) {
    return new Decimal(
      roundDecimal(result, internalScaleMax).unscaled,
      internalScaleMax,
      result.decimals,
    );
  }
  return result;
}

/** Both operands' digits at a common scale. */
function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.unscaled, b.unscaled, a.scale];
  if (a.scale > b.scale) return [a.unscaled, b.unscaled * power10(a.scale - b.scale), a.scale];
  return [a.unscaled * power10(b.scale - a.scale), b.unscaled, b.scale];
}

/**
 * `a + b` or `a - b`: exact, declared scale the larger of the two.
 *
 * @example
 * ```ts
 * const sum = decimalAdd(parseDecimal("0.1")!, parseDecimal("0.2")!, "+");
 * console.log(String(sum)); // "0.3"
 * ```
 */
export function decimalAdd(a: Decimal, b: Decimal, op: "+" | "-"): Decimal {
  const [x, y, scale] = aligned(a, b);
  const result = new Decimal(op === "+" ? x + y : x - y, scale, Math.max(a.decimals, b.decimals));
  return checked(result, () => `${a} ${op} ${b}`);
}

/** `a * b`: exact, declared scale the sum of the two (at most 30). */
export function decimalMultiply(a: Decimal, b: Decimal): Decimal {
  const decimals = Math.min(a.decimals + b.decimals, decimalScaleMax);
  const result = new Decimal(a.unscaled * b.unscaled, a.scale + b.scale, decimals);
  return checked(result, () => `${a} * ${b}`);
}

function wordsUp(digits: number): number {
  return Math.ceil(digits / wordDigits) * wordDigits;
}

/**
 * `a / b`, or null when b is 0: MySQL's quotient, held to whole 9-digit
 * words (truncated) and declared at a's declared scale + 4 (at most 30).
 */
export function decimalDivide(a: Decimal, b: Decimal): Decimal | null {
  if (b.unscaled === 0n) return null;
  // MySQL's do_div_mod: the increment is reduced by the digits that rounding
  // each operand's scale up to whole words already adds.
  const wordScaleA = wordsUp(a.scale);
  const wordScaleB = wordsUp(b.scale);
  const increment = Math.max(
    0,
    divPrecisionIncrement - (wordScaleA - a.scale) - (wordScaleB - b.scale),
  );
  const scale = Math.min(wordsUp(wordScaleA + wordScaleB + increment), internalScaleMax);
  // a / b at `scale` digits: a.unscaled * 10^(scale - a.scale + b.scale) / b.unscaled.
  const shift = scale - a.scale + b.scale;
  const numerator = shift >= 0 ? a.unscaled * power10(shift) : a.unscaled / power10(-shift);
  const decimals = Math.min(a.decimals + divPrecisionIncrement, decimalScaleMax);
  return checked(new Decimal(numerator / b.unscaled, scale, decimals), () => `${a} / ${b}`);
}

/** `a % b` (sign of a), or null when b is 0; declared scale the larger of the two. */
export function decimalModulo(a: Decimal, b: Decimal): Decimal | null {
  if (b.unscaled === 0n) return null;
  const [x, y, scale] = aligned(a, b);
  return new Decimal(x % y, scale, Math.max(a.decimals, b.decimals));
}

/** `a DIV b`: the quotient truncated to an integer, or null when b is 0. */
export function decimalIntegerDivide(a: Decimal, b: Decimal): bigint | null {
  if (b.unscaled === 0n) return null;
  const [x, y] = aligned(a, b);
  return x / y;
}

/** `-a`, same scales. */
export function decimalNegate(a: Decimal): Decimal {
  return new Decimal(-a.unscaled, a.scale, a.decimals);
}

/**
 * Compares two decimals at their declared scales, as MySQL's comparison
 * operators do (`1/3 = 0.3333` is true), or, with `asHeld`, at every digit
 * held, as IN and BETWEEN do (`1/3 IN (0.3333, 5)` is false). Negative,
 * zero or positive.
 */
export function compareDecimals(a: Decimal, b: Decimal, asHeld: boolean = false): number {
  const [x, y] = asHeld ? aligned(a, b) : aligned(a.declared(), b.declared());
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The value rounded half away from zero to an integer (MySQL's DECIMAL → BIGINT). */
export function decimalToInteger(value: Decimal): bigint {
  return roundDecimal(value, 0).unscaled;
}

/**
 * Fits a value into DECIMAL(precision, scale): rounded half away from zero
 * to `scale` digits (MySQL stores it so, silently), or null when the
 * integer part needs more than `precision - scale` digits (out of range).
 */
export function fitDecimal(value: Decimal, precision: number, scale: number): Decimal | null {
  const rounded = roundDecimal(value, scale);
  if (integerDigits(rounded) > precision - scale) return null;
  return rounded;
}

/*
 * Helpers for the math functions on DECIMAL arguments (ROUND, TRUNCATE,
 * CEIL, FLOOR, ABS, GREATEST, LEAST), with MySQL's result scales, checked
 * against MariaDB 10.11. The function implementations call these when an
 * argument is a Decimal.
 */

/** Shifts `value` to `places` digits after the point, `places` possibly negative: [digits, divisor]. */
function shifted(value: Decimal, places: number): [bigint, bigint] {
  const drop = value.scale - places;
  return drop > 0 ? [value.unscaled, power10(drop)] : [value.unscaled * power10(-drop), 1n];
}

/**
 * ROUND(value, places): half away from zero at `places` digits (negative:
 * left of the point), from every digit held; the result has
 * max(places, 0) decimals, at most 30 (`ROUND(1.5, 3)` is 1.500,
 * `ROUND(2/3, 10)` is 0.6666666660, `ROUND(155, -1)` is 160).
 */
export function decimalRound(value: Decimal, places: number): Decimal {
  return roundOrTruncate(value, places, true);
}

/** TRUNCATE(value, places): toward zero at `places` digits; scales as {@linkcode decimalRound}. */
export function decimalTruncate(value: Decimal, places: number): Decimal {
  return roundOrTruncate(value, places, false);
}

function roundOrTruncate(value: Decimal, placesWanted: number, round: boolean): Decimal {
  // Left of every digit a decimal can hold, the result is 0.
  if (placesWanted < -integerDigitsMax) return new Decimal(0n, 0);
  const places = Math.min(placesWanted, decimalScaleMax);
  const [digits, divisor] = shifted(value, places);
  let quotient = digits / divisor;
  if (round) {
    const remainder = digits % divisor;
    if ((remainder < 0n ? -remainder : remainder) * 2n >= divisor) {
      quotient += digits < 0n ? -1n : 1n;
    }
  }
  if (places >= 0) return new Decimal(quotient, places);
  return new Decimal(quotient * power10(-places), 0);
}

/** CEIL(value) / CEILING: the least integer not below it, scale 0. */
export function decimalCeil(value: Decimal): Decimal {
  const [digits, divisor] = shifted(value, 0);
  const quotient = digits / divisor;
  return new Decimal(digits > quotient * divisor ? quotient + 1n : quotient, 0);
}

/** FLOOR(value): the greatest integer not above it, scale 0. */
export function decimalFloor(value: Decimal): Decimal {
  const [digits, divisor] = shifted(value, 0);
  const quotient = digits / divisor;
  return new Decimal(digits < quotient * divisor ? quotient - 1n : quotient, 0);
}

/** ABS(value): same scales (`ABS(-1/3)` shows 0.3333). */
export function decimalAbs(value: Decimal): Decimal {
  return value.unscaled < 0n ? decimalNegate(value) : value;
}

/**
 * The pick of GREATEST/LEAST among decimal (and integer) arguments, shown
 * with the largest declared scale among them, as MySQL types the result
 * (`GREATEST(1.5, 2)` is 2.0, `LEAST(0.1, 1/3)` is 0.1000). `greatest`
 * picks the largest, else the smallest; comparison is at every digit held.
 */
export function decimalExtreme(values: readonly Decimal[], greatest: boolean): Decimal {
  let pick = defined(values[0], "GREATEST/LEAST has arguments");
  let decimals = pick.decimals;
  for (const value of values) {
    decimals = Math.max(decimals, value.decimals);
    const sign = compareDecimals(value, pick, true);
    if (greatest ? sign > 0 : sign < 0) pick = value;
  }
  const scale = Math.max(pick.scale, decimals);
  return new Decimal(pick.unscaled * power10(scale - pick.scale), scale, decimals);
}
