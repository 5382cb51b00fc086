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
  bytes.set(segmentMagic, 0);
  view.setUint32(8, formatVersion, true);
  setU64(view, 12, segmentNumber);
  setU64(view, 20, link.previousEnd);
  view.setUint32(28, link.previousLastBatchCrc, true);
  view.setUint32(60, crc32c(bytes, 0, 60), true);
  return bytes;
}

/** Checks a segment header; returns a reason when it is not valid for `segmentNumber`, else null. */
export function checkSegmentHeader(bytes: Uint8Array, segmentNumber: number): string | null {
  if (bytes.length < segmentHeaderBytes) return "segment shorter than its header";
  const view = new DataView(bytes.buffer, bytes.byteOffset, segmentHeaderBytes);
  for (let i = 0; i < segmentMagic.length; i++) {
    if (bytes[i] !== segmentMagic[i]) return "bad segment magic";
  }
  if (view.getUint32(60, true) !== crc32c(bytes, 0, 60)) return "bad segment header checksum";
  const version = view.getUint32(8, true);
  if (!formatVersionsRead.includes(version)) {
    return `unsupported format version ${version} (this build reads ${
      formatVersionsRead.join(", ")
    })`;
  }
  if (getU64(view, 12) !== segmentNumber) return "segment number does not match its file name";
  return null;
}

/** The link of a header that {@linkcode checkSegmentHeader} accepted. */
export function decodeSegmentLink(bytes: Uint8Array): SegmentLink {
  const view = new DataView(bytes.buffer, bytes.byteOffset, segmentHeaderBytes);
  return { previousEnd: getU64(view, 20), previousLastBatchCrc: view.getUint32(28, true) };
}

/** The CRC field of the batch header at `offset` (what a segment link records). */
export function batchCrcField(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, batchHeaderBytes).getUint32(
    12,
    true,
  );
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
  bytes.set(logHeadMagic, 0);
  view.setUint32(8, formatVersion, true);
  setU64(view, 12, head.first);
  setU64(view, 20, head.last);
  view.setUint32(28, crc32c(bytes, 0, 28), true);
  return bytes;
}

