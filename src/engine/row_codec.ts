/**
 * Row values ↔ the opaque payload bytes storage keeps for a row.
 *
 * Layout (little-endian): u32 schema version, then one value per column of
 * that version, each a tag byte and its data:
 *   0 NULL · 1 int32 (4) · 2 float64 (8) · 3 int64 (8) · 4 uint64 (8)
 *   · 5 UTF-8 text (u32 length + bytes) · 6 bytes (u32 length + bytes)
 *   · 7 DECIMAL (u8 scale, u8 length n, n bytes: the unscaled integer,
 *     two's complement little-endian) · 8 temporal (u8 kind 0 DATE,
 *     1 DATETIME/TIMESTAMP, 2 TIME; u8 fsp; i64 microseconds since
 *     1970-01-01 00:00:00 UTC, for TIME signed microseconds)
 * Tags make every value skippable without its type, so a row stored before
 * ALTER TABLE DROP COLUMN still decodes under the new schema.
 *
 * values → payload (INSERT) · payload → values (SELECT, conditions)
 *
 * @module
 */

import type { Value } from "../sql/mod.ts";
import { assert, defined, QueueError } from "../errors.ts";
import { columnCountMax, rowBytesMax } from "../limits.ts";
import type { TableSchema } from "./schema.ts";
import { Decimal, Member, memberOfText, Temporal } from "../sql/mod.ts";

const tagNull = 0;
const tagInt32 = 1;
const tagFloat64 = 2;
const tagInt64 = 3;
const tagUint64 = 4;
const tagText = 5;
const tagBytes = 6;
const tagDecimal = 7;
const tagTemporal = 8;
const temporalKinds = ["date", "datetime", "time"] as const;
/** Longest unscaled DECIMAL in bytes: 81 digits (MySQL's 9 words) fit in 34 bytes. */
const decimalBytesMax = 34;
/** Largest fixed-size value: a tag, scale, length and the longest DECIMAL. */
const fixedValueBytesMax = 3 + decimalBytesMax;

/** Texts up to this length that are pure ASCII are decoded without TextDecoder (cheaper). */
const asciiFastPathBytesMax = 256;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Initial scratch size, and the size a scratch grown past `scratchBytesKeptMax` returns to. */
const scratchBytesInitial = 64 * 1024;
/** Largest scratch kept between rows; a larger row gets a larger scratch only while it is encoded. */
const scratchBytesKeptMax = 1024 * 1024;
/**
 * Largest scratch ever needed: a row of `rowBytesMax` bytes, then one
 * fixed-size value (at most `fixedValueBytesMax` bytes) for each of up to
 * `columnCountMax` columns, checked before the row is refused.
 */
const scratchBytesMax = rowBytesMax + columnCountMax * fixedValueBytesMax + 4;

/**
 * The encoder's scratch buffer (module state, shared by every database of
 * the process: encoding is synchronous, so one row at a time uses it).
 * Between `scratchBytesInitial` and `scratchBytesKeptMax` bytes between
 * rows; `scratchBytesMax` at most while one row is encoded.
 */
let scratch = new Uint8Array(scratchBytesInitial);
let scratchView = new DataView(scratch.buffer);

/** The encoder's scratch buffer size in bytes (for tests of its bound). */
export function encoderScratchBytes(): number {
  return scratch.length;
}

/** Grows the scratch to hold `bytes`, doubling but never past `scratchBytesMax`. */
function ensureCapacity(bytes: number): void {
  if (bytes <= scratch.length) return;
  assert(bytes <= scratchBytesMax, "row encoder scratch within its bound");
  let size = scratch.length;
  while (size < bytes) size *= 2;
  const grown = new Uint8Array(Math.min(size, scratchBytesMax));
  grown.set(scratch);
  scratch = grown;
  scratchView = new DataView(scratch.buffer);
}

function rowTooLong(): QueueError {
  return new QueueError("ER_DATA_TOO_LONG", `Row size too large (more than ${rowBytesMax} bytes)`);
}

/**
 * Encodes checked values (one per current column, in order) into a fresh
 * payload. ER_DATA_TOO_LONG when the row exceeds `rowBytesMax`, found
 * before the scratch grows past it.
 */
export function encodeRow(schema: TableSchema, values: readonly Value[]): Uint8Array {
  try {
    return encodeIntoScratch(schema, values);
  } finally {
    // A large row's scratch is not kept: it would hold up to rowBytesMax for the process's life.
    if (scratch.length > scratchBytesKeptMax) {
      scratch = new Uint8Array(scratchBytesInitial);
      scratchView = new DataView(scratch.buffer);
    }
  }
}

