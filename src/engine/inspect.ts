/**
 * The inspection statements and views: SHOW CREATE TABLE, DESCRIBE / SHOW
 * [FULL] COLUMNS, SHOW TABLE STATUS, SHOW ENGINE QUEUE STATUS, SHOW
 * DATABASES, and SELECT over information_schema.SCHEMATA / TABLES /
 * COLUMNS. Each builds its rows in memory (a handful per table) and runs
 * LIKE / WHERE / ORDER BY / LIMIT over them with the ordinary expression
 * compiler. The output is MariaDB 10.11's (lower-case types with display
 * widths), except that JSON stays `json` so that the text round-trips.
 *
 * engine.run → these functions → rows from the schemas and table stats
 *
 * @module
 */

import type { ColumnDef, ColumnType, Expr, ShowStatement, Value } from "../sql/mod.ts";
import {
  compareOrderKeys,
  compileExpr,
  Decimal,
  informationSchema,
  isTruthy,
  Member,
  outputValue,
  splitTableRef,
  Temporal,
} from "../sql/mod.ts";
import type { CompileScope, RowAccessor, StaticKind } from "../sql/mod.ts";
import { defined, QueueError } from "../errors.ts";
import { containsQueueCall, limitValue, notSupportedNested } from "./plan_support.ts";
import type { QueueStats } from "./queue_functions.ts";
import type { Result, Row, StatementOf } from "./result.ts";
import type { EngineTable } from "./table.ts";

/** What the inspection statements read from the engine. */
export interface InspectHost {
  /** Every table's key (src/sql/names.ts). */
  tableNames(): string[];
  /** Every database's name, sorted. */
  databases(): string[];
  /** The table (`t` in database `current`, `db.t`, or a key); ER_NO_SUCH_TABLE when missing. */
  requireTable(ref: string, current?: string): EngineTable;
  /** `name` when it is a database; else ER_BAD_DB_ERROR. */
  requireDatabase(name: string): string;
  /** A table's counters and its live row count. */
  tableStatus(table: EngineTable): QueueStats;
}

const collation = "utf8mb4_general_ci";

/** A back-quoted identifier (back-quotes doubled), as SHOW CREATE TABLE writes names. */
export function quoteIdentifier(name: string): string {
  return "`" + name.replaceAll("`", "``") + "`";
}

/** A SQL string literal that the q4d lexer reads back as `text`. */
function quoteString(text: string): string {
  let out = "'";
  for (const char of text) {
    switch (char) {
      case "'":
        out += "''";
        break;
      case "\\":
        out += "\\\\";
        break;
      case "\0":
        out += "\\0";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\x1a":
        out += "\\Z";
        break;
      default:
        out += char;
    }
  }
  return out + "'";
}

const intNames: Record<number, string> = {
  8: "tinyint",
  16: "smallint",
  24: "mediumint",
  32: "int",
  64: "bigint",
};
/** MariaDB's display widths: signed, unsigned. */
const intWidths: Record<number, [number, number]> = {
  8: [4, 3],
  16: [6, 5],
  24: [9, 8],
  32: [11, 10],
  64: [20, 20],
};

function sizedName(bytesMax: number, base: string): string {
  if (bytesMax <= 255) return "tiny" + base;
  if (bytesMax <= 65535) return base;
  if (bytesMax <= 16777215) return "medium" + base;
  return "long" + base;
}

