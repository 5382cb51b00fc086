/**
 * SELECT (with and without FROM, COUNT(*), queue functions as select-list
 * items) and SHOW TABLES, with plans cached per prepared statement and
 * schema version.
 *
 * prepared SELECT + params → plan → rows through the session's visibility
 *
 * @module
 */

import type { Prepared, SelectItem, Statement, Value } from "../sql/mod.ts";
import {
  compileExpr,
  Decimal,
  enterDatabase,
  isTruthy,
  outputValue,
  queueFunctionNames,
} from "../sql/mod.ts";
import type { RowAccessor } from "../sql/mod.ts";
import { defined, QueueError } from "../errors.ts";
import {
  compileOrder,
  containsQueueCall,
  emptyRow,
  evaluateConstant,
  limitValue,
  noColumns,
  notSupportedNested,
  PlanCache,
  runFollowingCatalog,
  tableScope,
  valueAccessor,
} from "./plan_support.ts";
import { callQueueFunction, type QueueHost } from "./queue_functions.ts";
import {
  namesRepeat,
  type Result,
  type ResultColumn,
  type Row,
  type StatementOf,
  withColumns,
} from "./result.ts";
import type { SessionState } from "./session_state.ts";
import type { EngineTable } from "./table.ts";
import { forEachVisible, selectRows, visibleCount } from "./visibility.ts";

interface OutputColumn {
  name: string;
  /** Row → output value (already converted for the user: JSON parsed). */
  accessor: RowAccessor;
}

interface SelectPlan {
  table: EngineTable;
  schemaVersion: number;
  where: RowAccessor | null;
  order: { accessor: RowAccessor; descending: boolean }[];
  /** Output columns, or null for a COUNT(*) query. */
  columns: OutputColumn[] | null;
  /** For COUNT(*) queries: per item, null for COUNT(*) or a constant accessor. */
  countItems: { name: string; accessor: RowAccessor | null }[] | null;
  /** What the result's `columns` property reports. */
  described: ResultColumn[];
}

/**
 * SELECT … FROM plans by prepared statement and table (module state; the
 * bound is PlanCache's: plans live as long as their statements).
 */
const selectPlans = new PlanCache<EngineTable, SelectPlan>();

function jsonOutput(accessor: RowAccessor): RowAccessor {
  return (row, params) => {
    const value = accessor(row, params);
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  };
}

/** Decimal and temporal values leave as MySQL's text (README: value mapping). */
function typedOutput(accessor: RowAccessor): RowAccessor {
  return (row, params) => outputValue(accessor(row, params));
}

/** The output accessor of a column of this type. */
function columnOutput(kind: string, accessor: RowAccessor): RowAccessor {
  if (kind === "json") return jsonOutput(accessor);
  if (
    kind === "decimal" || kind === "date" || kind === "datetime" || kind === "time" ||
    kind === "enum" || kind === "set"
  ) {
    return typedOutput(accessor);
  }
  return accessor;
}

