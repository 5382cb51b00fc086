/**
 * The operators and functions of the DECIMAL and temporal types, as
 * `compile.ts` calls them: exact decimal arithmetic when no operand is a
 * double, INTERVAL arithmetic, and NOW(), UNIX_TIMESTAMP(), FROM_UNIXTIME(),
 * DATE_ADD()/DATE_SUB(), CURDATE(), CURTIME(), DATE().
 *
 * Expr → (compile.ts) → these helpers → Value
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import type { Expr, Value } from "./ast.ts";
import { numericClass, valueToDecimal, valueToNumber, valueToText } from "./convert.ts";
import {
  Decimal,
  decimalAdd,
  decimalDivide,
  decimalFromNumber,
  decimalIntegerDivide,
  decimalModulo,
  decimalMultiply,
  parseDecimal,
  roundDecimal,
} from "./decimal.ts";
import { Member } from "./member.ts";
import {
  addInterval,
  currentDate,
  currentTime,
  fromUnixTime,
  fspMax,
  type IntervalUnit,
  now,
  numberToDateTime,
  parseDateTime,
  Temporal,
  unixTimestamp,
} from "./temporal.ts";

type NonNull = Exclude<Value, null>;

const int64Min = -(1n << 63n);
const int64Max = (1n << 63n) - 1n;
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

function integerValue(value: bigint): number | bigint {
  return value >= -safeMax && value <= safeMax ? Number(value) : value;
}

/** Whether `+ - * % DIV` on these operands is exact DECIMAL arithmetic (a decimal, no double). */
export function isDecimalOperation(a: NonNull, b: NonNull): boolean {
  const x = numericClass(a);
  const y = numericClass(b);
  return (x === "decimal" || y === "decimal") && x !== "double" && y !== "double";
}

/** `a op b` as DECIMAL (callers check {@linkcode isDecimalOperation}). */
export function decimalArithmetic(op: "+" | "-" | "*", a: NonNull, b: NonNull): Decimal {
  const x = valueToDecimal(a);
  const y = valueToDecimal(b);
  return op === "*" ? decimalMultiply(x, y) : decimalAdd(x, y, op);
}

/**
 * `a / b` when neither is a double: MySQL's DECIMAL division (also for two
 * integers: `1/3` is 0.3333). Null on division by zero.
 */
export function exactDivide(a: NonNull, b: NonNull): Decimal | null {
  return decimalDivide(valueToDecimal(a), valueToDecimal(b));
}

/** `a % b` as DECIMAL, null on zero. */
export function exactModulo(a: NonNull, b: NonNull): Decimal | null {
  return decimalModulo(valueToDecimal(a), valueToDecimal(b));
}

/** `a DIV b` with a decimal operand: the truncated quotient as BIGINT, null on zero. */
export function exactIntegerDivide(a: NonNull, b: NonNull): number | bigint | null {
  const quotient = decimalIntegerDivide(valueToDecimal(a), valueToDecimal(b));
  if (quotient === null) return null;
  if (quotient < int64Min || quotient > int64Max) {
    throw new QueueError(
      "ER_DATA_OUT_OF_RANGE",
      `BIGINT value is out of range in '(${valueToText(a)} DIV ${valueToText(b)})'`,
    );
  }
  return integerValue(quotient);
}

/**
 * A value as a date or datetime for DATE_ADD and the date functions:
 * temporal values as they are, strings and numbers parsed (a string with a
 * time part is a DATETIME), null when it is no date (MySQL: NULL and a
 * warning).
 */
export function toDateTime(value: NonNull): Temporal | null {
  if (value instanceof Temporal) return value;
  if (typeof value === "string" || value instanceof Uint8Array || value instanceof Member) {
    const text = valueToText(value);
    const datetime = parseDateTime(text, "datetime", fspMax);
    if (datetime === null) return null;
    const fsp = /\.(\d+)\s*$/.exec(text)?.[1]?.length ?? 0;
    const hasTime = /\d[ T]+\d|^\s*\d{12,}/.test(text);
    if (!hasTime) return new Temporal("date", datetime.seconds, 0, 0);
    return new Temporal("datetime", datetime.seconds, datetime.micros, Math.min(fsp, fspMax));
  }
  if (typeof value === "boolean") return null;
  const digits = typeof value === "number" || typeof value === "bigint"
    ? String(value)
    : value.toString();
  const wholeDigits = digits.indexOf(".") < 0 ? digits.length : digits.indexOf(".");
  return numberToDateTime(value, wholeDigits <= 8 ? "date" : "datetime", fspMax);
}

/** `value + INTERVAL amount unit` (negated for DATE_SUB / `-`); NULL for NULLs and non-dates. */
export function intervalArithmetic(
  value: Value,
  amount: Value,
  unit: IntervalUnit,
  subtract: boolean,
): Value {
  if (value === null || amount === null) return null;
  const datetime = toDateTime(value);
  if (datetime === null) return null;
  let delta: Decimal;
  if (typeof amount === "string" || amount instanceof Uint8Array) {
    // MySQL reads an interval string by its leading number ('1' DAY, '1.5' SECOND).
    const match = /^\s*[+-]?(\d+\.?\d*|\.\d+)/.exec(valueToText(amount));
    delta = (match === null ? null : parseDecimal(match[0])) ?? Decimal.ofInteger(0n);
    // MySQL types a string amount of seconds with all 6 fraction digits.
    if (unit === "SECOND") delta = roundDecimal(delta, fspMax);
  } else if (numericClass(amount) === "double") {
    const decimal = decimalFromNumber(Number(valueToNumber(amount)));
    // An amount beyond 81 digits takes any date out of range.
    if (decimal === null) return null;
    delta = decimal;
  } else {
    delta = valueToDecimal(amount);
  }
  if (subtract) delta = new Decimal(-delta.unscaled, delta.scale, delta.decimals);
  const result = addInterval(datetime, delta, unit);
  // MySQL: the result is a string when the date was given as one (it then compares as text).
  if (result !== null && (typeof value === "string" || value instanceof Uint8Array)) {
    return result.toString();
  }
  return result;
}

