/**
 * The statement parser: SQL text → Statement (ast.ts), for q4d's MySQL
 * subset (DESIGN.md, "The SQL dialect"). Expressions are parsed by
 * `expression.ts`; DEFAULT literals are checked by `values.ts`.
 *
 * text → (lexer) → tokens → (this file) → Statement → (engine)
 *
 * Every failure is a QueueError: ER_PARSE_ERROR with the byte position for
 * bad syntax, ER_NOT_SUPPORTED_YET for MySQL features queue tables do not
 * have (keys, AUTO_INCREMENT, UPDATE), ER_DUP_FIELDNAME,
 * ER_WRONG_VALUE_COUNT_ON_ROW, ER_INVALID_DEFAULT, ER_TOO_BIG_FIELDLENGTH.
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import { columnCountMax, identifierLengthMax, insertRowCountMax } from "../limits.ts";
import type {
  ColumnDef,
  ColumnType,
  Expr,
  OrderTerm,
  SelectItem,
  Statement,
  TransactionAction,
  Value,
} from "./ast.ts";
import { TokenStream } from "./expression.ts";
import { type Token, tokenize } from "./lexer.ts";
import { checkValue } from "./values.ts";
import { acceptNow, parseTypedColumnType } from "./parse_types.ts";
import { Decimal, decimalNegate } from "./decimal.ts";
import {
  acceptFromDatabase,
  informationSchema,
  parseDescribe,
  parseShowInspect,
  parseTableRef,
} from "./show.ts";
import { qualifiedRef } from "./names.ts";

/** Longest CHAR(n), in characters (MySQL's). */
export const charLengthMax = 255;
/** Longest VARCHAR(n), in characters: MySQL's 65535-byte row limit over 4-byte utf8mb4. */
export const varcharLengthMax = 16383;
/** Longest BINARY(n), in bytes (MySQL's). */
export const binaryLengthMax = 255;
/** Longest VARBINARY(n), in bytes (MySQL's). */
export const varbinaryLengthMax = 65535;

/** The parsed statement and how many `?` placeholders it holds. */
export interface ParseResult {
  statement: Statement;
  paramCount: number;
}

/**
 * Parses one statement (a trailing `;` allowed). `?` placeholders become
 * `param` nodes numbered in order of appearance. Text longer than
 * `bytesMax` (default `statementBytesMax`) is ER_PARSE_ERROR.
 *
 * @example
 * ```ts
 * const { statement } = parseStatement("DELETE FROM jobs WHERE id = ?");
 * console.log(statement.kind); // "delete"
 * ```
 */
export function parseStatement(text: string, bytesMax?: number): ParseResult {
  return parseTokens(text, tokenize(text, bytesMax));
}

/**
 * Parses one statement from `tokenize(text)`'s tokens (for a caller that
 * looked at them first, as template.ts' shape cache does); the same result
 * and errors as `parseStatement(text)`.
 *
 * @example
 * ```ts
 * import { type Token, tokenize } from "./lexer.ts";
 * const text = "SELECT 1";
 * console.log(parseTokens(text, tokenize(text)).statement.kind); // "select"
 * ```
 */
export function parseTokens(text: string, tokens: Token[]): ParseResult {
  const stream = new TokenStream(text, tokens, true);
  const statement = parseAny(stream);
  stream.acceptOp(";");
  if (stream.peek().kind !== "end") throw stream.error("unexpected text after the statement");
  return { statement, paramCount: stream.paramCount };
}

/**
 * Parses a bare expression, the whole text (queue_wait conditions after the
 * `:`). `?` placeholders are not allowed.
 *
 * @example
 * ```ts
 * const expr = parseExpression("prio = 0 AND v > 3");
 * console.log(expr.kind); // "binary"
 * ```
 */
export function parseExpression(text: string): Expr {
  const stream = new TokenStream(text, tokenize(text), false);
  const expr = stream.parseExpr();
  if (stream.peek().kind !== "end") throw stream.error("unexpected text after the expression");
  return expr;
}

function notSupported(what: string): QueueError {
  return new QueueError("ER_NOT_SUPPORTED_YET", `${what} is not supported by q4d`);
}

