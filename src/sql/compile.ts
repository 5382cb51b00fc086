/**
 * Expression compiler: Expr → a closure over (row, params), built once and
 * evaluated many times (WHERE, ORDER BY, select lists, queue_wait
 * conditions). Constant subexpressions are folded at compile time.
 *
 * Statement → (engine: scope over the table's columns) → compileExpr → RowAccessor
 *
 * Semantics are MySQL's (the value rules are implemented in operators.ts,
 * LIKE matching in like.ts, static result types in static_types.ts), with these documented choices:
 * - Integers are exact signed 64-bit; a result outside BIGINT (or, when an
 *   operand is above 2^63-1, outside BIGINT UNSIGNED) is ER_DATA_OUT_OF_RANGE
 *   "BIGINT value is out of range", as MySQL. Which values are UNSIGNED is
 *   known only from their size: `col - 1` with an UNSIGNED col of 0 is -1
 *   here where MySQL fails.
 * - A number that is a safe integer counts as an integer; other numbers,
 *   and strings read as numbers, compute as doubles. DECIMAL values
 *   (literals like 1.5, DECIMAL columns, the result of `/`) compute exactly
 *   when no operand is a double (`typed_ops.ts`, `decimal.ts`).
 * - `/` gives a DECIMAL (a double when an operand is one), DIV truncates to
 *   an integer, `%` takes the sign of the dividend; any division by zero
 *   gives NULL.
 * - Temporal values compare as dates with dates and with date strings, and
 *   compute by their numeric form (20240102); `+ INTERVAL` is date math.
 * - Bitwise operators work on unsigned 64-bit; results above 2^53 are bigint.
 * - Comparisons: numbers with numbers exactly, strings with strings by code
 *   point (binary, case-sensitive), a number with a string as numbers.
 * - Hex literals (`0x41`, `X'41'`) are byte strings; as an operand of an
 *   arithmetic or bitwise operator they are the unsigned integer they spell
 *   (MySQL's numeric context). Compared with a number they are read as text.
 * - Predicates give 1, 0 or NULL; three-valued logic (`NULL AND 0` = 0).
 * - Evaluation order follows MySQL's (it decides whether an overflow on one
 *   side surfaces): a NULL left operand of `|`, `&`, XOR or a comparison
 *   answers NULL without evaluating the right one; the other operators
 *   evaluate both sides. BETWEEN compares its three arguments as numbers as
 *   soon as one is numeric (by type, MySQL's aggregation); IN compares pair by pair.
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import type { BinaryOp, Expr, Value } from "./ast.ts";
import { compareNumbers, compareValues, valueToNumber, valueToText } from "./convert.ts";
import { functionReturnsNumber, functionSpecOf, paramCountError } from "./functions.ts";
import { likeTester } from "./like.ts";
import { aggregateResult, atScale, staticKindOf, staticNumericOf } from "./static_types.ts";
import { Decimal } from "./decimal.ts";
import { Temporal } from "./temporal.ts";
import {
  arithmetic,
  bitwise,
  compare,
  divide,
  fromBigInt,
  integerDivide,
  invertBits,
  isTruthy,
  modulo,
  negate,
  type NonNull,
  not,
  power,
  uint64Max,
} from "./operators.ts";
import {
  callTemporal,
  intervalArithmetic,
  readsClock,
  temporalFunctionArity,
} from "./typed_ops.ts";

/** A compiled expression: the value for one row and the statement's bound parameters. */
export type RowAccessor = (row: readonly Value[], params: readonly Value[]) => Value;

