/**
 * Recovery: checks the segment chain against the log head (no segment
 * missing at either end or in between, each ending where its successor's
 * header says), scans the segments in order, verifies every batch and
 * record checksum, rebuilds each table's row index, relay marks and byte
 * counters (without keeping payloads), and cuts off a torn tail of the last
 * segment. Anything else wrong is ER_CORRUPT with its file and offset.
 * Leftovers of an unfinished segment creation are removed. Runs once, in
 * openStore, before anything is written. With a {@linkcode RecoveryPlan}
 * (`q4d check`) the same scan changes nothing: the removals and the cut it
 * would make are only reported.
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { FileHandle } from "../io/mod.ts";
import {
  batchCrcField,
  batchHeaderBytes,
  batchMagic,
  type CheckpointEntry,
  checkSegmentHeader,
  decodeBatchHeader,
  decodeLogHead,
  decodeSegmentLink,
  isZeroHeader,
  type LogHead,
  type RecordVisitor,
  segmentHeaderBytes,
  type SegmentLink,
  verifyBatchBody,
} from "./record_codec.ts";
import { RowState } from "./row_index.ts";
import {
  logHeadFileName,
  logHeadTempFileName,
  parseSegmentFileName,
  type Segment,
  type SegmentFiles,
  segmentTempSuffix,
} from "./segments.ts";
import type { TableState } from "./table_rows.ts";
import type { RecoveryReport } from "./types.ts";

/**
 * Read-only recovery: what it would remove is listed here instead of done,
 * and a torn tail is reported in the RecoveryReport but not cut.
 */
export interface RecoveryPlan {
  /** Paths recovery would delete (unfinished creations, an unwritten segment). */
  remove: string[];
}

/** Bytes read per call while loading a segment. */
const readChunkBytes = 8 * 1024 * 1024;

class RecoveryVisitor implements RecordVisitor {
  segment!: Segment;
  /** True while in the first segment: its checkpoint is where history starts. */
  firstSegment = false;
  readonly nextRowIds = new Map<number, number>();
  readonly #tables: ReadonlyMap<number, TableState>;
  readonly #segments: SegmentFiles;

  constructor(tables: ReadonlyMap<number, TableState>, segments: SegmentFiles) {
    this.#tables = tables;
    this.#segments = segments;
  }

  row(tableId: number, rowId: number, recordOffset: number, recordBytes: number): void {
    const table = this.#tables.get(tableId);
    if (table === undefined) return;
    table.addRecordBytes(this.segment, recordBytes);
    const index = table.index;
    if (rowId < index.firstRowId) {
      table.bytesRemoved += recordBytes;
      return;
    }
    index.extendTo(rowId + 1);
    const state = index.state(rowId);
    if (state === RowState.removed) {
      table.bytesRemoved += recordBytes;
      return;
    }
    if (state === RowState.live) {
      // A compaction copy supersedes the older record.
      this.#segmentOf(index.segmentOf(rowId)).liveRows--;
      table.bytesRemoved += index.lengthOf(rowId);
    }
    index.setLocation(rowId, this.segment.segmentNumber, recordOffset, recordBytes);
    index.setState(rowId, RowState.live);
    this.segment.liveRows++;
  }