function parseAny(stream: TokenStream): Statement {
  const first = stream.peek();
  if (first.kind === "word") {
    switch (first.upper) {
      case "SELECT":
        stream.next();
        return parseSelect(stream);
      case "INSERT":
        stream.next();
        return parseInsert(stream, true);
      case "REPLACE":
        // Q4M: REPLACE finds no unique key to collide with, so it is an INSERT.
        stream.next();
        return parseInsert(stream, false);
      case "DELETE":
        stream.next();
        return parseDelete(stream);
      case "CREATE":
        stream.next();
        return parseCreate(stream);
      case "DROP":
        stream.next();
        return parseDrop(stream);
      case "TRUNCATE":
        stream.next();
        stream.acceptWord("TABLE");
        return { kind: "truncate", table: tableRef(stream) };
      case "ALTER":
        stream.next();
        return parseAlter(stream);
      case "USE":
        stream.next();
        return { kind: "use", database: tableName(stream) };
      case "SHOW":
        stream.next();
        return parseShow(stream);
      case "DESCRIBE":
      case "DESC":
      case "EXPLAIN":
        stream.next();
        return parseDescribe(stream, tableName);
      case "UPDATE":
        throw notSupported(`${first.upper} (queue rows are immutable)`);
      case "BEGIN":
      case "START":
      case "COMMIT":
      case "ROLLBACK":
      case "SAVEPOINT":
      case "RELEASE":
        return parseTransaction(stream);
    }
  }
  throw stream.error(first.kind === "end" ? "empty statement" : "unknown statement");
}

/**
 * BEGIN [WORK], START TRANSACTION [characteristic, …], COMMIT [WORK] [AND
 * [NO] CHAIN], ROLLBACK [WORK] [AND [NO] CHAIN], ROLLBACK [WORK] TO
 * [SAVEPOINT] s, SAVEPOINT s, RELEASE SAVEPOINT s (MySQL's forms; `RELEASE`
 * after COMMIT, which closes the connection, is not accepted).
 */
function parseTransaction(stream: TokenStream): Statement {
  const word = stream.next().upper;
  const statement = (
    action: TransactionAction,
    chain = false,
    savepoint: string | null = null,
  ): Statement => ({ kind: "transaction", action, chain, savepoint });
  const chainClause = (): boolean => {
    if (!stream.acceptWord("AND")) return false;
    const no = stream.acceptWord("NO");
    stream.expectWord("CHAIN");
    return !no;
  };
  switch (word) {
    case "BEGIN":
      stream.acceptWord("WORK");
      return statement("begin");
    case "START":
      stream.expectWord("TRANSACTION");
      // Characteristics change nothing here: every transaction reads the
      // committed rows as they are now, and READ ONLY is not enforced.
      if (stream.peek().kind === "word") {
        do {
          if (stream.acceptWord("WITH")) {
            stream.expectWord("CONSISTENT");
            stream.expectWord("SNAPSHOT");
          } else {
            stream.expectWord("READ");
            if (!stream.acceptWord("ONLY")) stream.expectWord("WRITE");
          }
        } while (stream.acceptOp(","));
      }
      return statement("begin");
    case "COMMIT":
      stream.acceptWord("WORK");
      return statement("commit", chainClause());
    case "ROLLBACK":
      stream.acceptWord("WORK");
      if (stream.acceptWord("TO")) {
        stream.acceptWord("SAVEPOINT");
        return statement("rollback_to_savepoint", false, parseName(stream, "column"));
      }
      return statement("rollback", chainClause());
    case "SAVEPOINT":
      return statement("savepoint", false, parseName(stream, "column"));
    default: // RELEASE
      stream.expectWord("SAVEPOINT");
      return statement("release_savepoint", false, parseName(stream, "column"));
  }
}

/**
 * What a name names: a table (MySQL checks every table name it is given), a
 * new column (CREATE, ALTER ADD), or a column referred to by name (a name
 * MySQL would refuse to create there is just a column that does not exist).
 */
type NameRole = "table" | "new column" | "column";

/**
 * A table or column name: bare word (not reserved) or back-quoted; 1..64
 * characters (ER_TOO_LONG_IDENT beyond), no NUL; a table or new column name
 * must not be empty or end in a space (ER_WRONG_TABLE_NAME,
 * ER_WRONG_COLUMN_NAME: MySQL's rules).
 */
