/**
 * What every native function file shares: the spec type compile.ts builds
 * evaluators from, the argument-count error (MySQL's 1582), NULL-strict
 * evaluation, MySQL's reading of integer arguments, and the bound on the
 * strings a function may build.
 *
 * @module
 */

import { assert, defined, QueueError } from "../errors.ts";
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

/** Fewest arguments a helper below can promise its callback by type. */
export type ArityMin = 0 | 1 | 2 | 3;

/**
 * An array of at least `N` elements: what a function's arity, checked by the
 * compiler before `build`, guarantees its arguments, so a callback can read
 * (or destructure) the first `N` without a check of its own.
 */
export type AtLeast<N extends ArityMin, T> = N extends 3 ? [T, T, T, ...T[]]
  : N extends 2 ? [T, T, ...T[]]
  : N extends 1 ? [T, ...T[]]
  : T[];

/** Whether `values` holds at least `count` elements, as a type. */
export function hasAtLeast<N extends ArityMin, T>(
  values: T[],
  count: N,
): values is AtLeast<N, T> {
  return values.length >= count;
}

/** `args` as the arity promises them; fewer is a bug in the compiler's arity check. */
export function arityChecked<N extends ArityMin>(args: Arg[], min: N): AtLeast<N, Arg> {
  assert(hasAtLeast(args, min), "the compiler checks the arity before build");
  return args;
}

/**
 * An evaluator that is NULL when any argument is NULL, else `apply` of the
 * values. `min` is the spec's fewest arguments (at most 3 by type).
 */
export function strictBuild<N extends ArityMin>(
  args: Arg[],
  min: N,
  apply: (values: AtLeast<N, NonNull>) => Value,
): Arg {
  arityChecked(args, min);
  return (row, params) => {
    const values: NonNull[] = [];
    for (const arg of args) {
      const value = arg(row, params);
      if (value === null) return null;
      values.push(value);
    }
    assert(hasAtLeast(values, min), "one value per argument");
    return apply(values);
  };
}

/** A function whose result is NULL when any argument is NULL. */
export function strict<N extends ArityMin>(
  min: N,
  max: number,
  numeric: boolean,
  apply: (values: AtLeast<N, NonNull>) => Value,
): FunctionSpec {
  return { min, max, numeric, build: (args) => strictBuild(args, min, apply) };
}

/** Makes `alias` another name of the spec `specs` holds as `name`. */
export function addAlias(specs: Record<string, FunctionSpec>, alias: string, name: string): void {
  specs[alias] = defined(specs[name], "an alias names a function defined before it");
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