function encodeIntoScratch(schema: TableSchema, values: readonly Value[]): Uint8Array {
  assert(values.length === schema.columns.length, "one value per column");
  assert(values.length <= columnCountMax, "at most columnCountMax columns");
  let offset = 4;
  ensureCapacity(4 + values.length * fixedValueBytesMax);
  scratchView.setUint32(0, schema.version, true);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    // An ENUM/SET member is stored as its text (tag 5).
    const value = raw instanceof Member ? raw.text : raw;
    if (value === null) {
      scratch[offset++] = tagNull;
    } else if (typeof value === "number") {
      if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) {
        scratch[offset] = tagInt32;
        scratchView.setInt32(offset + 1, value, true);
        offset += 5;
      } else {
        scratch[offset] = tagFloat64;
        scratchView.setFloat64(offset + 1, value, true);
        offset += 9;
      }
    } else if (typeof value === "string") {
      // Room left in a row of rowBytesMax; UTF-8 takes 1 to 3 bytes per UTF-16 unit.
      const room = rowBytesMax - offset - 5;
      if (value.length > room) throw rowTooLong();
      const end = offset + 5 + Math.min(value.length * 3, room);
      ensureCapacity(end + (values.length - i) * fixedValueBytesMax);
      const { read, written } = textEncoder.encodeInto(value, scratch.subarray(offset + 5, end));
      if (read < value.length) throw rowTooLong();
      scratch[offset] = tagText;
      scratchView.setUint32(offset + 1, written, true);
      offset += 5 + written;
    } else if (value instanceof Uint8Array) {
      if (value.length > rowBytesMax - offset - 5) throw rowTooLong();
      ensureCapacity(offset + 5 + value.length + (values.length - i) * fixedValueBytesMax);
      scratch[offset] = tagBytes;
      scratchView.setUint32(offset + 1, value.length, true);
      scratch.set(value, offset + 5);
      offset += 5 + value.length;
    } else if (typeof value === "bigint") {
      if (value < 0n) {
        scratch[offset] = tagInt64;
        scratchView.setBigInt64(offset + 1, value, true);
      } else {
        scratch[offset] = tagUint64;
        scratchView.setBigUint64(offset + 1, value, true);
      }
      offset += 9;
    } else if (value instanceof Decimal) {
      offset = writeDecimal(value, offset);
    } else if (value instanceof Temporal) {
      scratch[offset] = tagTemporal;
      scratch[offset + 1] = temporalKinds.indexOf(value.kind);
      scratch[offset + 2] = value.fsp;
      scratchView.setBigInt64(
        offset + 3,
        BigInt(value.seconds) * 1000000n + BigInt(value.micros),
        true,
      );
      offset += 11;
    } else {
      assert(typeof value === "boolean", "checked values are SQL values");
      scratch[offset] = tagInt32;
      scratchView.setInt32(offset + 1, value ? 1 : 0, true);
      offset += 5;
    }
    if (offset > rowBytesMax) throw rowTooLong();
    ensureCapacity(offset + (values.length - i) * fixedValueBytesMax);
  }
  return scratch.slice(0, offset);
}

function writeDecimal(value: Decimal, offset: number): number {
  assert(value.scale <= 255, "a stored decimal's scale fits a byte");
  let rest = value.unscaled;
  let length = 0;
  const start = offset + 3;
  // Little-endian two's complement, shortest form that keeps the sign bit.
  for (;;) {
    const byte = Number(BigInt.asUintN(8, rest));
    scratch[start + length++] = byte;
    rest >>= 8n;
    if ((rest === 0n && byte < 0x80) || (rest === -1n && byte >= 0x80)) break;
    assert(length < decimalBytesMax, "a stored decimal fits decimalBytesMax bytes");
  }
  scratch[offset] = tagDecimal;
  scratch[offset + 1] = value.scale;
  scratch[offset + 2] = length;
  return start + length;
}

/**
 * Decodes a payload into values for the table's current columns: a column
 * added after the row was written reads as its DEFAULT (or NULL), a dropped
 * one is skipped. ER_CORRUPT on malformed bytes.
 */
