/**
 * A table's schema as the engine keeps it in the catalog: its columns with
 * stable column ids, and every earlier shape (version) a stored row may have
 * been written under, so ALTER TABLE never rewrites the log.
 *
 * statement (CREATE/ALTER) → TableSchema → catalog meta (JSON)
 *
 * @module
 */

import type { ColumnDef, Value } from "../sql/mod.ts";
import { checkValue, Decimal, Member, now, Temporal } from "../sql/mod.ts";
import { assert, defined, QueueError } from "../errors.ts";
import { columnCountMax } from "../limits.ts";

/** A column with the id that rows are encoded under; ids are never reused in a table. */
export interface SchemaColumn {
  readonly columnId: number;
  readonly def: ColumnDef;
  /**
   * What rows stored before the column was added read, when that is not
   * its DEFAULT: for DEFAULT CURRENT_TIMESTAMP, the time of the ALTER
   * TABLE that added it (MySQL fills existing rows so).
   */
  readonly fill?: Value;
}

/** One shape rows were written in: the column ids in order. */
export interface SchemaVersion {
  readonly version: number;
  readonly columnIds: readonly number[];
}

/** The JSON form stored as the catalog's `meta` for a table. */
export interface SchemaMeta {
  /** Current columns, in table order. */
  columns: SchemaColumn[];
  /** Every version rows may be stored under; the last is current. */
  versions: SchemaVersion[];
  /** Next column id to hand out. */
  columnIdNext: number;
  /**
   * The routing columns' ids, in declaration order (`PARTITION BY KEY (…)`;
   * subject tokens on the NATS backend). Absent: none.
   */
  routing?: number[];
}

/** The ER_CORRUPT errors of rows written under a schema version the table's schema lacks. */
const unknownVersionErrors = new WeakSet<QueueError>();

/**
 * Whether `error` is a row's unknown schema version: corrupt on a local
 * database, but on a shared backend possibly another client's ALTER TABLE
 * whose catalog has not reached this process yet (the SELECT path reads
 * the catalog again then).
 */
export function isUnknownSchemaVersion(error: unknown): boolean {
  return error instanceof QueueError && unknownVersionErrors.has(error);
}

/**
 * The schema of a table, with name lookup and the layouts of old versions.
 * Immutable: ALTER TABLE makes a new one.
 */
export class TableSchema {
  readonly meta: SchemaMeta;
  readonly columns: readonly SchemaColumn[];
  readonly version: number;
  /** Lower-cased column name → position in `columns`. */
  readonly #positionByName: Map<string, number>;
  /** Version → column ids of that version. */
  readonly #versions: Map<number, readonly number[]>;
  /** Column id → position in current `columns`. */
  readonly #positionById: Map<number, number>;
  /** Positions of ENUM and SET columns (their stored text decodes to a Member). */
  readonly memberPositions: readonly number[];
  /** Positions of the routing columns in `columns`, in declaration order ([] for none). */
  readonly routingPositions: readonly number[];

