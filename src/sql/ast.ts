/**
 * The typed AST the parser produces and the engine executes: statements,
 * column definitions and expressions of q4d's MySQL subset.
 *
 * text → (lexer, parser) → these types → (engine) → rows
 *
 * @module
 */

import type { Decimal } from "./decimal.ts";
import type { Member } from "./member.ts";
import type { IntervalUnit, Temporal } from "./temporal.ts";

/**
 * A SQL value as q4d holds it at run time. `Decimal` (DECIMAL), `Temporal`
 * (DATE, DATETIME, TIMESTAMP, TIME) and `Member` (ENUM, SET) never reach
 * users: results give their MySQL text (see `outputValue`).
 */
export type Value =
  | null
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | Decimal
  | Temporal
  | Member;

/** A column type. `BOOLEAN` parses to TINYINT (MySQL's alias). */
export type ColumnType =
  | { kind: "int"; bits: 8 | 16 | 24 | 32 | 64; unsigned: boolean }
  | { kind: "float"; double: boolean }
  /** CHAR(n) (`variable` false) / VARCHAR(n); `length` in characters. */
  | { kind: "char"; length: number; variable: boolean }
  /** TINYTEXT/TEXT/MEDIUMTEXT/LONGTEXT; `bytesMax` is the type's byte limit. */
  | { kind: "text"; bytesMax: number }
  /** BINARY(n) / VARBINARY(n); `length` in bytes. */
  | { kind: "binary"; length: number; variable: boolean }
  /** TINYBLOB/BLOB/MEDIUMBLOB/LONGBLOB. */
  | { kind: "blob"; bytesMax: number }
  | { kind: "json" }
  /** DECIMAL(precision, scale) / NUMERIC. */
  | { kind: "decimal"; precision: number; scale: number; unsigned: boolean }
  | { kind: "date" }
  /** DATETIME(fsp) / TIMESTAMP(fsp) (`timestamp` true: range 1970..2038, UTC). */
  | { kind: "datetime"; fsp: number; timestamp: boolean }
  | { kind: "time"; fsp: number }
  | { kind: "year" }
  /** ENUM('a', …) / SET('a', …): the members as declared (trailing spaces cut). */
  | { kind: "enum"; members: string[] }
  | { kind: "set"; members: string[] }
  /** BIT(n), 1..64 bits. */
  | { kind: "bit"; bits: number };

/** One column of CREATE TABLE or ALTER TABLE ADD. */
export interface ColumnDef {
  /** Name as written (back-quotes removed). Matching is case-insensitive. */
  name: string;
  type: ColumnType;
  notNull: boolean;
  /** DEFAULT literal, already checked against the type; undefined when none. */
  defaultValue?: Value;
  /** The type as written, for SHOW-style output (e.g. "VARCHAR(96)"). */
  typeText: string;
  /** DEFAULT CURRENT_TIMESTAMP[(fsp)] (DATETIME/TIMESTAMP): the statement's time. */
  defaultNow?: boolean;
  /** ON UPDATE CURRENT_TIMESTAMP: accepted and kept (q4d has no UPDATE statement). */
  onUpdateNow?: boolean;
}

/** Binary operators, canonical spelling ("&&" → "and", "MOD" → "%", "!=" → "<>"). */
export type BinaryOp =
  | "or"
  | "xor"
  | "and"
  | "="
  | "<=>"
  | "<>"
  | "<"
  | "<="
  | ">"
  | ">="
  | "|"
  | "&"
  | "<<"
  | ">>"
  | "+"
  | "-"
  | "*"
  | "/"
  | "div"
  | "%"
  | "^";

/** Unary operators: "-" negation, "~" bit inversion, "not" (NOT and !). */
export type UnaryOp = "-" | "~" | "not";

/** An expression node. `start`/`end` are byte offsets in the statement text. */
export type Expr =
  & (
    | { kind: "literal"; value: Value }
    /** A bound parameter (template hole or `?`), 0-based. */
    | { kind: "param"; index: number }
    /** `table` is the qualifier of `table.column`, when written. */
    | { kind: "column"; name: string; quoted: boolean; table?: string }
    | { kind: "unary"; op: UnaryOp; operand: Expr }
    | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr }
    | { kind: "is"; operand: Expr; test: "true" | "false" | "null"; negated: boolean }
    | { kind: "in"; operand: Expr; list: Expr[]; negated: boolean }
    | { kind: "between"; operand: Expr; low: Expr; high: Expr; negated: boolean }
    | { kind: "like"; operand: Expr; pattern: Expr; escape: Expr | null; negated: boolean }
    /**
     * A function call; `name` lower-cased (pow, queue_wait, ...). `form` marks
     * special syntax: CASE ("simple": operand, when, then, …[, else];
     * "searched": when, then, …[, else]) and TRIM's LEADING/TRAILING/BOTH.
     * `col->'$.p'` is json_extract, `->>` json_unquote(json_extract(…)).
     */
    | {
      kind: "call";
      name: string;
      args: Expr[];
      form?: "simple" | "searched" | "leading" | "trailing" | "both";
      /** The name as written, when it differs from `name` (error messages name it so). */
      written?: string;
    }
    /** COUNT(*). */
    | { kind: "count_star" }
    /** `INTERVAL value unit`: only as an operand of + / - or DATE_ADD / DATE_SUB. */
    | { kind: "interval"; value: Expr; unit: IntervalUnit }
  )
  & { start: number; end: number };

