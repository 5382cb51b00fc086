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

import { assert, defined, QueueError } from "../errors.ts";
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
    return defined(segment, "a live row's segment was adopted before it");
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
    assert(ranges.length % 2 === 0, "ranges come in first, last pairs");
    for (let i = 0; i < ranges.length; i += 2) {
      const last = defined(ranges[i + 1], "i + 1 < length");
      for (let rowId = defined(ranges[i], "i < length"); rowId <= last; rowId++) {
        this.#removeOne(table, rowId);
      }
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

/** A segment file of the log directory, opened, its header checked. */
interface SegmentFile {
  readonly segmentNumber: number;
  readonly path: string;
  readonly handle: FileHandle;
  readonly size: number;
  /** What its header records about its predecessor. */
  readonly link: SegmentLink;
}

/** What the scan of the segments carries from one to the next. */
interface Scan {
  readonly segments: SegmentFiles;
  readonly visitor: RecoveryVisitor;
  readonly report: RecoveryReport;
  readonly plan: RecoveryPlan | null;
  /** Reused for every segment, grown to the largest. */
  buffer: Uint8Array;
}

/**
 * The steps of recovery: find the segment files, check the chain they form
 * against the log head, scan each segment's batches, then settle the tables.
 */
async function scanLog(
  segments: SegmentFiles,
  tables: ReadonlyMap<number, TableState>,
  handles: FileHandle[],
  plan: RecoveryPlan | null,
): Promise<RecoveryReport> {
  const startedMs = performance.now();
  const numbers = await listSegmentNumbers(segments, plan);
  const files = await openSegmentFiles(segments, numbers, handles);
  const head = await readHead(segments);
  const first = head?.first ?? 1;
  const last = head?.last ?? 0;
  await dropUnwrittenNewest(segments, files, last, plan);
  checkChainEnds(segments, files, head, first, last);
  segments.loadHead({ first, last });
  for (const table of tables.values()) table.index.recovering = true;
  const scan: Scan = {
    segments,
    visitor: new RecoveryVisitor(tables, segments),
    report: {
      segmentCount: files.length,
      batchCount: 0,
      bytesScanned: 0,
      tornTail: null,
      durationMs: 0,
    },
    plan,
    buffer: new Uint8Array(0),
  };
  for (let i = 0; i < files.length; i++) {
    const file = defined(files[i], "i < length");
    await scanSegment(scan, file, files[i + 1]?.link ?? null, i === 0);
  }
  settleTables(tables, scan.visitor);
  scan.report.durationMs = performance.now() - startedMs;
  return scan.report;
}

/**
 * The numbers of the segment files, ascending and without a gap; leftovers of
 * unfinished creations and head rewrites are removed (or listed in `plan`).
 */
async function listSegmentNumbers(
  segments: SegmentFiles,
  plan: RecoveryPlan | null,
): Promise<number[]> {
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
    const previous = defined(numbers[i - 1], "i - 1 < length");
    if (numbers[i] !== previous + 1) {
      throw corrupt("a segment is missing", segments.pathOf(previous + 1), 0);
    }
  }
  return numbers;
}

/** Opens each segment (into `handles`, closed by the caller on failure) and checks its header. */
async function openSegmentFiles(
  segments: SegmentFiles,
  numbers: readonly number[],
  handles: FileHandle[],
): Promise<SegmentFile[]> {
  const files: SegmentFile[] = [];
  const header = new Uint8Array(segmentHeaderBytes);
  for (const segmentNumber of numbers) {
    const path = segments.pathOf(segmentNumber);
    const handle = await segments.fs.open(path);
    handles.push(handle);
    const size = await handle.size();
    // Offsets inside a segment are u32 (the row index): no writer makes a larger one.
    if (size >= 2 ** 32) throw corrupt("segment larger than 4 GiB", path, 0);
    const done = await readFrom(handle, header);
    const headerProblem = checkSegmentHeader(header.subarray(0, done), segmentNumber);
    if (headerProblem !== null) throw corrupt(headerProblem, path, 0);
    files.push({ segmentNumber, path, handle, size, link: decodeSegmentLink(header) });
  }
  return files;
}

/** Reads from offset 0 until `into` is full or the file ends; returns the bytes read. */
async function readFrom(handle: FileHandle, into: Uint8Array): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const count = await handle.read(into.subarray(done), done);
    if (count === 0) break;
    done += count;
  }
  return done;
}

/**
 * A segment one past the head's last was created (header durable, renamed)
 * but the head not yet raised: never written to, so it goes (or is listed in
 * `plan`). Holding data, it is damage.
 */
async function dropUnwrittenNewest(
  segments: SegmentFiles,
  files: SegmentFile[],
  last: number,
  plan: RecoveryPlan | null,
): Promise<void> {
  const newest = files[files.length - 1];
  if (newest === undefined || newest.segmentNumber !== last + 1) return;
  const probe = new Uint8Array(newest.size);
  const done = await readFrom(newest.handle, probe);
  if (nonZeroEnd(probe, segmentHeaderBytes, done) > segmentHeaderBytes) {
    throw corrupt("a segment newer than the log head holds data", newest.path, 0);
  }
  await newest.handle.close();
  if (plan === null) {
    await segments.fs.remove(newest.path);
    await segments.fs.syncDirectory(segments.logDirectory);
  } else {
    plan.remove.push(newest.path);
  }
  files.pop();
}