/** How compileExpr resolves column names. */
export interface CompileScope {
  /**
   * The index of column `name` in the row, or -1 when there is none (then
   * compileExpr throws ER_BAD_FIELD_ERROR). `quoted` is true for a
   * back-quoted name (matched exactly); bare names match case-insensitively.
   * `table` is the qualifier of `table.column` when written: a scope over
   * one table answers -1 when it names another.
   */
  columnIndex(name: string, quoted: boolean, table?: string): number;
  /**
   * What column `index` holds by its type: "binary" (BINARY, BLOB),
   * "string", "number", or "unknown". Optional; IF, COALESCE and CASE use it to type their result
   * as MySQL does (a number beside a string makes a string).
   */
  columnKind?(index: number): StaticKind;
  /**
   * The numeric type of column `index` (INT, DECIMAL(p,s), FLOAT/DOUBLE), or
   * null for other types. Optional; IF, COALESCE, IFNULL and CASE use it to
   * give a DECIMAL result its static scale (`COALESCE(price, 0)` is 0.00).
   */
  columnNumeric?(index: number): StaticNumeric | null;
}

/** A numeric expression's static type: an integer, a DECIMAL with its scale, or a double. */
export type StaticNumeric = { kind: "int" } | { kind: "decimal"; scale: number } | {
  kind: "double";
};

/**
 * An expression's result type as MySQL knows it before evaluation:
 * "binary" is a byte string, "none" a NULL literal.
 */
export type StaticKind = "binary" | "string" | "number" | "unknown" | "none";

/** The queue functions: the engine executes them itself; compileExpr refuses them. */
export const queueFunctionNames: ReadonlySet<string> = new Set([
  "queue_wait",
  "queue_end",
  "queue_abort",
  "queue_rowid",
  "queue_set_srcid",
  "queue_compact",
  "queue_stats",
  "queue_attempts",
  "queue_set_delay",
  "queue_fail",
]);

/**
 * A compiled comparison; typed fast paths for two numbers, the general rule
 * otherwise. A NULL left side answers NULL without evaluating the right one
 * (MySQL's evaluation order: an error on the right then does not surface).
 */
function compileComparison(op: BinaryOp, left: RowAccessor, right: RowAccessor): RowAccessor {
  switch (op) {
    case "=":
      return (row, params) => {
        const a = left(row, params);
        if (a === null) return null;
        const b = right(row, params);
        if (typeof a === "number" && typeof b === "number") return a === b ? 1 : 0;
        return compare(op, a, b);
      };
    case "<>":
      return (row, params) => {
        const a = left(row, params);
        if (a === null) return null;
        const b = right(row, params);
        if (typeof a === "number" && typeof b === "number") return a !== b ? 1 : 0;
        return compare(op, a, b);
      };
    case "<":
      return (row, params) => {
        const a = left(row, params);
        if (a === null) return null;
        const b = right(row, params);
        if (typeof a === "number" && typeof b === "number") return a < b ? 1 : 0;
        return compare(op, a, b);
      };
    case "<=":
      return (row, params) => {
        const a = left(row, params);
        if (a === null) return null;
        const b = right(row, params);
        if (typeof a === "number" && typeof b === "number") return a <= b ? 1 : 0;
        return compare(op, a, b);
      };
    case ">":
      return (row, params) => {
        const a = left(row, params);
        if (a === null) return null;
        const b = right(row, params);
        if (typeof a === "number" && typeof b === "number") return a > b ? 1 : 0;
        return compare(op, a, b);
      };
    case ">=":
      return (row, params) => {
        const a = left(row, params);
        if (a === null) return null;
        const b = right(row, params);
        if (typeof a === "number" && typeof b === "number") return a >= b ? 1 : 0;
        return compare(op, a, b);
      };
    default:
      return (row, params) => compare(op, left(row, params), right(row, params));
  }
}

/** A compiled node and whether it is constant (no columns, no parameters). */
interface Compiled {
  accessor: RowAccessor;
  constant: boolean;
}

function constantOf(value: Value): Compiled {
  return { accessor: () => value, constant: true };
}

/**
 * Folds a node whose operands are all constant: evaluates it once. An error
 * (say an overflow) is left for evaluation time, where MySQL reports it, so
 * `0 AND 9223372036854775807 + 1` still gives 0.
 */
function fold(accessor: RowAccessor, constant: boolean): Compiled {
  if (!constant) return { accessor, constant };
  try {
    return constantOf(accessor([], []));
  } catch (error) {
    if (!(error instanceof QueueError)) throw error;
    return { accessor, constant: false };
  }
}