/** The column type as SHOW CREATE TABLE and DESCRIBE write it (MariaDB's spelling). */
export function columnTypeText(def: ColumnDef): string {
  const type = def.type;
  switch (type.kind) {
    case "int": {
      if (/^BOOL/.test(def.typeText)) return "tinyint(1)";
      const written = /\((\d+)\)/.exec(def.typeText)?.[1];
      const width = written ??
        defined(intWidths[type.bits], "a width per integer size")[type.unsigned ? 1 : 0];
      return `${intNames[type.bits]}(${width})${type.unsigned ? " unsigned" : ""}`;
    }
    case "float":
      return type.double ? "double" : "float";
    case "char":
      return `${type.variable ? "varchar" : "char"}(${type.length})`;
    case "text":
      return sizedName(type.bytesMax, "text");
    case "binary":
      return `${type.variable ? "varbinary" : "binary"}(${type.length})`;
    case "blob":
      return sizedName(type.bytesMax, "blob");
    case "json":
      return "json";
    case "decimal":
      return `decimal(${type.precision},${type.scale})${type.unsigned ? " unsigned" : ""}`;
    case "date":
      return "date";
    case "datetime": {
      const name = type.timestamp ? "timestamp" : "datetime";
      return type.fsp === 0 ? name : `${name}(${type.fsp})`;
    }
    case "time":
      return type.fsp === 0 ? "time" : `time(${type.fsp})`;
    case "year":
      return "year(4)";
    case "enum":
    case "set":
      return `${type.kind}(${type.members.map(quoteString).join(",")})`;
    case "bit":
      return `bit(${type.bits})`;
  }
}

function hasCharset(type: ColumnType): boolean {
  return ["char", "text", "enum", "set"].includes(type.kind);
}

function nowText(def: ColumnDef): string {
  const fsp = def.type.kind === "datetime" ? def.type.fsp : 0;
  return `current_timestamp(${fsp === 0 ? "" : fsp})`;
}

