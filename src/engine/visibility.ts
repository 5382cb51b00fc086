/**
 * Which rows a session sees: in normal mode every live row nobody owns, in
 * row-id order; in owner mode only its owned row of that table. SELECT,
 * COUNT(*) and DELETE all read through here.
 *
 * session + table → visible row ids (and values, filtered, ordered, limited)
 *
 * @module
 */

import type { Value } from "../sql/mod.ts";
import { defined } from "../errors.ts";
import { compareOrderKeys, isTruthy } from "../sql/mod.ts";
import type { RowAccessor } from "../sql/mod.ts";
import type { SessionState } from "./session_state.ts";
import type { EngineTable } from "./table.ts";

/**
 * Calls `visit` with each row the session can see in `table` (its id and
 * values), in row-id order, until it returns false. Normal mode: every
 * live row nobody owns. Owner mode: only the owned row of this table.
 * Returns a promise only when the backend reads asynchronously.
 */
export function forEachVisible(
  session: SessionState,
  table: EngineTable,
  visit: (rowId: number, values: Value[]) => boolean,
): void | Promise<void> {
  return session.backend.scan(
    table.tableId,
    session.ownerMode,
    (rowId, payload) => visit(rowId, table.decode(payload)),
  );
}

/** COUNT(*) without WHERE: the rows the session could see, without reading them. */
export function visibleCount(session: SessionState, table: EngineTable): number | Promise<number> {
  return session.backend.visibleCount(table.tableId, session.ownerMode);
}

/** Rows chosen by {@linkcode selectRows}: ids and values, in result order. */
export interface SelectedRows {
  rowIds: number[];
  rows: Value[][];
}

/**
 * The visible rows matching WHERE, ordered and limited: [rowId, values][].
 * Stops reading early when there is no ORDER BY.
 */
export function selectRows(
  session: SessionState,
  table: EngineTable,
  where: RowAccessor | null,
  order: { accessor: RowAccessor; descending: boolean }[],
  offset: number,
  limit: number,
  params: readonly Value[],
): SelectedRows | Promise<SelectedRows> {
  const rowIds: number[] = [];
  const rows: Value[][] = [];
  if (limit === 0) return { rowIds, rows };
  const stopAt = order.length === 0 ? offset + limit : Infinity;
  const scanned = forEachVisible(session, table, (rowId, values) => {
    if (where !== null && !isTruthy(where(values, params))) return true;
    rowIds.push(rowId);
    rows.push(values);
    return rows.length < stopAt;
  });
  const finish = () => orderAndLimit(rowIds, rows, order, offset, limit, params);
  return scanned === undefined ? finish() : scanned.then(finish);
}

/** Sorts the matched rows (stable) and applies OFFSET / LIMIT. */
function orderAndLimit(
  rowIds: number[],
  rows: Value[][],
  order: { accessor: RowAccessor; descending: boolean }[],
  offset: number,
  limit: number,
  params: readonly Value[],
): SelectedRows {
  if (order.length > 0) {
    const keys = rows.map((values) => order.map((term) => term.accessor(values, params)));
    const indexes = rows.map((_, i) => i);
    const keyOf = (i: number) => defined(keys[i], "a key list per row");
    indexes.sort((a, b) => compareOrderKeys(order, keyOf(a), keyOf(b)) || a - b);
    const end = Math.min(indexes.length, offset + limit);
    return {
      rowIds: indexes.slice(offset, end).map((i) => defined(rowIds[i], "an id per row")),
      rows: indexes.slice(offset, end).map((i) => defined(rows[i], "i < length")),
    };
  }
  return { rowIds: rowIds.slice(offset), rows: rows.slice(offset) };
}
