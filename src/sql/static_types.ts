/**
 * MySQL's static typing of an expression, known before it is evaluated:
 * its kind (number, text, bytes) and, for numbers, whether it is an
 * integer, a DECIMAL of a given scale or a double. IF, IFNULL, COALESCE,
 * CASE, GREATEST and LEAST type their result so (`COALESCE(price, 0)` is
 * DECIMAL(…, 2): 0 shows as 0.00), and a string function fed bytes gives
 * bytes. The compiler (compile.ts) asks these functions and wraps the
 * accessors it builds in `aggregateResult` / `atScale`.
 *
 * Expr → staticKindOf / staticNumericOf → (compile.ts wraps the accessor)
 *
 * @module
 */

import { defined } from "../errors.ts";
import type { Expr } from "./ast.ts";
import type { CompileScope, RowAccessor, StaticKind, StaticNumeric } from "./compile.ts";
import { textToBytes, valueToText } from "./convert.ts";
import { Decimal, roundDecimal } from "./decimal.ts";
import { functionSpecOf } from "./functions.ts";

const kindRank: Record<StaticKind, number> = {
  none: 0,
  number: 1,
  string: 2,
  binary: 3,
  unknown: 4,
};

/** Aggregates result types as MySQL: bytes over text over numbers; unknown stays unknown. */
function aggregateKinds(kinds: StaticKind[]): StaticKind {
  let result: StaticKind = "none";
  for (const kind of kinds) if (kindRank[kind] > kindRank[result]) result = kind;
  return result;
}

/** A control function's value in its aggregated type: a number as text, text as bytes. */
export function aggregateResult(accessor: RowAccessor, kind: StaticKind): RowAccessor {
  if (kind === "string") {
    return (row, params) => {
      const value = accessor(row, params);
      return value === null || typeof value === "string" || value instanceof Uint8Array
        ? value
        : valueToText(value);
    };
  }
  if (kind === "binary") {
    return (row, params) => {
      const value = accessor(row, params);
      return value === null || value instanceof Uint8Array
        ? value
        : textToBytes(valueToText(value));
    };
  }
  return accessor;
}

/**
 * A control function's number at the aggregated DECIMAL scale (MySQL types
 * `IFNULL(price, 0)` as DECIMAL(…, 2): 0 is 0.00, an integer 1 is 1.00).
 */
export function atScale(accessor: RowAccessor, scale: number): RowAccessor {
  return (row, params) => {
    const value = accessor(row, params);
    if (value instanceof Decimal) {
      // Declared at the wider scale, never rounded: a quotient keeps (and now shows) the
      // digits it holds beyond its own declared scale, as MySQL does.
      if (value.decimals >= scale) return value;
      return value.scale >= scale
        ? new Decimal(value.unscaled, value.scale, scale)
        : roundDecimal(value, scale);
    }
    if (typeof value === "number" && Number.isSafeInteger(value)) {
      return roundDecimal(new Decimal(BigInt(value), 0), scale);
    }
    if (typeof value === "bigint") return roundDecimal(new Decimal(value, 0), scale);
    return value;
  };
}

/**
 * An expression's numeric type before evaluation, where q4d can tell it
 * (literals, typed columns, unary minus, + - * / % DIV, ROUND and friends, and the functions whose
 * result is one of their arguments); null when it cannot or it is no number.
 *
 * @example
 * ```ts
 * import { parseExpression } from "./parser.ts";
 * const scope = { columnIndex: () => -1 };
 * console.log(staticNumericOf(parseExpression("1.50 * 2"), scope)); // { kind: "decimal", scale: 2 }
 * ```
 */