/** A hex literal as an arithmetic/bitwise operand is the unsigned integer it spells. */
function numericOperand(expr: Expr, scope: CompileScope): Compiled {
  if (expr.kind === "literal" && expr.value instanceof Uint8Array) {
    let value = 0n;
    for (const byte of expr.value) value = (value << 8n) | BigInt(byte);
    return constantOf(fromBigInt(value > uint64Max ? uint64Max : value));
  }
  return compileNode(expr, scope);
}

function compileLike(expr: Extract<Expr, { kind: "like" }>, scope: CompileScope): Compiled {
  const operand = compileNode(expr.operand, scope);
  const pattern = compileNode(expr.pattern, scope);
  const escape = expr.escape === null ? constantOf("\\") : compileNode(expr.escape, scope);
  const negated = expr.negated;
  const matches = likeTester();
  const accessor: RowAccessor = (row, params) => {
    const value = operand.accessor(row, params);
    const patternValue = pattern.accessor(row, params);
    if (value === null || patternValue === null) return null;
    const escapeValue = escape.accessor(row, params);
    return matches(valueToText(value), valueToText(patternValue), escapeValue) !== negated ? 1 : 0;
  };
  return fold(accessor, operand.constant && pattern.constant && escape.constant);
}

/** Whether an expression reads no column and no parameter. */
function isColumnFree(expr: Expr): boolean {
  switch (expr.kind) {
    case "literal":
      return true;
    case "param":
    case "column":
    case "count_star":
      return false;
    case "unary":
      return isColumnFree(expr.operand);
    case "binary":
      return isColumnFree(expr.left) && isColumnFree(expr.right);
    case "is":
      return isColumnFree(expr.operand);
    case "in":
      return isColumnFree(expr.operand) && expr.list.every(isColumnFree);
    case "between":
      return isColumnFree(expr.operand) && isColumnFree(expr.low) && isColumnFree(expr.high);
    case "like":
      return isColumnFree(expr.operand) && isColumnFree(expr.pattern) &&
        (expr.escape === null || isColumnFree(expr.escape));
    case "call":
      return expr.args.every(isColumnFree);
    case "interval":
      return isColumnFree(expr.value);
  }
}

function compileIn(expr: Extract<Expr, { kind: "in" }>, scope: CompileScope): Compiled {
  const operand = compileNode(expr.operand, scope);
  const items = expr.list.map((item) => compileNode(item, scope));
  const negated = expr.negated;
  const hit = negated ? 0 : 1;
  const miss = negated ? 1 : 0;
  const allConstant = items.every((item) => item.constant);
  if (allConstant) {
    const values = items.map((item) => item.accessor([], []));
    const hasNull = values.includes(null);
    const numbers = values.every((v) => v === null || typeof v === "number");
    const strings = values.every((v) => v === null || typeof v === "string");
    const set = new Set<Value>(values.filter((v) => v !== null));
    const slow = (value: NonNull): Value => {
      for (const item of values) {
        if (item !== null && compareValues(value, item, true) === 0) return hit;
      }
      return hasNull ? null : miss;
    };
    const accessor: RowAccessor = (row, params) => {
      const value = operand.accessor(row, params);
      if (value === null) return null;
      if ((numbers && typeof value === "number") || (strings && typeof value === "string")) {
        return set.has(value) ? hit : hasNull ? null : miss;
      }
      return slow(value);
    };
    return fold(accessor, operand.constant);
  }
  // A list of constants that failed to fold (an overflow) fails as a whole, as MySQL
  // evaluates a constant list up front.
  const listFails = expr.list.every(isColumnFree);
  const accessor: RowAccessor = (row, params) => {
    if (listFails) { for (const item of items) item.accessor(row, params); }
    const value = operand.accessor(row, params);
    if (value === null) return null;
    let sawNull = false;
    for (const item of items) {
      const itemValue = item.accessor(row, params);
      if (itemValue === null) sawNull = true;
      else if (compareValues(value, itemValue, true) === 0) return hit;
    }
    return sawNull ? null : miss;
  };
  return { accessor, constant: false };
}