/** The head's `first` and `last` against the files: none missing at either end. */
function checkChainEnds(
  segments: SegmentFiles,
  files: readonly SegmentFile[],
  head: LogHead | null,
  first: number,
  last: number,
): void {
  const oldest = files[0];
  const newest = files[files.length - 1];
  if (oldest === undefined || newest === undefined) {
    if (last > 0) throw corrupt("every segment of the log is missing", segments.pathOf(last), 0);
    return;
  }
  if (newest.segmentNumber > last) {
    throw corrupt(
      head === null ? "the log head is missing" : "segments newer than the log head",
      `${segments.logDirectory}/${logHeadFileName}`,
      0,
    );
  }
  if (newest.segmentNumber < last) {
    throw corrupt("the newest segment is missing", segments.pathOf(newest.segmentNumber + 1), 0);
  }
  if (oldest.segmentNumber > first) {
    throw corrupt("the oldest segment is missing", segments.pathOf(oldest.segmentNumber - 1), 0);
  }
  // With listSegmentNumbers' no-gap check, the files are exactly first..last.
  assert(
    newest.segmentNumber - oldest.segmentNumber === files.length - 1,
    "segment files are consecutive",
  );
}

/**
 * Reads one segment whole, adopts it into `scan.segments` and replays its
 * batches into the visitor. `next` is the successor's link (null for the
 * last segment): a segment before the last must end exactly where it says;
 * only the last may have a torn tail, which is cut (or only reported).
 */
async function scanSegment(
  scan: Scan,
  file: SegmentFile,
  next: SegmentLink | null,
  isFirst: boolean,
): Promise<void> {
  const { path, size } = file;
  if (next !== null && (next.previousEnd > size || next.previousEnd <= segmentHeaderBytes)) {
    throw corrupt("segment is shorter than its successor records", path, size);
  }
  const end = next === null ? size : next.previousEnd;
  if (scan.buffer.length < size) {
    scan.buffer = new Uint8Array(Math.max(size, scan.buffer.length * 2));
  }
  const segment: Segment = {
    segmentNumber: file.segmentNumber,
    path,
    handle: file.handle,
    dataEnd: segmentHeaderBytes,
    preallocatedEnd: size,
    liveRows: 0,
    tableBytes: new Map(),
    lastBatchCrc: 0,
    sealed: next !== null,
  };
  await readWhole(segment, size, scan.buffer);
  const bytes = scan.buffer.subarray(0, end);
  scan.segments.adopt(segment);
  scan.visitor.segment = segment;
  scan.visitor.firstSegment = isFirst;
  const { at, failedAt, badAt } = replayBatches(bytes, segment, scan);
  assert(segmentHeaderBytes <= at && at <= end, "the scan stops inside the segment's data");
  segment.dataEnd = at;
  scan.report.bytesScanned += size;
  if (next !== null) {
    // Only the last segment can have a torn tail: here anything short is damage.
    if (failedAt >= 0) throw corrupt("bad batch in a segment before the last", path, badAt);
    if (at !== end) throw corrupt("segment ends before its successor records", path, at);
    if (segment.lastBatchCrc !== next.previousLastBatchCrc) {
      throw corrupt("last batch differs from the one its successor records", path, at);
    }
    return;
  }
  if (failedAt < 0) return;
  // A failed batch is a torn tail only if nothing valid was written after it.
  if (findValidBatch(bytes, failedAt + 1, size) >= 0) {
    throw corrupt("bad batch before valid data", path, badAt);
  }
  assert(failedAt === at, "a torn tail starts where the valid batches end");
  scan.report.tornTail = {
    path,
    offset: failedAt,
    bytesDropped: nonZeroEnd(bytes, failedAt, size) - failedAt,
  };
  if (scan.plan === null) await segment.handle.truncate(failedAt);
  segment.preallocatedEnd = failedAt;
}

/** Where the batch replay of a segment stopped, and why. */
interface Replay {
  /** End of the last valid batch. */
  at: number;
  /** Start of the batch that failed verification, or -1 when none did. */
  failedAt: number;
  /** The offset of the damage itself (inside the failed batch), or -1. */
  badAt: number;
}

/** Verifies and replays the batches of `bytes` in order until the data ends or one fails. */
function replayBatches(bytes: Uint8Array, segment: Segment, scan: Scan): Replay {
  const end = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, end);
  let at = segmentHeaderBytes;
  while (true) {
    if (at + batchHeaderBytes > end || isZeroHeader(bytes, at)) {
      // End of data, unless bytes follow (a torn batch whose first page was lost).
      if (nonZeroEnd(bytes, at, end) > at) return { at, failedAt: at, badAt: at };
      return { at, failedAt: -1, badAt: -1 };
    }
    const header = decodeBatchHeader(view, at);
    const bodyEnd = header === null ? -1 : at + batchHeaderBytes + header.bodyBytes;
    if (header === null || bodyEnd > end) return { at, failedAt: at, badAt: at };
    const bad = verifyBatchBody(
      bytes,
      at + batchHeaderBytes,
      bodyEnd,
      header.recordCount,
      scan.visitor,
    );
    if (bad >= 0) return { at, failedAt: at, badAt: bad };
    assert(bodyEnd > at, "a verified batch moves the scan forward");
    scan.report.batchCount++;
    scan.visitor.firstSegment = false;
    segment.lastBatchCrc = batchCrcField(bytes, at);
    at = bodyEnd;
  }
}

/** After the scan: every table's next id, its index out of recovery, metas of dead rows gone. */
function settleTables(tables: ReadonlyMap<number, TableState>, visitor: RecoveryVisitor): void {
  for (const table of tables.values()) {
    table.index.extendTo(visitor.nextRowIds.get(table.tableId) ?? 1);
    table.index.recovering = false;
    for (const rowId of table.rowMetas.keys()) {
      if (table.index.state(rowId) !== RowState.live) table.rowMetas.delete(rowId);
    }
  }
}
