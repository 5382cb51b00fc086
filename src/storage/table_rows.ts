/**
 * One table's rows ({@linkcode TableRows}): the row index, relay marks and
 * byte counters, and the log operations that change them (append, remove,
 * truncate, compaction's copy), each applying its effect in memory at once
 * and its durable effect when group commit says its batch is on disk.
 *
 * State owned here, per table: the row index (which ids are live), row
 * meta (visible-at, delivery counts), the relay watermarks (in flight and
 * durable: the only copy; the backend reads them) and the byte counters.
 *
 * local backend → this file → group_commit.ts.
 *
 * @module
 */

import { assert, defined, QueueError } from "../errors.ts";
import { batchBytesMax, relaySourceCount, rowBytesMax, rowOverheadBytesMax } from "../limits.ts";
import type { GroupCommit, LogOperation, RelayMarkWrite } from "./group_commit.ts";
import {
  type BatchEncoder,
  decodeRowRecord,
  removeRecordBytesMax,
  rowIdMax,
  rowMetaRecordBytes,
  rowRecordBytes,
  runEnd,
  sourceMarkRecordBytes,
  truncateRecordBytes,
} from "./record_codec.ts";
import { RowIndex, RowState } from "./row_index.ts";
import type { Segment, SegmentFiles } from "./segments.ts";
import type { RowMeta, SourceMark, TableCounters, TableRows } from "./types.ts";

/** How long a delivery count waits for another commit before starting a round of its own. */
export const metaDeferMs = 100;

const noMeta: RowMeta = Object.freeze({ visibleAt: 0, attempts: 0 });

/** What a table needs from its store. */
export interface TableContext {
  readonly commit: GroupCommit;
  readonly segments: SegmentFiles;
  /** Throws ER_CLOSED once the store is closed. */
  checkOpen(): void;
  /** Rows became live (durable append, or a failed removal undone). */
  rowsLive(table: TableState, firstRowId: number, count: number): void;
  /** Queues an append or removal for commit (or for the atomic unit being built). */
  submit(operation: LogOperation): void;
}

// The overhead limits.ts budgets for around a row must cover the real one.
assert(
  rowRecordBytes(0) + sourceMarkRecordBytes + rowMetaRecordBytes <= rowOverheadBytesMax,
  "a row's record overhead exceeds rowOverheadBytesMax",
);

/** Ids per REMOVE operation, so that its record bound stays within a batch. */
const removeIdsPerOperationMax = Math.floor(
  (batchBytesMax - removeRecordBytesMax(0)) / (removeRecordBytesMax(1) - removeRecordBytesMax(0)),
);
assert(
  removeRecordBytesMax(removeIdsPerOperationMax) <= batchBytesMax,
  "a REMOVE operation's record fits a batch",
);

/** Delivery counts one operation writes at most (half a batch); more wait for the next. */
const countsPerOperationMax = Math.floor(batchBytesMax / 2 / rowMetaRecordBytes);

/** Calls `report(first, count)` for each run of consecutive ids in ascending `rowIds`. */
function forEachRun(
  rowIds: readonly number[],
  report: (first: number, count: number) => void,
): void {
  for (let i = 0; i < rowIds.length;) {
    const j = runEnd(rowIds, i);
    report(defined(rowIds[i], "i < length"), j - i + 1);
    i = j + 1;
  }
}

/** The in-memory state of one table: the {@linkcode TableRows} the store hands out. */
export class TableState implements TableRows {
  readonly tableId: number;
  name: string;
  meta: unknown;
  readonly index: RowIndex;
  /** Relay watermarks by source slot (in memory: set at append, undone on failure). */
  readonly marks: number[] = new Array(relaySourceCount).fill(0);
  /** The relay watermarks whose batch is durable (what a checkpoint may record). */
  readonly durableMarks: number[] = new Array(relaySourceCount).fill(0);
  /** Bytes of this table's ROW records in the log. */
  bytesTotal = 0;
  /** The part of bytesTotal that is removed or superseded. */
  bytesRemoved = 0;
  /** Set once dropped: pending operations then touch nothing. */
  dropped = false;
  /** ROW_META state of live rows that have any (in memory at once, like the index). */
  readonly rowMetas: Map<number, RowMeta> = new Map();
  /** Rows whose delivery count changed since it was last written (repeats allowed). */
  countedRows: number[] = [];
  /** The queued operation that writes countedRows, if any. */
  countsQueued: CountsOperation | null = null;
  readonly #context: TableContext;