function isHexLiteral(expr: Expr): boolean {
  return expr.kind === "literal" && expr.value instanceof Uint8Array;
}

/**
 * A comparison with a hex literal: the literal is a number when the other
 * side is one (MySQL: `0x41 = 65`), else a byte string (`0x41 = 'A'`).
 */
function compileHexComparison(
  op: BinaryOp,
  expr: Extract<Expr, { kind: "binary" }>,
  scope: CompileScope,
): RowAccessor {
  const left = compileNode(expr.left, scope).accessor;
  const right = compileNode(expr.right, scope).accessor;
  const leftNumber = isHexLiteral(expr.left)
    ? numericOperand(expr.left, scope).accessor([], [])
    : null;
  const rightNumber = isHexLiteral(expr.right)
    ? numericOperand(expr.right, scope).accessor([], [])
    : null;
  return (row, params) => {
    let a = left(row, params);
    if (a === null && op !== "<=>") return null;
    let b = right(row, params);
    if (leftNumber !== null && isNumber(b)) a = leftNumber;
    if (rightNumber !== null && isNumber(a)) b = rightNumber;
    return compare(op, a, b);
  };
}

/**
 * Whether MySQL types this expression as a number whatever its value (so
 * even its NULL makes BETWEEN compare numerically): numeric literals and
 * every operator and function result. Columns and parameters: by value.
 */
function isNumericTyped(expr: Expr): boolean {
  if (expr.kind === "literal") {
    return typeof expr.value === "number" || typeof expr.value === "bigint" ||
      expr.value instanceof Decimal;
  }
  if (expr.kind === "call") return functionReturnsNumber(expr.name);
  return expr.kind !== "column" && expr.kind !== "param";
}

function isNumber(value: Value): boolean {
  return typeof value === "number" || typeof value === "bigint" || typeof value === "boolean" ||
    value instanceof Decimal;
}

/** BETWEEN's comparison: numerically (exact for two integers) when `numeric`, else MySQL's rule. */
function compareBetween(a: NonNull, b: NonNull, numeric: boolean): number {
  if (!numeric) return compareValues(a, b, true);
  // A date compares as a date with anything (a string is parsed as one);
  // a decimal exactly with any number.
  if (a instanceof Temporal || b instanceof Temporal) return compareValues(a, b, true);
  if (
    (a instanceof Decimal || b instanceof Decimal) && typeof a !== "string" && typeof b !== "string"
  ) return compareValues(a, b, true);
  if (isNumber(a) && isNumber(b)) return compareNumbers(valueToNumber(a), valueToNumber(b));
  return compareNumbers(Number(valueToNumber(a)), Number(valueToNumber(b)));
}

/** Three-valued AND on evaluated sides. */
function and3(a: Value, b: Value): Value {
  if ((a !== null && !isTruthy(a)) || (b !== null && !isTruthy(b))) return 0;
  return a === null || b === null ? null : 1;
}

