/**
 * Executes parsed statements against the tables: SELECT, INSERT, DELETE,
 * SHOW TABLES and the queue functions inside SELECT, honouring each
 * session's visibility (owner mode). DDL lives in `engine.ts`.
 *
 * Prepared statement + params → (plan, cached per statement and schema) → rows
 *
 * @module
 */

import type { Expr, OrderTerm, Prepared, SelectItem, Statement, Value } from "../sql/ast.ts";
import {
  checkValue,
  compareForOrder,
  compileExpr,
  isTruthy,
  queueFunctionNames,
} from "../sql/mod.ts";
import type { CompileScope, RowAccessor } from "../sql/mod.ts";
import { QueueError } from "../errors.ts";
import { insertRowCountMax } from "../limits.ts";
import { encodeRow } from "./row_codec.ts";
import { callQueueFunction } from "./queue_functions.ts";
import type { QueueHost } from "./queue_functions.ts";
import type { SessionState } from "./session_state.ts";
import type { QueueTable } from "./table.ts";
import type { TableSchema } from "./schema.ts";

/**
 * A row of a result: plain object keyed in select-list order. Values are
 * `number`, `bigint` (integers beyond 2^53), `string`, `Uint8Array`, parsed
 * JSON, or `null`.
 */
// deno-lint-ignore no-explicit-any
export type Row = Record<string, any>;

/** What a statement resolves to: rows, plus counts for statements that change rows. */
export type Result<T extends Row = Row> = T[] & {
  /** Rows inserted or deleted (INSERT, DELETE, TRUNCATE: 0, DDL: 0). */
  affectedRows?: number;
  /** Row id of the first inserted row (INSERT). */
  insertId?: number;
};

type Statement_<K extends Statement["kind"]> = Extract<Statement, { kind: K }>;

/** Makes a result array carrying counts. */
export function countResult(affectedRows: number, insertId?: number): Result {
  const result: Result = [];
  result.affectedRows = affectedRows;
  if (insertId !== undefined) result.insertId = insertId;
  return result;
}

const noColumns: CompileScope = {
  columnIndex(name: string): number {
    throw new QueueError("ER_BAD_FIELD_ERROR", `Unknown column '${name}' in 'field list'`);
  },
};

function tableScope(schema: TableSchema, clause: string): CompileScope {
  return {
    columnIndex(name: string): number {
      const position = schema.position(name);
      if (position < 0) {
        throw new QueueError("ER_BAD_FIELD_ERROR", `Unknown column '${name}' in '${clause}'`);
      }
      return position;
    },
  };
}

const emptyRow: readonly Value[] = [];

/** Evaluates a constant expression (literals, parameters, operators). */
export function evaluateConstant(expr: Expr, params: readonly Value[]): Value {
  if (expr.kind === "literal") return expr.value;
  if (expr.kind === "param") return params[expr.index];
  return compileExpr(expr, noColumns)(emptyRow, params);
}