function parseName(stream: TokenStream, role: NameRole): string {
  const token = stream.peek();
  if (!stream.isIdentifier()) {
    const what = role === "table" ? "table" : "column";
    if (token.kind === "param") {
      // sql`SELECT * FROM ${name}` binds a value where a name must stand.
      throw stream.error(
        `expected a ${what} name, not a bound value: a \${value} in a template is always a value; write a dynamic name as \${ident(name)}`,
      );
    }
    throw stream.error(`expected a ${what} name`);
  }
  stream.next();
  const name = token.kind === "quoted" ? token.value as string : token.text;
  const position = token.byteStart;
  if (role !== "column" && (name.length === 0 || name.endsWith(" "))) {
    const shown = name.slice(0, identifierLengthMax);
    throw role === "table"
      ? new QueueError("ER_WRONG_TABLE_NAME", `Incorrect table name '${shown}'`, { position })
      : new QueueError("ER_WRONG_COLUMN_NAME", `Incorrect column name '${shown}'`, { position });
  }
  checkIdentifierText(name, (detail) => stream.error(detail, token), position);
  return name;
}

/** A table name as a NameParser (for show.ts). */
function tableName(stream: TokenStream): string {
  return parseName(stream, "table");
}

/** `table` or `q4d.table` (the default database), as the table's name. */
function tableRef(stream: TokenStream): string {
  return parseTableRef(stream, tableName);
}

/** Checks a name's length (1..64 code points; longer is ER_TOO_LONG_IDENT) and that it holds no NUL. */
export function checkIdentifierText(
  name: string,
  fail: (detail: string) => QueueError,
  position?: number,
): void {
  if (name.length === 0) throw fail("empty identifier");
  if (name.length > identifierLengthMax) {
    let length = 0;
    for (const _ of name) length++;
    if (length > identifierLengthMax) {
      throw new QueueError(
        "ER_TOO_LONG_IDENT",
        `Identifier name '${Array.from(name).slice(0, 100).join("")}' is too long`,
        { position },
      );
    }
  }
  if (name.includes("\0")) throw fail("identifier contains a NUL character");
}

function parseSelect(stream: TokenStream): Statement {
  // SELECT /*!40001 SQL_NO_CACHE */ … (mysqldump): there is no query cache to skip.
  while (stream.acceptWord("SQL_NO_CACHE") || stream.acceptWord("SQL_CACHE"));
  const items: SelectItem[] = [];
  do items.push(parseSelectItem(stream)); while (stream.acceptOp(","));
  let from: string | null = null;
  let view: string | undefined;
  if (stream.acceptWord("FROM")) {
    from = parseName(stream, "table");
    if (stream.acceptOp(".")) {
      const table = parseName(stream, "table");
      if (from.toLowerCase() === informationSchema) {
        view = table.toUpperCase();
        from = table;
      } else from = qualifiedRef(from, table);
    }
  }
  const where = stream.acceptWord("WHERE") ? stream.parseExpr() : null;
  const orderBy = parseOrderBy(stream);
  let limit: Expr | null = null;
  let offset: Expr | null = null;
  if (stream.acceptWord("LIMIT")) {
    limit = parseLimitValue(stream);
    if (stream.acceptOp(",")) {
      offset = limit;
      limit = parseLimitValue(stream);
    } else if (stream.acceptWord("OFFSET")) {
      offset = parseLimitValue(stream);
    }
  }
  if (view !== undefined) {
    return { kind: "select", items, from, where, orderBy, limit, offset, view };
  }
  return { kind: "select", items, from, where, orderBy, limit, offset };
}

