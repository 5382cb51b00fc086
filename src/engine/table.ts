/**
 * A table as the engine knows it: the backend's stable id, the name, and
 * the schema (the engine's reading of the table's opaque catalog `meta`).
 * Rows, ownership and waiting are the backend's; statements refer to the
 * table by its id there.
 *
 * State owned here: the table's current schema. Plan caches compare this
 * object and the schema version.
 *
 * Engine → EngineTable → Backend (by tableId)
 *
 * @module
 */

import type { Value } from "../sql/mod.ts";
import {
  compileExpr,
  displayTable,
  exprReadsClock,
  isTruthy,
  parseExpression,
  splitTableRef,
} from "../sql/mod.ts";
import { QueueError } from "../errors.ts";
import type { CompiledCondition, TableInfo } from "../backend/mod.ts";
import { tableScope } from "./plan_support.ts";
import { decodeRow } from "./row_codec.ts";
import { schemaFromJson, type TableSchema } from "./schema.ts";

/** The engine's view of one table. */
export class EngineTable {
  /** The backend's id for the table (never reused; kept across ALTER TABLE). */
  readonly tableId: number;
  /** The table's key in the catalog (src/sql/names.ts: `t`, or `db` NUL `t`). */
  readonly key: string;
  /** The table's bare name (without its database). */
  readonly name: string;
  /** The current schema; replaced by ALTER TABLE. */
  schema: TableSchema;

  constructor(tableId: number, key: string, schema: TableSchema) {
    this.tableId = tableId;
    this.key = key;
    this.name = splitTableRef(key).table;
    this.schema = schema;
  }

  /** The values of a row's payload under the current schema. */
  decode(payload: Uint8Array): Value[] {
    return decodeRow(this.schema, payload);
  }
}

/**
 * Schemas already read from catalog metas, by meta object: the engine's own
 * metas (stored at CREATE / ALTER) and those a backend hands back. Weak, so
 * it holds no schema longer than its meta lives; bounded by the tables open.
 */
const schemasByMeta: WeakMap<object, TableSchema> = new WeakMap();

/** The schema a catalog meta describes (cached per meta object). */
export function schemaOfMeta(meta: unknown): TableSchema {
  if (typeof meta !== "object" || meta === null) return schemaFromJson(meta);
  let schema = schemasByMeta.get(meta);
  if (schema === undefined) {
    schema = schemaFromJson(meta);
    schemasByMeta.set(meta, schema);
  }
  return schema;
}

/** Records that `meta` is `schema`'s JSON (so a backend's recompile finds it without parsing). */
export function rememberSchema(meta: unknown, schema: TableSchema): void {
  if (typeof meta === "object" && meta !== null) schemasByMeta.set(meta, schema);
}

const noParams: readonly Value[] = [];

/**
 * Compiles a queue_wait condition for a backend (the engine's
 * `ConditionCompiler`): `text` is what follows the ':' ("" for the plain
 * table). ER_PARSE_ERROR / ER_BAD_FIELD_ERROR when it does not compile.
 */
export function compileCondition(info: TableInfo, text: string): CompiledCondition {
  if (text === "") return { text, expression: null, matches: null, readsClock: false };
  if (text.trim() === "") {
    throw new QueueError(
      "ER_PARSE_ERROR",
      `Empty condition for table '${displayTable(info.name)}'`,
    );
  }
  const schema = schemaOfMeta(info.meta);
  const expression = parseExpression(text);
  const scope = tableScope(splitTableRef(info.name).table, schema, "queue_wait condition");
  const read = new Set<number>();
  const accessor = compileExpr(expression, {
    ...scope,
    columnIndex(name, quoted, qualifier) {
      const position = scope.columnIndex(name, quoted, qualifier);
      read.add(position);
      return position;
    },
  });
  const readsClock = exprReadsClock(expression);
  const routing = schema.routingPositions;
  const routed = routing.length > 0 && !readsClock && [...read].every((p) => routing.includes(p));
  return {
    text,
    expression,
    matches: (payload) => isTruthy(accessor(decodeRow(schema, payload), noParams)),
    readsClock,
    // Over a row holding only the routing columns: the others are not read.
    routing: routed
      ? (tuple) => {
        const row: Value[] = new Array(schema.columns.length).fill(null);
        routing.forEach((position, i) => row[position] = tuple[i] ?? null);
        return isTruthy(accessor(row, noParams));
      }
      : null,
  };
}

/** The positions of a table's routing columns (the engine's `routingColumns` for a backend). */
export function routingColumns(info: TableInfo): readonly number[] {
  return schemaOfMeta(info.meta).routingPositions;
}