function bytesText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** A DEFAULT value as SQL text that parses back to the same value. */
function defaultLiteral(value: Value): string {
  if (value === null) return "NULL";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  if (value instanceof Decimal) return value.toString();
  if (value instanceof Uint8Array) {
    if (value.length === 0) return "''";
    return "0x" + Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return quoteString(String(outputValue(value)));
}

/** The DEFAULT clause of SHOW CREATE TABLE (empty for a NOT NULL column without one). */
function defaultClause(def: ColumnDef): string {
  if (def.defaultNow === true) return ` DEFAULT ${nowText(def)}`;
  if (def.defaultValue !== undefined) return ` DEFAULT ${defaultLiteral(def.defaultValue)}`;
  return def.notNull ? "" : " DEFAULT NULL";
}

/** The Default column of DESCRIBE: the value as text, unquoted, or null. */
function defaultShown(def: ColumnDef): Value {
  if (def.defaultNow === true) return nowText(def);
  const value = def.defaultValue;
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return bytesText(value);
  if (value instanceof Decimal || value instanceof Temporal || value instanceof Member) {
    return value.toString();
  }
  return String(value);
}

function extraShown(def: ColumnDef): string {
  return def.onUpdateNow === true ? `on update ${nowText(def)}` : "";
}

/** NOT NULL; or NULL for a nullable TIMESTAMP (MySQL writes it, TIMESTAMP was once NOT NULL). */
function nullClause(def: ColumnDef): string {
  if (def.notNull) return " NOT NULL";
  return def.type.kind === "datetime" && def.type.timestamp ? " NULL" : "";
}

/** SHOW CREATE TABLE's text for a table. */
export function createTableText(table: EngineTable): string {
  const lines = table.schema.columns.map(({ def }) =>
    `  ${quoteIdentifier(def.name)} ${columnTypeText(def)}${nullClause(def)}` +
    defaultClause(def) + (def.onUpdateNow === true ? ` ON UPDATE ${nowText(def)}` : "")
  );
  const routing = table.schema.routingPositions.map((p) =>
    quoteIdentifier(defined(table.schema.columns[p], "a routing column").def.name)
  );
  // Routing columns as MySQL writes KEY partitioning (mysqldump keeps it).
  const partition = routing.length === 0
    ? ""
    : `\n/*!50100 PARTITION BY KEY (${routing.join(",")}) */`;
  return `CREATE TABLE ${quoteIdentifier(table.name)} (\n${lines.join(",\n")}\n)` +
    " ENGINE=QUEUE DEFAULT CHARSET=utf8mb4" + partition;
}

/** Rows in memory with named columns: a SHOW result or an information_schema view. */
interface View {
  name: string;
  columns: readonly string[];
  /** What each column holds, for IF/COALESCE typing. */
  kinds: readonly StaticKind[];
  rows: Value[][];
}

function viewScope(view: View): CompileScope {
  return {
    columnIndex(name: string, _quoted: boolean, qualifier?: string): number {
      if (qualifier !== undefined && qualifier.toLowerCase() !== view.name.toLowerCase()) {
        return -1;
      }
      // Column names match case-insensitively, back-quoted or not (MySQL's rule for columns).
      return view.columns.findIndex((column) => column.toLowerCase() === name.toLowerCase());
    },
    columnKind(index: number): StaticKind {
      return defined(view.kinds[index], "a kind per column of the view");
    },
  };
}

/** The rows of `view` that pass `where`. */
function filterView(view: View, where: Expr | null, params: readonly Value[]): Value[][] {
  if (where === null) return view.rows;
  if (containsQueueCall(where)) throw notSupportedNested();
  const test = compileExpr(where, viewScope(view));
  return view.rows.filter((row) => isTruthy(test(row, params)));
}

/** `LIKE pattern` on the view's first column, as a WHERE expression. */
function likeFirstColumn(view: View, like: Expr): Expr {
  const at = { start: like.start, end: like.end };
  return {
    kind: "like",
    operand: {
      kind: "column",
      name: defined(view.columns[0], "a view has columns"),
      quoted: true,
      ...at,
    },
    pattern: like,
    escape: null,
    negated: false,
    ...at,
  };
}

function viewRows(view: View, rows: readonly Value[][]): Result {
  return rows.map((values) => {
    const row: Row = {};
    view.columns.forEach((column, i) =>
      row[column] = outputValue(defined(values[i], "a value per column"))
    );
    return row;
  });
}

/** A SHOW statement's rows filtered by its LIKE (first column) or WHERE. */
function showRows(
  view: View,
  filter: { like: Expr | null; where: Expr | null },
  params: readonly Value[],
): Result {
  const where = filter.like !== null ? likeFirstColumn(view, filter.like) : filter.where;
  return viewRows(view, filterView(view, where, params));
}

function columnsView(table: EngineTable, full: boolean): View {
  const columns = full
    ? ["Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment"]
    : ["Field", "Type", "Null", "Key", "Default", "Extra"];
  const rows = table.schema.columns.map(({ def }): Value[] => {
    const nullable = def.notNull ? "NO" : "YES";
    const type = columnTypeText(def);
    return full
      ? [
        def.name,
        type,
        hasCharset(def.type) ? collation : null,
        nullable,
        "",
        defaultShown(def),
        extraShown(def),
        "select,insert,delete",
        "",
      ]
      : [def.name, type, nullable, "", defaultShown(def), extraShown(def)];
  });
  return { name: table.name, columns, kinds: columns.map(() => "string"), rows };
}

const tableStatusColumns = [
  "Name",
  "Engine",
  "Version",
  "Row_format",
  "Rows",
  "Avg_row_length",
  "Data_length",
  "Max_data_length",
  "Index_length",
  "Data_free",
  "Auto_increment",
  "Create_time",
  "Update_time",
  "Check_time",
  "Collation",
  "Checksum",
  "Create_options",
  "Comment",
];
const tableStatusKinds: StaticKind[] = tableStatusColumns.map((_, i) =>
  i === 0 || i === 1 || i === 3 || i >= 14 ? "string" : "number"
);

/** The SHOW TABLE STATUS values of a table, in tableStatusColumns order. */
function tableStatusValues(host: InspectHost, table: EngineTable): Value[] {
  const stats = host.tableStatus(table);
  const rows = stats.rowsLive;
  const dataLength = stats.bytesTotal - stats.bytesRemoved;
  return [
    table.name,
    "QUEUE",
    10,
    "Dynamic",
    rows,
    rows === 0 ? 0 : Math.floor(dataLength / rows),
    dataLength,
    0,
    0,
    stats.bytesRemoved,
    null,
    null,
    null,
    null,
    collation,
    null,
    "",
    "",
  ];
}

/** The keys of the tables of `database` (every database when undefined), sorted by database and name. */
function tableKeys(host: InspectHost, database?: string): string[] {
  return host.tableNames()
    .map((key) => ({ key, ...splitTableRef(key) }))
    .filter((t) => database === undefined || t.database === database)
    .sort((a, b) =>
      a.database < b.database
        ? -1
        : a.database > b.database
        ? 1
        : a.table < b.table
        ? -1
        : a.table > b.table
        ? 1
        : 0
    )
    .map((t) => t.key);
}

function tableStatusView(host: InspectHost, database: string): View {
  return {
    name: "TABLES",
    columns: tableStatusColumns,
    kinds: tableStatusKinds,
    rows: tableKeys(host, database).map((key) => tableStatusValues(host, host.requireTable(key))),
  };
}

/** Counter lines of SHOW ENGINE QUEUE STATUS: a heading, 36 dashes, `name value` lines. */
function statusSection(heading: string, counters: [string, number][]): string {
  let text = `${heading}\n${"-".repeat(36)}\n`;
  for (const [name, value] of counters) {
    text += `${name.padEnd(16)} ${String(value).padStart(20)}\n`;
  }
  return text;
}

/**
 * SHOW ENGINE QUEUE STATUS in Q4M's layout. q4d counts only what it keeps:
 * rows written and removed (summed over the tables open now) and the
 * queue_wait calls served or timed out; the other counters read 0.
 */
function engineStatus(host: InspectHost): Result {
  let rowsWritten = 0;
  let rowsRemoved = 0;
  let waits = 0;
  for (const name of host.tableNames()) {
    const stats = host.tableStatus(host.requireTable(name));
    rowsWritten += stats.rowsWritten;
    rowsRemoved += stats.rowsRemoved;
    waits += stats.waitImmediate + stats.waitDelayed;
  }
  const status = statusSection("I/O calls", [
    ["sys_read", 0],
    ["sys_write", 0],
    ["sys_sync", 0],
    ["read_cachehit", 0],
  ]) +
    statusSection("Writer thread", [["append", 0], ["remove", 0]]) +
    statusSection("Conditional subscription", [
      ["evaluation", 0],
      ["compile", 0],
      ["compile_cachehit", 0],
    ]) +
    statusSection("High-level stats", [
      ["rows_written", rowsWritten],
      ["rows_removed", rowsRemoved],
      ["queue_wait", waits],
      ["queue_end", 0],
      ["queue_abort", 0],
      ["queue_rowid", 0],
      ["queue_set_srcid", 0],
    ]);
  return [{ Type: "QUEUE", Name: "", Status: status }];
}

/** Runs SHOW CREATE TABLE / COLUMNS / TABLE STATUS / ENGINE / DATABASES. */
export function executeShow(
  host: InspectHost,
  statement: StatementOf<"show">,
  params: readonly Value[],
  current: string,
): Result {
  const show: ShowStatement = statement.show;
  switch (show.what) {
    case "create_table": {
      const table = host.requireTable(show.table, current);
      return [{ Table: table.name, "Create Table": createTableText(table) }];
    }
    case "columns":
      return showRows(columnsView(host.requireTable(show.table, current), show.full), show, params);
    case "table_status":
      return showRows(
        tableStatusView(host, host.requireDatabase(show.database ?? current)),
        show,
        params,
      );
    case "engine_status":
      return engineStatus(host);
    case "full_tables": {
      const database = host.requireDatabase(show.database ?? current);
      return showRows(
        {
          name: "TABLES",
          columns: [`Tables_in_${database}`, "Table_type"],
          kinds: ["string", "string"],
          rows: tableKeys(host, database).map((key) => [splitTableRef(key).table, "BASE TABLE"]),
        },
        show,
        params,
      );
    }
    case "create_database":
      host.requireDatabase(show.database);
      return [{
        Database: show.database,
        // MySQL's form; mysqldump --databases copies it into the dump.
        "Create Database": `CREATE DATABASE ${show.ifNotExists ? "/*!32312 IF NOT EXISTS*/ " : ""}${
          quoteIdentifier(show.database)
        } /*!40100 DEFAULT CHARACTER SET utf8mb4 */`,
      }];
    case "databases":
      return showRows(
        {
          name: "SCHEMATA",
          columns: ["Database"],
          kinds: ["string"],
          rows: [[informationSchema], ...host.databases().map((name) => [name])],
        },
        show,
        params,
      );
  }
}

function schemataView(host: InspectHost): View {
  const columns = [
    "CATALOG_NAME",
    "SCHEMA_NAME",
    "DEFAULT_CHARACTER_SET_NAME",
    "DEFAULT_COLLATION_NAME",
    "SQL_PATH",
  ];
  return {
    name: "SCHEMATA",
    columns,
    kinds: columns.map(() => "string"),
    rows: [informationSchema, ...host.databases()].map((name) => [
      "def",
      name,
      "utf8mb4",
      collation,
      null,
    ]),
  };
}

function tablesView(host: InspectHost): View {
  const columns = [
    "TABLE_CATALOG",
    "TABLE_SCHEMA",
    "TABLE_NAME",
    "TABLE_TYPE",
    ...tableStatusColumns.slice(1).map((column) =>
      column === "Rows"
        ? "TABLE_ROWS"
        : column === "Collation"
        ? "TABLE_COLLATION"
        : column === "Comment"
        ? "TABLE_COMMENT"
        : column.toUpperCase()
    ),
  ];
  const kinds: StaticKind[] = [
    "string",
    "string",
    "string",
    "string",
    ...tableStatusKinds.slice(1),
  ];
  const rows = tableKeys(host).map((key) => {
    const [tableName, ...rest] = tableStatusValues(host, host.requireTable(key));
    return [
      "def",
      splitTableRef(key).database,
      defined(tableName, "a status row starts with the name"),
      "BASE TABLE",
      ...rest,
    ];
  });
  return { name: "TABLES", columns, kinds, rows };
}

/** information_schema.COLUMNS' length, precision and character set facts of a type. */
function typeFacts(def: ColumnDef): {
  dataType: string;
  charLength: number | null;
  octetLength: number | null;
  precision: number | null;
  scale: number | null;
  datetimePrecision: number | null;
} {
  const type = def.type;
  const facts = {
    dataType: columnTypeText(def).replace(/[( ].*$/, ""),
    charLength: null as number | null,
    octetLength: null as number | null,
    precision: null as number | null,
    scale: null as number | null,
    datetimePrecision: null as number | null,
  };
  switch (type.kind) {
    case "int": {
      const digits: Record<number, number> = { 8: 3, 16: 5, 24: 7, 32: 10, 64: 19 };
      facts.precision = type.bits === 64 && type.unsigned ? 20 : digits[type.bits] ?? null;
      facts.scale = 0;
      break;
    }
    case "float":
      facts.precision = type.double ? 22 : 12;
      break;
    case "decimal":
      facts.precision = type.precision;
      facts.scale = type.scale;
      break;
    case "char":
      facts.charLength = type.length;
      facts.octetLength = type.length * 4;
      break;
    case "binary":
      facts.charLength = facts.octetLength = type.length;
      break;
    case "text":
      facts.charLength = facts.octetLength = type.bytesMax;
      break;
    case "blob":
      facts.charLength = facts.octetLength = type.bytesMax;
      break;
    case "enum":
    case "set": {
      const length = type.kind === "enum"
        ? Math.max(0, ...type.members.map((m) => m.length))
        : type.members.reduce((sum, m) => sum + m.length, 0) + type.members.length - 1;
      facts.charLength = length;
      facts.octetLength = length * 4;
      break;
    }
    case "bit":
      facts.precision = type.bits;
      break;
    case "datetime":
    case "time":
      facts.datetimePrecision = type.fsp;
      break;
  }
  return facts;
}

function columnsOfTablesView(host: InspectHost): View {
  const columns = [
    "TABLE_CATALOG",
    "TABLE_SCHEMA",
    "TABLE_NAME",
    "COLUMN_NAME",
    "ORDINAL_POSITION",
    "COLUMN_DEFAULT",
    "IS_NULLABLE",
    "DATA_TYPE",
    "CHARACTER_MAXIMUM_LENGTH",
    "CHARACTER_OCTET_LENGTH",
    "NUMERIC_PRECISION",
    "NUMERIC_SCALE",
    "DATETIME_PRECISION",
    "CHARACTER_SET_NAME",
    "COLLATION_NAME",
    "COLUMN_TYPE",
    "COLUMN_KEY",
    "EXTRA",
    "PRIVILEGES",
    "COLUMN_COMMENT",
    "GENERATION_EXPRESSION", // mysqldump reads it; q4d has no generated columns
  ];
  const numeric = new Set([4, 8, 9, 10, 11, 12]);
  const kinds: StaticKind[] = columns.map((_, i) => numeric.has(i) ? "number" : "string");
  const rows: Value[][] = [];
  for (const key of tableKeys(host)) {
    const { database, table: name } = splitTableRef(key);
    host.requireTable(key).schema.columns.forEach(({ def }, i) => {
      const facts = typeFacts(def);
      const charset = hasCharset(def.type);
      rows.push([
        "def",
        database,
        name,
        def.name,
        i + 1,
        defaultShown(def),
        def.notNull ? "NO" : "YES",
        facts.dataType,
        facts.charLength,
        facts.octetLength,
        facts.precision,
        facts.scale,
        facts.datetimePrecision,
        charset ? "utf8mb4" : null,
        charset ? collation : null,
        columnTypeText(def),
        "",
        extraShown(def),
        "select,insert,delete",
        "",
        "",
      ]);
    });
  }
  return { name: "COLUMNS", columns, kinds, rows };
}

/** Runs SELECT … FROM information_schema.SCHEMATA / TABLES / COLUMNS. */
export function selectView(
  host: InspectHost,
  statement: StatementOf<"select">,
  params: readonly Value[],
): Result {
  let view: View;
  switch (statement.view) {
    case "SCHEMATA":
      view = schemataView(host);
      break;
    case "TABLES":
      view = tablesView(host);
      break;
    case "COLUMNS":
      view = columnsOfTablesView(host);
      break;
    default:
      throw new QueueError(
        "ER_NO_SUCH_TABLE",
        `Table '${informationSchema}.${statement.from}' doesn't exist`,
      );
  }
  const offset = limitValue(statement.offset, params, "OFFSET");
  const limit = limitValue(statement.limit, params, "LIMIT");
  let rows = filterView(view, statement.where, params);
  const fieldScope = viewScope(view);
  if (statement.items.some((item) => item.kind === "expr" && item.expr.kind === "count_star")) {
    const row: Row = {};
    for (const item of statement.items) {
      if (item.kind === "star") {
        throw new QueueError(
          "ER_NOT_SUPPORTED_YET",
          "COUNT(*) cannot be mixed with * (no GROUP BY)",
        );
      }
      row[item.name] = item.expr.kind === "count_star" ? rows.length : outputValue(
        compileExpr(item.expr, fieldScope)(rows[0] ?? view.columns.map(() => null), params),
      );
    }
    return offset === 0 && limit > 0 ? [row] : [];
  }
  const order = statement.orderBy.map((term) => {
    if (containsQueueCall(term.expr)) throw notSupportedNested();
    return {
      accessor: compileExpr(term.expr, viewScope(view)),
      descending: term.descending,
    };
  });
  const outputs: { name: string; accessor: RowAccessor }[] = [];
  for (const item of statement.items) {
    if (item.kind === "star") {
      if (item.table !== undefined && item.table.toLowerCase() !== view.name.toLowerCase()) {
        throw new QueueError("ER_NO_SUCH_TABLE", `Unknown table '${item.table}'`);
      }
      view.columns.forEach((name, i) =>
        outputs.push({ name, accessor: (row) => defined(row[i], "a value per column") })
      );
      continue;
    }
    if (containsQueueCall(item.expr)) throw notSupportedNested();
    outputs.push({ name: item.name, accessor: compileExpr(item.expr, fieldScope) });
  }
  if (order.length > 0) {
    const keyed = rows.map((row) => ({ row, keys: order.map((o) => o.accessor(row, params)) }));
    keyed.sort((a, b) => compareOrderKeys(order, a.keys, b.keys));
    rows = keyed.map((k) => k.row);
  }
  return rows.slice(offset, offset + limit).map((values) => {
    const row: Row = {};
    for (const output of outputs) row[output.name] = outputValue(output.accessor(values, params));
    return row;
  });
}
