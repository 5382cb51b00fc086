/**
 * Parsing of the inspection statements: SHOW CREATE TABLE, DESCRIBE / DESC /
 * EXPLAIN t, SHOW [FULL] COLUMNS|FIELDS, SHOW TABLE STATUS, SHOW ENGINE
 * QUEUE STATUS and SHOW DATABASES; and of `db.table` names (names.ts keys
 * them).
 *
 * tokens (after SHOW / DESCRIBE) → ShowStatement (ast.ts) → engine/inspect.ts
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { Expr, Statement } from "./ast.ts";
import type { TokenStream } from "./expression.ts";
import type { FunctionSpec } from "./function_support.ts";
import { currentDatabase, qualifiedRef, splitTableRef } from "./names.ts";

export { defaultDatabase, informationSchema, unknownDatabase } from "./names.ts";

/** Parses one table or database name (parser.ts's name rules). */
export type NameParser = (stream: TokenStream) => string;

/**
 * `table` or `db.table`, as a reference (names.ts): the database is checked
 * when the statement runs, in the session's current database.
 */
export function parseTableRef(stream: TokenStream, parseName: NameParser): string {
  const first = parseName(stream);
  if (!stream.acceptOp(".")) return first;
  return qualifiedRef(first, parseName(stream));
}

/** `FROM db` / `IN db` after SHOW TABLES / COLUMNS / TABLE STATUS: the database, if written. */
export function acceptFromDatabase(
  stream: TokenStream,
  parseName: NameParser,
): { database?: string } {
  if (!stream.acceptWord("FROM") && !stream.acceptWord("IN")) return {};
  return { database: parseName(stream) };
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
    let table = parseTableRef(stream, parseName);
    const { database } = acceptFromDatabase(stream, parseName);
    if (database !== undefined) table = qualifiedRef(database, splitTableRef(table).table);
    return { kind: "show", show: { what: "columns", table, full, ...parseFilter(stream, "SHOW") } };
  }
  if (full) {
    stream.expectWord("TABLES");
    const from = acceptFromDatabase(stream, parseName);
    return { kind: "show", show: { what: "full_tables", ...from, ...parseFilter(stream, "SHOW") } };
  }
  if (stream.acceptWord("TABLE")) {
    stream.expectWord("STATUS");
    const from = acceptFromDatabase(stream, parseName);
    return {
      kind: "show",
      show: { what: "table_status", ...from, ...parseFilter(stream, "SHOW") },
    };
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
 * DATABASE() and SCHEMA(): the current database of the session running the
 * statement (tools filter information_schema by `table_schema = DATABASE()`).
 */
export const databaseFunctions: Record<string, FunctionSpec> = {
  database: { min: 0, max: 0, numeric: false, build: () => currentDatabase },
  schema: { min: 0, max: 0, numeric: false, build: () => currentDatabase },
};