function parseSelectItem(stream: TokenStream): SelectItem {
  if (stream.acceptOp("*")) return { kind: "star" };
  const first = stream.peek();
  if (
    (first.kind === "word" || first.kind === "quoted") && stream.peekNext().text === "." &&
    stream.tokens[stream.at + 2]?.text === "*"
  ) {
    stream.next();
    stream.next();
    stream.next();
    return { kind: "star", table: first.kind === "quoted" ? first.value as string : first.text };
  }
  const expr = stream.parseExpr();
  const last = defined(stream.tokens[stream.at - 1], "an expression consumed a token");
  let name: string;
  if (stream.acceptWord("AS")) {
    name = parseAlias(stream, true);
  } else if (stream.isIdentifier() || stream.peek().kind === "string") {
    name = parseAlias(stream, false);
  } else if (expr.kind === "column") {
    name = expr.name;
  } else {
    name = stream.text.slice(first.start, last.end);
  }
  return { kind: "expr", expr, name };
}

function parseAlias(stream: TokenStream, required: boolean): string {
  const token = stream.peek();
  if (token.kind === "string") {
    stream.next();
    return token.value as string;
  }
  if (!stream.isIdentifier()) {
    throw stream.error(required ? "expected an alias after AS" : "expected an alias");
  }
  stream.next();
  return token.kind === "quoted" ? token.value as string : token.text;
}

function parseOrderBy(stream: TokenStream): OrderTerm[] {
  const terms: OrderTerm[] = [];
  if (!stream.acceptWord("ORDER")) return terms;
  stream.expectWord("BY");
  do {
    const expr = stream.parseExpr();
    let descending = false;
    if (stream.acceptWord("DESC")) descending = true;
    else stream.acceptWord("ASC");
    terms.push({ expr, descending });
  } while (stream.acceptOp(","));
  return terms;
}

/** LIMIT/OFFSET take a non-negative integer literal or `?` (MySQL's rule). */
function parseLimitValue(stream: TokenStream): Expr {
  const token = stream.peek();
  if (token.kind === "integer" || token.kind === "param") return stream.parseExpr();
  throw stream.error("LIMIT takes an integer or '?'");
}

function parseInsert(stream: TokenStream, insert: boolean): Statement {
  // MySQL takes LOW_PRIORITY / DELAYED / HIGH_PRIORITY here; they mean nothing to a queue.
  for (
    const word of insert
      ? ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"]
      : ["LOW_PRIORITY", "DELAYED"]
  ) {
    if (stream.acceptWord(word)) break;
  }
  const ignore = insert && stream.acceptWord("IGNORE");
  stream.acceptWord("INTO");
  const table = tableRef(stream);
  if (stream.acceptWord("SET")) return parseInsertSet(stream, table, ignore);
  let columns: string[] | null = null;
  if (stream.acceptOp("(")) {
    columns = [];
    if (!stream.isOp(")")) {
      do columns.push(parseName(stream, "column")); while (stream.acceptOp(","));
    }
    stream.expectOp(")");
  }
  if (stream.isWord("SELECT")) throw notSupported("INSERT ... SELECT");
  if (!stream.acceptWord("VALUES") && !stream.acceptWord("VALUE")) {
    throw stream.error("expected VALUES");
  }
  const rows: Expr[][] = [];
  do {
    if (rows.length >= insertRowCountMax) {
      throw stream.error(`more than ${insertRowCountMax} rows in one INSERT`);
    }
    stream.expectOp("(");
    const row: Expr[] = [];
    if (!stream.isOp(")")) {
      do row.push(parseInsertValue(stream)); while (stream.acceptOp(","));
    }
    stream.expectOp(")");
    const expected = columns === null ? rows[0]?.length ?? row.length : columns.length;
    if (row.length !== expected) {
      throw new QueueError(
        "ER_WRONG_VALUE_COUNT_ON_ROW",
        `Column count doesn't match value count at row ${rows.length + 1}`,
      );
    }
    rows.push(row);
  } while (stream.acceptOp(","));
  if (stream.isWord("ON")) throw notSupported("INSERT ... ON DUPLICATE KEY UPDATE");
  return { kind: "insert", table, columns, rows, ignore };
}

/** `INSERT t SET a = 1, b = DEFAULT`: one row naming its columns. */
function parseInsertSet(stream: TokenStream, table: string, ignore: boolean): Statement {
  const columns: string[] = [];
  const row: Expr[] = [];
  do {
    columns.push(parseName(stream, "column"));
    stream.expectOp("=");
    row.push(parseInsertValue(stream));
  } while (stream.acceptOp(","));
  if (stream.isWord("ON")) throw notSupported("INSERT ... ON DUPLICATE KEY UPDATE");
  return { kind: "insert", table, columns, rows: [row], ignore };
}

