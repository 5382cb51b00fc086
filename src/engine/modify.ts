/**
 * The statements that change rows: INSERT (all rows or none, relay marks
 * armed by queue_set_srcid) and DELETE (only rows the session can see).
 *
 * prepared INSERT/DELETE + params → checked, encoded rows → storage
 *
 * @module
 */

import type { Expr, Prepared, Value } from "../sql/mod.ts";
import { checkValue, compileExpr, now } from "../sql/mod.ts";
import type { RowAccessor } from "../sql/mod.ts";
import { defined, QueueError } from "../errors.ts";
import { batchBytesMax, insertRowCountMax } from "../limits.ts";
import {
  compileOrder,
  containsQueueCall,
  emptyRow,
  limitValue,
  notSupportedNested,
  PlanCache,
  tableScope,
  valueAccessor,
} from "./plan_support.ts";
import { countResult, type Result, type StatementOf } from "./result.ts";
import { encodeRow } from "./row_codec.ts";
import type { ArmedMark, SessionState } from "./session_state.ts";
import type { Backend } from "../backend/mod.ts";
import type { EngineTable } from "./table.ts";
import type { TableSchema } from "./schema.ts";
import { selectRows } from "./visibility.ts";

interface DeletePlan {
  table: EngineTable;
  schemaVersion: number;
  where: RowAccessor | null;
  order: { accessor: RowAccessor; descending: boolean }[];
}

/**
 * DELETE plans by prepared statement and table (module state; the bound is
 * PlanCache's: plans live as long as their statements).
 */
const deletePlans = new PlanCache<EngineTable, DeletePlan>();

/** Runs a DELETE: removes the visible rows that match; others' owned rows are untouched. */
export async function executeDelete(
  host: { requireTable(name: string, current: string): EngineTable },
  session: SessionState,
  prepared: Prepared,
  params: readonly Value[],
): Promise<Result> {
  const statement = prepared.statement as StatementOf<"delete">;
  const table = host.requireTable(statement.table, session.database);
  let plan = deletePlans.get(prepared, table);
  if (plan === undefined) {
    if (statement.where !== null && containsQueueCall(statement.where)) throw notSupportedNested();
    plan = {
      table,
      schemaVersion: table.schema.version,
      where: statement.where === null
        ? null
        : compileExpr(statement.where, tableScope(table.name, table.schema, "where clause")),
      order: compileOrder(statement.orderBy, table.name, table.schema),
    };
    deletePlans.set(prepared, table, plan);
  }
  const limit = limitValue(statement.limit, params, "LIMIT");
  const selected = selectRows(session, table, plan.where, plan.order, 0, limit, params);
  const { rowIds } = selected instanceof Promise ? await selected : selected;
  if (rowIds.length === 0) return countResult(0);
  // Only the session's own row can be owned here; it is consumed, not
  // returned. If the write fails the row comes back to its owner.
  await session.backend.remove(table.tableId, rowIds);
  return countResult(rowIds.length);
}

// ---------------------------------------------------------------------------
// INSERT

interface InsertPlan {
  table: EngineTable;
  schemaVersion: number;
  /** For each value of a VALUES row, the column position it fills. */
  positions: number[];
  /** Per VALUES row, per value: how to get it. */
  rows: RowAccessor[][];
  /** Values of columns the statement does not name (DEFAULT / NULL). */
  template: Value[];
  /** Columns that must be named because they are NOT NULL without DEFAULT. */
  missingRequired: string | null;
  /** INSERT IGNORE: a row with a value its column refuses is skipped, not an error. */
  ignore: boolean;
  /** Unnamed columns with DEFAULT CURRENT_TIMESTAMP: [position, fsp]. */
  nowDefaults: [number, number][];
}

/**
 * INSERT plans by prepared statement and table (module state; the bound is
 * PlanCache's: plans live as long as their statements).
 */
const insertPlans = new PlanCache<EngineTable, InsertPlan>();

