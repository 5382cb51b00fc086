/**
 * Result columns as MySQL describes them (type code, flags, charset, length)
 * and row values in the text and binary protocols.
 *
 * Result.columns (+ values) → WireColumn → ColumnDefinition41 / row packets
 *
 * @module
 */

import { defined } from "../errors.ts";
import type { ColumnType } from "../sql/mod.ts";
import type { Result, ResultColumn } from "../engine/mod.ts";
import { type PayloadReader, PayloadWriter } from "./packet.ts";

/** MySQL column type codes (enum_field_types). */
export const FieldType = {
  decimal: 0x00,
  tiny: 0x01,
  short: 0x02,
  long: 0x03,
  float: 0x04,
  double: 0x05,
  null: 0x06,
  timestamp: 0x07,
  longlong: 0x08,
  int24: 0x09,
  date: 0x0a,
  time: 0x0b,
  datetime: 0x0c,
  year: 0x0d,
  varchar: 0x0f,
  bit: 0x10,
  json: 0xf5,
  newdecimal: 0xf6,
  tinyBlob: 0xf9,
  mediumBlob: 0xfa,
  longBlob: 0xfb,
  blob: 0xfc,
  varString: 0xfd,
  string: 0xfe,
} as const;

/** Column definition flags. */
export const ColumnFlag = {
  notNull: 1,
  blob: 16,
  unsigned: 32,
  zerofill: 64,
  binary: 128,
  enum: 256,
  timestamp: 1024,
  set: 2048,
  num: 32768,
} as const;

/** utf8mb4_general_ci: text columns. */
export const charsetUtf8mb4 = 45;
/** binary: numbers, blobs, JSON. */
export const charsetBinary = 63;

/** A column as sent in a column definition packet. */
export interface WireColumn {
  name: string;
  table: string;
  type: number;
  flags: number;
  charset: number;
  length: number;
  decimals: number;
}

function fromDef(
  name: string,
  table: string,
  type: ColumnType,
  notNullColumn: boolean,
): WireColumn {
  const notNull = notNullColumn ? ColumnFlag.notNull : 0;
  const column = (
    code: number,
    flags: number,
    charset: number,
    length: number,
    decimals = 0,
  ): WireColumn => ({ name, table, type: code, flags: flags | notNull, charset, length, decimals });
  switch (type.kind) {
    case "int": {
      const code = {
        8: FieldType.tiny,
        16: FieldType.short,
        24: FieldType.int24,
        32: FieldType.long,
        64: FieldType.longlong,
      }[type.bits];
      const length = { 8: 4, 16: 6, 24: 9, 32: 11, 64: 20 }[type.bits];
      const flags = ColumnFlag.binary | ColumnFlag.num | (type.unsigned ? ColumnFlag.unsigned : 0);
      return column(
        code,
        flags,
        charsetBinary,
        type.unsigned && type.bits !== 64 ? length - 1 : length,
      );
    }
    case "float":
      return type.double
        ? column(FieldType.double, ColumnFlag.binary | ColumnFlag.num, charsetBinary, 22, 31)
        : column(FieldType.float, ColumnFlag.binary | ColumnFlag.num, charsetBinary, 12, 31);
    case "char":
      return column(
        type.variable ? FieldType.varString : FieldType.string,
        0,
        charsetUtf8mb4,
        type.length * 4,
      );
    case "text":
      return column(
        FieldType.blob,
        ColumnFlag.blob,
        charsetUtf8mb4,
        Math.min(type.bytesMax, 0xffffffff),
      );
    case "binary":
      return column(
        type.variable ? FieldType.varString : FieldType.string,
        ColumnFlag.binary,
        charsetBinary,
        type.length,
      );
    case "blob":
      return column(
        FieldType.blob,
        ColumnFlag.blob | ColumnFlag.binary,
        charsetBinary,
        Math.min(type.bytesMax, 0xffffffff),
      );
    case "json":
      return column(FieldType.json, ColumnFlag.blob | ColumnFlag.binary, charsetBinary, 0xffffffff);
    case "decimal": {
      // Digits, a point when there is a scale, and a sign unless UNSIGNED.
      const length = type.precision + (type.scale > 0 ? 1 : 0) + (type.unsigned ? 0 : 1);
      const flags = ColumnFlag.num | (type.unsigned ? ColumnFlag.unsigned : 0);
      return column(FieldType.newdecimal, flags, charsetBinary, length, type.scale);
    }
    case "date":
      return column(FieldType.date, ColumnFlag.binary, charsetBinary, 10);
    case "datetime": {
      const length = 19 + (type.fsp > 0 ? type.fsp + 1 : 0);
      return type.timestamp
        ? column(
          FieldType.timestamp,
          ColumnFlag.binary | ColumnFlag.timestamp,
          charsetBinary,
          length,
          type.fsp,
        )
        : column(FieldType.datetime, ColumnFlag.binary, charsetBinary, length, type.fsp);
    }
    case "time":
      return column(
        FieldType.time,
        ColumnFlag.binary,
        charsetBinary,
        10 + (type.fsp > 0 ? type.fsp + 1 : 0),
        type.fsp,
      );
    case "year":
      return column(
        FieldType.year,
        ColumnFlag.unsigned | ColumnFlag.zerofill | ColumnFlag.num,
        charsetBinary,
        4,
      );
    case "enum":
    case "set": {
      const members = type.members.map((member) => member.length);
      const longest = type.kind === "enum"
        ? Math.max(0, ...members)
        : members.reduce((sum, length) => sum + length, Math.max(0, members.length - 1));
      const flag = type.kind === "enum" ? ColumnFlag.enum : ColumnFlag.set;
      return column(FieldType.string, flag, charsetUtf8mb4, Math.max(1, longest) * 4);
    }
    case "bit":
      return column(FieldType.bit, ColumnFlag.unsigned, charsetBinary, type.bits);
  }
}