/** A value of VALUES or SET: an expression, or the bare word DEFAULT (a `default` call). */
function parseInsertValue(stream: TokenStream): Expr {
  const token = stream.peek();
  if (
    token.kind === "word" && token.upper === "DEFAULT" && !stream.peekNext().text.startsWith("(")
  ) {
    stream.next();
    return { kind: "call", name: "default", args: [], start: token.byteStart, end: token.byteEnd };
  }
  return stream.parseExpr();
}

function parseDelete(stream: TokenStream): Statement {
  stream.expectWord("FROM");
  const table = tableRef(stream);
  const where = stream.acceptWord("WHERE") ? stream.parseExpr() : null;
  const orderBy = parseOrderBy(stream);
  const limit = stream.acceptWord("LIMIT") ? parseLimitValue(stream) : null;
  return { kind: "delete", table, where, orderBy, limit };
}

function parseShow(stream: TokenStream): Statement {
  if (!stream.acceptWord("TABLES")) return parseShowInspect(stream, tableName);
  const from = acceptFromDatabase(stream, tableName);
  let like: Expr | null = null;
  if (stream.acceptWord("LIKE")) {
    const token = stream.peek();
    if (token.kind !== "string" && token.kind !== "param") {
      throw stream.error("SHOW TABLES LIKE takes a string or '?'");
    }
    like = stream.parseExpr();
  }
  return { kind: "show_tables", ...from, like };
}

/** IF EXISTS, IF NOT EXISTS (`not`), or nothing. */
function acceptIfExists(stream: TokenStream, not: boolean): boolean {
  if (!stream.acceptWord("IF")) return false;
  if (not) stream.expectWord("NOT");
  stream.expectWord("EXISTS");
  return true;
}

function parseDrop(stream: TokenStream): Statement {
  if (stream.acceptWord("DATABASE") || stream.acceptWord("SCHEMA")) {
    const ifExists = acceptIfExists(stream, false);
    return { kind: "drop_database", database: tableName(stream), ifExists };
  }
  stream.expectWord("TABLE");
  let ifExists = false;
  if (stream.acceptWord("IF")) {
    stream.expectWord("EXISTS");
    ifExists = true;
  }
  const tables: string[] = [];
  do tables.push(tableRef(stream)); while (stream.acceptOp(","));
  return { kind: "drop_table", tables, ifExists };
}

function parseCreate(stream: TokenStream): Statement {
  if (stream.isWord("INDEX") || stream.isWord("UNIQUE")) {
    throw notSupported("CREATE INDEX (queue tables have no keys)");
  }
  if (stream.acceptWord("DATABASE") || stream.acceptWord("SCHEMA")) {
    const ifNotExists = acceptIfExists(stream, true);
    const database = tableName(stream);
    // [DEFAULT] CHARACTER SET / COLLATE: every database is utf8mb4.
    for (;;) {
      const explicit = stream.acceptWord("DEFAULT");
      if (parseCharsetOption(stream)) continue;
      if (explicit) throw stream.error("expected CHARSET or COLLATE");
      break;
    }
    return { kind: "create_database", database, ifNotExists };
  }
  stream.expectWord("TABLE");
  let ifNotExists = false;
  if (stream.acceptWord("IF")) {
    stream.expectWord("NOT");
    stream.expectWord("EXISTS");
    ifNotExists = true;
  }
  const table = tableRef(stream);
  stream.expectOp("(");
  const columns: ColumnDef[] = [];
  const seen = new Set<string>();
  do {
    rejectKeyDefinition(stream);
    if (columns.length >= columnCountMax) throw stream.error(`more than ${columnCountMax} columns`);
    const column = parseColumnDef(stream);
    const folded = column.name.toLowerCase();
    if (seen.has(folded)) {
      throw new QueueError("ER_DUP_FIELDNAME", `Duplicate column name '${column.name}'`);
    }
    seen.add(folded);
    columns.push(column);
  } while (stream.acceptOp(","));
  stream.expectOp(")");
  parseTableOptions(stream);
  const routing = parsePartitionByKey(stream);
  return { kind: "create_table", table, ifNotExists, columns, routing };
}