  #segmentOf(segmentNumber: number): Segment {
    const segment = this.#segments.get(segmentNumber);
    if (segment === undefined) throw new Error("q4d assertion failed: row in unknown segment");
    return segment;
  }

  #removeOne(table: TableState, rowId: number): void {
    const index = table.index;
    if (rowId < index.firstRowId) return;
    index.extendTo(rowId + 1);
    const state = index.state(rowId);
    if (state === RowState.live) {
      this.#segmentOf(index.segmentOf(rowId)).liveRows--;
      table.bytesRemoved += index.lengthOf(rowId);
    }
    index.setState(rowId, RowState.removed);
  }

  remove(tableId: number, singles: readonly number[], ranges: readonly number[]): void {
    const table = this.#tables.get(tableId);
    if (table === undefined) return;
    for (const rowId of singles) this.#removeOne(table, rowId);
    for (let i = 0; i < ranges.length; i += 2) {
      for (let rowId = ranges[i]; rowId <= ranges[i + 1]; rowId++) this.#removeOne(table, rowId);
    }
  }

  rowMeta(tableId: number, rowId: number, visibleAt: number, attempts: number): void {
    const table = this.#tables.get(tableId);
    if (table === undefined || rowId < table.index.firstRowId) return;
    // The newest record wins; entries of rows not live at the end are pruned.
    table.rowMetas.set(rowId, { visibleAt, attempts });
  }

  sourceMark(tableId: number, source: number, rowId: number): void {
    const table = this.#tables.get(tableId);
    if (table !== undefined && source < table.marks.length) table.marks[source] = rowId;
  }

  truncate(tableId: number, belowRowId: number): void {
    const table = this.#tables.get(tableId);
    if (table === undefined) return;
    for (let rowId = table.index.firstRowId; rowId < belowRowId; rowId++) {
      this.#removeOne(table, rowId);
    }
  }

  checkpoint(entries: CheckpointEntry[]): void {
    for (const entry of entries) {
      const table = this.#tables.get(entry.tableId);
      if (table === undefined) continue;
      this.nextRowIds.set(
        entry.tableId,
        Math.max(this.nextRowIds.get(entry.tableId) ?? 1, entry.nextRowId),
      );
      if (!this.firstSegment) continue;
      table.index.discardBelow(entry.lowLiveRowId);
      for (let source = 0; source < table.marks.length; source++) {
        table.marks[source] = entry.sourceMarks[source] ?? 0;
      }
    }
  }
}

function corrupt(why: string, path: string, position: number): QueueError {
  return new QueueError("ER_CORRUPT", `log is corrupt: ${why}`, { path, position });
}

/** Offset of the first fully valid batch starting in (from, end), or -1. */
function findValidBatch(bytes: Uint8Array, from: number, end: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, end);
  const magic0 = batchMagic & 0xff;
  for (let at = from; at + batchHeaderBytes <= end; at++) {
    if (bytes[at] !== magic0) continue;
    const header = decodeBatchHeader(view, at);
    if (header === null) continue;
    const bodyEnd = at + batchHeaderBytes + header.bodyBytes;
    if (bodyEnd > end) continue;
    if (verifyBatchBody(bytes, at + batchHeaderBytes, bodyEnd, header.recordCount, null) < 0) {
      return at;
    }
  }
  return -1;
}

/** Offset after the last nonzero byte in [from, end), or `from` when all are zero. */
function nonZeroEnd(bytes: Uint8Array, from: number, end: number): number {
  for (let at = end - 1; at >= from; at--) if (bytes[at] !== 0) return at + 1;
  return from;
}

async function readWhole(segment: Segment, size: number, buffer: Uint8Array): Promise<void> {
  let done = 0;
  while (done < size) {
    const want = Math.min(readChunkBytes, size - done);
    const count = await segment.handle.read(buffer.subarray(done, done + want), done);
    if (count === 0) break;
    done += count;
  }
  buffer.fill(0, done, size);
}

async function readHead(segments: SegmentFiles): Promise<LogHead | null> {
  const path = `${segments.logDirectory}/${logHeadFileName}`;
  if (!(await segments.fs.exists(path))) return null;
  const head = decodeLogHead(await segments.fs.readFile(path));
  if (typeof head === "string") throw corrupt(head, path, 0);
  return head;
}

/**
 * Opens and scans every segment of the log directory into `segments`,
 * rebuilding `tables` (by table id). Returns what it did. With `plan`,
 * modifies no file and lists in it what it would have removed.
 */
export async function recoverLog(
  segments: SegmentFiles,
  tables: ReadonlyMap<number, TableState>,
  plan: RecoveryPlan | null = null,
): Promise<RecoveryReport> {
  const handles: FileHandle[] = [];
  try {
    return await scanLog(segments, tables, handles, plan);
  } catch (error) {
    // A failed open must not leak descriptors: close every handle opened here
    // (closing is idempotent, so those of segments already adopted too).
    for (const handle of handles) await handle.close().catch(() => {});
    throw error;
  }
}

