/**
 * What a statement resolves to: rows as plain objects keyed in select-list
 * order, with `affectedRows` / `insertId` riding on the array.
 *
 * @module
 */

import type { ColumnType, Statement } from "../sql/mod.ts";

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
  /**
   * The result's columns in select-list order (SELECT only), present even
   * when there are no rows; a wire protocol server describes them from it.
   */
  columns?: ResultColumn[];
};

/**
 * One output column of a SELECT: its name, and for a plain table column its
 * table, type and nullability (an expression's type follows from its values).
 */
export interface ResultColumn {
  /** The key of this column in each row. */
  name: string;
  /** The table a plain column comes from. */
  table?: string;
  /** The column's type when the item is a plain table column. */
  type?: ColumnType;
  /** Whether that column is NOT NULL. */
  notNull?: boolean;
}

/** The statement of one kind. */
export type StatementOf<K extends Statement["kind"]> = Extract<Statement, { kind: K }>;

/** Makes a result array carrying counts. */
export function countResult(affectedRows: number, insertId?: number): Result {
  const result: Result = [];
  result.affectedRows = affectedRows;
  if (insertId !== undefined) result.insertId = insertId;
  return result;
}

/**
 * Sets a result's `columns` (not enumerable, so results still compare equal
 * to plain arrays of rows) and returns the result.
 */
export function withColumns(result: Result, columns: ResultColumn[]): Result {
  Object.defineProperty(result, "columns", { value: columns, writable: true, configurable: true });
  return result;
}