/**
 * `PARTITION BY [LINEAR] KEY [ALGORITHM = n] (c, …) [PARTITIONS n]` (what
 * SHOW CREATE TABLE and mysqldump write inside `/*!50100 … *\/`): the
 * table's routing columns. Other partitioning is not supported; none: [].
 */
function parsePartitionByKey(stream: TokenStream): string[] {
  if (!stream.acceptWord("PARTITION")) return [];
  stream.expectWord("BY");
  stream.acceptWord("LINEAR");
  if (!stream.acceptWord("KEY")) {
    throw notSupported("partitioning other than PARTITION BY KEY (routing columns)");
  }
  if (stream.acceptWord("ALGORITHM")) {
    stream.expectOp("=");
    if (stream.next().kind !== "integer") throw stream.error("expected 1 or 2");
  }
  stream.expectOp("(");
  if (stream.isOp(")")) throw notSupported("PARTITION BY KEY () (queue tables have no keys)");
  const routing: string[] = [];
  do routing.push(parseName(stream, "column")); while (stream.acceptOp(","));
  stream.expectOp(")");
  if (stream.acceptWord("PARTITIONS") && stream.next().kind !== "integer") {
    throw stream.error("expected a number of partitions");
  }
  return routing;
}

function rejectKeyDefinition(stream: TokenStream): void {
  for (
    const word of [
      "PRIMARY",
      "UNIQUE",
      "KEY",
      "INDEX",
      "CONSTRAINT",
      "FOREIGN",
      "FULLTEXT",
      "CHECK",
    ]
  ) {
    if (stream.isWord(word)) throw notSupported(`${word} (queue tables have no keys)`);
  }
}

/** ENGINE=QUEUE, [DEFAULT] CHARSET/CHARACTER SET/COLLATE [=] name, COMMENT [=] 'text'; all ignored. */
function parseTableOptions(stream: TokenStream): void {
  for (;;) {
    stream.acceptOp(",");
    const token = stream.peek();
    if (stream.acceptWord("ENGINE")) {
      stream.acceptOp("=");
      const engine = stream.next();
      if (engine.kind !== "word" && engine.kind !== "quoted" && engine.kind !== "string") {
        throw stream.error("expected an engine name", engine);
      }
      const engineName = engine.kind === "word" ? engine.text : engine.value as string;
      if (engineName.toUpperCase() !== "QUEUE") {
        throw notSupported(`ENGINE=${engineName} (every q4d table is ENGINE=QUEUE)`);
      }
      continue;
    }
    if (stream.acceptWord("DEFAULT")) {
      if (!parseCharsetOption(stream)) throw stream.error("expected CHARSET or COLLATE");
      continue;
    }
    if (parseCharsetOption(stream)) continue;
    if (stream.acceptWord("COMMENT")) {
      stream.acceptOp("=");
      if (stream.next().kind !== "string") throw stream.error("expected a string", token);
      continue;
    }
    return;
  }
}

/** CHARSET x | CHARACTER SET x | COLLATE x, each with an optional `=`. */
function parseCharsetOption(stream: TokenStream): boolean {
  if (stream.acceptWord("CHARSET") || stream.acceptWord("COLLATE")) {
    // fallthrough to the name
  } else if (stream.acceptWord("CHARACTER")) {
    stream.expectWord("SET");
  } else return false;
  stream.acceptOp("=");
  const name = stream.next();
  if (name.kind !== "word" && name.kind !== "quoted" && name.kind !== "string") {
    throw stream.error("expected a character set or collation name", name);
  }
  return true;
}