function planInsert(prepared: Prepared, table: EngineTable): InsertPlan {
  const cached = insertPlans.get(prepared, table);
  if (cached !== undefined) return cached;
  const statement = prepared.statement as StatementOf<"insert">;
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
    for (const [i, position] of positions.entries()) {
      if (seen.has(position)) {
        throw new QueueError(
          "ER_FIELD_SPECIFIED_TWICE",
          `Column '${statement.columns[i]}' specified twice`,
        );
      }
      seen.add(position);
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
    return values.map((expr, i) =>
      insertValueAccessor(expr, schema, defined(positions[i], "counts matched above"))
    );
  });
  const named = new Set(positions);
  let missingRequired: string | null = null;
  const nowDefaults: [number, number][] = [];
  const template = schema.columns.map((column, position) => {
    const def = column.def;
    if (!named.has(position) && def.defaultNow === true && def.type.kind === "datetime") {
      nowDefaults.push([position, def.type.fsp]);
    } else if (!named.has(position) && def.notNull && def.defaultValue === undefined) {
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
    ignore: statement.ignore,
    nowDefaults,
  };
  insertPlans.set(prepared, table, plan);
  return plan;
}

/** What the INSERTs need of the engine. */
interface InsertHost {
  requireTable(name: string, current: string): EngineTable;
  readonly backend: Backend;
}

/** Runs an INSERT: all rows or none, durable when it resolves. */
export function executeInsert(
  host: InsertHost,
  session: SessionState,
  prepared: Prepared,
  params: readonly Value[],
): Promise<Result> {
  const statement = prepared.statement as StatementOf<"insert">;
  const table = host.requireTable(statement.table, session.database);
  const plan = planInsert(prepared, table);
  return insertArmed(
    session,
    (armed, delayMs) => writeRows(host.backend, session, table, plan, params, armed, delayMs),
  );
}

/**
 * Runs one long INSERT given as pieces (sql/large_insert.ts: each an INSERT
 * of the same table and columns, parsed only when its turn comes): the rows
 * of every piece are encoded, then written as one insert, so the statement
 * is all-or-nothing as any INSERT. Its rows are bounded by `batchBytesMax`
 * (ER_DATA_TOO_LONG beyond, checked as they are encoded), not by
 * `insertRowCountMax`.
 */
export function executeInsertPieces(
  host: InsertHost,
  session: SessionState,
  pieces: Iterable<Prepared>,
): Promise<Result> {
  return insertArmed(session, (armed, delayMs) => {
    let table: EngineTable | null = null;
    const payloads: Uint8Array[] = [];
    const rowValues: Value[][] = [];
    let bytes = 0;
    for (const piece of pieces) {
      const statement = piece.statement as StatementOf<"insert">;
      table ??= host.requireTable(statement.table, session.database);
      const plan = planInsert(piece, table);
      if (plan.missingRequired !== null) return Promise.resolve(missingRequired(plan));
      const before = payloads.length;
      encodeRows(table, plan, [], payloads, rowValues);
      for (let i = before; i < payloads.length; i++) bytes += payloads[i]?.length ?? 0;
      if (bytes > batchBytesMax) {
        throw new QueueError(
          "ER_DATA_TOO_LONG",
          `rows of one insert take over ${batchBytesMax} bytes; one batch holds at most that`,
        );
      }
    }
    if (table === null || payloads.length === 0) return Promise.resolve(null);
    return appendRows(host.backend, session, table, payloads, rowValues, armed, delayMs);
  });
}

/**
 * Runs `write` with the session's armed relay mark and delay taken, and
 * gives them back when it writes nothing or fails.
 */
async function insertArmed(
  session: SessionState,
  write: (armed: ArmedMark | null, delayMs: number) => Promise<Result | null>,
): Promise<Result> {
  // queue_set_srcid arms the next INSERT that writes (or is dropped as a
  // relay duplicate). Taken now so that no other INSERT of the session uses
  // it meanwhile; a failed INSERT gives it back (Q4M keeps it armed until a
  // row is written, DESIGN decision 16) unless the session armed another.
  const armed = session.armed;
  session.armed = null;
  // queue_set_delay arms the next INSERT the same way (q4d's extension).
  const delayMs = session.armedDelayMs;
  session.armedDelayMs = 0;
  const giveBack = (): void => {
    if (armed !== null && session.armed === null && !session.closed) session.armed = armed;
    if (delayMs !== 0 && session.armedDelayMs === 0 && !session.closed) {
      session.armedDelayMs = delayMs;
    }
  };
  try {
    const result = await write(armed, delayMs);
    // INSERT IGNORE that skipped every row wrote nothing: the mark stays armed.
    if (result === null) giveBack();
    return result ?? countResult(0);
  } catch (error) {
    giveBack();
    throw error;
  }
}

/**
 * How an INSERT value is computed: DEFAULT / DEFAULT(col) is the column's
 * default (the statement's time for DEFAULT CURRENT_TIMESTAMP;
 * ER_NO_DEFAULT_FOR_FIELD for a NOT NULL column without one),
 * anything else a constant expression.
 */
function insertValueAccessor(expr: Expr, schema: TableSchema, position: number): RowAccessor {
  if (expr.kind !== "call" || expr.name !== "default") return valueAccessor(expr);
  let target = position;
  if (expr.args.length > 0) {
    const column = expr.args[0];
    if (expr.args.length !== 1 || column?.kind !== "column") {
      throw new QueueError("ER_WRONG_ARGUMENTS", "DEFAULT() takes one column name");
    }
    target = schema.position(column.name);
    if (target < 0) {
      throw new QueueError("ER_BAD_FIELD_ERROR", `Unknown column '${column.name}' in 'field list'`);
    }
  }
  const def = defined(schema.columns[target], "a known column position").def;
  if (def.defaultNow === true && def.type.kind === "datetime") {
    const fsp = def.type.fsp;
    return () => now(fsp);
  }
  if (def.defaultValue === undefined && def.notNull) {
    throw new QueueError(
      "ER_NO_DEFAULT_FOR_FIELD",
      `Field '${def.name}' doesn't have a default value`,
    );
  }
  const value = def.defaultValue ?? null;
  return () => value;
}

/**
 * Writes the rows (inside a transaction: buffers them for its COMMIT); null
 * when INSERT IGNORE skipped them all (nothing written).
 */
async function writeRows(
  backend: Backend,
  session: SessionState,
  table: EngineTable,
  plan: InsertPlan,
  params: readonly Value[],
  armed: ArmedMark | null,
  delayMs: number,
): Promise<Result | null> {
  if (plan.missingRequired !== null) return missingRequired(plan);
  const payloads: Uint8Array[] = [];
  const rowValues: Value[][] = [];
  encodeRows(table, plan, params, payloads, rowValues);
  if (payloads.length === 0) return null;
  return await appendRows(backend, session, table, payloads, rowValues, armed, delayMs);
}

/** A NOT NULL column without default is not named: null (nothing written) for INSERT IGNORE, else the error. */
function missingRequired(plan: InsertPlan): null {
  if (plan.ignore) return null;
  throw new QueueError(
    "ER_NO_DEFAULT_FOR_FIELD",
    `Field '${plan.missingRequired}' doesn't have a default value`,
  );
}

/** Encodes the rows of `plan` onto `payloads` and `rowValues` (INSERT IGNORE skips a row a column refuses). */
function encodeRows(
  table: EngineTable,
  plan: InsertPlan,
  params: readonly Value[],
  payloads: Uint8Array[],
  rowValues: Value[][],
): void {
  const columns = table.schema.columns;
  rows: for (let r = 0; r < plan.rows.length; r++) {
    const accessors = defined(plan.rows[r], "r < length");
    const values = plan.template.slice();
    for (const [position, fsp] of plan.nowDefaults) values[position] = now(fsp);
    for (let i = 0; i < accessors.length; i++) {
      const position = defined(plan.positions[i], "a position per value");
      values[position] = defined(accessors[i], "i < length")(emptyRow, params);
    }
    for (let c = 0; c < values.length; c++) {
      try {
        values[c] = checkValue(
          defined(columns[c], "a value per column").def,
          defined(values[c], "c < length"),
        );
      } catch (error) {
        // MySQL would store an adjusted value with a warning; q4d has no
        // warnings channel and skips the row (README, differences).
        if (plan.ignore && error instanceof QueueError) continue rows;
        throw error;
      }
    }
    payloads.push(encodeRow(table.schema, values));
    rowValues.push(values);
  }
}

/** Inserts encoded rows as one write, with the armed mark and delay; resolves when durable. */
async function appendRows(
  backend: Backend,
  session: SessionState,
  table: EngineTable,
  payloads: Uint8Array[],
  rowValues: Value[][],
  armed: ArmedMark | null,
  delayMs: number,
): Promise<Result> {
  const visibleAt = delayMs > 0 ? Date.now() + delayMs : 0;
  if (session.backend.inTransaction) {
    const { rowCount } = await backend.insert(table.tableId, payloads, rowValues, {
      session: session.backend,
      ...(armed === null ? {} : { mark: armed }),
      visibleAt,
    });
    // Ids are issued at COMMIT, so no insertId here.
    return countResult(rowCount);
  }
  const { firstRowId, rowCount } = await backend.insert(
    table.tableId,
    payloads,
    rowValues,
    armed !== null ? { mark: armed, visibleAt } : visibleAt > 0 ? { visibleAt } : undefined,
  );
  // A relayed row at or below its source's watermark was dropped (Q4M: no error).
  return rowCount === 0 ? countResult(0) : countResult(rowCount, firstRowId);
}