/** One item of a SELECT list. */
export type SelectItem =
  /** `*`, or `table.*` when `table` is set. */
  | { kind: "star"; table?: string }
  /** `name` is the alias, or the expression's text as written (MySQL's rule). */
  | { kind: "expr"; expr: Expr; name: string };

/** ORDER BY term. */
export interface OrderTerm {
  expr: Expr;
  descending: boolean;
}

/** A parsed statement. */
export type Statement =
  | {
    kind: "create_table";
    table: string;
    ifNotExists: boolean;
    columns: ColumnDef[];
    /**
     * Routing columns, from `PARTITION BY KEY (c, …)`: subject tokens on
     * the NATS backend (server-side queue_wait conditions); kept and shown
     * by SHOW CREATE TABLE, no effect on the local backend. Empty: none.
     */
    routing: string[];
  }
  | { kind: "drop_table"; tables: string[]; ifExists: boolean }
  | { kind: "truncate"; table: string }
  | {
    kind: "alter_table";
    table: string;
    actions: ({ kind: "add"; column: ColumnDef } | { kind: "drop"; name: string })[];
  }
  /**
   * INSERT, INSERT … SET and REPLACE (run as INSERT: queue tables have no
   * keys to replace by, Q4M's behaviour). A DEFAULT value is a `call` named
   * "default" with no argument (DEFAULT) or one column (DEFAULT(col)).
   * `ignore`: INSERT IGNORE (a row with a value the column refuses is skipped).
   */
  | { kind: "insert"; table: string; columns: string[] | null; rows: Expr[][]; ignore: boolean }
  | {
    kind: "select";
    items: SelectItem[];
    from: string | null;
    where: Expr | null;
    orderBy: OrderTerm[];
    limit: Expr | null;
    offset: Expr | null;
    /** FROM information_schema.`view`: the view's name upper-cased (SCHEMATA, TABLES, COLUMNS). */
    view?: string;
  }
  | { kind: "delete"; table: string; where: Expr | null; orderBy: OrderTerm[]; limit: Expr | null }
  /** `database`: FROM db, when written (else the session's current database). */
  | { kind: "show_tables"; database?: string; like: Expr | null }
  | { kind: "create_database"; database: string; ifNotExists: boolean }
  | { kind: "drop_database"; database: string; ifExists: boolean }
  /** USE db: the session's current database (unqualified table names resolve in it). */
  | { kind: "use"; database: string }
  /** SHOW CREATE TABLE, DESCRIBE / SHOW COLUMNS, SHOW TABLE STATUS, SHOW ENGINE, SHOW DATABASES. */
  | { kind: "show"; show: ShowStatement }
  /**
   * BEGIN / START TRANSACTION, COMMIT [AND CHAIN], ROLLBACK [AND CHAIN],
   * SAVEPOINT s, RELEASE SAVEPOINT s, ROLLBACK TO [SAVEPOINT] s.
   */
  | { kind: "transaction"; action: TransactionAction; chain: boolean; savepoint: string | null };

/** What a transaction statement does. */
export type TransactionAction =
  | "begin"
  | "commit"
  | "rollback"
  | "savepoint"
  | "release_savepoint"
  | "rollback_to_savepoint";

/** The inspection statements (`src/sql/show.ts` parses them, `src/engine/inspect.ts` runs them). */
export type ShowStatement =
  | { what: "create_table"; table: string }
  | { what: "columns"; table: string; full: boolean; like: Expr | null; where: Expr | null }
  | { what: "table_status"; database?: string; like: Expr | null; where: Expr | null }
  | { what: "engine_status" }
  | { what: "databases"; like: Expr | null; where: Expr | null }
  | { what: "full_tables"; database?: string; like: Expr | null; where: Expr | null }
  | { what: "create_database"; database: string; ifNotExists?: boolean };

/** A statement ready to bind: the AST and how many parameters it takes. */
export interface Prepared {
  statement: Statement;
  paramCount: number;
  /** The SQL text (for templates: the strings joined with `?`). */
  text: string;
}
