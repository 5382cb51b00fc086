/**
 * The bytes of the log: segment header, batch header and records, encoded
 * and verified here (layout in FORMAT.md). Storage operations → batch bytes
 * (BatchEncoder); batch bytes → calls on a {@linkcode RecordVisitor}
 * (decodeBatchBody) for recovery; one ROW record → payload (decodeRowRecord)
 * for reads. Little-endian, CRC32C everywhere.
 *
 * @module
 */

import { assert, defined } from "../errors.ts";
import { relaySourceCount } from "../limits.ts";
import { crc32c } from "./crc32c.ts";

/** Bytes of a segment header. */
export const segmentHeaderBytes = 64;
/** The segment magic, "Q4DLOG01". */
export const segmentMagic: Uint8Array = new TextEncoder().encode("Q4DLOG01");
/** On-disk format version written in every segment header and in the log head. */
export const formatVersion = 3;
/** Older format versions still read (their records are a subset of this version's). */
export const formatVersionsRead: readonly number[] = [2, 3];
/** Bytes of a batch header: magic, body length, record count, header CRC. */
export const batchHeaderBytes = 16;
/** Batch magic, "Q4DB" read as a little-endian u32. */
export const batchMagic = 0x42443451;
/** Bytes before a record's payload: CRC, payload length, type. */
export const recordHeaderBytes = 9;
/** Bytes of a ROW payload before the row bytes: table id, row id. */
export const rowPrefixBytes = 12;
/** Offset of the row bytes inside a ROW record. */
export const rowDataOffset: number = recordHeaderBytes + rowPrefixBytes;
/** Largest row id representable exactly in memory. */
export const rowIdMax: number = Number.MAX_SAFE_INTEGER;

/** Field offsets of the segment header (FORMAT.md "Segment"). */
export const SegmentHeaderField = {
  magic: 0,
  version: 8,
  segmentNumber: 12,
  previousEnd: 20,
  previousLastBatchCrc: 28,
  /** CRC32C of the bytes before it. */
  crc: 60,
} as const;

/** Field offsets of the log head (FORMAT.md "Log head"). */
export const LogHeadField = {
  magic: 0,
  version: 8,
  first: 12,
  last: 20,
  /** CRC32C of the bytes before it. */
  crc: 28,
} as const;

/** Field offsets of a batch header (FORMAT.md "Batch"). */
export const BatchHeaderField = {
  magic: 0,
  bodyBytes: 4,
  recordCount: 8,
  /** CRC32C of the bytes before it. */
  crc: 12,
} as const;

/** Field offsets of a record header (FORMAT.md "Record"). */
export const RecordHeaderField = {
  /** CRC32C of the record from `payloadBytes` to its end. */
  crc: 0,
  payloadBytes: 4,
  type: 8,
} as const;

/** Offsets inside a ROW payload; the row bytes run from `data` to the end. */
export const RowPayloadField = { tableId: 0, rowId: 4, data: 12 } as const;
/** Offsets inside a REMOVE payload; S singles (u64), then R ranges (u64 first, u64 last). */
export const RemovePayloadField = { tableId: 0, singleCount: 4, rangeCount: 8, ids: 12 } as const;
/** Offsets inside a SOURCE_MARK payload. */
export const SourceMarkPayloadField = { tableId: 0, source: 4, rowId: 5 } as const;
/** Bytes of a SOURCE_MARK payload. */
export const sourceMarkPayloadBytes = 13;
/** Offsets inside a TRUNCATE payload. */
export const TruncatePayloadField = { tableId: 0, belowRowId: 4 } as const;
/** Bytes of a TRUNCATE payload. */
export const truncatePayloadBytes = 12;
/** Offsets inside a CHECKPOINT payload; `entries` is where the first table's entry starts. */
export const CheckpointPayloadField = { tableCount: 0, entries: 4 } as const;
/** Offsets inside one table's CHECKPOINT entry; M × (u8 source, u64 row id) follow `marks`. */
export const CheckpointEntryField = {
  tableId: 0,
  nextRowId: 4,
  lowLiveRowId: 12,
  markCount: 20,
  marks: 21,
} as const;
/** Bytes of one (source, row id) pair of a CHECKPOINT entry. */
export const checkpointMarkBytes = 9;
/** Offsets inside a ROW_META payload. */
export const RowMetaPayloadField = { tableId: 0, rowId: 4, visibleAt: 12, attempts: 20 } as const;