/** The fsp argument of NOW(fsp) and kin: 0..6, else ER_WRONG_ARGUMENTS (MySQL: ER_TOO_BIG_PRECISION). */
function fspArgument(name: string, args: readonly Value[]): number {
  if (args.length === 0) return 0;
  const value = args[0];
  const fsp = typeof value === "number" ? value : Number.NaN;
  if (!Number.isInteger(fsp) || fsp < 0 || fsp > fspMax) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `Too-big precision ${String(value)} specified for '${name}'. Maximum is ${fspMax}`,
    );
  }
  return fsp;
}

/** How many arguments each temporal function takes: [least, most]. */
export const temporalFunctionArity: ReadonlyMap<string, readonly [number, number]> = new Map([
  ["now", [0, 1]],
  ["current_timestamp", [0, 1]],
  ["localtime", [0, 1]],
  ["localtimestamp", [0, 1]],
  ["sysdate", [0, 1]],
  ["utc_timestamp", [0, 1]],
  ["curdate", [0, 0]],
  ["current_date", [0, 0]],
  ["utc_date", [0, 0]],
  ["curtime", [0, 1]],
  ["current_time", [0, 1]],
  ["utc_time", [0, 1]],
  ["unix_timestamp", [0, 1]],
  ["from_unixtime", [1, 1]],
  ["date", [1, 1]],
]);

/** Whether a temporal function reads the clock (then it is never folded to a constant). */
export function readsClock(name: string, argCount: number): boolean {
  return name !== "from_unixtime" && name !== "date" &&
    !(name === "unix_timestamp" && argCount === 1);
}

/** Evaluates a temporal function (names from {@linkcode temporalFunctionArity}) on its argument values. */
export function callTemporal(name: string, args: readonly Value[]): Value {
  switch (name) {
    case "now":
    case "current_timestamp":
    case "localtime":
    case "localtimestamp":
    case "sysdate":
    case "utc_timestamp":
      return now(fspArgument(name, args));
    case "curdate":
    case "current_date":
    case "utc_date":
      return currentDate();
    case "curtime":
    case "current_time":
    case "utc_time":
      return currentTime(fspArgument(name, args));
    case "unix_timestamp": {
      if (args.length === 0) return now(0).seconds;
      const value = firstArg(args);
      if (value === null) return null;
      const datetime = toDateTime(value);
      if (datetime === null) return null;
      const seconds = unixTimestamp(datetime);
      // Before 1970 UNIX_TIMESTAMP is NULL (MariaDB; MySQL 8 gives 0).
      return (seconds instanceof Decimal ? seconds.unscaled < 0n : seconds < 0) ? null : seconds;
    }
    case "from_unixtime": {
      const value = firstArg(args);
      if (value === null) return null;
      if (numericClass(value) === "double") {
        const seconds = decimalFromNumber(Number(valueToNumber(value)));
        return seconds === null ? null : fromUnixTime(roundedTo6(seconds));
      }
      return fromUnixTime(valueToDecimal(value));
    }
    case "date": {
      const value = firstArg(args);
      if (value === null) return null;
      const datetime = toDateTime(value);
      return datetime === null ? null : new Temporal("date", dayStart(datetime.seconds), 0, 0);
    }
  }
  throw new Error(`unreachable: temporal function ${name}`);
}

/** The first argument of a temporal function the compiler checked takes one. */
function firstArg(args: readonly Value[]): Value {
  return defined(args[0], "the compiler checks the arity");
}

function dayStart(seconds: number): number {
  return Math.floor(seconds / 86400) * 86400;
}

/** A double's seconds shown with 6 fraction digits (MySQL: FROM_UNIXTIME(1.5e0) has fsp 6). */
function roundedTo6(seconds: Decimal): Decimal {
  return new Decimal(seconds.unscaled, seconds.scale, 6);
}

/**
 * Whether an expression reads the clock (NOW(), CURDATE(), UNIX_TIMESTAMP()
 * …): its value for a row can change with time alone, so a queue_wait
 * condition over it cannot skip rows it once found not matching.
 *
 * @example
 * ```ts
 * import { parseExpression } from "./parser.ts";
 * console.log(exprReadsClock(parseExpression("run_at <= NOW()"))); // true
 * ```
 */
export function exprReadsClock(expr: Expr): boolean {
  switch (expr.kind) {
    case "literal":
    case "param":
    case "column":
    case "count_star":
      return false;
    case "unary":
    case "is":
      return exprReadsClock(expr.operand);
    case "binary":
      return exprReadsClock(expr.left) || exprReadsClock(expr.right);
    case "in":
      return exprReadsClock(expr.operand) || expr.list.some(exprReadsClock);
    case "between":
      return exprReadsClock(expr.operand) || exprReadsClock(expr.low) ||
        exprReadsClock(expr.high);
    case "like":
      return exprReadsClock(expr.operand) || exprReadsClock(expr.pattern) ||
        (expr.escape !== null && exprReadsClock(expr.escape));
    case "interval":
      return exprReadsClock(expr.value);
    case "call":
      return (temporalFunctionArity.has(expr.name) && readsClock(expr.name, expr.args.length)) ||
        expr.args.some(exprReadsClock);
  }
}