  constructor(tableId: number, name: string, meta: unknown, context: TableContext) {
    this.tableId = tableId;
    this.name = name;
    this.meta = meta;
    this.index = new RowIndex(1);
    this.#context = context;
  }

  /** Live rows now. */
  get liveCount(): number {
    return this.index.liveCount;
  }

  #checkUsable(): void {
    this.#context.checkOpen();
    if (this.dropped) {
      throw new QueueError("ER_NO_SUCH_TABLE", `table '${this.name}' was dropped`);
    }
  }

  /** Exact counters. */
  counters(): TableCounters {
    this.#context.checkOpen();
    const rowsWritten = this.index.nextRowId - 1;
    return {
      rowsWritten,
      rowsRemoved: rowsWritten - this.index.liveCount - this.index.pendingCount,
      bytesTotal: this.bytesTotal,
      bytesRemoved: this.bytesRemoved,
    };
  }

  /** The smallest live id above `afterId`, or 0. */
  nextLive(afterId: number): number {
    this.#context.checkOpen();
    return this.index.nextLive(afterId);
  }

  /** True when the row is live. */
  isLive(rowId: number): boolean {
    this.#context.checkOpen();
    return this.index.state(rowId) === RowState.live;
  }

  /** The relay watermarks. */
  sourceMarks(): readonly number[] {
    this.#context.checkOpen();
    return this.marks;
  }

  /** The row's visible-at time and delivery count. */
  rowMeta(rowId: number): RowMeta {
    return this.rowMetas.get(rowId) ?? noMeta;
  }

  /** Rows with a nonzero visible-at time. */
  delayedRows(): Array<[number, number]> {
    this.#context.checkOpen();
    const rows: Array<[number, number]> = [];
    for (const [rowId, meta] of this.rowMetas) {
      if (meta.visibleAt > 0) rows.push([rowId, meta.visibleAt]);
    }
    return rows;
  }

  /**
   * Counts a delivery of live row `rowId`: in memory at once; written with
   * the next commit round (or in one of its own after metaDeferMs), left
   * out of a round that also removes the row.
   */
  countDelivery(rowId: number): void {
    this.#checkUsable();
    const meta = this.rowMetas.get(rowId) ?? noMeta;
    assert(meta.attempts < 0xffff_ffff, "delivery count out of range");
    // A delivered row is visible: its due time, if any, has passed.
    this.rowMetas.set(rowId, { visibleAt: 0, attempts: meta.attempts + 1 });
    this.countedRows.push(rowId);
    this.queueCounts();
  }

  /** Queues the operation writing countedRows unless one is queued. */
  queueCounts(): void {
    if (this.countsQueued !== null || this.countedRows.length === 0 || this.dropped) return;
    const operation = new CountsOperation(this, this.#context.commit);
    this.countsQueued = operation;
    this.#context.commit.submitDeferred(operation, metaDeferMs);
  }

  /** Sets a live row's meta now; durable when the promise resolves. */
  setRowMeta(rowId: number, meta: RowMeta): Promise<void> {
    try {
      this.#checkUsable();
    } catch (error) {
      return Promise.reject(error);
    }
    assert(this.index.state(rowId) === RowState.live, `meta of row ${rowId} that is not live`);
    assert(
      Number.isSafeInteger(meta.visibleAt) && meta.visibleAt >= 0 &&
        Number.isInteger(meta.attempts) && meta.attempts >= 0 && meta.attempts <= 0xffff_ffff,
      "row meta out of range",
    );
    const previous = this.rowMetas.get(rowId);
    const next = { visibleAt: meta.visibleAt, attempts: meta.attempts };
    this.rowMetas.set(rowId, next);
    return new Promise((resolve, reject) => {
      this.#context.commit.submit(new MetaOperation(this, rowId, next, previous, resolve, reject));
    });
  }

  /** The payload of a live row (or one whose removal is not yet durable). */
  readRow(rowId: number): Uint8Array {
    this.#checkUsable();
    return this.readStored(rowId);
  }

  /** readRow without the open/dropped check (compaction, which may run while closing). */
  readStored(rowId: number): Uint8Array {
    const state = this.index.state(rowId);
    assert(
      state === RowState.live || state === RowState.removing,
      `readRow of row ${rowId} in state ${state}`,
    );
    const segmentNumber = this.index.segmentOf(rowId);
    const offset = this.index.offsetOf(rowId);
    const recordBytes = this.index.lengthOf(rowId);
    const record = this.#context.segments.readRecord(segmentNumber, offset, recordBytes);
    const payload = decodeRowRecord(record, 0, recordBytes);
    if (payload === null) {
      throw new QueueError(
        "ER_CORRUPT",
        `row ${rowId} of table '${this.name}' fails its checksum`,
        {
          path: this.#context.segments.pathOf(segmentNumber),
          position: offset,
        },
      );
    }
    return payload;
  }

  /** Appends rows (and a relay mark) as one atomic unit. */
  append(
    payloads: readonly Uint8Array[],
    mark?: SourceMark,
    visibleAt = 0,
  ): { firstRowId: number; durable: Promise<void> } {
    this.#checkUsable();
    assert(Number.isSafeInteger(visibleAt) && visibleAt >= 0, "visibleAt out of range");
    let batchBytes = mark === undefined ? 0 : sourceMarkRecordBytes;
    for (const payload of payloads) {
      assert(payload.length <= rowBytesMax, `row of ${payload.length} bytes exceeds rowBytesMax`);
      batchBytes += rowRecordBytes(payload.length) + (visibleAt > 0 ? rowMetaRecordBytes : 0);
    }
    if (batchBytes > batchBytesMax) {
      // An append is one batch: refused whole, before anything changes.
      const error = new QueueError(
        "ER_DATA_TOO_LONG",
        `rows of one insert take ${batchBytes} bytes; one batch holds at most ${batchBytesMax}`,
      );
      return { firstRowId: this.index.nextRowId, durable: Promise.reject(error) };
    }
    assert(this.index.nextRowId + payloads.length <= rowIdMax, "row ids exhausted");
    let previousMark = 0;
    if (mark !== undefined) {
      assert(
        Number.isInteger(mark.source) && mark.source >= 0 && mark.source < relaySourceCount,
        `relay source ${mark.source} out of range`,
      );
      assert(Number.isSafeInteger(mark.rowId) && mark.rowId >= 0, "relay row id out of range");
      previousMark = defined(this.marks[mark.source], "relay source checked above");
      this.marks[mark.source] = mark.rowId;
    }
    const firstRowId = payloads.length > 0
      ? this.index.allocate(payloads.length)
      : this.index.nextRowId;
    let operation!: AppendOperation;
    const durable = new Promise<void>((resolve, reject) => {
      operation = new AppendOperation(
        this,
        firstRowId,
        payloads,
        mark,
        previousMark,
        visibleAt,
        resolve,
        reject,
      );
    });
    if (visibleAt > 0) {
      for (let i = 0; i < payloads.length; i++) {
        this.rowMetas.set(firstRowId + i, { visibleAt, attempts: 0 });
      }
    }
    if (payloads.length === 0 && mark === undefined) operation.settle(null);
    else this.#context.submit(operation);
    return { firstRowId, durable };
  }

  /** Removes live rows now; durable when the promise resolves. */
  remove(rowIds: readonly number[]): Promise<void> {
    try {
      this.#checkUsable();
    } catch (error) {
      return Promise.reject(error);
    }
    const removed: number[] = [];
    for (const rowId of rowIds) {
      if (this.index.state(rowId) === RowState.live) {
        this.markRemoving(rowId);
        removed.push(rowId);
      }
    }
    if (removed.length === 0) return Promise.resolve();
    removed.sort((a, b) => a - b);
    // One operation is one batch, bounded by batchBytesMax: a removal of
    // more ids goes in several (each atomic, in order).
    const parts: Promise<void>[] = [];
    for (let i = 0; i < removed.length; i += removeIdsPerOperationMax) {
      const ids = removed.length <= removeIdsPerOperationMax
        ? removed
        : removed.slice(i, i + removeIdsPerOperationMax);
      parts.push(
        new Promise((resolve, reject) => {
          this.#context.submit(new RemoveOperation(this, ids, resolve, reject));
        }),
      );
    }
    const [only] = parts;
    return parts.length === 1 && only !== undefined ? only : Promise.all(parts).then(() => {});
  }

  /** Removes every row appended so far. */
  truncate(): Promise<void> {
    try {
      this.#checkUsable();
    } catch (error) {
      return Promise.reject(error);
    }
    const belowRowId = this.index.nextRowId;
    const flipped: number[] = [];
    for (let rowId = this.index.firstRowId; rowId < belowRowId; rowId++) {
      const state = this.index.state(rowId);
      if (state === RowState.live || state === RowState.pending) {
        this.markRemoving(rowId);
        flipped.push(rowId);
      }
    }
    if (flipped.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#context.commit.submit(
        new TruncateOperation(this, belowRowId, flipped, resolve, reject),
      );
    });
  }

  /** Adds a ROW record's bytes to the table's and the segment's totals. */
  addRecordBytes(segment: Segment, recordBytes: number): void {
    segment.tableBytes.set(
      this.tableId,
      (segment.tableBytes.get(this.tableId) ?? 0) + recordBytes,
    );
    this.bytesTotal += recordBytes;
  }

  /** Live → removing, pending → pendingRemoved. */
  markRemoving(rowId: number): void {
    const state = this.index.state(rowId);
    if (state === RowState.live) {
      this.index.setState(rowId, RowState.removing);
      this.bytesRemoved += this.index.lengthOf(rowId);
    } else {
      assert(state === RowState.pending, `cannot remove row ${rowId} in state ${state}`);
      this.index.setState(rowId, RowState.pendingRemoved);
    }
  }

  /** Undoes markRemoving; true when the row is live again. */
  unmarkRemoving(rowId: number): boolean {
    const state = this.index.state(rowId);
    if (state === RowState.removing) {
      this.index.setState(rowId, RowState.live);
      this.bytesRemoved -= this.index.lengthOf(rowId);
      return true;
    }
    assert(state === RowState.pendingRemoved, `cannot restore row ${rowId} in state ${state}`);
    this.index.setState(rowId, RowState.pending);
    return false;
  }

  /** A removal became durable: removing → removed. */
  confirmRemoved(rowId: number): void {
    if (this.index.state(rowId) !== RowState.removing) return;
    // Read the location first: a removed id may take its index slot with it.
    const segment = this.#context.segments.get(this.index.segmentOf(rowId));
    this.index.setState(rowId, RowState.removed);
    this.rowMetas.delete(rowId);
    assert(segment !== undefined, `row ${rowId} lives in a deleted segment`);
    segment.liveRows--;
  }

  /** An appended row's batch is durable; true when the row became live. */
  commitRow(rowId: number, segment: Segment, offset: number, recordBytes: number): boolean {
    const state = this.index.state(rowId);
    this.addRecordBytes(segment, recordBytes);
    this.index.setLocation(rowId, segment.segmentNumber, offset, recordBytes);
    segment.liveRows++;
    if (state === RowState.pending) {
      this.index.setState(rowId, RowState.live);
      return true;
    }
    assert(state === RowState.pendingRemoved, `committed row ${rowId} in state ${state}`);
    this.index.setState(rowId, RowState.removing);
    this.bytesRemoved += recordBytes;
    return false;
  }

  /** A compaction copy is durable: it supersedes the old record when the row is still live. */
  commitCopy(rowId: number, segment: Segment, offset: number, recordBytes: number): void {
    this.addRecordBytes(segment, recordBytes);
    if (this.index.state(rowId) !== RowState.live) {
      this.bytesRemoved += recordBytes;
      return;
    }
    const old = this.#context.segments.get(this.index.segmentOf(rowId));
    assert(old !== undefined, `row ${rowId} lives in a deleted segment`);
    old.liveRows--;
    this.bytesRemoved += this.index.lengthOf(rowId);
    this.index.setLocation(rowId, segment.segmentNumber, offset, recordBytes);
    segment.liveRows++;
  }

  /** Drop: the rows stop counting toward any segment. */
  detach(): void {
    this.dropped = true;
    for (let rowId = this.index.firstRowId; rowId < this.index.nextRowId; rowId++) {
      const state = this.index.state(rowId);
      if (state === RowState.live || state === RowState.removing) {
        const segment = this.#context.segments.get(this.index.segmentOf(rowId));
        if (segment !== undefined) segment.liveRows--;
      }
    }
  }

  /** Tells the store that rows became live. */
  notifyLive(rowIds: readonly number[]): void {
    if (this.dropped) return;
    forEachRun(rowIds, (first, count) => this.#context.rowsLive(this, first, count));
  }
}