function planSelect(prepared: Prepared, table: EngineTable): SelectPlan {
  const cached = selectPlans.get(prepared, table);
  if (cached !== undefined) return cached;
  const statement = prepared.statement as StatementOf<"select">;
  const schema = table.schema;
  const fieldScope = tableScope(table.name, schema, "field list");
  const isCount = statement.items.some((item) =>
    item.kind === "expr" && item.expr.kind === "count_star"
  );
  let columns: OutputColumn[] | null = null;
  let countItems: SelectPlan["countItems"] = null;
  const described: ResultColumn[] = [];
  if (isCount) {
    countItems = statement.items.map((item) => {
      if (item.kind === "star") {
        throw new QueueError(
          "ER_NOT_SUPPORTED_YET",
          "COUNT(*) cannot be mixed with * (no GROUP BY)",
        );
      }
      described.push({ name: item.name });
      if (item.expr.kind === "count_star") return { name: item.name, accessor: null };
      if (containsQueueCall(item.expr)) throw notSupportedNested();
      return { name: item.name, accessor: compileExpr(item.expr, noColumns) };
    });
  } else {
    columns = [];
    for (const item of statement.items) {
      if (item.kind === "star") {
        if (item.table !== undefined && item.table !== table.name) {
          throw new QueueError("ER_NO_SUCH_TABLE", `Unknown table '${item.table}'`);
        }
        schema.columns.forEach((column, position) => {
          const accessor: RowAccessor = (row) => defined(row[position], "a value per column");
          columns!.push({
            name: column.def.name,
            accessor: columnOutput(column.def.type.kind, accessor),
          });
          described.push({
            name: column.def.name,
            table: table.name,
            type: column.def.type,
            notNull: column.def.notNull,
          });
        });
        continue;
      }
      if (containsQueueCall(item.expr)) {
        throw new QueueError(
          "ER_NOT_SUPPORTED_YET",
          "Queue functions cannot be used in a SELECT with FROM; call them in their own SELECT",
        );
      }
      let accessor = compileExpr(item.expr, fieldScope);
      if (item.expr.kind === "column") {
        const position = schema.position(item.expr.name);
        const def = defined(schema.columns[position], "the compile step resolved the column").def;
        accessor = columnOutput(def.type.kind, accessor);
        described.push({
          name: item.name,
          table: table.name,
          type: def.type,
          notNull: def.notNull,
        });
      } else {
        accessor = typedOutput(accessor);
        described.push({ name: item.name });
      }
      columns.push({ name: item.name, accessor });
    }
  }
  const whereScope = tableScope(table.name, schema, "where clause");
  if (statement.where !== null && containsQueueCall(statement.where)) throw notSupportedNested();
  const plan: SelectPlan = {
    table,
    schemaVersion: schema.version,
    where: statement.where === null ? null : compileExpr(statement.where, whereScope),
    order: compileOrder(statement.orderBy, table.name, schema),
    columns,
    countItems,
    described,
  };
  selectPlans.set(prepared, table, plan);
  return plan;
}

/** Runs a SELECT. */
/**
 * The result columns `prepared` would have, without running it: every
 * select-list item's name, and for a plain column its table, type and
 * nullability. Null when the statement is not a SELECT. Errors as the
 * SELECT itself would (ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR…).
 */
export function describeSelect(
  host: { requireTable(name: string): EngineTable },
  prepared: Prepared,
): ResultColumn[] | null {
  const statement = prepared.statement;
  if (statement.kind !== "select") return null;
  if (statement.from === null) {
    return planWithoutTable(prepared).columns;
  }
  return planSelect(prepared, host.requireTable(statement.from)).described;
}

/**
 * Runs a SELECT. `shaped` false skips the result's `columns` and
 * `rowArrays` (two `Object.defineProperty` calls, most of a queue
 * function's cost): for callers inside q4d that read only the rows, such
 * as the job loop; users' statements are always shaped.
 */
