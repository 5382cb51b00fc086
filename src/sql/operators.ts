/**
 * MySQL's operators on values: truth, ORDER BY order, arithmetic with
 * BIGINT overflow checks, DECIMAL and double rules, bitwise operators on
 * unsigned 64-bit, negation, power and the comparison operators. Pure
 * functions of their operands; compile.ts builds row evaluators from them
 * (the semantics it documents are implemented here).
 *
 * (Value, Value) → Value
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import type { BinaryOp, Value } from "./ast.ts";
import {
  bytesToText,
  compareNumbers,
  compareValues,
  doubleToText,
  isDoubleValue,
  valueToNumber,
  valueToText,
} from "./convert.ts";
import { Decimal, decimalNegate } from "./decimal.ts";
import { Member } from "./member.ts";
import {
  decimalArithmetic,
  exactDivide,
  exactIntegerDivide,
  exactModulo,
  isDecimalOperation,
} from "./typed_ops.ts";

export const int64Min = -(1n << 63n);
const int64Max = (1n << 63n) - 1n;
export const uint64Max = (1n << 64n) - 1n;
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);
const safeMin = BigInt(Number.MIN_SAFE_INTEGER);

/** A non-NULL value. */
export type NonNull = Exclude<Value, null>;

/**
 * Whether a value makes a WHERE clause match: non-NULL and non-zero, strings
 * by their numeric prefix ("1abc" is true, "abc" is false).
 *
 * @example
 * ```ts
 * console.log(isTruthy(null), isTruthy(0), isTruthy("2x")); // false false true
 * ```
 */
export function isTruthy(value: Value): boolean {
  if (typeof value === "number") return value !== 0;
  if (value === null) return false;
  if (typeof value === "bigint") return value !== 0n;
  if (typeof value === "boolean") return value;
  if (value instanceof Decimal) return value.unscaled !== 0n;
  return valueToNumber(value) != 0;
}

/**
 * ORDER BY order: NULL first, then MySQL's comparison (numbers numerically,
 * strings by code point). Returns a negative, zero or positive number.
 *
 * @example
 * ```ts
 * console.log([3, null, 1].sort(compareForOrder)); // [null, 1, 3]
 * ```
 */
export function compareForOrder(a: Value, b: Value): number {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  // MySQL sorts an ENUM by its index (a SET by its mask), not by its text.
  if (a instanceof Member && b instanceof Member) return compareNumbers(a.number, b.number);
  return compareValues(a, b);
}

/**
 * Compares two rows' ORDER BY keys (one per term, in term order) with
 * {@linkcode compareForOrder}, a DESC term reversed; 0 when all are equal.
 */
export function compareOrderKeys(
  order: readonly { readonly descending: boolean }[],
  a: readonly Value[],
  b: readonly Value[],
): number {
  for (let t = 0; t < order.length; t++) {
    const c = compareForOrder(defined(a[t], "a key per term"), defined(b[t], "a key per term"));
    if (c !== 0) return defined(order[t], "t < length").descending ? -c : c;
  }
  return 0;
}

/** An integer result back to a Value: number when safe, else bigint. */
export function fromBigInt(value: bigint): number | bigint {
  return value >= safeMin && value <= safeMax ? Number(value) : value;
}

export function outOfRange(
  kind: "BIGINT" | "BIGINT UNSIGNED" | "DOUBLE",
  text: string,
): QueueError {
  return new QueueError("ER_DATA_OUT_OF_RANGE", `${kind} value is out of range in '${text}'`);
}

export function checkDouble(value: number, text: () => string): number {
  if (!Number.isFinite(value)) throw outOfRange("DOUBLE", text());
  return value === 0 ? 0 : value;
}

/** Integer arithmetic on bigint with MySQL's signed/unsigned range rule. */
export function checkInteger(result: bigint, a: bigint, b: bigint, op: string): number | bigint {
  const unsigned = a > int64Max || b > int64Max;
  if (unsigned ? result < 0n || result > uint64Max : result < int64Min || result > int64Max) {
    throw outOfRange(unsigned ? "BIGINT UNSIGNED" : "BIGINT", `(${a} ${op} ${b})`);
  }
  return fromBigInt(result);
}

export function toBigInt(value: number | bigint): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}

/** + - * on any values (the slow path behind the compiled fast paths). */
export function arithmetic(op: "+" | "-" | "*", a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (isDecimalOperation(a, b)) return decimalArithmetic(op, a, b);
  const x = valueToNumber(a);
  const y = valueToNumber(b);
  if (isDoubleValue(a) || isDoubleValue(b)) {
    const dx = Number(x);
    const dy = Number(y);
    const result = op === "+" ? dx + dy : op === "-" ? dx - dy : dx * dy;
    return checkDouble(result, () => `(${doubleToText(dx)} ${op} ${doubleToText(dy)})`);
  }
  if (typeof x === "number" && typeof y === "number") {
    const result = op === "+" ? x + y : op === "-" ? x - y : x * y;
    if (Number.isSafeInteger(result)) return result === 0 ? 0 : result;
  }
  const bx = toBigInt(x);
  const by = toBigInt(y);
  return checkInteger(op === "+" ? bx + by : op === "-" ? bx - by : bx * by, bx, by, op);
}

export function divide(a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (!isDoubleValue(a) && !isDoubleValue(b)) return exactDivide(a, b);
  const y = Number(valueToNumber(b));
  if (y === 0) return null;
  const x = Number(valueToNumber(a));
  return checkDouble(x / y, () => `(${doubleToText(x)} / ${doubleToText(y)})`);
}