/** An expression's column, typed from the values it produced. */
function fromValues(name: string, values: readonly unknown[]): WireColumn {
  type Kind = "null" | "int" | "uint" | "double" | "string" | "bytes" | "json";
  let kind = "null" as Kind;
  let length = 0;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    let next: Kind;
    if (typeof value === "number") next = Number.isInteger(value) ? "int" : "double";
    else if (typeof value === "bigint") next = value > 0x7fffffffffffffffn ? "uint" : "int";
    else if (typeof value === "boolean") next = "int";
    else if (typeof value === "string") {
      next = "string";
      length = Math.max(length, value.length * 4);
    } else if (value instanceof Uint8Array) {
      next = "bytes";
      length = Math.max(length, value.length);
    } else next = "json";
    if (kind === "null" || kind === next) kind = next;
    else if ((kind === "int" || kind === "uint") && next === "double") kind = "double";
    else if (kind === "double" && (next === "int" || next === "uint")) kind = "double";
    else if (kind === "int" && next === "uint") kind = "uint";
    else if (kind === "uint" && next === "int") kind = "uint";
    else kind = "string";
  }
  const numeric = ColumnFlag.binary | ColumnFlag.num;
  const column = (type: number, flags: number, charset: number, length: number, decimals = 0) => ({
    name,
    table: "",
    type,
    flags,
    charset,
    length,
    decimals,
  });
  switch (kind) {
    case "null":
      return column(FieldType.null, ColumnFlag.binary, charsetBinary, 0);
    case "int":
      return column(FieldType.longlong, numeric, charsetBinary, 21);
    case "uint":
      return column(FieldType.longlong, numeric | ColumnFlag.unsigned, charsetBinary, 20);
    case "double":
      return column(FieldType.double, numeric, charsetBinary, 23, 31);
    case "string":
      return column(FieldType.varString, 0, charsetUtf8mb4, Math.max(length, 1));
    case "bytes":
      return column(
        FieldType.blob,
        ColumnFlag.blob | ColumnFlag.binary,
        charsetBinary,
        Math.max(length, 1),
      );
    case "json":
      return column(FieldType.json, ColumnFlag.blob | ColumnFlag.binary, charsetBinary, 0xffffffff);
  }
}

/**
 * Wire columns of described column lists whose every column has its
 * declared type (so the rows do not change them): weak on the list, which
 * the statement's plan owns, so bounded by the plans alive. Callers do not
 * modify what `describeResult` returns.
 */
const describedCache = new WeakMap<readonly ResultColumn[], WireColumn[]>();

/** The wire columns of a result: from its `columns` when present, else from its rows' keys. */
export function describeResult(result: Result): WireColumn[] {
  const described = result.columns;
  if (described !== undefined) {
    const cached = describedCache.get(described);
    if (cached !== undefined) return cached;
    if (described.every((column) => column.type !== undefined)) {
      const wire = describe(result);
      describedCache.set(described, wire);
      for (const column of wire) definitionByColumn.set(column, null);
      return wire;
    }
  }
  return describe(result);
}

function describe(result: Result): WireColumn[] {
  const columns: ResultColumn[] = result.columns ??
    (result[0] === undefined ? [] : Object.keys(result[0]).map((name) => ({ name })));
  // Typed by position: two columns with one name may hold values of different types.
  const valuesAt = (i: number, name: string): unknown[] =>
    result.rowArrays?.map((values) => values[i]) ?? result.map((row) => row[name]);
  return columns.map((column, i) =>
    column.type !== undefined
      ? fromDef(column.name, column.table ?? "", column.type, column.notNull ?? false)
      : fromValues(column.name, valuesAt(i, column.name))
  );
}