export async function executeSelect(
  host: QueueHost & { requireTable(name: string, current: string): EngineTable },
  session: SessionState,
  prepared: Prepared,
  params: readonly Value[],
  shaped = true,
  refreshCatalog?: () => Promise<boolean>,
): Promise<Result> {
  const statement = prepared.statement as StatementOf<"select">;
  if (statement.from === null) {
    return await selectWithoutTable(host, session, prepared, params, shaped);
  }
  const where = statement.where;
  const waits = where?.kind === "call" && where.name === "queue_wait";
  if (refreshCatalog !== undefined && !waits) {
    // The wait of Q4M's first form is not run again: its read passes refreshCatalog on.
    return await runFollowingCatalog(
      refreshCatalog,
      session.database,
      () => executeSelect(host, session, prepared, params, shaped),
    );
  }
  if (where?.kind === "call" && where.name === "queue_wait") {
    // Q4M's first form, `SELECT … FROM t WHERE queue_wait('t')` (its tutorial, its crawler):
    // the wait alone is the condition; then the owned row, if any, is what the SELECT shows.
    const args = where.args.map((arg) => {
      const value = evaluateConstant(arg, params);
      return value instanceof Decimal ? value.toNumber() : outputValue(value);
    });
    if (host.table(statement.from, session.database) === undefined) {
      await host.refreshCatalog?.(); // another client may have made it a moment ago
    }
    host.requireTable(statement.from, session.database);
    await callQueueFunction(host, session, "queue_wait", args);
    enterDatabase(session.database); // other sessions' statements ran meanwhile
    return await executeSelect(
      host,
      session,
      withoutWhere(prepared),
      params,
      shaped,
      refreshCatalog,
    );
  }
  const table = host.requireTable(statement.from, session.database);
  const plan = planSelect(prepared, table);
  const offset = limitValue(statement.offset, params, "OFFSET");
  const limit = limitValue(statement.limit, params, "LIMIT");
  if (plan.countItems !== null) {
    let count = 0;
    if (plan.where === null) {
      const visible = visibleCount(session, table);
      count = typeof visible === "number" ? visible : await visible;
    } else {
      const where = plan.where;
      const scanned = forEachVisible(session, table, (_rowId, values) => {
        if (isTruthy(where(values, params))) count++;
        return true;
      });
      if (scanned !== undefined) await scanned;
    }
    const row: Row = {};
    const values: unknown[] = [];
    for (const item of plan.countItems) {
      const value = item.accessor === null ? count : outputValue(item.accessor(emptyRow, params));
      row[item.name] = value;
      values.push(value);
    }
    const taken = offset === 0 && limit > 0;
    if (!shaped) return taken ? [row] : [];
    return shapeOneRow(taken ? row : null, plan.described, values);
  }
  const selected = selectRows(session, table, plan.where, plan.order, offset, limit, params);
  const { rows } = selected instanceof Promise ? await selected : selected;
  const columns = plan.columns!;
  const result: Result = new Array(rows.length);
  if (shaped && namesRepeat(plan.described)) {
    // Names repeat: the later value keys the object; rowArrays keeps each.
    const arrays: unknown[][] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const values = defined(rows[r], "r < length");
      const out = columns.map((column) => column.accessor(values, params));
      const row: Row = {};
      columns.forEach((column, i) => (row[column.name] = out[i]));
      result[r] = row;
      arrays[r] = out;
    }
    return withColumns(result, plan.described, arrays);
  }
  for (let r = 0; r < rows.length; r++) {
    const values = defined(rows[r], "r < length");
    const row: Row = {};
    for (const column of columns) row[column.name] = column.accessor(values, params);
    result[r] = row;
  }
  return shaped ? withColumns(result, plan.described) : result;
}

/** A select-list item of a SELECT without FROM: a queue function call or a constant. */
type NoTableItem =
  | { name: string; call: string; args: RowAccessor[] }
  | { name: string; call: null; value: RowAccessor };

/**
 * Shapes a result of at most one row (`row` null: none) whose values in
 * select-list order are `values`: those become its `rowArrays` only when
 * names repeat, where the row object lost some; otherwise `rowArrays` is
 * computed from the row when read, as for any SELECT.
 */
function shapeOneRow(row: Row | null, columns: ResultColumn[], values: unknown[]): Result {
  const arrays = namesRepeat(columns) ? (row === null ? [] : [values]) : undefined;
  return withColumns(row === null ? [] : [row], columns, arrays);
}

/** A SELECT without FROM, planned: its items and the result columns they describe. */
interface NoTablePlan {
  items: NoTableItem[];
  columns: ResultColumn[];
}

/**
 * Plans of SELECTs without FROM, per prepared statement: a WeakMap on the
 * `Prepared`, bounded by the statements alive (see PlanCache).
 */
const noTablePlans = new WeakMap<Prepared, NoTablePlan>();

