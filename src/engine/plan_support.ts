/**
 * What statement plans share: compile scopes over no table or a table's
 * columns, constant evaluation of literals and bound parameters, LIMIT and
 * OFFSET values, ORDER BY terms, and the rule that queue functions stand
 * only as whole select-list items.
 *
 * AST pieces → accessors (compiled once per statement and schema version)
 *
 * @module
 */

import type { Expr, OrderTerm, Prepared, Value } from "../sql/mod.ts";
import { compileExpr, enterDatabase, queueFunctionNames } from "../sql/mod.ts";
import type { CompileScope, RowAccessor, StaticKind, StaticNumeric } from "../sql/mod.ts";
import { defined, QueueError } from "../errors.ts";
import { isUnknownSchemaVersion, type TableSchema } from "./schema.ts";

export const noColumns: CompileScope = {
  columnIndex(name: string): number {
    throw new QueueError("ER_BAD_FIELD_ERROR", `Unknown column '${name}' in 'field list'`);
  },
};

export function tableScope(tableName: string, schema: TableSchema, clause: string): CompileScope {
  return {
    columnIndex(name: string, _quoted: boolean, qualifier?: string): number {
      const position = qualifier === undefined || qualifier === tableName
        ? schema.position(name)
        : -1;
      if (position < 0) {
        const shown = qualifier === undefined ? name : `${qualifier}.${name}`;
        throw new QueueError("ER_BAD_FIELD_ERROR", `Unknown column '${shown}' in '${clause}'`);
      }
      return position;
    },
    columnNumeric(index: number): StaticNumeric | null {
      const type = defined(schema.columns[index], "a column index in range").def.type;
      switch (type.kind) {
        case "int":
          return { kind: "int" };
        case "decimal":
          return { kind: "decimal", scale: type.scale };
        case "float":
          return { kind: "double" };
        default:
          return null;
      }
    },
    columnKind(index: number): StaticKind {
      switch (defined(schema.columns[index], "a column of the scope").def.type.kind) {
        case "int":
        case "float":
          return "number";
        case "char":
        case "text":
        case "json":
          return "string";
        case "binary":
        case "blob":
          return "binary";
        default:
          return "unknown";
      }
    },
  };
}

export const emptyRow: readonly Value[] = [];

/** Evaluates a constant expression (literals, parameters, operators). */
export function evaluateConstant(expr: Expr, params: readonly Value[]): Value {
  if (expr.kind === "literal") return expr.value;
  if (expr.kind === "param") return defined(params[expr.index], "the parameter count was checked");
  return compileExpr(expr, noColumns)(emptyRow, params);
}

export function containsQueueCall(expr: Expr): boolean {
  switch (expr.kind) {
    case "call":
      return queueFunctionNames.has(expr.name) || expr.args.some(containsQueueCall);
    case "count_star":
      return true;
    case "unary":
      return containsQueueCall(expr.operand);
    case "binary":
      return containsQueueCall(expr.left) || containsQueueCall(expr.right);
    case "is":
      return containsQueueCall(expr.operand);
    case "in":
      return containsQueueCall(expr.operand) || expr.list.some(containsQueueCall);
    case "between":
      return containsQueueCall(expr.operand) || containsQueueCall(expr.low) ||
        containsQueueCall(expr.high);
    case "like":
      return containsQueueCall(expr.operand) || containsQueueCall(expr.pattern) ||
        (expr.escape !== null && containsQueueCall(expr.escape));
    default:
      return false;
  }
}

export function notSupportedNested(): QueueError {
  return new QueueError(
    "ER_NOT_SUPPORTED_YET",
    "Queue functions and COUNT(*) are supported only as whole select-list items",
  );
}

