/**
 * Which rows a session sees: in normal mode every live row nobody owns, in
 * row-id order; in owner mode only its owned row of that table. SELECT,
 * COUNT(*) and DELETE all read through here.
 *
 * session + table → visible row ids (and values, filtered, ordered, limited)
 *
 * @module
 */

import type { Value } from "../sql/ast.ts";
import { defined } from "../errors.ts";
import { compareOrderKeys, isTruthy } from "../sql/mod.ts";
import type { RowAccessor } from "../sql/mod.ts";
import type { SessionState } from "./session_state.ts";
import type { QueueTable } from "./table.ts";

/**
 * Calls `visit` for each row the session can see in `table`, in row-id
 * order, until it returns false. Normal mode: every live row nobody owns.
 * Owner mode: only the owned row of this table.
 */
export function forEachVisible(
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
export function visibleCount(session: SessionState, table: QueueTable): number {
  if (session.ownerMode) return session.ownedRowIn(table) === 0 ? 0 : 1;
  return table.availableCount;
}

/**
 * The visible rows matching WHERE, ordered and limited: [rowId, values][].
 * Stops reading early when there is no ORDER BY.
 */
export function selectRows(
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
