/**
 * What a statement resolves to: rows as plain objects keyed in select-list
 * order, with `affectedRows` / `insertId` riding on the array.
 *
 * @module
 */

import type { Statement } from "../sql/ast.ts";

/**
 * A row of a result: plain object keyed in select-list order. Values are
 * `number`, `bigint` (integers beyond 2^53), `string` (also DECIMAL, dates
 * and times, ENUM and SET, as MySQL's text), `Uint8Array`, parsed JSON, or
 * `null`.
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

/** The statement of one kind. */
export type StatementOf<K extends Statement["kind"]> = Extract<Statement, { kind: K }>;

/** Makes a result array carrying counts. */
export function countResult(affectedRows: number, insertId?: number): Result {
  const result: Result = [];
  result.affectedRows = affectedRows;
  if (insertId !== undefined) result.insertId = insertId;
  return result;
}