function containsQueueCall(expr: Expr): boolean {
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

function notSupportedNested(): QueueError {
  return new QueueError(
    "ER_NOT_SUPPORTED_YET",
    "Queue functions and COUNT(*) are supported only as whole select-list items",
  );
}

/** A LIMIT or OFFSET value; a missing clause means no limit (LIMIT) or 0 (OFFSET). */
function limitValue(
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

// ---------------------------------------------------------------------------
// Visibility

/**
 * Calls `visit` for each row the session can see in `table`, in row-id
 * order, until it returns false. Normal mode: every live row nobody owns.
 * Owner mode: only the owned row of this table.
 */
function forEachVisible(
  session: SessionState,
  table: QueueTable,
  visit: (rowId: number) => boolean,
): void {
  if (session.ownerMode) {
    const rowId = session.ownedRowIn(table);
    if (rowId !== 0) visit(rowId);
    return;
  }
  const rows = table.entry.rows;
  const owners = table.owners;
  for (let id = rows.nextLive(0); id !== 0; id = rows.nextLive(id)) {
    if (owners.has(id)) continue;
    if (!visit(id)) return;
  }
}

/** COUNT(*) without WHERE: the rows the session could see, in O(1). */
function visibleCount(session: SessionState, table: QueueTable): number {
  if (session.ownerMode) return session.ownedRowIn(table) === 0 ? 0 : 1;
  return table.availableCount;
}

/**
 * The visible rows matching WHERE, ordered and limited: [rowId, values][].
 * Stops reading early when there is no ORDER BY.
 */
function selectRows(
  session: SessionState,
  table: QueueTable,
  where: RowAccessor | null,
  order: { accessor: RowAccessor; descending: boolean }[],
  offset: number,
  limit: number,
  params: readonly Value[],
): { rowIds: number[]; rows: Value[][] } {
  const rowIds: number[] = [];
  const rows: Value[][] = [];
  if (limit === 0) return { rowIds, rows };
  const stopAt = order.length === 0 ? offset + limit : Infinity;
  forEachVisible(session, table, (rowId) => {
    const values = table.readValues(rowId);
    if (where !== null && !isTruthy(where(values, params))) return true;
    rowIds.push(rowId);
    rows.push(values);
    return rows.length < stopAt;
  });
  if (order.length > 0) {
    const keys = rows.map((values) => order.map((term) => term.accessor(values, params)));
    const indexes = rows.map((_, i) => i);
    indexes.sort((a, b) => {
      for (let t = 0; t < order.length; t++) {
        const c = compareForOrder(keys[a][t], keys[b][t]);
        if (c !== 0) return order[t].descending ? -c : c;
      }
      return a - b;
    });
    const end = Math.min(indexes.length, offset + limit);
    return {
      rowIds: indexes.slice(offset, end).map((i) => rowIds[i]),
      rows: indexes.slice(offset, end).map((i) => rows[i]),
    };
  }
  return { rowIds: rowIds.slice(offset), rows: rows.slice(offset) };
}

// ---------------------------------------------------------------------------
// SELECT

interface OutputColumn {
  name: string;
  /** Row → output value (already converted for the user: JSON parsed). */
  accessor: RowAccessor;
}

interface SelectPlan {
  table: QueueTable;
  schemaVersion: number;
  where: RowAccessor | null;
  order: { accessor: RowAccessor; descending: boolean }[];
  /** Output columns, or null for a COUNT(*) query. */
  columns: OutputColumn[] | null;
  /** For COUNT(*) queries: per item, null for COUNT(*) or a constant accessor. */
  countItems: { name: string; accessor: RowAccessor | null }[] | null;
}

const selectPlans = new WeakMap<Prepared, SelectPlan>();

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

function planSelect(prepared: Prepared, table: QueueTable): SelectPlan {
  const cached = selectPlans.get(prepared);
  if (
    cached !== undefined && cached.table === table && cached.schemaVersion === table.schema.version
  ) {
    return cached;
  }
  const statement = prepared.statement as Statement_<"select">;
  const schema = table.schema;
  const fieldScope = tableScope(schema, "field list");
  const isCount = statement.items.some((item) =>
    item.kind === "expr" && item.expr.kind === "count_star"
  );
  let columns: OutputColumn[] | null = null;
  let countItems: SelectPlan["countItems"] = null;
  if (isCount) {
    countItems = statement.items.map((item) => {
      if (item.kind === "star") {
        throw new QueueError(
          "ER_NOT_SUPPORTED_YET",
          "COUNT(*) cannot be mixed with * (no GROUP BY)",
        );
      }
      if (item.expr.kind === "count_star") return { name: item.name, accessor: null };
      if (containsQueueCall(item.expr)) throw notSupportedNested();
      return { name: item.name, accessor: compileExpr(item.expr, noColumns) };
    });
  } else {
    columns = [];
    for (const item of statement.items) {
      if (item.kind === "star") {
        schema.columns.forEach((column, position) => {
          const accessor: RowAccessor = (row) => row[position];
          columns!.push({
            name: column.def.name,
            accessor: column.def.type.kind === "json" ? jsonOutput(accessor) : accessor,
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
        if (schema.columns[position].def.type.kind === "json") accessor = jsonOutput(accessor);
      }
      columns.push({ name: item.name, accessor });
    }
  }
  const whereScope = tableScope(schema, "where clause");
  if (statement.where !== null && containsQueueCall(statement.where)) throw notSupportedNested();
  const plan: SelectPlan = {
    table,
    schemaVersion: schema.version,
    where: statement.where === null ? null : compileExpr(statement.where, whereScope),
    order: compileOrder(statement.orderBy, schema),
    columns,
    countItems,
  };
  selectPlans.set(prepared, plan);
  return plan;
}

function compileOrder(orderBy: readonly OrderTerm[], schema: TableSchema) {
  const scope = tableScope(schema, "order clause");
  return orderBy.map((term) => {
    if (containsQueueCall(term.expr)) throw notSupportedNested();
    return { accessor: compileExpr(term.expr, scope), descending: term.descending };
  });
}

/** Runs a SELECT. */
export async function executeSelect(
  host: QueueHost & { requireTable(name: string): QueueTable },
  session: SessionState,
  prepared: Prepared,
  params: readonly Value[],
): Promise<Result> {
  const statement = prepared.statement as Statement_<"select">;
  if (statement.from === null) return await selectWithoutTable(host, session, prepared, params);
  const table = host.requireTable(statement.from);
  const plan = planSelect(prepared, table);
  const offset = limitValue(statement.offset, params, "OFFSET");
  const limit = limitValue(statement.limit, params, "LIMIT");
  if (plan.countItems !== null) {
    let count = 0;
    if (plan.where === null) {
      count = visibleCount(session, table);
    } else {
      const where = plan.where;
      forEachVisible(session, table, (rowId) => {
        if (isTruthy(where(table.readValues(rowId), params))) count++;
        return true;
      });
    }
    const row: Row = {};
    for (const item of plan.countItems) {
      row[item.name] = item.accessor === null ? count : item.accessor(emptyRow, params);
    }
    return offset === 0 && limit > 0 ? [row] : [];
  }
  const { rows } = selectRows(session, table, plan.where, plan.order, offset, limit, params);
  const columns = plan.columns!;
  const result: Result = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r];
    const row: Row = {};
    for (let c = 0; c < columns.length; c++) {
      row[columns[c].name] = columns[c].accessor(values, params);
    }
    result[r] = row;
  }
  return result;
}

/** A select-list item of a SELECT without FROM: a queue function call or a constant. */
type NoTableItem =
  | { name: string; call: string; args: RowAccessor[] }
  | { name: string; call: null; value: RowAccessor };

const noTablePlans = new WeakMap<Prepared, NoTableItem[]>();

function planWithoutTable(prepared: Prepared): NoTableItem[] {
  const cached = noTablePlans.get(prepared);
  if (cached !== undefined) return cached;
  const statement = prepared.statement as Statement_<"select">;
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
  noTablePlans.set(prepared, items);
  return items;
}

async function selectWithoutTable(
  host: QueueHost,
  session: SessionState,
  prepared: Prepared,
  params: readonly Value[],
): Promise<Result> {
  const statement = prepared.statement as Statement_<"select">;
  const items = planWithoutTable(prepared);
  if (statement.where !== null && !isTruthy(evaluateConstant(statement.where, params))) return [];
  const offset = limitValue(statement.offset, params, "OFFSET");
  const limit = limitValue(statement.limit, params, "LIMIT");
  const row: Row = {};
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.call === null) {
      row[item.name] = item.value(emptyRow, params);
    } else {
      const args = item.args.map((arg) => arg(emptyRow, params));
      const value = callQueueFunction(host, session, item.call, args);
      row[item.name] = value instanceof Promise ? await value : value;
    }
  }
  return offset === 0 && limit > 0 ? [row] : [];
}

// ---------------------------------------------------------------------------
// DELETE

interface DeletePlan {
  table: QueueTable;
  schemaVersion: number;
  where: RowAccessor | null;
  order: { accessor: RowAccessor; descending: boolean }[];
}

const deletePlans = new WeakMap<Prepared, DeletePlan>();

/** Runs a DELETE: removes the visible rows that match; others' owned rows are untouched. */
export async function executeDelete(
  host: { requireTable(name: string): QueueTable },
  session: SessionState,
  prepared: Prepared,
  params: readonly Value[],
): Promise<Result> {
  const statement = prepared.statement as Statement_<"delete">;
  const table = host.requireTable(statement.table);
  let plan = deletePlans.get(prepared);
  if (plan === undefined || plan.table !== table || plan.schemaVersion !== table.schema.version) {
    if (statement.where !== null && containsQueueCall(statement.where)) throw notSupportedNested();
    plan = {
      table,
      schemaVersion: table.schema.version,
      where: statement.where === null
        ? null
        : compileExpr(statement.where, tableScope(table.schema, "where clause")),
      order: compileOrder(statement.orderBy, table.schema),
    };
    deletePlans.set(prepared, plan);
  }
  const limit = limitValue(statement.limit, params, "LIMIT");
  const { rowIds } = selectRows(session, table, plan.where, plan.order, 0, limit, params);
  if (rowIds.length === 0) return countResult(0);
  // Only the session's own row can be owned here; it is consumed, not returned.
  for (const rowId of rowIds) table.owners.delete(rowId);
  await table.entry.rows.remove(rowIds);
  return countResult(rowIds.length);
}

// ---------------------------------------------------------------------------
// INSERT

interface InsertPlan {
  table: QueueTable;
  schemaVersion: number;
  /** For each value of a VALUES row, the column position it fills. */
  positions: number[];
  /** Per VALUES row, per value: how to get it. */
  rows: RowAccessor[][];
  /** Values of columns the statement does not name (DEFAULT / NULL). */
  template: Value[];
  /** Columns that must be named because they are NOT NULL without DEFAULT. */
  missingRequired: string | null;
}

const insertPlans = new WeakMap<Prepared, InsertPlan>();

function valueAccessor(expr: Expr): RowAccessor {
  if (expr.kind === "param") {
    const index = expr.index;
    return (_row, params) => params[index];
  }
  if (expr.kind === "literal") {
    const value = expr.value;
    return () => value;
  }
  if (containsQueueCall(expr)) throw notSupportedNested();
  return compileExpr(expr, noColumns);
}

function planInsert(prepared: Prepared, table: QueueTable): InsertPlan {
  const cached = insertPlans.get(prepared);
  if (
    cached !== undefined && cached.table === table && cached.schemaVersion === table.schema.version
  ) {
    return cached;
  }
  const statement = prepared.statement as Statement_<"insert">;
  const schema = table.schema;
  let positions: number[];
  if (statement.columns === null) {
    positions = schema.columns.map((_, i) => i);
  } else {
    positions = statement.columns.map((name) => {
      const position = schema.position(name);
      if (position < 0) {
        throw new QueueError("ER_BAD_FIELD_ERROR", `Unknown column '${name}' in 'field list'`);
      }
      return position;
    });
    const seen = new Set<number>();
    for (let i = 0; i < positions.length; i++) {
      if (seen.has(positions[i])) {
        throw new QueueError(
          "ER_FIELD_SPECIFIED_TWICE",
          `Column '${statement.columns[i]}' specified twice`,
        );
      }
      seen.add(positions[i]);
    }
  }
  if (statement.rows.length > insertRowCountMax) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `Too many rows in one INSERT (${statement.rows.length}; at most ${insertRowCountMax})`,
    );
  }
  const rows = statement.rows.map((values, r) => {
    if (values.length !== positions.length) {
      throw new QueueError(
        "ER_WRONG_VALUE_COUNT_ON_ROW",
        `Column count doesn't match value count at row ${r + 1}`,
      );
    }
    return values.map(valueAccessor);
  });
  const named = new Set(positions);
  let missingRequired: string | null = null;
  const template = schema.columns.map((column, position) => {
    const def = column.def;
    if (!named.has(position) && def.notNull && def.defaultValue === undefined) {
      missingRequired ??= def.name;
    }
    return def.defaultValue ?? null;
  });
  const plan: InsertPlan = {
    table,
    schemaVersion: schema.version,
    positions,
    rows,
    template,
    missingRequired,
  };
  insertPlans.set(prepared, plan);
  return plan;
}