/** Record types. */
export const RecordType = {
  row: 1,
  remove: 2,
  sourceMark: 3,
  truncate: 4,
  checkpoint: 5,
  rowMeta: 6,
} as const;

/** Bytes of a ROW_META payload: table id, row id, visible-at ms, attempts. */
export const rowMetaPayloadBytes = 24;
/** Bytes of a whole ROW_META record. */
export const rowMetaRecordBytes: number = recordHeaderBytes + rowMetaPayloadBytes;
/** Bytes of a whole SOURCE_MARK record. */
export const sourceMarkRecordBytes: number = recordHeaderBytes + sourceMarkPayloadBytes;
/** Bytes of a whole TRUNCATE record. */
export const truncateRecordBytes: number = recordHeaderBytes + truncatePayloadBytes;

/** Bytes of the ROW record holding `rowBytes` bytes of row. */
export function rowRecordBytes(rowBytes: number): number {
  return rowDataOffset + rowBytes;
}

/**
 * An upper bound on the bytes of the REMOVE record of `idCount` ids, before
 * runs are known: 16 per id is a range each (a single takes 8, a range of
 * n ≥ 2 ids 16), so the real record is never larger.
 */
export function removeRecordBytesMax(idCount: number): number {
  return recordHeaderBytes + RemovePayloadField.ids + 16 * idCount;
}

const twoTo32 = 4294967296;

/** Writes a u32, asserting it fits: DataView would wrap a wider value silently. */
function setU32(view: DataView, offset: number, value: number): void {
  if (!(value >= 0 && value <= 0xffff_ffff && Number.isInteger(value))) {
    assert(false, `u32 value ${value} out of range`);
  }
  view.setUint32(offset, value, true);
}

/** Writes a u8, asserting it fits. */
function setU8(bytes: Uint8Array, offset: number, value: number): void {
  if (!(value >= 0 && value <= 0xff && Number.isInteger(value))) {
    assert(false, `u8 value ${value} out of range`);
  }
  bytes[offset] = value;
}

function setU64(view: DataView, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, `u64 value ${value} out of range`);
  view.setUint32(offset, value % twoTo32, true);
  view.setUint32(offset + 4, Math.floor(value / twoTo32), true);
}

/**
 * The index of the last id of the run of consecutive ids starting at `start`
 * in ascending `rowIds`: a REMOVE record stores a run as one range.
 */
export function runEnd(rowIds: readonly number[], start: number): number {
  let last = defined(rowIds[start], "a run starts inside the ids");
  let j = start;
  for (let next = rowIds[j + 1]; next === last + 1; next = rowIds[j + 1]) {
    last = next;
    j++;
  }
  return j;
}

/** Reads a u64 written by this codec; values above 2^53 come back inexact (callers check). */
export function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * twoTo32;
}

/** Where the segment before a segment ended, as recorded in that segment's header. */
export interface SegmentLink {
  /** Data end (offset after its last batch) of the previous segment; 0 for the first segment. */
  previousEnd: number;
  /** Header CRC field of the previous segment's last batch; 0 when none. */
  previousLastBatchCrc: number;
}

/** The 64-byte header of segment `segmentNumber`, linked to the segment before it. */
export function encodeSegmentHeader(segmentNumber: number, link: SegmentLink): Uint8Array {
  const bytes = new Uint8Array(segmentHeaderBytes);
  const view = new DataView(bytes.buffer);
  const field = SegmentHeaderField;
  bytes.set(segmentMagic, field.magic);
  view.setUint32(field.version, formatVersion, true);
  setU64(view, field.segmentNumber, segmentNumber);
  setU64(view, field.previousEnd, link.previousEnd);
  view.setUint32(field.previousLastBatchCrc, link.previousLastBatchCrc, true);
  view.setUint32(field.crc, crc32c(bytes, 0, field.crc), true);
  return bytes;
}