export function integerDivide(a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (isDecimalOperation(a, b)) return exactIntegerDivide(a, b);
  const x = valueToNumber(a);
  const y = valueToNumber(b);
  if (y == 0) return null;
  if (isDoubleValue(a) || isDoubleValue(b)) {
    const quotient = Math.trunc(Number(x) / Number(y));
    if (!Number.isFinite(quotient) || Math.abs(quotient) >= 2 ** 63) {
      throw outOfRange("BIGINT", `(${valueToText(a)} DIV ${valueToText(b)})`);
    }
    return quotient === 0 ? 0 : Number.isSafeInteger(quotient) ? quotient : BigInt(quotient);
  }
  if (typeof x === "number" && typeof y === "number") {
    const quotient = Math.trunc(x / y);
    return quotient === 0 ? 0 : quotient;
  }
  const bx = toBigInt(x);
  const by = toBigInt(y);
  return checkInteger(bx / by, bx, by, "DIV");
}

export function modulo(a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (isDecimalOperation(a, b)) return exactModulo(a, b);
  const x = valueToNumber(a);
  const y = valueToNumber(b);
  if (y == 0) return null;
  if (isDoubleValue(a) || isDoubleValue(b)) {
    const result = Number(x) % Number(y);
    return result === 0 ? 0 : result;
  }
  if (typeof x === "number" && typeof y === "number") {
    const result = x % y;
    return result === 0 ? 0 : result;
  }
  return fromBigInt(toBigInt(x) % toBigInt(y));
}

/** A value as MySQL's unsigned 64-bit operand of a bitwise operator. */
export function toUint64(value: NonNull): bigint {
  let number: number | bigint;
  if (typeof value === "string" || value instanceof Uint8Array) {
    const text = typeof value === "string" ? value : bytesToText(value);
    const integer = /^[ \t\n\r]*([+-]?\d+)(?![\d.eE])/.exec(text);
    const digits = integer?.[1];
    number = digits !== undefined ? BigInt(digits) : valueToNumber(text);
  } else {
    number = valueToNumber(value);
  }
  if (typeof number === "number") {
    // MySQL rounds half away from zero (-1.5 → -2); Math.round would give -1.
    if (!Number.isInteger(number)) number = Math.sign(number) * Math.round(Math.abs(number));
    // Doubles outside the 64-bit range saturate, as MySQL's conversion does.
    if (number >= 2 ** 64) return uint64Max;
    if (number <= -(2 ** 63)) return 1n << 63n;
    number = BigInt(number);
  }
  if (number > uint64Max) return uint64Max;
  if (number < int64Min) return 1n << 63n;
  return BigInt.asUintN(64, number);
}

export function bitwise(op: "|" | "&" | "^" | "<<" | ">>", a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (
    typeof a === "number" && typeof b === "number" && a >= 0 && b >= 0 && a <= 0x7fffffff &&
    b <= 0x7fffffff && Number.isInteger(a) && Number.isInteger(b)
  ) {
    if (op === "|") return a | b;
    if (op === "&") return a & b;
    if (op === "^") return a ^ b;
    if (op === ">>") return b >= 32 ? 0 : a >>> b;
  }
  const x = toUint64(a);
  const y = toUint64(b);
  let result: bigint;
  switch (op) {
    case "|":
      result = x | y;
      break;
    case "&":
      result = x & y;
      break;
    case "^":
      result = x ^ y;
      break;
    case "<<":
      result = y >= 64n ? 0n : (x << y) & uint64Max;
      break;
    case ">>":
      result = y >= 64n ? 0n : x >> y;
      break;
  }
  return fromBigInt(result);
}

export function negate(value: Value): Value {
  if (value === null) return null;
  if (typeof value === "number") return value === 0 ? 0 : -value;
  if (value instanceof Decimal) return decimalNegate(value);
  if (isDoubleValue(value)) {
    const number = Number(valueToNumber(value));
    return number === 0 ? 0 : -number;
  }
  const number = valueToNumber(value);
  if (typeof number === "number") return number === 0 ? 0 : -number;
  // MySQL negates an UNSIGNED value into DECIMAL; q4d gives a double.
  if (number > int64Max) return Number(-number);
  // -(-2^63) is DECIMAL 2^63 in MySQL; here the (unsigned-sized) bigint 2^63.
  return fromBigInt(-number);
}

export function invertBits(value: Value): Value {
  if (value === null) return null;
  return fromBigInt(uint64Max ^ toUint64(value));
}

export function not(value: Value): Value {
  if (value === null) return null;
  return isTruthy(value) ? 0 : 1;
}

export function power(a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  const x = Number(valueToNumber(a));
  const y = Number(valueToNumber(b));
  const result = Math.pow(x, y);
  return checkDouble(result, () => `pow(${doubleToText(x)},${doubleToText(y)})`);
}

/** A comparison result for one operator, given compareValues' sign. */
export function comparisonHolds(op: BinaryOp, sign: number): boolean {
  switch (op) {
    case "=":
    case "<=>":
      return sign === 0;
    case "<>":
      return sign !== 0;
    case "<":
      return sign < 0;
    case "<=":
      return sign <= 0;
    case ">":
      return sign > 0;
    default:
      return sign >= 0;
  }
}

export function compare(op: BinaryOp, a: Value, b: Value): Value {
  if (a === null || b === null) {
    if (op === "<=>") return a === b ? 1 : 0;
    return null;
  }
  return comparisonHolds(op, compareValues(a, b)) ? 1 : 0;
}
