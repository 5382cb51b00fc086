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
  /**
   * The rows as arrays of values in select-list order (SELECT only): every
   * column, also when two share a name — where a row object keeps the
   * later one's value under that name, as mysql2 and postgres.js do.
   */
  rowArrays?: unknown[][];
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

/** Whether two of `columns` share a name (cached per described list). */
export function namesRepeat(columns: readonly ResultColumn[]): boolean {
  let repeat = repeatCache.get(columns);
  if (repeat === undefined) {
    repeat = new Set(columns.map((column) => column.name)).size !== columns.length;
    repeatCache.set(columns, repeat);
  }
  return repeat;
}

/**
 * Whether a described column list repeats a name (module state): weak on
 * the list, which a plan owns, so bounded by the plans alive.
 */
const repeatCache = new WeakMap<readonly ResultColumn[], boolean>();

/**
 * Sets a result's `columns` and `rowArrays` (not enumerable, so results
 * still compare equal to plain arrays of rows) and returns the result.
 * `arrays` is needed only when names repeat; otherwise `rowArrays` is
 * computed from the row objects when first read.
 */
export function withColumns(
  result: Result,
  columns: ResultColumn[],
  arrays?: unknown[][],
): Result {
  Object.defineProperty(result, "columns", { value: columns, writable: true, configurable: true });
  Object.defineProperty(
    result,
    "rowArrays",
    arrays !== undefined ? { value: arrays, writable: true, configurable: true } : rowArraysOnRead,
  );
  return result;
}

/**
 * The rows of `this` as arrays in the order of its `columns`, computed when
 * `rowArrays` is first read and then kept as a plain value.
 */
function rowArraysOf(this: Result): unknown[][] {
  const columns = this.columns ?? [];
  const computed = this.map((row) => columns.map((column) => row[column.name]));
  Object.defineProperty(this, "rowArrays", { value: computed, writable: true, configurable: true });
  return computed;
}

/**
 * One descriptor shared by every result whose `rowArrays` is computed on
 * read. A getter made per result (a closure over it) cost ~0.8 µs more per
 * statement than this: V8 keeps an accessor in the object's hidden class,
 * so each result got a class of its own (docs/performance.md).
 */
const rowArraysOnRead: PropertyDescriptor = { get: rowArraysOf, configurable: true };