/** A result of plain values (server-answered statements): columns typed from the values. */
export function describeValues(names: readonly string[], rows: readonly unknown[][]): WireColumn[] {
  return names.map((name, i) => fromValues(name, rows.map((row) => row[i])));
}

/** Encoded column definitions by their fields: most results repeat a few shapes. */
const definitionCache = new Map<string, Uint8Array>();
/** The cache is emptied when it reaches this many shapes. */
const definitionCacheMax = 4096;

/**
 * The ColumnDefinition41 payload of a column. Cached: callers must not
 * modify the returned bytes.
 */
export function columnDefinition(column: WireColumn, schema: string): Uint8Array {
  // The columns of a cached description (describeResult) are met again: their bytes are kept on them.
  const known = definitionByColumn.get(column);
  if (known === undefined) return definitionByFields(column, schema);
  if (known !== null && known.schema === schema) return known.bytes;
  const bytes = definitionByFields(column, schema);
  definitionByColumn.set(column, { schema, bytes });
  return bytes;
}

/**
 * Encoded definitions of the columns `describeResult` caches, by column
 * object and the schema they name (null until first encoded); weak on the
 * column, so bounded as that cache is. Other columns are not entered.
 */
const definitionByColumn = new WeakMap<
  WireColumn,
  { schema: string; bytes: Uint8Array } | null
>();

function definitionByFields(column: WireColumn, schema: string): Uint8Array {
  const table = column.table;
  const key = `${column.name}\u0000${table}\u0000${
    table === "" ? "" : schema
  }\u0000${column.charset},${column.length},${column.type},${column.flags},${column.decimals}`;
  let bytes = definitionCache.get(key);
  if (bytes === undefined) {
    if (definitionCache.size >= definitionCacheMax) definitionCache.clear();
    bytes = encodeColumnDefinition(column, schema);
    definitionCache.set(key, bytes);
  }
  return bytes;
}

function encodeColumnDefinition(column: WireColumn, schema: string): Uint8Array {
  return new PayloadWriter(64 + column.name.length * 2)
    .lenencString("def")
    .lenencString(column.table === "" ? "" : schema)
    .lenencString(column.table)
    .lenencString(column.table)
    .lenencString(column.name)
    .lenencString(column.name)
    .lenencInt(0x0c)
    .u16(column.charset)
    .u32(column.length)
    .u8(column.type)
    .u16(column.flags)
    .u8(column.decimals)
    .zeros(2)
    .finish();
}

const utf8 = new TextEncoder();

/** A BIT(n) value as MySQL sends it: ceil(n / 8) bytes, big-endian. */
function bitBytes(value: unknown, bits: number): Uint8Array {
  let rest = BigInt.asUintN(64, toBigInt(value));
  const bytes = new Uint8Array(Math.max(1, Math.ceil(bits / 8)));
  for (let i = bytes.length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** A value in the text protocol: its text bytes, or null for SQL NULL. */
export function textValue(value: unknown, column: WireColumn): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return value;
  if (column.type === FieldType.bit) return bitBytes(value, column.length);
  if (typeof value === "string") {
    return utf8.encode(value);
  }
  if (typeof value === "number") {
    if (column.type === FieldType.float) return utf8.encode(String(Math.fround(value)));
    return utf8.encode(String(value));
  }
  if (typeof value === "bigint") return utf8.encode(value.toString());
  if (typeof value === "boolean") return utf8.encode(value ? "1" : "0");
  return utf8.encode(JSON.stringify(value));
}

/** Writes one text-protocol row. */
export function textRow(
  writer: PayloadWriter,
  values: readonly unknown[],
  columns: readonly WireColumn[],
): void {
  for (const [i, column] of columns.entries()) {
    const bytes = textValue(values[i], column);
    if (bytes === null) writer.u8(0xfb);
    else writer.lenencBytes(bytes);
  }
}

function toBigInt(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "boolean") return value ? 1n : 0n;
  if (typeof value === "number" && Number.isFinite(value)) return BigInt(Math.trunc(value));
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  return 0n;
}