/** Runs an INSERT: all rows or none, durable when it resolves. */
export async function executeInsert(
  host: { requireTable(name: string): QueueTable },
  session: SessionState,
  prepared: Prepared,
  params: readonly Value[],
): Promise<Result> {
  const statement = prepared.statement as Statement_<"insert">;
  const table = host.requireTable(statement.table);
  const plan = planInsert(prepared, table);
  // queue_set_srcid arms only the next INSERT, whatever becomes of it.
  const armed = session.armed;
  session.armed = null;
  if (plan.missingRequired !== null) {
    throw new QueueError(
      "ER_NO_DEFAULT_FOR_FIELD",
      `Field '${plan.missingRequired}' doesn't have a default value`,
    );
  }
  const columns = table.schema.columns;
  const payloads: Uint8Array[] = new Array(plan.rows.length);
  for (let r = 0; r < plan.rows.length; r++) {
    const accessors = plan.rows[r];
    const values = plan.template.slice();
    for (let i = 0; i < accessors.length; i++) {
      const position = plan.positions[i];
      values[position] = accessors[i](emptyRow, params);
    }
    for (let c = 0; c < values.length; c++) {
      values[c] = checkValue(columns[c].def, values[c]);
    }
    payloads[r] = encodeRow(table.schema, values);
  }
  let mark: { source: number; rowId: number } | undefined;
  if (armed !== null) {
    if (armed.mode === "a" && armed.rowId <= table.sourceMarks[armed.source]) {
      return countResult(0);
    }
    mark = { source: armed.source, rowId: armed.rowId };
  }
  const previousMark = mark === undefined ? 0 : table.sourceMarks[mark.source];
  if (mark !== undefined) table.sourceMarks[mark.source] = mark.rowId;
  const { firstRowId, durable } = table.entry.rows.append(payloads, mark);
  try {
    await durable;
  } catch (error) {
    if (mark !== undefined && table.sourceMarks[mark.source] === mark.rowId) {
      table.sourceMarks[mark.source] = previousMark;
    }
    throw error;
  }
  return countResult(payloads.length, firstRowId);
}

/** Runs SHOW TABLES [LIKE pattern]. */
export function executeShowTables(
  tableNames: readonly string[],
  statement: Statement_<"show_tables">,
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
  return names.filter((name) => filter === null || filter(name)).map((name) => ({
    Tables_in_q4d: name,
  }));
}