/** Checks a segment header; returns a reason when it is not valid for `segmentNumber`, else null. */
export function checkSegmentHeader(bytes: Uint8Array, segmentNumber: number): string | null {
  if (bytes.length < segmentHeaderBytes) return "segment shorter than its header";
  const view = new DataView(bytes.buffer, bytes.byteOffset, segmentHeaderBytes);
  for (let i = 0; i < segmentMagic.length; i++) {
    if (bytes[i] !== segmentMagic[i]) return "bad segment magic";
  }
  const field = SegmentHeaderField;
  if (view.getUint32(field.crc, true) !== crc32c(bytes, 0, field.crc)) {
    return "bad segment header checksum";
  }
  const version = view.getUint32(field.version, true);
  if (!formatVersionsRead.includes(version)) {
    return `unsupported format version ${version} (this build reads ${
      formatVersionsRead.join(", ")
    })`;
  }
  if (getU64(view, field.segmentNumber) !== segmentNumber) {
    return "segment number does not match its file name";
  }
  return null;
}

/** The link of a header that {@linkcode checkSegmentHeader} accepted. */
export function decodeSegmentLink(bytes: Uint8Array): SegmentLink {
  const view = new DataView(bytes.buffer, bytes.byteOffset, segmentHeaderBytes);
  return {
    previousEnd: getU64(view, SegmentHeaderField.previousEnd),
    previousLastBatchCrc: view.getUint32(SegmentHeaderField.previousLastBatchCrc, true),
  };
}

/** The CRC field of the batch header at `offset` (what a segment link records). */
export function batchCrcField(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, batchHeaderBytes);
  return view.getUint32(BatchHeaderField.crc, true);
}

/** Bytes of the log head file. */
export const logHeadBytes = 32;
/** The log head magic, "Q4DHEAD1". */
const logHeadMagic: Uint8Array = new TextEncoder().encode("Q4DHEAD1");

/** The log head: the range of segment numbers the log consists of. */
export interface LogHead {
  /** Every segment below this was deleted by compaction (or is about to be). */
  first: number;
  /** The newest segment created; none after it ever held a batch. */
  last: number;
}