export function decodeRow(schema: TableSchema, payload: Uint8Array): Value[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.length < 4) throw corrupt("shorter than its header");
  const version = view.getUint32(0, true);
  const columnCount = schema.columns.length;
  const values: Value[] = new Array(columnCount);
  let offset = 4;
  if (version === schema.version) {
    for (let i = 0; i < columnCount; i++) {
      offset = readValue(payload, view, offset, values, i);
    }
    if (offset !== payload.length) throw corrupt("has trailing bytes");
    if (schema.memberPositions.length > 0) wrapMembers(schema, values);
    return values;
  }
  const storedIds = schema.versionColumnIds(version);
  const present = new Uint8Array(columnCount);
  const sink: Value[] = [null];
  for (const columnId of storedIds) {
    const position = schema.positionOfId(columnId);
    if (position < 0) {
      offset = readValue(payload, view, offset, sink, 0);
    } else {
      offset = readValue(payload, view, offset, values, position);
      present[position] = 1;
    }
  }
  if (offset !== payload.length) throw corrupt("has trailing bytes");
  for (let i = 0; i < columnCount; i++) {
    if (present[i] === 0) values[i] = schema.missingValue(i);
  }
  if (schema.memberPositions.length > 0) wrapMembers(schema, values);
  return values;
}

/** ENUM/SET columns are stored as text; at run time they are Members (text and number). */
function wrapMembers(schema: TableSchema, values: Value[]): void {
  for (const position of schema.memberPositions) {
    const value = values[position];
    if (typeof value !== "string") continue;
    const type = defined(schema.columns[position], "a member position of this schema").def.type;
    assert(type.kind === "enum" || type.kind === "set", "member positions are ENUM/SET columns");
    const member = memberOfText(type.members, type.kind === "set", value);
    if (member === null) throw corrupt(`holds '${value}', no member of its ${type.kind}`);
    values[position] = member;
  }
}

function readValue(
  payload: Uint8Array,
  view: DataView,
  offset: number,
  out: Value[],
  index: number,
): number {
  if (offset >= payload.length) throw corrupt("ends inside a value");
  const tag = payload[offset];
  switch (tag) {
    case tagNull:
      out[index] = null;
      return offset + 1;
    case tagInt32:
      checkLength(payload, offset + 5);
      out[index] = view.getInt32(offset + 1, true);
      return offset + 5;
    case tagFloat64:
      checkLength(payload, offset + 9);
      out[index] = view.getFloat64(offset + 1, true);
      return offset + 9;
    case tagInt64:
    case tagUint64: {
      checkLength(payload, offset + 9);
      const big = tag === tagInt64
        ? view.getBigInt64(offset + 1, true)
        : view.getBigUint64(offset + 1, true);
      out[index] = big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
      return offset + 9;
    }
    case tagText:
    case tagBytes: {
      checkLength(payload, offset + 5);
      const length = view.getUint32(offset + 1, true);
      const end = offset + 5 + length;
      checkLength(payload, end);
      const bytes = payload.subarray(offset + 5, end);
      out[index] = tag === tagText ? decodeText(bytes) : bytes.slice();
      return end;
    }
    case tagDecimal: {
      checkLength(payload, offset + 3);
      const scale = view.getUint8(offset + 1);
      const length = view.getUint8(offset + 2);
      const end = offset + 3 + length;
      checkLength(payload, end);
      if (length === 0 || length > decimalBytesMax || scale > 30) {
        throw corrupt("holds a bad DECIMAL");
      }
      let unscaled = 0n;
      for (let i = length - 1; i >= 0; i--) {
        unscaled = (unscaled << 8n) | BigInt(view.getUint8(offset + 3 + i));
      }
      out[index] = new Decimal(BigInt.asIntN(length * 8, unscaled), scale);
      return end;
    }
    case tagTemporal: {
      checkLength(payload, offset + 11);
      const kind = temporalKinds[view.getUint8(offset + 1)];
      const fsp = view.getUint8(offset + 2);
      const micros = view.getBigInt64(offset + 3, true);
      if (kind === undefined || fsp > 6) throw corrupt("holds a bad temporal value");
      const seconds = micros >= 0n ? micros / 1000000n : -((-micros + 999999n) / 1000000n);
      out[index] = new Temporal(kind, Number(seconds), Number(micros - seconds * 1000000n), fsp);
      return offset + 11;
    }
    default:
      throw corrupt(`has unknown value tag ${tag}`);
  }
}

function decodeText(bytes: Uint8Array): string {
  // Short ASCII is the common case; skip the decoder's call overhead for it.
  if (bytes.length <= asciiFastPathBytesMax) {
    let ascii = true;
    for (const byte of bytes) {
      if (byte >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return textDecoder.decode(bytes);
  } catch {
    throw corrupt("holds invalid UTF-8 text");
  }
}

function checkLength(payload: Uint8Array, end: number): void {
  if (end > payload.length) throw corrupt("ends inside a value");
}

function corrupt(what: string): QueueError {
  return new QueueError("ER_CORRUPT", `stored row ${what}`);
}