/** Writes one binary-protocol row (header, NULL bitmap with offset 2, values). */
export function binaryRow(
  writer: PayloadWriter,
  values: readonly unknown[],
  columns: readonly WireColumn[],
): void {
  writer.u8(0x00);
  const bitmap = new Uint8Array((columns.length + 7 + 2) >> 3);
  for (let i = 0; i < columns.length; i++) {
    if (values[i] === null || values[i] === undefined) {
      const slot = (i + 2) >> 3;
      bitmap[slot] = defined(bitmap[slot], "the bitmap has a bit per column") |
        (1 << ((i + 2) & 7));
    }
  }
  writer.bytes(bitmap);
  for (const [i, column] of columns.entries()) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    switch (column.type) {
      case FieldType.tiny:
        writer.u8(Number(BigInt.asUintN(8, toBigInt(value))));
        break;
      case FieldType.short:
        writer.u16(Number(BigInt.asUintN(16, toBigInt(value))));
        break;
      case FieldType.int24:
      case FieldType.long:
        writer.u32(Number(BigInt.asUintN(32, toBigInt(value))));
        break;
      case FieldType.longlong:
        writer.u64(toBigInt(value));
        break;
      case FieldType.float:
        writer.f32(Number(value));
        break;
      case FieldType.double:
        writer.f64(Number(value));
        break;
      case FieldType.year:
        writer.u16(Number(toBigInt(value)));
        break;
      case FieldType.date:
      case FieldType.datetime:
      case FieldType.timestamp:
        binaryDateTime(writer, String(value));
        break;
      case FieldType.time:
        binaryTime(writer, String(value));
        break;
      default:
        writer.lenencBytes(textValue(value, column)!);
    }
  }
}

/** The fields of MySQL's text for a date, datetime or time, as numbers (fraction as microseconds). */
function temporalFields(text: string): number[] {
  const match = /^(-?)(\d+)-(\d+)-(\d+)(?:[ T](\d+):(\d+):(\d+)(?:\.(\d{1,6}))?)?$/.exec(text);
  if (match === null) return [];
  const micros = match[8] === undefined ? 0 : Number(match[8].padEnd(6, "0"));
  return [match[2], match[3], match[4], match[5] ?? "0", match[6] ?? "0", match[7] ?? "0"]
    .map(Number)
    .concat(micros);
}

/**
 * A DATE / DATETIME / TIMESTAMP in the binary protocol: a length (0, 4, 7 or
 * 11) then year u16, month, day, and when not zero hour, minute, second and
 * microseconds u32.
 */
function binaryDateTime(writer: PayloadWriter, text: string): void {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micros = 0] =
    temporalFields(text);
  const length = micros !== 0 ? 11 : hour || minute || second ? 7 : year || month || day ? 4 : 0;
  writer.u8(length);
  if (length === 0) return;
  writer.u16(year).u8(month).u8(day);
  if (length >= 7) writer.u8(hour).u8(minute).u8(second);
  if (length === 11) writer.u32(micros);
}

/**
 * A TIME in the binary protocol: a length (0, 8 or 12), then negative u8,
 * days u32, hour, minute, second, and microseconds u32 when not zero.
 */
function binaryTime(writer: PayloadWriter, text: string): void {
  const match = /^(-?)(\d+):(\d+):(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (match === null) {
    writer.u8(0);
    return;
  }
  const hours = Number(match[2]);
  const minute = Number(match[3]);
  const second = Number(match[4]);
  const micros = match[5] === undefined ? 0 : Number(match[5].padEnd(6, "0"));
  if (hours === 0 && minute === 0 && second === 0 && micros === 0) {
    writer.u8(0);
    return;
  }
  writer.u8(micros !== 0 ? 12 : 8);
  writer.u8(match[1] === "-" ? 1 : 0).u32(Math.floor(hours / 24)).u8(hours % 24).u8(minute).u8(
    second,
  );
  if (micros !== 0) writer.u32(micros);
}

/** An integer as the engine gives it: a number when safe, else a bigint. */
export function smallestInteger(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

/**
 * A binary-protocol number of field type `type` (TINY, SHORT, YEAR, INT24,
 * LONG, LONGLONG, FLOAT, DOUBLE), as the engine types it (a bigint beyond
 * 2^53); undefined, reading nothing, for any other type. Result rows
 * (client.ts) and statement parameters (connection.ts) share it.
 */
export function readBinaryNumber(
  reader: PayloadReader,
  type: number,
  unsigned: boolean,
): number | bigint | undefined {
  switch (type) {
    case FieldType.tiny:
      return unsigned ? reader.u8() : reader.i8();
    case FieldType.short:
    case FieldType.year:
      return unsigned ? reader.u16() : reader.i16();
    case FieldType.int24:
    case FieldType.long:
      return unsigned ? reader.u32() : reader.i32();
    case FieldType.longlong:
      return smallestInteger(unsigned ? reader.u64() : reader.i64());
    case FieldType.float:
      return reader.f32();
    case FieldType.double:
      return reader.f64();
    default:
      return undefined;
  }
}