function compileBinary(expr: Extract<Expr, { kind: "binary" }>, scope: CompileScope): Compiled {
  const op = expr.op;
  if (expr.left.kind === "interval" || expr.right.kind === "interval") {
    return compileIntervalArithmetic(expr, scope);
  }
  const arithmeticOperands = op === "+" || op === "-" || op === "*" || op === "div" ||
    op === "%" || op === "/" || op === "|" || op === "&" || op === "^" || op === "<<" ||
    op === ">>";
  const leftNode = arithmeticOperands
    ? numericOperand(expr.left, scope)
    : compileNode(expr.left, scope);
  const rightNode = arithmeticOperands
    ? numericOperand(expr.right, scope)
    : compileNode(expr.right, scope);
  const left = leftNode.accessor;
  const right = rightNode.accessor;
  const constant = leftNode.constant && rightNode.constant;
  let accessor: RowAccessor;
  switch (op) {
    case "and":
      accessor = (row, params) => {
        const a = left(row, params);
        if (a === 0 || (a !== null && !isTruthy(a))) return 0;
        const b = right(row, params);
        if (b === 0) return 0;
        return and3(a, b);
      };
      break;
    case "or":
      accessor = (row, params) => {
        const a = left(row, params);
        if (a !== null && isTruthy(a)) return 1;
        const b = right(row, params);
        if (b !== null && isTruthy(b)) return 1;
        return a === null || b === null ? null : 0;
      };
      break;
    case "xor":
      accessor = (row, params) => {
        const a = left(row, params);
        if (a === null) return null;
        const b = right(row, params);
        if (b === null) return null;
        return isTruthy(a) !== isTruthy(b) ? 1 : 0;
      };
      break;
    case "+":
    case "-":
    case "*":
      accessor = (row, params) => {
        const a = left(row, params);
        const b = right(row, params);
        if (typeof a === "number" && typeof b === "number") {
          const result = op === "+" ? a + b : op === "-" ? a - b : a * b;
          if (Number.isSafeInteger(result)) return result === 0 ? 0 : result;
        }
        return arithmetic(op, a, b);
      };
      break;
    case "/":
      accessor = (row, params) => divide(left(row, params), right(row, params));
      break;
    case "div":
      accessor = (row, params) => integerDivide(left(row, params), right(row, params));
      break;
    case "%":
      accessor = (row, params) => modulo(left(row, params), right(row, params));
      break;
    case "|":
    case "&":
    case "^":
    case "<<":
    case ">>":
      accessor = op === "|" || op === "&"
        ? (row, params) => {
          const a = left(row, params);
          return a === null ? null : bitwise(op, a, right(row, params));
        }
        : (row, params) => bitwise(op, left(row, params), right(row, params));
      break;
    default:
      accessor = isHexLiteral(expr.left) || isHexLiteral(expr.right)
        ? compileHexComparison(op, expr, scope)
        : compileComparison(op, left, right);
  }
  return fold(accessor, constant);
}

function compileNode(expr: Expr, scope: CompileScope): Compiled {
  switch (expr.kind) {
    case "literal":
      return constantOf(expr.value);
    case "param": {
      const index = expr.index;
      return {
        accessor: (_row, params) => defined(params[index], "the parameter count was checked"),
        constant: false,
      };
    }
    case "column": {
      const index = scope.columnIndex(expr.name, expr.quoted, expr.table);
      if (index < 0) {
        const shown = expr.table === undefined ? expr.name : `${expr.table}.${expr.name}`;
        throw new QueueError("ER_BAD_FIELD_ERROR", `Unknown column '${shown}'`, {
          position: expr.start,
        });
      }
      // columnIndex checked the index against the scope the rows are built for.
      return { accessor: (row) => defined(row[index], "a column of the scope"), constant: false };
    }
    case "unary": {
      const operand = expr.op === "not"
        ? compileNode(expr.operand, scope)
        : numericOperand(expr.operand, scope);
      const inner = operand.accessor;
      const accessor: RowAccessor = expr.op === "-"
        ? (row, params) => negate(inner(row, params))
        : expr.op === "~"
        ? (row, params) => invertBits(inner(row, params))
        : (row, params) => not(inner(row, params));
      return fold(accessor, operand.constant);
    }
    case "binary":
      return compileBinary(expr, scope);
    case "is": {
      const operand = compileNode(expr.operand, scope);
      const inner = operand.accessor;
      const test = expr.test;
      const yes = expr.negated ? 0 : 1;
      const no = expr.negated ? 1 : 0;
      const accessor: RowAccessor = (row, params) => {
        const value = inner(row, params);
        const holds = test === "null"
          ? value === null
          : test === "true"
          ? value !== null && isTruthy(value)
          : value !== null && !isTruthy(value);
        return holds ? yes : no;
      };
      return fold(accessor, operand.constant);
    }
    case "in":
      return compileIn(expr, scope);
    case "between": {
      const operand = compileNode(expr.operand, scope);
      const low = compileNode(expr.low, scope);
      const high = compileNode(expr.high, scope);
      const negated = expr.negated;
      const typedNumeric = isNumericTyped(expr.operand) || isNumericTyped(expr.low) ||
        isNumericTyped(expr.high);
      const accessor: RowAccessor = (row, params) => {
        const value = operand.accessor(row, params);
        if (value === null) return null;
        const lowValue = low.accessor(row, params);
        const highValue = high.accessor(row, params);
        // MySQL compares BETWEEN's three arguments as one type: numbers as soon as one is a number.
        const numeric = typedNumeric || isNumber(value) || isNumber(lowValue) ||
          isNumber(highValue);
        const aboveLow = lowValue === null
          ? null
          : compareBetween(value, lowValue, numeric) >= 0
          ? 1
          : 0;
        const belowHigh = highValue === null
          ? null
          : compareBetween(value, highValue, numeric) <= 0
          ? 1
          : 0;
        const result = and3(aboveLow, belowHigh);
        return negated ? not(result) : result;
      };
      return fold(accessor, operand.constant && low.constant && high.constant);
    }
    case "like":
      return compileLike(expr, scope);
    case "call":
      return compileCall(expr, scope);
    case "count_star":
      throw new QueueError("ER_NOT_SUPPORTED_YET", "COUNT(*) is only supported as a select item");
    case "interval":
      throw new QueueError(
        "ER_PARSE_ERROR",
        "You have an error in your SQL syntax; INTERVAL is only an operand of + and - or of DATE_ADD/DATE_SUB",
        { position: expr.start },
      );
  }
}