/** A LIMIT or OFFSET value; a missing clause means no limit (LIMIT) or 0 (OFFSET). */
export function limitValue(
  expr: Expr | null,
  params: readonly Value[],
  what: "LIMIT" | "OFFSET",
): number {
  if (expr === null) return what === "OFFSET" ? 0 : Infinity;
  const value = evaluateConstant(expr, params);
  const number = typeof value === "bigint" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 0) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `Incorrect argument ${describeValue(value)} to ${what}`,
    );
  }
  return number;
}

function describeValue(value: Value): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return `'${value}'`;
  if (value instanceof Uint8Array) return "(binary)";
  return String(value);
}

export function valueAccessor(expr: Expr): RowAccessor {
  if (expr.kind === "param") {
    const index = expr.index;
    return (_row, params) => defined(params[index], "the parameter count was checked");
  }
  if (expr.kind === "literal") {
    const value = expr.value;
    return () => value;
  }
  if (containsQueueCall(expr)) throw notSupportedNested();
  return compileExpr(expr, noColumns);
}

/** ORDER BY terms compiled against a table. */
export function compileOrder(
  orderBy: readonly OrderTerm[],
  tableName: string,
  schema: TableSchema,
): { accessor: RowAccessor; descending: boolean }[] {
  const scope = tableScope(tableName, schema, "order clause");
  return orderBy.map((term) => {
    if (containsQueueCall(term.expr)) throw notSupportedNested();
    return { accessor: compileExpr(term.expr, scope), descending: term.descending };
  });
}

/**
 * The compiled plans of one statement kind, kept per prepared statement (a
 * WeakMap on the `Prepared` object): so memory is bounded by the statements
 * alive, which src/sql/template.ts' caches bound (`templateVariantsMax`,
 * `unsafeCacheEntriesMax`, `unsafeCacheBytesMax`), and a plan goes with its
 * statement. A plan is reused only for the table object and schema version
 * it was built for: DROP + CREATE and ALTER TABLE make it rebuild.
 */
export class PlanCache<Table extends { readonly schema: TableSchema }, Plan> {
  readonly #plans = new WeakMap<Prepared, { table: Table; schemaVersion: number; plan: Plan }>();

  /** The plan built for `prepared` over `table` as it is now, if any. */
  get(prepared: Prepared, table: Table): Plan | undefined {
    const cached = this.#plans.get(prepared);
    if (cached === undefined || cached.table !== table) return undefined;
    return cached.schemaVersion === table.schema.version ? cached.plan : undefined;
  }

  /** Keeps `plan` for `prepared` over `table` at its current schema version. */
  set(prepared: Prepared, table: Table, plan: Plan): Plan {
    this.#plans.set(prepared, { table, schemaVersion: table.schema.version, plan });
    return plan;
  }
}

/**
 * Runs a statement (SELECT, INSERT, DELETE) on a shared backend (NATS),
 * whose catalog reaches this process through a watch that may lag behind
 * other clients' rows and DDL. A row written under a schema
 * version not known here, or a column or table not known here, makes it
 * read the catalog once; the statement is then planned and run again for
 * the new schema (SELECT * gets the new columns; a named column dropped
 * meanwhile is ER_BAD_FIELD_ERROR, as locally). A version still unknown
 * then is ER_CORRUPT. Only for statements that change nothing before
 * these errors (an INSERT's names are resolved before it writes, a
 * DELETE's selection ends before it removes).
 */
export async function runFollowingCatalog<T>(
  refreshCatalog: () => Promise<boolean>,
  database: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const unknownVersion = isUnknownSchemaVersion(error);
    if (!unknownVersion && !(error instanceof QueueError && staleCodes.has(error.code))) {
      throw error;
    }
    // A version unknown here is run again even when the watch applied the
    // newer catalog before this read; a name error only when the read did.
    if (!(await refreshCatalog()) && !unknownVersion) throw error;
    enterDatabase(database); // other sessions' statements ran meanwhile
    return await run();
  }
}

/** Errors a catalog this process has not seen yet may answer differently. */
const staleCodes: ReadonlySet<string> = new Set(["ER_BAD_FIELD_ERROR", "ER_NO_SUCH_TABLE"]);
