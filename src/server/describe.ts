/**
 * DESCRIBE / SHOW COLUMNS and SHOW CREATE TABLE, which operators type in the
 * CLI, answered from a table's result columns (types and nullability).
 *
 * table's ResultColumn[] → rows of DESCRIBE / the CREATE TABLE text
 *
 * @module
 */

import type { ResultColumn } from "../engine/result.ts";
import type { ColumnType } from "../sql/ast.ts";

/** MySQL's spelling of a column type, as DESCRIBE shows it. */
export function typeText(type: ColumnType): string {
  switch (type.kind) {
    case "int": {
      const name = { 8: "tinyint", 16: "smallint", 24: "mediumint", 32: "int", 64: "bigint" }[
        type.bits
      ];
      return type.unsigned ? `${name} unsigned` : name;
    }
    case "float":
      return type.double ? "double" : "float";
    case "char":
      return `${type.variable ? "varchar" : "char"}(${type.length})`;
    case "text":
      return type.bytesMax <= 255
        ? "tinytext"
        : type.bytesMax <= 65535
        ? "text"
        : type.bytesMax <= 16777215
        ? "mediumtext"
        : "longtext";
    case "binary":
      return `${type.variable ? "varbinary" : "binary"}(${type.length})`;
    case "blob":
      return type.bytesMax <= 255
        ? "tinyblob"
        : type.bytesMax <= 65535
        ? "blob"
        : type.bytesMax <= 16777215
        ? "mediumblob"
        : "longblob";
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
      return `${type.kind}(${type.members.map((m) => `'${m.replaceAll("'", "''")}'`).join(",")})`;
    case "bit":
      return `bit(${type.bits})`;
  }
}

/** Rows of DESCRIBE t: Field, Type, Null, Key, Default, Extra. */
export function describeRows(columns: readonly ResultColumn[]): unknown[][] {
  return columns.map((column) => [
    column.name,
    column.type === undefined ? "" : typeText(column.type),
    column.notNull ? "NO" : "YES",
    "",
    null,
    "",
  ]);
}

/** The CREATE TABLE text of a table with `columns`. */
export function createTableText(table: string, columns: readonly ResultColumn[]): string {
  const quote = (name: string) => "`" + name.replaceAll("`", "``") + "`";
  const lines = columns.map((column) =>
    `  ${quote(column.name)} ${column.type === undefined ? "" : typeText(column.type)}${
      column.notNull ? " NOT NULL" : ""
    }`
  );
  return `CREATE TABLE ${quote(table)} (\n${lines.join(",\n")}\n) ENGINE=QUEUE`;
}

const tableName = "(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)";
const describeColumns = new RegExp(
  `^\\s*(?:DESCRIBE|DESC|EXPLAIN|SHOW\\s+(?:FULL\\s+)?(?:COLUMNS|FIELDS)\\s+(?:FROM|IN))\\s+${tableName}\\s*;?\\s*$`,
  "i",
);
const showCreate = new RegExp(`^\\s*SHOW\\s+CREATE\\s+TABLE\\s+${tableName}\\s*;?\\s*$`, "i");
/** Only statements starting with D, E or S (after blanks) can be one of these. */
const possibleHead = /^\s*[DESdes]/;

/** The table a DESCRIBE / SHOW COLUMNS / SHOW CREATE TABLE statement names, and which it is. */
export function describedTable(
  text: string,
): { table: string; kind: "columns" | "create" } | null {
  if (!possibleHead.test(text)) return null;
  const unquote = (raw: string) =>
    raw.startsWith("`") ? raw.slice(1, -1).replaceAll("``", "`") : raw;
  const columns = describeColumns.exec(text);
  if (columns !== null) return { table: unquote(columns[1]), kind: "columns" };
  const create = showCreate.exec(text);
  if (create !== null) return { table: unquote(create[1]), kind: "create" };
  return null;
}