/** `date + INTERVAL n unit`, `INTERVAL n unit + date`, `date - INTERVAL n unit`. */
function compileIntervalArithmetic(
  expr: Extract<Expr, { kind: "binary" }>,
  scope: CompileScope,
): Compiled {
  const interval = expr.right.kind === "interval" ? expr.right : expr.left;
  const other = interval === expr.right ? expr.left : expr.right;
  if (
    interval.kind !== "interval" || other.kind === "interval" ||
    (expr.op !== "+" && !(expr.op === "-" && interval === expr.right))
  ) {
    throw new QueueError(
      "ER_PARSE_ERROR",
      "You have an error in your SQL syntax; INTERVAL is only added to or subtracted from a date",
      { position: expr.start },
    );
  }
  return compileDateAdd(other, interval, expr.op === "-", scope);
}

function compileDateAdd(
  dateExpr: Expr,
  interval: Extract<Expr, { kind: "interval" }>,
  subtract: boolean,
  scope: CompileScope,
): Compiled {
  const date = compileNode(dateExpr, scope);
  const amount = compileNode(interval.value, scope);
  const unit = interval.unit;
  const accessor: RowAccessor = (row, params) =>
    intervalArithmetic(date.accessor(row, params), amount.accessor(row, params), unit, subtract);
  return fold(accessor, date.constant && amount.constant);
}

function temporalArgumentCountError(name: string): QueueError {
  return new QueueError(
    "ER_WRONG_ARGUMENTS",
    `Incorrect parameter count in the call to native function '${name}'`,
  );
}