export function staticNumericOf(expr: Expr, scope: CompileScope): StaticNumeric | null {
  switch (expr.kind) {
    case "literal": {
      const value = expr.value;
      if (value instanceof Decimal) return { kind: "decimal", scale: value.scale };
      if (typeof value === "bigint") return { kind: "int" };
      if (typeof value === "number") {
        return Number.isInteger(value) ? { kind: "int" } : { kind: "double" };
      }
      return null;
    }
    case "column":
      return scope.columnNumeric?.(scope.columnIndex(expr.name, expr.quoted, expr.table)) ?? null;
    case "unary":
      return expr.op === "-" ? staticNumericOf(expr.operand, scope) : null;
    case "binary": {
      if (!["+", "-", "*", "%", "/", "div"].includes(expr.op)) return null;
      const a = staticNumericOf(expr.left, scope);
      const b = staticNumericOf(expr.right, scope);
      if (a === null || b === null) return null;
      if (expr.op === "div") return { kind: "int" };
      if (a.kind === "double" || b.kind === "double") return { kind: "double" };
      const scaleA = a.kind === "decimal" ? a.scale : 0;
      const scaleB = b.kind === "decimal" ? b.scale : 0;
      // \`/\` is exact with div_precision_increment (4) more digits than its dividend.
      if (expr.op === "/") return { kind: "decimal", scale: scaleA + 4 };
      if (a.kind === "int" && b.kind === "int") return { kind: "int" };
      return {
        kind: "decimal",
        scale: expr.op === "*" ? scaleA + scaleB : Math.max(scaleA, scaleB),
      };
    }
    case "call": {
      const first = expr.args[0];
      switch (expr.name) {
        case "abs":
          return first === undefined ? null : staticNumericOf(first, scope);
        case "sign":
        case "floor":
        case "ceil":
        case "ceiling": {
          const numeric = first === undefined ? null : staticNumericOf(first, scope);
          return numeric === null || numeric.kind === "double" ? numeric : { kind: "int" };
        }
        case "round":
        case "truncate": {
          const numeric = first === undefined ? null : staticNumericOf(first, scope);
          const places = expr.args[1];
          if (numeric?.kind !== "decimal") return numeric;
          if (places === undefined) return { kind: "int" };
          if (places.kind !== "literal" || typeof places.value !== "number") return null;
          return { kind: "decimal", scale: Math.max(0, Math.min(30, places.value)) };
        }
      }
      const spec = functionSpecOf(expr.name, expr.form);
      const indexes = spec?.resultArgs?.(expr.args.length) ??
        (expr.name === "greatest" || expr.name === "least" ? expr.args.map((_, i) => i) : null);
      if (indexes === null) return null;
      let result: StaticNumeric | null = null;
      for (const i of indexes) {
        const arg = expr.args[i];
        if (arg === undefined) return null;
        if (arg.kind === "literal" && arg.value === null) continue;
        const numeric = staticNumericOf(arg, scope);
        if (numeric === null) return null;
        if (result === null || numeric.kind === "double") result = numeric;
        else if (result.kind !== "double" && numeric.kind === "decimal") {
          result = {
            kind: "decimal",
            scale: Math.max(result.kind === "decimal" ? result.scale : 0, numeric.scale),
          };
        }
      }
      return result;
    }
    default:
      return null;
  }
}

/**
 * An expression's type before evaluation (MySQL's static typing, as far as q4d knows it).
 *
 * @example
 * ```ts
 * import { parseExpression } from "./parser.ts";
 * const scope = { columnIndex: () => -1 };
 * console.log(staticKindOf(parseExpression("IF(1, 'a', 2)"), scope)); // "string": a number beside text is text
 * console.log(staticKindOf(parseExpression("COALESCE(NULL, 2)"), scope)); // "number"
 * ```
 */
export function staticKindOf(expr: Expr, scope: CompileScope): StaticKind {
  switch (expr.kind) {
    case "literal":
      if (expr.value === null) return "none";
      if (expr.value instanceof Uint8Array) return "binary";
      return typeof expr.value === "string" ? "string" : "number";
    case "param":
    case "count_star":
      return "unknown";
    case "column":
      if (scope.columnKind === undefined) return "unknown";
      return scope.columnKind(scope.columnIndex(expr.name, expr.quoted, expr.table));
    case "call": {
      if (expr.name === "pow" || expr.name === "power" || expr.name === "mod") return "number";
      const spec = functionSpecOf(expr.name, expr.form);
      if (spec === undefined) return "unknown";
      if (expr.name === "greatest" || expr.name === "least") {
        // One of its arguments, compared as their aggregated type: numbers stay numbers.
        return aggregateKinds(expr.args.map((arg) => staticKindOf(arg, scope)));
      }
      if (spec.resultArgs !== undefined) {
        return aggregateKinds(
          spec.resultArgs(expr.args.length).map((i) => staticKindOf(argAt(expr.args, i), scope)),
        );
      }
      if (spec.numeric) return "number";
      if (spec.textResult !== undefined) return spec.textResult;
      // A string function's result is bytes when a string argument is (MySQL's charset rule).
      const charsetArgs = spec.charsetArgs?.(expr.args.length) ?? expr.args.map((_, i) => i);
      return charsetArgs.some((i) => staticKindOf(argAt(expr.args, i), scope) === "binary")
        ? "binary"
        : "string";
    }
    default:
      return "number";
  }
}

/** Argument `i` of a call, for an index a spec derived from the argument count. */
function argAt(args: readonly Expr[], i: number): Expr {
  return defined(args[i], "a spec's argument index is below the count");
}
