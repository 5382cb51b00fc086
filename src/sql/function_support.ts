/**
 * What every native function file shares: the spec type compile.ts builds
 * evaluators from, the argument-count error (MySQL's 1582), NULL-strict
 * evaluation, MySQL's reading of integer arguments, and the bound on the
 * strings a function may build.
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { Value } from "./ast.ts";
import { bytesToText, valueToNumber } from "./convert.ts";

/** A non-NULL value. */
export type NonNull = Exclude<Value, null>;

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
  /**
   * A string result's fixed kind (HEX: text, UNHEX: bytes, the JSON
   * functions: text); without it a string function's result is bytes when a
   * string argument is, as MySQL's charset aggregation.
   */
  textResult?: "string" | "binary";
  /**
   * The string arguments, for `count` arguments, whose charset the result
   * takes (default: all): LEFT's count is not one, so a byte string there
   * does not make the result bytes.
   */
  charsetArgs?: (count: number) => number[];
}

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
export function strictBuild(args: Arg[], apply: (values: NonNull[]) => Value): Arg {
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
export function strict(
  min: number,
  max: number,
  numeric: boolean,
  apply: (values: NonNull[]) => Value,
): FunctionSpec {
  return { min, max, numeric, build: (args) => strictBuild(args, apply) };
}

/** An integer argument (position, length, count) as MySQL's val_int reads it. */
export function integerArgument(value: NonNull): number {
  if (typeof value === "string" || value instanceof Uint8Array) {
    const text = typeof value === "string" ? value : bytesToText(value);
    const match = /^[ \t\n\r]*([+-]?\d+)/.exec(text);
    if (match === null) return 0;
    // A longer digit run saturates at the BIGINT bounds, as MySQL's conversion.
    return Math.min(Math.max(Number(match[1]), -(2 ** 63)), 2 ** 63 - 1);
  }
  // Numbers, booleans, decimals, dates and ENUM/SET members by their numeric value.
  const number = valueToNumber(value);
  if (typeof number === "bigint") return Number(number);
  const integer = Number.isInteger(number)
    ? number
    : Math.sign(number) * Math.round(Math.abs(number));
  return Math.min(Math.max(integer, -(2 ** 63)), 2 ** 63 - 1);
}