/** NOW(), UNIX_TIMESTAMP(), DATE_ADD() and the other functions of the temporal types. */
function compileTemporalCall(
  expr: Extract<Expr, { kind: "call" }>,
  scope: CompileScope,
): Compiled | null {
  const name = expr.name;
  if (name === "date_add" || name === "date_sub" || name === "adddate" || name === "subdate") {
    const [date, given] = expr.args;
    if (expr.args.length !== 2 || date === undefined || given === undefined) {
      throw temporalArgumentCountError(name);
    }
    let interval = given;
    if (interval.kind !== "interval") {
      // ADDDATE(d, n) / SUBDATE(d, n): n days.
      if (name === "date_add" || name === "date_sub") {
        throw new QueueError(
          "ER_PARSE_ERROR",
          `You have an error in your SQL syntax; ${name.toUpperCase()} takes an INTERVAL`,
          { position: interval.start },
        );
      }
      interval = {
        kind: "interval",
        value: interval,
        unit: "DAY",
        start: interval.start,
        end: interval.end,
      };
    }
    return compileDateAdd(date, interval, name === "date_sub" || name === "subdate", scope);
  }
  const arity = temporalFunctionArity.get(name);
  if (arity === undefined) return null;
  if (expr.args.length < arity[0] || expr.args.length > arity[1]) {
    throw temporalArgumentCountError(name);
  }
  const args = expr.args.map((arg) => compileNode(arg, scope));
  const values: Value[] = new Array(args.length);
  const accessor: RowAccessor = (row, params) => {
    for (let i = 0; i < args.length; i++) {
      values[i] = defined(args[i], "i < length").accessor(row, params);
    }
    return callTemporal(name, values);
  };
  // A clock reading is never folded: a cached plan would keep the time it was compiled at.
  if (readsClock(name, args.length)) return { accessor, constant: false };
  return fold(accessor, args.every((arg) => arg.constant));
}

function compileCall(expr: Extract<Expr, { kind: "call" }>, scope: CompileScope): Compiled {
  const name = expr.name;
  if (queueFunctionNames.has(name)) {
    throw new QueueError("ER_NOT_SUPPORTED_YET", `${name}() is not supported in this place`);
  }
  if (name === "default") {
    throw new QueueError(
      "ER_NOT_SUPPORTED_YET",
      "DEFAULT is supported only as a whole value of INSERT",
    );
  }
  if (name === "pow" || name === "power" || name === "mod") {
    const [left, right] = expr.args;
    if (expr.args.length !== 2 || left === undefined || right === undefined) {
      throw paramCountError(expr.written ?? name);
    }
    if (name === "mod") {
      return compileBinary({
        kind: "binary",
        op: "%",
        left,
        right,
        start: expr.start,
        end: expr.end,
      }, scope);
    }
    const base = numericOperand(left, scope);
    const exponent = numericOperand(right, scope);
    const accessor: RowAccessor = (row, params) =>
      power(base.accessor(row, params), exponent.accessor(row, params));
    return fold(accessor, base.constant && exponent.constant);
  }
  const temporal = compileTemporalCall(expr, scope);
  if (temporal !== null) return temporal;
  const spec = functionSpecOf(name, expr.form);
  if (spec === undefined) {
    throw new QueueError("ER_NOT_SUPPORTED_YET", `FUNCTION ${name} does not exist`);
  }
  if (expr.args.length < spec.min || expr.args.length > spec.max) {
    throw paramCountError(expr.written ?? name);
  }
  const args = expr.args.map((arg) => compileNode(arg, scope));
  let accessor = spec.build(args.map((arg) => arg.accessor), expr.form);
  if (spec.resultArgs !== undefined) {
    accessor = aggregateResult(accessor, staticKindOf(expr, scope));
    const numeric = staticNumericOf(expr, scope);
    if (numeric?.kind === "decimal") accessor = atScale(accessor, numeric.scale);
  } else if (!spec.numeric && staticKindOf(expr, scope) === "binary") {
    // A byte-string argument makes the result bytes even when it was not used.
    accessor = aggregateResult(accessor, "binary");
  }
  return fold(accessor, args.every((arg) => arg.constant));
}

/**
 * Compiles an expression once into a closure that evaluates it for a row
 * and the bound parameters. Throws ER_BAD_FIELD_ERROR for an unknown column
 * and ER_NOT_SUPPORTED_YET for queue functions, COUNT(*) and unknown functions.
 *
 * @example
 * ```ts
 * import { parseExpression } from "./parser.ts";
 * const columns = ["prio", "v"];
 * const where = compileExpr(parseExpression("prio = 0 AND v > 3"), {
 *   columnIndex: (name) => columns.indexOf(name.toLowerCase()),
 * });
 * console.log(where([0, 5], [])); // 1
 * ```
 */
export function compileExpr(expr: Expr, scope: CompileScope): RowAccessor {
  return compileNode(expr, scope).accessor;
}