function parseAlter(stream: TokenStream): Statement {
  stream.expectWord("TABLE");
  const table = tableRef(stream);
  const actions: ({ kind: "add"; column: ColumnDef } | { kind: "drop"; name: string })[] = [];
  do {
    if (stream.acceptWord("ADD")) {
      stream.acceptWord("COLUMN");
      rejectKeyDefinition(stream);
      actions.push({ kind: "add", column: parseColumnDef(stream) });
    } else if (stream.acceptWord("DROP")) {
      if (stream.isWord("PRIMARY") || stream.isWord("INDEX") || stream.isWord("KEY")) {
        throw notSupported("DROP of a key (queue tables have no keys)");
      }
      stream.acceptWord("COLUMN");
      actions.push({ kind: "drop", name: parseName(stream, "column") });
    } else if (stream.acceptWord("DISABLE") || stream.acceptWord("ENABLE")) {
      // /*!40000 ALTER TABLE t DISABLE KEYS */ in dumps: queue tables have no keys to pause.
      stream.expectWord("KEYS");
    } else {
      const word = stream.peek();
      if (word.kind === "word" && ["MODIFY", "CHANGE", "RENAME", "ALTER"].includes(word.upper)) {
        throw notSupported(`ALTER TABLE ... ${word.upper}`);
      }
      throw stream.error("expected ADD or DROP");
    }
  } while (stream.acceptOp(","));
  return { kind: "alter_table", table, actions };
}

const textBytesMax: Record<string, number> = {
  TINY: 255,
  "": 65535,
  MEDIUM: 16777215,
  LONG: 4294967295,
};

/** An optional `(n)`; returns undefined when absent. */
function parseLength(stream: TokenStream): number | undefined {
  if (!stream.acceptOp("(")) return undefined;
  const token = stream.next();
  if (token.kind !== "integer" || typeof token.value !== "number") {
    throw stream.error("expected a length", token);
  }
  stream.expectOp(")");
  return token.value;
}