function planWithoutTable(prepared: Prepared): NoTablePlan {
  const cached = noTablePlans.get(prepared);
  if (cached !== undefined) return cached;
  const statement = prepared.statement as StatementOf<"select">;
  const items = (statement.items as SelectItem[]).map((item): NoTableItem => {
    if (item.kind === "star") throw new QueueError("ER_NO_TABLES_USED", "No tables used");
    const expr = item.expr;
    if (expr.kind === "call" && queueFunctionNames.has(expr.name)) {
      if (expr.args.some(containsQueueCall)) throw notSupportedNested();
      return { name: item.name, call: expr.name, args: expr.args.map(valueAccessor) };
    }
    if (expr.kind === "count_star") return { name: item.name, call: null, value: () => 0 };
    return { name: item.name, call: null, value: valueAccessor(expr) };
  });
  const plan = { items, columns: items.map((item) => ({ name: item.name })) };
  noTablePlans.set(prepared, plan);
  return plan;
}

async function selectWithoutTable(
  host: QueueHost,
  session: SessionState,
  prepared: Prepared,
  params: readonly Value[],
  shaped: boolean,
): Promise<Result> {
  const statement = prepared.statement as StatementOf<"select">;
  const { items, columns } = planWithoutTable(prepared);
  if (statement.where !== null && !isTruthy(evaluateConstant(statement.where, params))) {
    return shaped ? withColumns([], columns) : [];
  }
  const offset = limitValue(statement.offset, params, "OFFSET");
  const limit = limitValue(statement.limit, params, "LIMIT");
  const row: Row = {};
  const values: unknown[] = [];
  for (const item of items) {
    if (item.call === null) {
      row[item.name] = outputValue(item.value(emptyRow, params));
    } else {
      // Queue functions take numbers and strings: a decimal timeout (0.5) is its double.
      const args = item.args.map((arg) => {
        const value = arg(emptyRow, params);
        return value instanceof Decimal ? value.toNumber() : outputValue(value);
      });
      const value = callQueueFunction(host, session, item.call, args);
      if (value instanceof Promise) {
        row[item.name] = await value;
        enterDatabase(session.database); // other sessions' statements ran meanwhile
      } else row[item.name] = value;
    }
    values.push(row[item.name]);
  }
  const taken = offset === 0 && limit > 0;
  if (!shaped) return taken ? [row] : [];
  return shapeOneRow(taken ? row : null, columns, values);
}

/**
 * Q4M's `SELECT … WHERE queue_wait(…)` statements without their WHERE, by
 * prepared statement (module state): weak, so bounded like the plan caches
 * by the statements alive.
 */
const withoutWhereCache = new WeakMap<Prepared, Prepared>();

/** The statement without its WHERE (after the wait that was its whole WHERE). */
function withoutWhere(prepared: Prepared): Prepared {
  let bare = withoutWhereCache.get(prepared);
  if (bare === undefined) {
    bare = { ...prepared, statement: { ...prepared.statement, where: null } as Statement };
    withoutWhereCache.set(prepared, bare);
  }
  return bare;
}

/** Runs SHOW TABLES [LIKE pattern]. */
export function executeShowTables(
  tableNames: readonly string[],
  database: string,
  statement: StatementOf<"show_tables">,
  params: readonly Value[],
): Result {
  const names = [...tableNames].sort();
  let filter: ((name: string) => boolean) | null = null;
  if (statement.like !== null) {
    const like = statement.like;
    const at = { start: like.start, end: like.end };
    filter = (name) =>
      isTruthy(evaluateConstant({
        kind: "like",
        operand: { kind: "literal", value: name, ...at },
        pattern: like,
        escape: null,
        negated: false,
        ...at,
      }, params));
  }
  const column = `Tables_in_${database}`;
  const rows = names.filter((name) => filter === null || filter(name)).map((name) => ({
    [column]: name,
  }));
  return withColumns(rows, [{ name: column }]);
}
