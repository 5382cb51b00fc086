/**
 * Parsing of the inspection statements: SHOW CREATE TABLE, DESCRIBE / DESC /
 * EXPLAIN t, SHOW [FULL] COLUMNS|FIELDS, SHOW TABLE STATUS, SHOW ENGINE
 * QUEUE STATUS and SHOW DATABASES; and of `db.table` names, where `db` can
 * only be the one database q4d has ({@linkcode defaultDatabase}).
 *
 * tokens (after SHOW / DESCRIBE) → ShowStatement (ast.ts) → engine/inspect.ts
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { Expr, Statement } from "./ast.ts";
import type { TokenStream } from "./expression.ts";
import type { FunctionSpec } from "./function_support.ts";

/** The name of q4d's one database (SHOW TABLES' column is `Tables_in_q4d`). */
export const defaultDatabase = "q4d";

/** The name of the read-only schema of views about the database. */
export const informationSchema = "information_schema";

/** Parses one table or database name (parser.ts's name rules). */
export type NameParser = (stream: TokenStream) => string;

/** ER_BAD_DB_ERROR for a database other than the default one. */
export function unknownDatabase(name: string): QueueError {
  return new QueueError("ER_BAD_DB_ERROR", `Unknown database '${name}'`);
}

/**
 * `table` or `db.table`; `db` must be the default database (the name is
 * returned without it), else ER_BAD_DB_ERROR.
 */
export function parseTableRef(stream: TokenStream, parseName: NameParser): string {
  const first = parseName(stream);
  if (!stream.acceptOp(".")) return first;
  const table = parseName(stream);
  if (first !== defaultDatabase) throw unknownDatabase(first);
  return table;
}

/** `FROM db` / `IN db` after SHOW TABLES / COLUMNS / TABLE STATUS: only the default database. */
export function acceptFromDatabase(stream: TokenStream, parseName: NameParser): void {
  if (!stream.acceptWord("FROM") && !stream.acceptWord("IN")) return;
  const name = parseName(stream);
  if (name !== defaultDatabase) throw unknownDatabase(name);
}

/** `LIKE 'pattern'` or `WHERE expr`, both optional. */
function parseFilter(
  stream: TokenStream,
  what: string,
): { like: Expr | null; where: Expr | null } {
  if (stream.acceptWord("LIKE")) {
    const token = stream.peek();
    if (token.kind !== "string" && token.kind !== "param") {
      throw stream.error(`${what} LIKE takes a string or '?'`);
    }
    return { like: stream.parseExpr(), where: null };
  }
  if (stream.acceptWord("WHERE")) return { like: null, where: stream.parseExpr() };
  return { like: null, where: null };
}

/** The rest of a SHOW statement that is not SHOW TABLES (SHOW already read). */
export function parseShowInspect(stream: TokenStream, parseName: NameParser): Statement {
  if (stream.acceptWord("CREATE")) {
    if (stream.acceptWord("DATABASE") || stream.acceptWord("SCHEMA")) {
      const ifNotExists = stream.acceptWord("IF");
      if (ifNotExists) {
        stream.expectWord("NOT");
        stream.expectWord("EXISTS");
      }
      const database = parseName(stream);
      if (database !== defaultDatabase) throw unknownDatabase(database);
      const show = ifNotExists
        ? { what: "create_database" as const, database, ifNotExists }
        : { what: "create_database" as const, database };
      return { kind: "show", show };
    }
    if (!stream.acceptWord("TABLE")) {
      throw new QueueError(
        "ER_NOT_SUPPORTED_YET",
        "SHOW CREATE of anything but a TABLE or DATABASE is not supported by q4d",
      );
    }
    return {
      kind: "show",
      show: { what: "create_table", table: parseTableRef(stream, parseName) },
    };
  }
  const full = stream.acceptWord("FULL");
  if (stream.acceptWord("COLUMNS") || stream.acceptWord("FIELDS")) {
    if (!stream.acceptWord("FROM") && !stream.acceptWord("IN")) throw stream.error("expected FROM");
    const table = parseTableRef(stream, parseName);
    acceptFromDatabase(stream, parseName);
    return { kind: "show", show: { what: "columns", table, full, ...parseFilter(stream, "SHOW") } };
  }
  if (full) {
    stream.expectWord("TABLES");
    acceptFromDatabase(stream, parseName);
    return { kind: "show", show: { what: "full_tables", ...parseFilter(stream, "SHOW") } };
  }
  if (stream.acceptWord("TABLE")) {
    stream.expectWord("STATUS");
    acceptFromDatabase(stream, parseName);
    return { kind: "show", show: { what: "table_status", ...parseFilter(stream, "SHOW") } };
  }
  if (stream.acceptWord("ENGINE")) {
    const engine = stream.next();
    if (engine.kind !== "word" && engine.kind !== "quoted") {
      throw stream.error("expected an engine name", engine);
    }
    const name = engine.kind === "word" ? engine.text : engine.value as string;
    stream.expectWord("STATUS");
    if (name.toUpperCase() !== "QUEUE") {
      throw new QueueError("ER_UNKNOWN_STORAGE_ENGINE", `Unknown storage engine '${name}'`);
    }
    return { kind: "show", show: { what: "engine_status" } };
  }
  if (stream.acceptWord("DATABASES") || stream.acceptWord("SCHEMAS")) {
    return { kind: "show", show: { what: "databases", ...parseFilter(stream, "SHOW") } };
  }
  throw stream.error("unknown SHOW statement");
}

/**
 * DESCRIBE / DESC / EXPLAIN t [column | 'pattern'] (the word already read):
 * SHOW COLUMNS FROM t [LIKE pattern]. EXPLAIN of a statement is refused.
 */
export function parseDescribe(stream: TokenStream, parseName: NameParser): Statement {
  const word = stream.peek();
  if (
    word.kind === "word" &&
    ["SELECT", "INSERT", "DELETE", "REPLACE", "UPDATE", "FORMAT", "EXTENDED"].includes(word.upper)
  ) {
    throw new QueueError("ER_NOT_SUPPORTED_YET", "EXPLAIN of a statement is not supported by q4d");
  }
  const table = parseTableRef(stream, parseName);
  let like: Expr | null = null;
  const token = stream.peek();
  if (token.kind === "string") {
    like = stream.parseExpr();
  } else if (stream.isIdentifier()) {
    stream.next();
    const value = token.kind === "quoted" ? token.value as string : token.text;
    like = { kind: "literal", value, start: token.byteStart, end: token.byteEnd };
  }
  return { kind: "show", show: { what: "columns", table, full: false, like, where: null } };
}

/**
 * DATABASE() and SCHEMA(): the one database's name (tools filter
 * information_schema by `table_schema = DATABASE()`).
 */
export const databaseFunctions: Record<string, FunctionSpec> = {
  database: { min: 0, max: 0, numeric: false, build: () => () => defaultDatabase },
  schema: { min: 0, max: 0, numeric: false, build: () => () => defaultDatabase },
};
