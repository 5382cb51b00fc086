/**
 * MySQL's native functions: the table compile.ts looks names up in (built
 * from string_functions.ts, numeric_functions.ts, json_functions.ts and
 * the control functions here: COALESCE, IFNULL, NULLIF, IF, CASE), with
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
 * Numbers: numeric_functions.ts (one dispatch point, numericKindOf: exact
 * integer, exact DECIMAL, or double), so ROUND(2.5) is 3 and ROUND(2.5e0)
 * is 2, as in MySQL.
 *
 * String results longer than `stringResultBytesMax` (REPEAT, LPAD, RPAD,
 * CONCAT, CONCAT_WS, REPLACE) are NULL, as MySQL past max_allowed_packet
 * (where MySQL also warns; q4d has no warnings).
 *
 * @module
 */

import { defined } from "../errors.ts";
import type { Value } from "./ast.ts";
import { compareValues, valueToNumber } from "./convert.ts";
import { type Arg, arityChecked, type FunctionSpec } from "./function_support.ts";
import { jsonFunctions } from "./json_functions.ts";
import { numericFunctions } from "./numeric_functions.ts";
import { stringFunctions } from "./string_functions.ts";
import { databaseFunctions } from "./show.ts";

export type { Arg, FunctionSpec } from "./function_support.ts";
export { paramCountError, stringResultBytesMax } from "./function_support.ts";

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

/** The evaluator of CASE's args from `start`: the THEN of the first WHEN that `matches`, else the ELSE, else NULL. */
function caseResult(args: readonly Arg[], start: number, matches: (when: Arg) => boolean): Arg {
  let i = start;
  for (; i + 1 < args.length; i += 2) {
    const when = defined(args[i], "i + 1 < length");
    if (matches(when)) return defined(args[i + 1], "i + 1 < length");
  }
  return args[i] ?? nullArg;
}

const nullArg: Arg = () => null;

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
    build: (args) => {
      const [a, b] = arityChecked(args, 2);
      return (row, params) => a(row, params) ?? b(row, params);
    },
  },
  nullif: {
    min: 2,
    max: 2,
    numeric: false,
    build: (args) => {
      const [a, b] = arityChecked(args, 2);
      return (row, params) => {
        const x = a(row, params);
        if (x === null) return null;
        const y = b(row, params);
        return y !== null && compareValues(x, y) === 0 ? null : x;
      };
    },
  },
  if: {
    min: 3,
    max: 3,
    numeric: false,
    resultArgs: () => [1, 2],
    build: (args) => {
      const [condition, yes, no] = arityChecked(args, 3);
      return (row, params) => truthy(condition(row, params)) ? yes(row, params) : no(row, params);
    },
  },
  /** Searched CASE: args are when, then, when, then, …[, else]. */
  "case searched": {
    min: 2,
    max: Infinity,
    numeric: false,
    resultArgs: caseResults(0),
    build: (args) => (row, params) =>
      caseResult(args, 0, (when) => truthy(when(row, params)))(row, params),
  },
  /** Simple CASE: args are the operand, then when, then, …[, else]. */
  "case simple": {
    min: 3,
    max: Infinity,
    numeric: false,
    resultArgs: caseResults(1),
    build: (args) => {
      const [operand] = arityChecked(args, 3);
      return (row, params) => {
        const value = operand(row, params);
        return caseResult(args, 1, (when) => {
          if (value === null) return false;
          const candidate = when(row, params);
          return candidate !== null && compareValues(value, candidate) === 0;
        })(row, params);
      };
    },
  },
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
    ...databaseFunctions,
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
