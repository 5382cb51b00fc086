/**
 * Databases as namespaces of tables: the one place that knows how a table
 * reference (`t`, `db.t`) becomes the table's key in the catalog.
 *
 * A table of the default database ({@linkcode defaultDatabase}) is keyed by
 * its bare name, so every catalog written before databases existed reads
 * unchanged. A table of any other database is keyed `db` NUL `t`: no
 * identifier can hold a NUL (parser.ts refuses it), so the key is never
 * ambiguous, whatever characters (dots included) the names hold.
 *
 * The parser writes references in the same form: `t` (unqualified: the
 * session's current database applies when the statement runs) or `db` NUL
 * `t`; {@linkcode resolveTable} turns either into the key.
 *
 * @module
 */

import { QueueError } from "../errors.ts";

/** The database every session starts in; its tables keep their bare names. */
export const defaultDatabase = "q4d";

/** The name of the read-only schema of views about the databases. */
export const informationSchema = "information_schema";

const separator = "\0";

/** The reference to `table` of `database` as the parser writes it (`db.t`). */
export function qualifiedRef(database: string, table: string): string {
  return database + separator + table;
}

/** The catalog key of `table` in `database`. */
export function tableKey(database: string, table: string): string {
  return database === defaultDatabase ? table : database + separator + table;
}

/** The database and bare table name of a key or a reference (unqualified: `current`). */
export function splitTableRef(
  ref: string,
  current: string = defaultDatabase,
): { database: string; table: string } {
  const at = ref.indexOf(separator);
  return at < 0
    ? { database: current, table: ref }
    : { database: ref.slice(0, at), table: ref.slice(at + 1) };
}

/** The key of a reference written in a statement, in a session whose database is `current`. */
export function resolveTable(ref: string, current: string): string {
  if (current === defaultDatabase && ref.indexOf(separator) < 0) return ref; // the common case
  const { database, table } = splitTableRef(ref, current);
  return tableKey(database, table);
}

/** How a key or reference is shown in messages: `t` in the default database, else `db.t`. */
export function displayTable(ref: string): string {
  const { database, table } = splitTableRef(ref);
  return database === defaultDatabase ? table : `${database}.${table}`;
}

/** ER_BAD_DB_ERROR (1049). */
export function unknownDatabase(name: string): QueueError {
  return new QueueError("ER_BAD_DB_ERROR", `Unknown database '${name}'`);
}

let current = defaultDatabase;

/**
 * DATABASE()'s value: the current database of the session whose statement
 * is being evaluated. The engine sets it ({@linkcode enterDatabase}) each
 * time a statement starts or resumes evaluating (evaluation is synchronous
 * between those points), so a compiled expression needs no session.
 */
export function currentDatabase(): string {
  return current;
}

/** Makes `name` DATABASE()'s value until the next call (engine only). */
export function enterDatabase(name: string): void {
  current = name;
}