  constructor(meta: SchemaMeta) {
    const newest = meta.versions[meta.versions.length - 1];
    assert(newest !== undefined, "a schema has at least one version");
    this.meta = meta;
    this.columns = meta.columns;
    this.version = newest.version;
    this.#positionByName = new Map(meta.columns.map((c, i) => [c.def.name.toLowerCase(), i]));
    this.#positionById = new Map(meta.columns.map((c, i) => [c.columnId, i]));
    this.#versions = new Map(meta.versions.map((v) => [v.version, v.columnIds]));
    this.memberPositions = meta.columns.flatMap((c, i) =>
      c.def.type.kind === "enum" || c.def.type.kind === "set" ? [i] : []
    );
    this.routingPositions = (meta.routing ?? []).map((id) => this.#positionById.get(id) ?? -1);
  }

  /**
   * A new table's schema from CREATE TABLE columns and routing column names
   * (`PARTITION BY KEY`); ER_BAD_FIELD_ERROR / ER_DUP_FIELDNAME on bad ones.
   */
  static create(columns: readonly ColumnDef[], routingNames: readonly string[] = []): TableSchema {
    checkColumns(columns);
    const schemaColumns = columns.map((def, i) => ({ columnId: i + 1, def }));
    const routing: number[] = [];
    for (const name of routingNames) {
      const index = columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
      if (index < 0) {
        throw new QueueError(
          "ER_BAD_FIELD_ERROR",
          `Unknown column '${name}' in 'partition function' (PARTITION BY KEY names routing columns)`,
        );
      }
      if (routing.includes(index + 1)) {
        throw new QueueError(
          "ER_DUP_FIELDNAME",
          `Duplicate column name '${name}' in PARTITION BY KEY`,
        );
      }
      routing.push(index + 1);
    }
    return new TableSchema({
      columns: schemaColumns,
      versions: [{ version: 1, columnIds: schemaColumns.map((c) => c.columnId) }],
      columnIdNext: columns.length + 1,
      ...(routing.length === 0 ? {} : { routing }),
    });
  }

  /** Position of a column by name (case-insensitive), or -1. */
  position(name: string): number {
    return this.#positionByName.get(name.toLowerCase()) ?? -1;
  }

  /** Position in the current columns of a column id, or -1 when it was dropped. */
  positionOfId(columnId: number): number {
    return this.#positionById.get(columnId) ?? -1;
  }

  /** Column ids of a stored version; ER_CORRUPT when unknown (see {@linkcode isUnknownSchemaVersion}). */
  versionColumnIds(version: number): readonly number[] {
    const ids = this.#versions.get(version);
    if (ids === undefined) {
      const error = new QueueError(
        "ER_CORRUPT",
        `row written under unknown schema version ${version}`,
      );
      unknownVersionErrors.add(error);
      throw error;
    }
    return ids;
  }

  /** The schema after ALTER TABLE actions; ER_BAD_FIELD_ERROR / ER_DUP_FIELDNAME on bad names. */
  alter(
    actions: readonly ({ kind: "add"; column: ColumnDef } | { kind: "drop"; name: string })[],
  ): TableSchema {
    const columns = [...this.meta.columns];
    let columnIdNext = this.meta.columnIdNext;
    for (const action of actions) {
      if (action.kind === "add") {
        const def = action.column;
        checkAddable(def);
        const fill = def.defaultNow === true && def.type.kind === "datetime"
          ? checkValue(def, now(def.type.fsp))
          : undefined;
        columns.push(
          fill === undefined
            ? { columnId: columnIdNext++, def }
            : { columnId: columnIdNext++, def, fill },
        );
      } else {
        const index = columns.findIndex((c) =>
          c.def.name.toLowerCase() === action.name.toLowerCase()
        );
        if (index < 0) {
          throw new QueueError("ER_BAD_FIELD_ERROR", `Unknown column '${action.name}' in 'table'`);
        }
        if (this.meta.routing?.includes(columns[index]!.columnId)) {
          throw new QueueError(
            "ER_NOT_SUPPORTED_YET",
            `Cannot drop column '${action.name}': it is a routing column (PARTITION BY KEY); ` +
              "create a new table to change routing",
          );
        }
        columns.splice(index, 1);
      }
    }
    if (columns.length === 0) {
      throw new QueueError(
        "ER_WRONG_ARGUMENTS",
        "You can't delete all columns with ALTER TABLE; use DROP TABLE instead",
      );
    }
    checkColumns(columns.map((c) => c.def));
    const version = this.version + 1;
    return new TableSchema({
      columns,
      versions: [...this.meta.versions, { version, columnIds: columns.map((c) => c.columnId) }],
      columnIdNext,
      ...(this.meta.routing === undefined ? {} : { routing: this.meta.routing }),
    });
  }

  /**
   * The value a row stored before this column was added reads as: its
   * DEFAULT; else NULL, or for a NOT NULL column the type's implicit default
   * (0, '' or empty bytes), as MySQL fills existing rows on ALTER TABLE ADD.
   */
  missingValue(position: number): Value {
    const column = defined(this.columns[position], "a column position of this schema");
    if (column.fill !== undefined) return column.fill;
    const def = column.def;
    if (def.defaultValue !== undefined) return def.defaultValue;
    if (!def.notNull) return null;
    switch (def.type.kind) {
      case "int":
      case "float":
        return 0;
      case "binary":
      case "blob":
        return new Uint8Array(
          def.type.kind === "binary" && !def.type.variable ? def.type.length : 0,
        );
      case "json":
        return "null";
      case "decimal":
        return new Decimal(0n, def.type.scale);
      case "year":
      case "bit":
        return 0;
      case "time":
        return new Temporal("time", 0, 0, def.type.fsp);
      case "enum":
        return new Member(defined(def.type.members[0], "an ENUM has members"), 1);
      case "set":
        return new Member("", 0);
      case "date":
      case "datetime":
        // Refused by checkAddable: MySQL would fill '0000-00-00', which q4d does not hold.
        throw new Error("unreachable: a NOT NULL date column added without DEFAULT");
      default:
        return "";
    }
  }
}

/**
 * ALTER TABLE ADD of a NOT NULL DATE/DATETIME/TIMESTAMP column needs a
 * DEFAULT (a literal, or CURRENT_TIMESTAMP: existing rows then read the
 * time of the ALTER): MySQL's other fill value, '0000-00-00', is not one
 * q4d holds.
 */
function checkAddable(column: ColumnDef): void {
  const kind = column.type.kind;
  if (
    (kind === "date" || kind === "datetime") && column.notNull &&
    column.defaultValue === undefined && column.defaultNow !== true
  ) {
    throw new QueueError(
      "ER_INVALID_DEFAULT",
      `Invalid default value for '${column.name}' (a NOT NULL date column added to a table needs a DEFAULT literal)`,
    );
  }
}

function checkColumns(columns: readonly ColumnDef[]): void {
  if (columns.length > columnCountMax) {
    throw new QueueError(
      "ER_NOT_SUPPORTED_YET",
      `Too many columns (${columns.length}; at most ${columnCountMax})`,
    );
  }
  const seen = new Set<string>();
  for (const column of columns) {
    const key = column.name.toLowerCase();
    if (seen.has(key)) {
      throw new QueueError("ER_DUP_FIELDNAME", `Duplicate column name '${column.name}'`);
    }
    seen.add(key);
  }
}

/** The JSON-safe form of a schema's meta for the catalog (bigint, bytes, decimals and dates tagged). */
export function schemaToJson(schema: TableSchema): unknown {
  return JSON.parse(JSON.stringify(schema.meta, (_key, value) => {
    if (typeof value === "bigint") return { $bigint: value.toString() };
    if (value instanceof Decimal) return { $decimal: [value.unscaled.toString(), value.scale] };
    if (value instanceof Member) return { $member: [value.text, String(value.number)] };
    if (value instanceof Temporal) {
      return { $temporal: [value.kind, value.seconds, value.micros, value.fsp] };
    }
    if (value instanceof Uint8Array) return { $bytes: Array.from(value) };
    return value;
  }));
}

/** A schema from the catalog's JSON (the inverse of {@linkcode schemaToJson}). */
export function schemaFromJson(json: unknown): TableSchema {
  const meta = JSON.parse(JSON.stringify(json), (_key, value) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      if (typeof value.$bigint === "string") return BigInt(value.$bigint);
      if (Array.isArray(value.$bytes)) return new Uint8Array(value.$bytes);
      if (Array.isArray(value.$member)) {
        const number = BigInt(value.$member[1]);
        return new Member(
          value.$member[0],
          number <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(number) : number,
        );
      }
      if (Array.isArray(value.$decimal)) {
        return new Decimal(BigInt(value.$decimal[0]), value.$decimal[1]);
      }
      if (Array.isArray(value.$temporal)) {
        const [kind, seconds, micros, fsp] = value.$temporal;
        return new Temporal(kind, seconds, micros, fsp);
      }
    }
    return value;
  }) as SchemaMeta;
  if (!meta || !Array.isArray(meta.columns) || !Array.isArray(meta.versions)) {
    throw new QueueError("ER_CORRUPT", "catalog holds a table without a valid schema");
  }
  return new TableSchema(meta);
}