class AppendOperation implements LogOperation {
  readonly #table: TableState;
  readonly #firstRowId: number;
  readonly #payloads: readonly Uint8Array[];
  readonly #mark: SourceMark | undefined;
  readonly #previousMark: number;
  readonly #visibleAt: number;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  readonly #offsets: number[] = [];
  readonly #liveIds: number[] = [];

  constructor(
    table: TableState,
    firstRowId: number,
    payloads: readonly Uint8Array[],
    mark: SourceMark | undefined,
    previousMark: number,
    visibleAt: number,
    resolve: () => void,
    reject: (error: unknown) => void,
  ) {
    this.#table = table;
    this.#firstRowId = firstRowId;
    this.#payloads = payloads;
    this.#mark = mark;
    this.#previousMark = previousMark;
    this.#visibleAt = visibleAt;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  recordBytesMax(): number {
    let bytes = this.#mark === undefined ? 0 : sourceMarkRecordBytes;
    const meta = this.#visibleAt > 0 ? rowMetaRecordBytes : 0;
    for (const payload of this.#payloads) bytes += rowRecordBytes(payload.length) + meta;
    return bytes;
  }

  encode(encoder: BatchEncoder): void {
    const tableId = this.#table.tableId;
    for (let i = 0; i < this.#payloads.length; i++) {
      const payload = defined(this.#payloads[i], "i < length");
      this.#offsets[i] = encoder.addRow(tableId, this.#firstRowId + i, payload);
      if (this.#visibleAt > 0) {
        encoder.addRowMeta(tableId, this.#firstRowId + i, this.#visibleAt, 0);
      }
    }
    if (this.#mark !== undefined) {
      encoder.addSourceMark(tableId, this.#mark.source, this.#mark.rowId);
    }
  }

  relayMark(): RelayMarkWrite | null {
    const mark = this.#mark;
    return mark === undefined
      ? null
      : { tableId: this.#table.tableId, source: mark.source, rowId: mark.rowId };
  }

  commit(segment: Segment, batchOffset: number): void {
    if (this.#table.dropped) return;
    if (this.#mark !== undefined) this.#table.durableMarks[this.#mark.source] = this.#mark.rowId;
    for (let i = 0; i < this.#payloads.length; i++) {
      const rowId = this.#firstRowId + i;
      const recordBytes = rowRecordBytes(defined(this.#payloads[i], "i < length").length);
      const recordOffset = batchOffset + defined(this.#offsets[i], "encode set every offset");
      if (this.#table.commitRow(rowId, segment, recordOffset, recordBytes)) {
        this.#liveIds.push(rowId);
      }
    }
  }

  revert(): void {
    const table = this.#table;
    if (table.dropped) return;
    if (this.#mark !== undefined && table.marks[this.#mark.source] === this.#mark.rowId) {
      table.marks[this.#mark.source] = this.#previousMark;
    }
    if (this.#payloads.length === 0) return;
    for (let i = this.#payloads.length - 1; i >= 0; i--) {
      table.index.setState(this.#firstRowId + i, RowState.absent);
      table.rowMetas.delete(this.#firstRowId + i);
    }
    table.index.rollbackTo(this.#firstRowId);
  }

  settle(error: unknown): void {
    if (error !== null) {
      this.#reject(error);
      return;
    }
    this.#resolve();
    this.#table.notifyLive(this.#liveIds);
  }
}

/** Removal of rows: marked removing at once, confirmed when durable, live again on failure. */
class RemoveOperation implements LogOperation {
  readonly #table: TableState;
  readonly #rowIds: number[];
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  #restored: number[] = [];

  constructor(
    table: TableState,
    rowIds: number[],
    resolve: () => void,
    reject: (error: unknown) => void,
  ) {
    this.#table = table;
    this.#rowIds = rowIds;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  recordBytesMax(): number {
    return removeRecordBytesMax(this.#rowIds.length);
  }

  encode(encoder: BatchEncoder): void {
    encoder.addRemove(this.#table.tableId, this.#rowIds);
  }

  commit(): void {
    if (this.#table.dropped) return;
    for (const rowId of this.#rowIds) this.#table.confirmRemoved(rowId);
  }

  revert(): void {
    if (this.#table.dropped) return;
    const restored: number[] = [];
    for (let i = this.#rowIds.length - 1; i >= 0; i--) {
      const rowId = defined(this.#rowIds[i], "i < length");
      if (this.#table.unmarkRemoving(rowId)) restored.push(rowId);
    }
    this.#restored = restored.reverse();
  }

  settle(error: unknown): void {
    if (error === null) {
      this.#resolve();
      return;
    }
    this.#reject(error);
    this.#table.notifyLive(this.#restored);
  }
}

/**
 * TRUNCATE: one record ("every id below this is removed") with the effects
 * of removing each row that was live, undone the same way on failure.
 */
class TruncateOperation extends RemoveOperation {
  readonly #tableId: number;
  readonly #belowRowId: number;

  constructor(
    table: TableState,
    belowRowId: number,
    rowIds: number[],
    resolve: () => void,
    reject: (error: unknown) => void,
  ) {
    super(table, rowIds, resolve, reject);
    this.#tableId = table.tableId;
    this.#belowRowId = belowRowId;
  }

  override recordBytesMax(): number {
    return truncateRecordBytes;
  }

  override encode(encoder: BatchEncoder): void {
    encoder.addTruncate(this.#tableId, this.#belowRowId);
  }
}

/** Compaction's copy of a live row to the log's end, superseding the old record once durable. */
export class CopyOperation implements LogOperation {
  readonly #table: TableState;
  readonly #rowId: number;
  readonly #payload: Uint8Array;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  #offset = 0;

  constructor(
    table: TableState,
    rowId: number,
    payload: Uint8Array,
    resolve: () => void,
    reject: (error: unknown) => void,
  ) {
    this.#table = table;
    this.#rowId = rowId;
    this.#payload = payload;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  recordBytesMax(): number {
    return rowRecordBytes(this.#payload.length) + rowMetaRecordBytes;
  }

  encode(encoder: BatchEncoder): void {
    this.#offset = encoder.addRow(this.#table.tableId, this.#rowId, this.#payload);
    // The row's meta travels with it: the segments holding its older
    // ROW_META records are deleted once the copy is durable.
    const meta = this.#table.rowMetas.get(this.#rowId);
    if (meta !== undefined) {
      encoder.addRowMeta(this.#table.tableId, this.#rowId, meta.visibleAt, meta.attempts);
    }
  }

  commit(segment: Segment, batchOffset: number): void {
    if (this.#table.dropped) return;
    this.#table.commitCopy(
      this.#rowId,
      segment,
      batchOffset + this.#offset,
      rowRecordBytes(this.#payload.length),
    );
  }

  revert(): void {}

  settle(error: unknown): void {
    if (error === null) this.#resolve();
    else this.#reject(error);
  }
}

/** A ROW_META record for one row: in memory at once, restored on failure unless set again since. */
class MetaOperation implements LogOperation {
  readonly #table: TableState;
  readonly #rowId: number;
  readonly #meta: RowMeta;
  readonly #previous: RowMeta | undefined;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;

  constructor(
    table: TableState,
    rowId: number,
    meta: RowMeta,
    previous: RowMeta | undefined,
    resolve: () => void,
    reject: (error: unknown) => void,
  ) {
    this.#table = table;
    this.#rowId = rowId;
    this.#meta = meta;
    this.#previous = previous;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  recordBytesMax(): number {
    return rowMetaRecordBytes;
  }

  encode(encoder: BatchEncoder): void {
    encoder.addRowMeta(this.#table.tableId, this.#rowId, this.#meta.visibleAt, this.#meta.attempts);
  }

  commit(): void {}

  revert(): void {
    const table = this.#table;
    if (table.dropped || table.rowMetas.get(this.#rowId) !== this.#meta) return;
    if (this.#previous === undefined) table.rowMetas.delete(this.#rowId);
    else table.rowMetas.set(this.#rowId, this.#previous);
  }

  settle(error: unknown): void {
    if (error === null) this.#resolve();
    else this.#reject(error);
  }
}

/**
 * The delivery counts of one table counted since the last such operation
 * was encoded: one ROW_META record per counted row that is still live, its
 * current meta. A row this batch also removes needs none (when the batch
 * holds every queued operation, its removal is in it: no crash can keep
 * the row and lose the count). A failed write is reported to the
 * statements of its round; memory keeps the counts (the deliveries
 * happened), and the next count written for a row carries them.
 */
class CountsOperation implements LogOperation {
  readonly #table: TableState;
  readonly #commit: GroupCommit;
  /** How many counted rows the last recordBytesMax() covered. */
  #boundCount = 0;

  constructor(table: TableState, commit: GroupCommit) {
    this.#table = table;
    this.#commit = commit;
  }

  recordBytesMax(): number {
    this.#boundCount = Math.min(this.#table.countedRows.length, countsPerOperationMax);
    return rowMetaRecordBytes * this.#boundCount;
  }

  encode(encoder: BatchEncoder): void {
    const table = this.#table;
    const counted = table.countedRows;
    // Rows past the bound (counted during a segment switch, or too many
    // for one batch) wait for the next operation.
    let rowIds = counted;
    if (counted.length <= this.#boundCount) {
      table.countedRows = [];
    } else {
      rowIds = counted.slice(0, this.#boundCount);
      table.countedRows = counted.slice(this.#boundCount);
    }
    table.countsQueued = null;
    table.queueCounts();
    if (table.dropped) return;
    const index = table.index;
    const tableId = table.tableId;
    const keepRemoving = !this.#commit.batchTakesQueue;
    for (const rowId of rowIds) {
      const state = index.state(rowId);
      if (state !== RowState.live && !(keepRemoving && state === RowState.removing)) continue;
      const meta = table.rowMetas.get(rowId);
      if (meta !== undefined) encoder.addRowMeta(tableId, rowId, meta.visibleAt, meta.attempts);
    }
  }

  commit(): void {}

  revert(): void {
    if (this.#table.countsQueued === this) this.#table.countsQueued = null;
  }

  settle(): void {}
}