/** Decodes the log head file; a string says why it is not valid. */
export function decodeLogHead(bytes: Uint8Array): LogHead | string {
  if (bytes.length !== logHeadBytes) return "log head has the wrong size";
  const view = new DataView(bytes.buffer, bytes.byteOffset, logHeadBytes);
  for (let i = 0; i < logHeadMagic.length; i++) {
    if (bytes[i] !== logHeadMagic[i]) return "bad log head magic";
  }
  if (view.getUint32(28, true) !== crc32c(bytes, 0, 28)) return "bad log head checksum";
  const version = view.getUint32(8, true);
  if (!formatVersionsRead.includes(version)) return `unsupported log head version ${version}`;
  const head = { first: getU64(view, 12), last: getU64(view, 20) };
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
    setU32(this.#view, this.#length + 4, payloadBytes);
    this.#bytes[this.#length + 8] = type;
    this.#length += recordHeaderBytes;
    return this.#length;
  }

  #end(): void {
    const start = this.#recordStart;
    this.#view.setUint32(start, crc32c(this.#bytes, start + 4, this.#length), true);
    this.#recordCount++;
  }

  /** Appends a ROW record; returns its offset inside the batch. */
  addRow(tableId: number, rowId: number, payload: Uint8Array): number {
    const at = this.#begin(RecordType.row, rowPrefixBytes + payload.length);
    setU32(this.#view, at, tableId);
    setU64(this.#view, at + 4, rowId);
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
    const at = this.#begin(RecordType.remove, 12 + 8 * singleCount + 16 * rangeCount);
    const view = this.#view;
    setU32(view, at, tableId);
    setU32(view, at + 4, singleCount);
    setU32(view, at + 8, rangeCount);
    let single = at + 12;
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
    this.#length = range;
    this.#end();
  }

  /** Appends a SOURCE_MARK record. */
  addSourceMark(tableId: number, source: number, rowId: number): void {
    const at = this.#begin(RecordType.sourceMark, 13);
    setU32(this.#view, at, tableId);
    setU8(this.#bytes, at + 4, source);
    setU64(this.#view, at + 5, rowId);
    this.#length = at + 13;
    this.#end();
  }

  /** Appends a ROW_META record: the row's visible-at time (ms, 0 = now) and delivery count. */
  addRowMeta(tableId: number, rowId: number, visibleAt: number, attempts: number): void {
    const at = this.#begin(RecordType.rowMeta, rowMetaPayloadBytes);
    setU32(this.#view, at, tableId);
    setU64(this.#view, at + 4, rowId);
    setU64(this.#view, at + 12, visibleAt);
    setU32(this.#view, at + 20, attempts);
    this.#length = at + rowMetaPayloadBytes;
    this.#end();
  }

  /** Appends a TRUNCATE record: every id below `belowRowId` is removed. */
  addTruncate(tableId: number, belowRowId: number): void {
    const at = this.#begin(RecordType.truncate, 12);
    setU32(this.#view, at, tableId);
    setU64(this.#view, at + 4, belowRowId);
    this.#length = at + 12;
    this.#end();
  }

  /** Appends a CHECKPOINT record. */
  addCheckpoint(entries: readonly CheckpointEntry[]): void {
    let bytes = 4;
    for (const entry of entries) {
      bytes += 21;
      for (const mark of entry.sourceMarks) if (mark !== 0) bytes += 9;
    }
    const at = this.#begin(RecordType.checkpoint, bytes);
    const view = this.#view;
    setU32(view, at, entries.length);
    let offset = at + 4;
    for (const entry of entries) {
      setU32(view, offset, entry.tableId);
      setU64(view, offset + 4, entry.nextRowId);
      setU64(view, offset + 12, entry.lowLiveRowId);
      let markCount = 0;
      for (const mark of entry.sourceMarks) if (mark !== 0) markCount++;
      setU8(this.#bytes, offset + 20, markCount);
      offset += 21;
      for (let source = 0; source < entry.sourceMarks.length; source++) {
        const mark = defined(entry.sourceMarks[source], "source < length");
        if (mark === 0) continue;
        setU8(this.#bytes, offset, source);
        setU64(view, offset + 1, mark);
        offset += 9;
      }
    }
    this.#length = offset;
    this.#end();
  }

  /** Writes the header and returns the batch (a view of the internal buffer). */
  finish(): Uint8Array {
    const view = this.#view;
    view.setUint32(0, batchMagic, true);
    setU32(view, 4, this.#length - batchHeaderBytes);
    setU32(view, 8, this.#recordCount);
    view.setUint32(12, crc32c(this.#bytes, 0, 12), true);
    return this.#bytes.subarray(0, this.#length);
  }
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
  if (view.getUint32(offset, true) !== batchMagic) return null;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (view.getUint32(offset + 12, true) !== crc32c(bytes, offset, offset + 12)) return null;
  return {
    bodyBytes: view.getUint32(offset + 4, true),
    recordCount: view.getUint32(offset + 8, true),
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
    const payloadBytes = view.getUint32(offset + 4, true);
    const recordEnd = offset + recordHeaderBytes + payloadBytes;
    if (recordEnd > end || recordEnd < offset) return offset;
    if (view.getUint32(offset, true) !== crc32c(bytes, offset + 4, recordEnd)) return offset;
    if (!recordShapeValid(bytes, view, offset, payloadBytes)) return offset;
    offset = recordEnd;
  }
  if (offset !== end) return offset;
  if (visitor === null) return -1;
  offset = start;
  for (let i = 0; i < recordCount; i++) {
    const payloadBytes = view.getUint32(offset + 4, true);
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
  switch (bytes[offset + 8]) {
    case RecordType.row:
      return payloadBytes >= rowPrefixBytes;
    case RecordType.remove: {
      if (payloadBytes < 12) return false;
      const singles = view.getUint32(at + 4, true);
      const ranges = view.getUint32(at + 8, true);
      return payloadBytes === 12 + 8 * singles + 16 * ranges;
    }
    case RecordType.sourceMark:
      return payloadBytes === 13;
    case RecordType.truncate:
      return payloadBytes === 12;
    case RecordType.rowMeta:
      return payloadBytes === rowMetaPayloadBytes;
    case RecordType.checkpoint: {
      if (payloadBytes < 4) return false;
      const count = view.getUint32(at, true);
      let cursor = at + 4;
      const end = at + payloadBytes;
      for (let i = 0; i < count; i++) {
        if (cursor + 21 > end) return false;
        cursor += 21 + 9 * view.getUint8(cursor + 20);
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
  switch (bytes[offset + 8]) {
    case RecordType.row:
      visitor.row(
        view.getUint32(at, true),
        getU64(view, at + 4),
        offset,
        recordHeaderBytes + payloadBytes,
      );
      return;
    case RecordType.remove: {
      const singleCount = view.getUint32(at + 4, true);
      const rangeCount = view.getUint32(at + 8, true);
      const singles: number[] = new Array(singleCount);
      const ranges: number[] = new Array(rangeCount * 2);
      let cursor = at + 12;
      for (let i = 0; i < singleCount; i++, cursor += 8) singles[i] = getU64(view, cursor);
      for (let i = 0; i < rangeCount * 2; i++, cursor += 8) ranges[i] = getU64(view, cursor);
      visitor.remove(view.getUint32(at, true), singles, ranges);
      return;
    }
    case RecordType.sourceMark:
      visitor.sourceMark(view.getUint32(at, true), view.getUint8(at + 4), getU64(view, at + 5));
      return;
    case RecordType.truncate:
      visitor.truncate(view.getUint32(at, true), getU64(view, at + 4));
      return;
    case RecordType.rowMeta:
      visitor.rowMeta?.(
        view.getUint32(at, true),
        getU64(view, at + 4),
        getU64(view, at + 12),
        view.getUint32(at + 20, true),
      );
      return;
    case RecordType.checkpoint: {
      const count = view.getUint32(at, true);
      const entries: CheckpointEntry[] = [];
      let cursor = at + 4;
      for (let i = 0; i < count; i++) {
        const marks: number[] = new Array(64).fill(0);
        const markCount = view.getUint8(cursor + 20);
        const entry: CheckpointEntry = {
          tableId: view.getUint32(cursor, true),
          nextRowId: getU64(view, cursor + 4),
          lowLiveRowId: getU64(view, cursor + 12),
          sourceMarks: marks,
        };
        cursor += 21;
        for (let m = 0; m < markCount; m++, cursor += 9) {
          const source = view.getUint8(cursor);
          if (source < marks.length) marks[source] = getU64(view, cursor + 1);
        }
        entries.push(entry);
      }
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
  if (view.getUint32(4, true) !== recordBytes - recordHeaderBytes) return null;
  if (bytes[offset + 8] !== RecordType.row) return null;
  if (view.getUint32(0, true) !== crc32c(bytes, offset + 4, offset + recordBytes)) return null;
  return bytes.subarray(offset + rowDataOffset, offset + recordBytes);
}