async function scanLog(
  segments: SegmentFiles,
  tables: ReadonlyMap<number, TableState>,
  handles: FileHandle[],
  plan: RecoveryPlan | null,
): Promise<RecoveryReport> {
  const startedMs = performance.now();
  const fs = segments.fs;
  const numbers: number[] = [];
  for (const name of await fs.list(segments.logDirectory)) {
    // Unfinished creations and head rewrites: never part of the log.
    if (name === logHeadTempFileName || name.endsWith(".q4l" + segmentTempSuffix)) {
      if (plan === null) await fs.remove(`${segments.logDirectory}/${name}`);
      else plan.remove.push(`${segments.logDirectory}/${name}`);
      continue;
    }
    const segmentNumber = parseSegmentFileName(name);
    if (segmentNumber !== null) numbers.push(segmentNumber);
  }
  numbers.sort((a, b) => a - b);
  for (let i = 1; i < numbers.length; i++) {
    if (numbers[i] !== numbers[i - 1] + 1) {
      throw corrupt("a segment is missing", segments.pathOf(numbers[i - 1] + 1), 0);
    }
  }
  const sizes: number[] = [];
  const links: SegmentLink[] = [];
  const header = new Uint8Array(segmentHeaderBytes);
  for (const segmentNumber of numbers) {
    const path = segments.pathOf(segmentNumber);
    const handle = await fs.open(path);
    handles.push(handle);
    sizes.push(await handle.size());
    // Offsets inside a segment are u32 (the row index): no writer makes a larger one.
    if (sizes[sizes.length - 1] >= 2 ** 32) throw corrupt("segment larger than 4 GiB", path, 0);
    let done = 0;
    while (done < header.length) {
      const count = await handle.read(header.subarray(done), done);
      if (count === 0) break;
      done += count;
    }
    const headerProblem = checkSegmentHeader(header.subarray(0, done), segmentNumber);
    if (headerProblem !== null) throw corrupt(headerProblem, path, 0);
    links.push(decodeSegmentLink(header));
  }
  // The head: no segment below `first` may be missing, none up to `last` either.
  const head = await readHead(segments);
  const headPath = `${segments.logDirectory}/${logHeadFileName}`;
  const first = head?.first ?? 1;
  const last = head?.last ?? 0;
  if (numbers.length > 0 && numbers[numbers.length - 1] === last + 1) {
    // Created (header durable, renamed) but the head not yet raised: never written to.
    const i = numbers.length - 1;
    const probe = new Uint8Array(sizes[i]);
    let done = 0;
    while (done < probe.length) {
      const count = await handles[i].read(probe.subarray(done), done);
      if (count === 0) break;
      done += count;
    }
    if (nonZeroEnd(probe, segmentHeaderBytes, done) > segmentHeaderBytes) {
      throw corrupt("a segment newer than the log head holds data", segments.pathOf(last + 1), 0);
    }
    await handles[i].close();
    if (plan === null) {
      await fs.remove(segments.pathOf(last + 1));
      await fs.syncDirectory(segments.logDirectory);
    } else {
      plan.remove.push(segments.pathOf(last + 1));
    }
    numbers.pop();
    handles.pop();
    sizes.pop();
    links.pop();
  }
  if (numbers.length === 0) {
    if (last > 0) throw corrupt("every segment of the log is missing", segments.pathOf(last), 0);
  } else {
    const newest = numbers[numbers.length - 1];
    if (newest > last) {
      throw corrupt(
        head === null ? "the log head is missing" : "segments newer than the log head",
        headPath,
        0,
      );
    }
    if (newest < last) {
      throw corrupt("the newest segment is missing", segments.pathOf(newest + 1), 0);
    }
    if (numbers[0] > first) {
      throw corrupt("the oldest segment is missing", segments.pathOf(numbers[0] - 1), 0);
    }
  }
  segments.loadHead({ first, last });
  for (const table of tables.values()) table.index.recovering = true;
  const visitor = new RecoveryVisitor(tables, segments);
  const report: RecoveryReport = {
    segmentCount: numbers.length,
    batchCount: 0,
    bytesScanned: 0,
    tornTail: null,
    durationMs: 0,
  };
  let buffer = new Uint8Array(0);
  for (let i = 0; i < numbers.length; i++) {
    const size = sizes[i];
    const path = segments.pathOf(numbers[i]);
    const isLast = i === numbers.length - 1;
    // A segment before the last ends exactly where its successor's header says.
    const next = isLast ? null : links[i + 1];
    if (next !== null && (next.previousEnd > size || next.previousEnd <= segmentHeaderBytes)) {
      throw corrupt("segment is shorter than its successor records", path, size);
    }
    const end = next === null ? size : next.previousEnd;
    if (buffer.length < size) buffer = new Uint8Array(Math.max(size, buffer.length * 2));
    const segment: Segment = {
      segmentNumber: numbers[i],
      path,
      handle: handles[i],
      dataEnd: segmentHeaderBytes,
      preallocatedEnd: size,
      liveRows: 0,
      tableBytes: new Map(),
      lastBatchCrc: 0,
      sealed: !isLast,
    };
    await readWhole(segment, size, buffer);
    const bytes = buffer.subarray(0, end);
    segments.adopt(segment);
    visitor.segment = segment;
    visitor.firstSegment = i === 0;
    const view = new DataView(bytes.buffer, bytes.byteOffset, end);
    let at = segmentHeaderBytes;
    let failedAt = -1;
    let badAt = -1;
    while (true) {
      if (at + batchHeaderBytes > end || isZeroHeader(bytes, at)) {
        // End of data, unless bytes follow (a torn batch whose first page was lost).
        if (nonZeroEnd(bytes, at, end) > at) failedAt = badAt = at;
        break;
      }
      const header = decodeBatchHeader(view, at);
      const bodyEnd = header === null ? -1 : at + batchHeaderBytes + header.bodyBytes;
      if (header === null || bodyEnd > end) {
        failedAt = badAt = at;
        break;
      }
      const bad = verifyBatchBody(
        bytes,
        at + batchHeaderBytes,
        bodyEnd,
        header.recordCount,
        visitor,
      );
      if (bad >= 0) {
        failedAt = at;
        badAt = bad;
        break;
      }
      report.batchCount++;
      visitor.firstSegment = false;
      segment.lastBatchCrc = batchCrcField(bytes, at);
      at = bodyEnd;
    }
    segment.dataEnd = at;
    report.bytesScanned += size;
    if (next !== null) {
      // Only the last segment can have a torn tail: here anything short is damage.
      if (failedAt >= 0) throw corrupt("bad batch in a segment before the last", path, badAt);
      if (at !== end) throw corrupt("segment ends before its successor records", path, at);
      if (segment.lastBatchCrc !== next.previousLastBatchCrc) {
        throw corrupt("last batch differs from the one its successor records", path, at);
      }
      continue;
    }
    if (failedAt < 0) continue;
    // A failed batch is a torn tail only if nothing valid was written after it.
    if (findValidBatch(bytes, failedAt + 1, size) >= 0) {
      throw corrupt("bad batch before valid data", path, badAt);
    }
    report.tornTail = {
      path,
      offset: failedAt,
      bytesDropped: nonZeroEnd(bytes, failedAt, size) - failedAt,
    };
    if (plan === null) await segment.handle.truncate(failedAt);
    segment.preallocatedEnd = failedAt;
  }
  for (const table of tables.values()) {
    table.index.extendTo(visitor.nextRowIds.get(table.tableId) ?? 1);
    table.index.recovering = false;
    for (const rowId of table.rowMetas.keys()) {
      if (table.index.state(rowId) !== RowState.live) table.rowMetas.delete(rowId);
    }
  }
  report.durationMs = performance.now() - startedMs;
  return report;
}