function parseColumnDef(stream: TokenStream): ColumnDef {
  const nameToken = stream.peek();
  const name = parseName(stream, "new column");
  const typeToken = stream.next();
  if (typeToken.kind !== "word") throw stream.error("expected a column type", typeToken);
  const word = typeToken.upper;
  let type: ColumnType;
  let typeText = word;
  const intBits: Record<string, 8 | 16 | 24 | 32 | 64> = {
    TINYINT: 8,
    SMALLINT: 16,
    MEDIUMINT: 24,
    INT: 32,
    INTEGER: 32,
    BIGINT: 64,
  };
  const tooBig = (max: number): QueueError =>
    new QueueError(
      "ER_TOO_BIG_FIELDLENGTH",
      `Column length too big for column '${name}' (max = ${max})`,
    );
  if (intBits[word] !== undefined) {
    // Display width: meaningless to values (as in MySQL 8), kept for SHOW CREATE TABLE.
    const width = parseLength(stream);
    if (width !== undefined) typeText += `(${width})`;
    let unsigned = false;
    if (stream.acceptWord("UNSIGNED")) unsigned = true;
    else stream.acceptWord("SIGNED");
    if (stream.isWord("ZEROFILL")) throw notSupported("ZEROFILL");
    type = { kind: "int", bits: intBits[word], unsigned };
    if (unsigned) typeText += " UNSIGNED";
  } else if (word === "BOOLEAN" || word === "BOOL") {
    type = { kind: "int", bits: 8, unsigned: false };
  } else if (word === "FLOAT" || word === "DOUBLE" || word === "REAL") {
    if (word === "DOUBLE") stream.acceptWord("PRECISION");
    if (stream.acceptOp("(")) {
      // FLOAT(p) / DOUBLE(m,d): precision hints MySQL deprecates; ignored.
      do {
        if (stream.next().kind !== "integer") throw stream.error("expected a number");
      } while (stream.acceptOp(","));
      stream.expectOp(")");
    }
    stream.acceptWord("UNSIGNED");
    type = { kind: "float", double: word !== "FLOAT" };
  } else if (word === "CHAR" || word === "VARCHAR") {
    const length = parseLength(stream);
    if (word === "VARCHAR" && length === undefined) throw stream.error("VARCHAR needs a length");
    const max = word === "CHAR" ? charLengthMax : varcharLengthMax;
    if ((length ?? 1) > max) throw tooBig(max);
    type = { kind: "char", length: length ?? 1, variable: word === "VARCHAR" };
    typeText += `(${length ?? 1})`;
  } else if (word === "BINARY" || word === "VARBINARY") {
    const length = parseLength(stream);
    if (word === "VARBINARY" && length === undefined) {
      throw stream.error("VARBINARY needs a length");
    }
    const max = word === "BINARY" ? binaryLengthMax : varbinaryLengthMax;
    if ((length ?? 1) > max) throw tooBig(max);
    type = { kind: "binary", length: length ?? 1, variable: word === "VARBINARY" };
    typeText += `(${length ?? 1})`;
  } else if (/^(TINY|MEDIUM|LONG|)(TEXT|BLOB)$/.test(word)) {
    const isText = word.endsWith("TEXT");
    const bytesMax = defined(textBytesMax[word.slice(0, -4)], "the pattern allows only its sizes");
    type = isText ? { kind: "text", bytesMax } : { kind: "blob", bytesMax };
  } else if (word === "JSON") {
    type = { kind: "json" };
  } else {
    const typed = parseTypedColumnType(stream, word, name);
    if (typed === null) throw stream.error(`unknown column type ${typeToken.text}`, typeToken);
    ({ type, typeText } = typed);
  }

  let notNull = false;
  let defaultValue: Value | undefined;
  let defaultNow = false;
  let onUpdateNow = false;
  const takesNow = type.kind === "datetime";
  for (;;) {
    if (takesNow && stream.isWord("DEFAULT") && stream.peekNext().kind === "word") {
      stream.at++;
      defaultNow = acceptNow(stream);
      defaultValue = defaultNow ? undefined : parseDefaultLiteral(stream);
    } else if (takesNow && stream.isWord("ON") && stream.peekNext().upper === "UPDATE") {
      stream.at += 2;
      if (!acceptNow(stream)) throw stream.error("expected CURRENT_TIMESTAMP");
      onUpdateNow = true;
    } else if (stream.acceptWord("NOT")) {
      stream.expectWord("NULL");
      notNull = true;
    } else if (stream.acceptWord("NULL")) {
      notNull = false;
    } else if (stream.acceptWord("DEFAULT")) {
      defaultValue = parseDefaultLiteral(stream);
      defaultNow = false;
    } else if (parseCharsetOption(stream)) {
      // accepted and ignored: q4d text is always UTF-8
    } else if (stream.acceptWord("COMMENT")) {
      if (stream.next().kind !== "string") throw stream.error("expected a string");
    } else if (
      stream.isWord("PRIMARY") || stream.isWord("UNIQUE") || stream.isWord("KEY") ||
      stream.isWord("AUTO_INCREMENT")
    ) {
      throw notSupported(`${stream.peek().upper} (queue tables have no keys)`);
    } else break;
  }
  const column: ColumnDef = { name, type, notNull, typeText };
  if (defaultNow) column.defaultNow = true;
  if (onUpdateNow) column.onUpdateNow = true;
  if (defaultValue !== undefined) {
    try {
      column.defaultValue = checkValue(column, defaultValue);
    } catch (error) {
      if (!(error instanceof QueueError)) throw error;
      throw new QueueError("ER_INVALID_DEFAULT", `Invalid default value for '${name}'`, {
        cause: error,
        position: nameToken.byteStart,
      });
    }
  }
  return column;
}

/** DEFAULT takes a literal, optionally signed: number, string, hex, NULL, TRUE, FALSE. */
function parseDefaultLiteral(stream: TokenStream): Value {
  const token = stream.peek();
  let negative = false;
  if (token.kind === "op" && (token.text === "-" || token.text === "+")) {
    negative = token.text === "-";
    stream.next();
    const number = stream.peek();
    if (number.kind !== "integer" && number.kind !== "float") {
      throw stream.error("expected a number");
    }
  }
  const literal = stream.next();
  switch (literal.kind) {
    case "integer":
    case "float": {
      const value = literal.value as number | bigint | Decimal;
      if (!negative) return value;
      if (value instanceof Decimal) return decimalNegate(value);
      if (typeof value === "number") return -value;
      const negated = -value;
      return negated >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(negated) : negated;
    }
    case "string":
    case "hex":
      return literal.value as string | Uint8Array;
    case "word":
      if (literal.upper === "NULL") return null;
      if (literal.upper === "TRUE") return 1;
      if (literal.upper === "FALSE") return 0;
  }
  throw stream.error("DEFAULT takes a literal", literal);
}