/** The bytes of the log head file. */
export function encodeLogHead(head: LogHead): Uint8Array {
  const bytes = new Uint8Array(logHeadBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(logHeadMagic, LogHeadField.magic);
  view.setUint32(LogHeadField.version, formatVersion, true);
  setU64(view, LogHeadField.first, head.first);
  setU64(view, LogHeadField.last, head.last);
  view.setUint32(LogHeadField.crc, crc32c(bytes, 0, LogHeadField.crc), true);
  return bytes;
}

/** Decodes the log head file; a string says why it is not valid. */
export function decodeLogHead(bytes: Uint8Array): LogHead | string {
  if (bytes.length !== logHeadBytes) return "log head has the wrong size";
  const view = new DataView(bytes.buffer, bytes.byteOffset, logHeadBytes);
  for (let i = 0; i < logHeadMagic.length; i++) {
    if (bytes[i] !== logHeadMagic[i]) return "bad log head magic";
  }
  if (view.getUint32(LogHeadField.crc, true) !== crc32c(bytes, 0, LogHeadField.crc)) {
    return "bad log head checksum";
  }
  const version = view.getUint32(LogHeadField.version, true);
  if (!formatVersionsRead.includes(version)) return `unsupported log head version ${version}`;
  const head = { first: getU64(view, LogHeadField.first), last: getU64(view, LogHeadField.last) };
  if (head.first < 1 || head.last < 1 || head.first > head.last) return "log head out of range";
  return head;
}

/** One table's summary in a CHECKPOINT record. */
export interface CheckpointEntry {
  tableId: number;
  /** The next row id to issue. */
  nextRowId: number;
  /** Every id below this is removed. */
  lowLiveRowId: number;
  /** The 64 relay watermarks; only nonzero ones are written. */
  sourceMarks: readonly number[];
}

/**
 * Builds one batch in a reusable, growing buffer: records are appended with
 * their CRCs, `finish()` writes the header and returns the batch bytes.
 */
export class BatchEncoder {
  #bytes = new Uint8Array(64 * 1024);
  #view = new DataView(this.#bytes.buffer);
  #length = batchHeaderBytes;
  #recordCount = 0;
  #recordStart = 0;

  /** Starts a new, empty batch (the previous result becomes invalid). */
  reset(): void {
    this.#length = batchHeaderBytes;
    this.#recordCount = 0;
  }

  /** Bytes of the batch so far, header included. */
  get byteLength(): number {
    return this.#length;
  }

  /** Records so far. */
  get recordCount(): number {
    return this.#recordCount;
  }

  #reserve(bytes: number): void {
    const need = this.#length + bytes;
    if (need <= this.#bytes.length) return;
    let size = this.#bytes.length;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  #begin(type: number, payloadBytes: number): number {
    this.#reserve(recordHeaderBytes + payloadBytes);
    this.#recordStart = this.#length;
    setU32(this.#view, this.#length + RecordHeaderField.payloadBytes, payloadBytes);
    this.#bytes[this.#length + RecordHeaderField.type] = type;
    this.#length += recordHeaderBytes;
    return this.#length;
  }

  #end(): void {
    const start = this.#recordStart;
    const crcEnd = this.#length;
    this.#view.setUint32(
      start + RecordHeaderField.crc,
      crc32c(this.#bytes, start + RecordHeaderField.payloadBytes, crcEnd),
      true,
    );
    this.#recordCount++;
  }

  /** Appends a ROW record; returns its offset inside the batch. */
  addRow(tableId: number, rowId: number, payload: Uint8Array): number {
    const at = this.#begin(RecordType.row, rowPrefixBytes + payload.length);
    setU32(this.#view, at + RowPayloadField.tableId, tableId);
    setU64(this.#view, at + RowPayloadField.rowId, rowId);
    this.#bytes.set(payload, at + rowPrefixBytes);
    this.#length = at + rowPrefixBytes + payload.length;
    this.#end();
    return this.#recordStart;
  }

  /** Appends a REMOVE record for ascending, distinct `rowIds`, runs encoded as ranges. */
  addRemove(tableId: number, rowIds: readonly number[]): void {
    let singleCount = 0;
    let rangeCount = 0;
    for (let i = 0; i < rowIds.length;) {
      const j = runEnd(rowIds, i);
      if (j === i) singleCount++;
      else rangeCount++;
      i = j + 1;
    }
    const payloadBytes = RemovePayloadField.ids + 8 * singleCount + 16 * rangeCount;
    assert(
      recordHeaderBytes + payloadBytes <= removeRecordBytesMax(rowIds.length),
      "a REMOVE record stays within the bound its operation reserved",
    );
    const at = this.#begin(RecordType.remove, payloadBytes);
    const view = this.#view;
    setU32(view, at + RemovePayloadField.tableId, tableId);
    setU32(view, at + RemovePayloadField.singleCount, singleCount);
    setU32(view, at + RemovePayloadField.rangeCount, rangeCount);
    let single = at + RemovePayloadField.ids;
    let range = single + 8 * singleCount;
    for (let i = 0; i < rowIds.length;) {
      const first = defined(rowIds[i], "i < length");
      assert(
        i === 0 || first > defined(rowIds[i - 1], "i - 1 < length"),
        "removal ids must ascend",
      );
      const j = runEnd(rowIds, i);
      if (j === i) {
        setU64(view, single, first);
        single += 8;
      } else {
        setU64(view, range, first);
        setU64(view, range + 8, defined(rowIds[j], "a run ends inside the ids"));
        range += 16;
      }
      i = j + 1;
    }
    assert(range === at + payloadBytes, "REMOVE ids fill the payload exactly");
    this.#length = range;
    this.#end();
  }

  /** Appends a SOURCE_MARK record. */
  addSourceMark(tableId: number, source: number, rowId: number): void {
    const at = this.#begin(RecordType.sourceMark, sourceMarkPayloadBytes);
    setU32(this.#view, at + SourceMarkPayloadField.tableId, tableId);
    setU8(this.#bytes, at + SourceMarkPayloadField.source, source);
    setU64(this.#view, at + SourceMarkPayloadField.rowId, rowId);
    this.#length = at + sourceMarkPayloadBytes;
    this.#end();
  }

  /** Appends a ROW_META record: the row's visible-at time (ms, 0 = now) and delivery count. */
  addRowMeta(tableId: number, rowId: number, visibleAt: number, attempts: number): void {
    const at = this.#begin(RecordType.rowMeta, rowMetaPayloadBytes);
    setU32(this.#view, at + RowMetaPayloadField.tableId, tableId);
    setU64(this.#view, at + RowMetaPayloadField.rowId, rowId);
    setU64(this.#view, at + RowMetaPayloadField.visibleAt, visibleAt);
    setU32(this.#view, at + RowMetaPayloadField.attempts, attempts);
    this.#length = at + rowMetaPayloadBytes;
    this.#end();
  }

  /** Appends a TRUNCATE record: every id below `belowRowId` is removed. */
  addTruncate(tableId: number, belowRowId: number): void {
    const at = this.#begin(RecordType.truncate, truncatePayloadBytes);
    setU32(this.#view, at + TruncatePayloadField.tableId, tableId);
    setU64(this.#view, at + TruncatePayloadField.belowRowId, belowRowId);
    this.#length = at + truncatePayloadBytes;
    this.#end();
  }

  /** Appends a CHECKPOINT record. */
  addCheckpoint(entries: readonly CheckpointEntry[]): void {
    const bytes = checkpointPayloadBytes(entries);
    const at = this.#begin(RecordType.checkpoint, bytes);
    const view = this.#view;
    setU32(view, at + CheckpointPayloadField.tableCount, entries.length);
    let offset = at + CheckpointPayloadField.entries;
    for (const entry of entries) {
      setU32(view, offset + CheckpointEntryField.tableId, entry.tableId);
      setU64(view, offset + CheckpointEntryField.nextRowId, entry.nextRowId);
      setU64(view, offset + CheckpointEntryField.lowLiveRowId, entry.lowLiveRowId);
      setU8(this.#bytes, offset + CheckpointEntryField.markCount, markCountOf(entry));
      offset += CheckpointEntryField.marks;
      for (let source = 0; source < entry.sourceMarks.length; source++) {
        const mark = defined(entry.sourceMarks[source], "source < length");
        if (mark === 0) continue;
        setU8(this.#bytes, offset, source);
        setU64(view, offset + 1, mark);
        offset += checkpointMarkBytes;
      }
    }
    assert(offset === at + bytes, "CHECKPOINT entries fill the payload exactly");
    this.#length = offset;
    this.#end();
  }

  /** Writes the header and returns the batch (a view of the internal buffer). */
  finish(): Uint8Array {
    const view = this.#view;
    view.setUint32(BatchHeaderField.magic, batchMagic, true);
    setU32(view, BatchHeaderField.bodyBytes, this.#length - batchHeaderBytes);
    setU32(view, BatchHeaderField.recordCount, this.#recordCount);
    view.setUint32(
      BatchHeaderField.crc,
      crc32c(this.#bytes, 0, BatchHeaderField.crc),
      true,
    );
    return this.#bytes.subarray(0, this.#length);
  }
}

/** Nonzero relay marks of a CHECKPOINT entry: only those are written. */
function markCountOf(entry: CheckpointEntry): number {
  let count = 0;
  for (const mark of entry.sourceMarks) if (mark !== 0) count++;
  return count;
}

/** Bytes of the CHECKPOINT payload of `entries`. */
export function checkpointPayloadBytes(entries: readonly CheckpointEntry[]): number {
  let bytes = CheckpointPayloadField.entries;
  for (const entry of entries) {
    bytes += CheckpointEntryField.marks + checkpointMarkBytes * markCountOf(entry);
  }
  return bytes;
}

/** A batch header as read from disk. */
export interface BatchHeader {
  bodyBytes: number;
  recordCount: number;
}

/** True when the 16 bytes at `offset` are all zero: the end of data in a preallocated segment. */
export function isZeroHeader(bytes: Uint8Array, offset: number): boolean {
  for (let i = offset; i < offset + batchHeaderBytes; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Decodes and verifies a batch header at `offset`; null when it is not a valid one. */
export function decodeBatchHeader(view: DataView, offset: number): BatchHeader | null {
  if (view.getUint32(offset + BatchHeaderField.magic, true) !== batchMagic) return null;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const crc = crc32c(bytes, offset, offset + BatchHeaderField.crc);
  if (view.getUint32(offset + BatchHeaderField.crc, true) !== crc) return null;
  return {
    bodyBytes: view.getUint32(offset + BatchHeaderField.bodyBytes, true),
    recordCount: view.getUint32(offset + BatchHeaderField.recordCount, true),
  };
}

/** Receives the decoded records of a batch (recovery). */
export interface RecordVisitor {
  /** A ROW record at `recordOffset` (of the visited buffer), `recordBytes` long. */
  row(tableId: number, rowId: number, recordOffset: number, recordBytes: number): void;
  /** A REMOVE record's ids: singles and inclusive ranges. */
  remove(tableId: number, singles: readonly number[], ranges: readonly number[]): void;
  sourceMark(tableId: number, source: number, rowId: number): void;
  truncate(tableId: number, belowRowId: number): void;
  checkpoint(entries: CheckpointEntry[]): void;
  /** A ROW_META record: the row's visible-at time (ms, 0 = now) and delivery count. */
  rowMeta?(tableId: number, rowId: number, visibleAt: number, attempts: number): void;
}

/**
 * Verifies every record of a batch body `bytes[start, end)` holding
 * `recordCount` records. Returns the offset of the first bad record, or -1
 * when all verify. Visits nothing when `visitor` is null.
 */
export function verifyBatchBody(
  bytes: Uint8Array,
  start: number,
  end: number,
  recordCount: number,
  visitor: RecordVisitor | null,
): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = start;
  // Verify all first: a batch is applied whole or not at all.
  for (let i = 0; i < recordCount; i++) {
    if (offset + recordHeaderBytes > end) return offset;
    const payloadBytes = view.getUint32(offset + RecordHeaderField.payloadBytes, true);
    const recordEnd = offset + recordHeaderBytes + payloadBytes;
    if (recordEnd > end || recordEnd < offset) return offset;
    const crc = crc32c(bytes, offset + RecordHeaderField.payloadBytes, recordEnd);
    if (view.getUint32(offset + RecordHeaderField.crc, true) !== crc) return offset;
    if (!recordShapeValid(bytes, view, offset, payloadBytes)) return offset;
    offset = recordEnd;
  }
  if (offset !== end) return offset;
  if (visitor === null) return -1;
  offset = start;
  for (let i = 0; i < recordCount; i++) {
    const payloadBytes = view.getUint32(offset + RecordHeaderField.payloadBytes, true);
    visitRecord(bytes, view, offset, payloadBytes, visitor);
    offset += recordHeaderBytes + payloadBytes;
  }
  return -1;
}

function recordShapeValid(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  payloadBytes: number,
): boolean {
  const at = offset + recordHeaderBytes;
  switch (bytes[offset + RecordHeaderField.type]) {
    case RecordType.row:
      return payloadBytes >= rowPrefixBytes;
    case RecordType.remove: {
      if (payloadBytes < RemovePayloadField.ids) return false;
      const singles = view.getUint32(at + RemovePayloadField.singleCount, true);
      const ranges = view.getUint32(at + RemovePayloadField.rangeCount, true);
      return payloadBytes === RemovePayloadField.ids + 8 * singles + 16 * ranges;
    }
    case RecordType.sourceMark:
      return payloadBytes === sourceMarkPayloadBytes;
    case RecordType.truncate:
      return payloadBytes === truncatePayloadBytes;
    case RecordType.rowMeta:
      return payloadBytes === rowMetaPayloadBytes;
    case RecordType.checkpoint: {
      if (payloadBytes < CheckpointPayloadField.entries) return false;
      const count = view.getUint32(at + CheckpointPayloadField.tableCount, true);
      let cursor = at + CheckpointPayloadField.entries;
      const end = at + payloadBytes;
      for (let i = 0; i < count; i++) {
        if (cursor + CheckpointEntryField.marks > end) return false;
        cursor += CheckpointEntryField.marks +
          checkpointMarkBytes * view.getUint8(cursor + CheckpointEntryField.markCount);
      }
      return cursor === end;
    }
    default:
      return false;
  }
}

function visitRecord(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  payloadBytes: number,
  visitor: RecordVisitor,
): void {
  const at = offset + recordHeaderBytes;
  switch (bytes[offset + RecordHeaderField.type]) {
    case RecordType.row:
      visitor.row(
        view.getUint32(at + RowPayloadField.tableId, true),
        getU64(view, at + RowPayloadField.rowId),
        offset,
        recordHeaderBytes + payloadBytes,
      );
      return;
    case RecordType.remove: {
      const singleCount = view.getUint32(at + RemovePayloadField.singleCount, true);
      const rangeCount = view.getUint32(at + RemovePayloadField.rangeCount, true);
      const singles: number[] = new Array(singleCount);
      const ranges: number[] = new Array(rangeCount * 2);
      let cursor = at + RemovePayloadField.ids;
      for (let i = 0; i < singleCount; i++, cursor += 8) singles[i] = getU64(view, cursor);
      for (let i = 0; i < rangeCount * 2; i++, cursor += 8) ranges[i] = getU64(view, cursor);
      assert(cursor === at + payloadBytes, "recordShapeValid checked the REMOVE length");
      visitor.remove(view.getUint32(at + RemovePayloadField.tableId, true), singles, ranges);
      return;
    }
    case RecordType.sourceMark:
      visitor.sourceMark(
        view.getUint32(at + SourceMarkPayloadField.tableId, true),
        view.getUint8(at + SourceMarkPayloadField.source),
        getU64(view, at + SourceMarkPayloadField.rowId),
      );
      return;
    case RecordType.truncate:
      visitor.truncate(
        view.getUint32(at + TruncatePayloadField.tableId, true),
        getU64(view, at + TruncatePayloadField.belowRowId),
      );
      return;
    case RecordType.rowMeta:
      visitor.rowMeta?.(
        view.getUint32(at + RowMetaPayloadField.tableId, true),
        getU64(view, at + RowMetaPayloadField.rowId),
        getU64(view, at + RowMetaPayloadField.visibleAt),
        view.getUint32(at + RowMetaPayloadField.attempts, true),
      );
      return;
    case RecordType.checkpoint: {
      const count = view.getUint32(at + CheckpointPayloadField.tableCount, true);
      const entries: CheckpointEntry[] = [];
      let cursor = at + CheckpointPayloadField.entries;
      for (let i = 0; i < count; i++) {
        const marks: number[] = new Array(relaySourceCount).fill(0);
        const markCount = view.getUint8(cursor + CheckpointEntryField.markCount);
        const entry: CheckpointEntry = {
          tableId: view.getUint32(cursor + CheckpointEntryField.tableId, true),
          nextRowId: getU64(view, cursor + CheckpointEntryField.nextRowId),
          lowLiveRowId: getU64(view, cursor + CheckpointEntryField.lowLiveRowId),
          sourceMarks: marks,
        };
        cursor += CheckpointEntryField.marks;
        for (let m = 0; m < markCount; m++, cursor += checkpointMarkBytes) {
          const source = view.getUint8(cursor);
          if (source < marks.length) marks[source] = getU64(view, cursor + 1);
        }
        entries.push(entry);
      }
      assert(cursor === at + payloadBytes, "recordShapeValid checked the CHECKPOINT length");
      visitor.checkpoint(entries);
      return;
    }
  }
}

/**
 * Verifies one ROW record held in `bytes[offset, offset + recordBytes)` and
 * returns its row bytes, or null when its checksum or shape is wrong.
 */
export function decodeRowRecord(
  bytes: Uint8Array,
  offset: number,
  recordBytes: number,
): Uint8Array | null {
  if (recordBytes < rowDataOffset || offset + recordBytes > bytes.length) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, recordBytes);
  const payloadBytes = view.getUint32(RecordHeaderField.payloadBytes, true);
  if (payloadBytes !== recordBytes - recordHeaderBytes) return null;
  if (bytes[offset + RecordHeaderField.type] !== RecordType.row) return null;
  const crc = crc32c(bytes, offset + RecordHeaderField.payloadBytes, offset + recordBytes);
  if (view.getUint32(RecordHeaderField.crc, true) !== crc) return null;
  return bytes.subarray(offset + rowDataOffset, offset + recordBytes);
}
