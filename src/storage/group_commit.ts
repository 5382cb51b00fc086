/**
 * Group commit: operations submitted while a round is in flight accumulate
 * into the next batch; one round = one batch = one write + one sync, of at
 * most batchBytesMax (limits.ts); each operation settles only once its
 * batch is durable, and nothing undoes a durable batch. Table operations
 * (table_rows.ts) and compaction submit here; segments.ts does the I/O.
 *
 * On a failed write or sync, the round's operations and every operation
 * queued behind them (built on their in-memory effects) are reverted newest
 * first and rejected; the segment is cut back and the log stays usable.
 *
 * @module
 */

import { assert, defined } from "../errors.ts";
import { batchBytesMax } from "../limits.ts";
import { BatchEncoder, type CheckpointEntry, segmentHeaderBytes } from "./record_codec.ts";
import { type Segment, type SegmentFiles, writeError } from "./segments.ts";

/** One unit of work in a batch, with its in-memory effects already applied. */
export interface LogOperation {
  /** Upper bound of the bytes its records take. */
  recordBytesMax(): number;
  /** Adds its records to the batch (noting their offsets inside it). */
  encode(encoder: BatchEncoder): void;
  /** The batch at `batchOffset` of `segment` is durable: apply the durable effects. */
  commit(segment: Segment, batchOffset: number): void;
  /** The batch failed: undo the in-memory effects (called newest first). */
  revert(): void;
  /** The relay mark this operation writes, if any: a checkpoint in its batch includes it. */
  relayMark?(): RelayMarkWrite | null;
  /**
   * Resolves (error null) or rejects the caller: with a QueueError for a disk
   * failure, or with the exception itself when a step had a bug.
   */
  settle(error: unknown): void;
}

/** A relay mark written by an operation. */
export interface RelayMarkWrite {
  tableId: number;
  source: number;
  rowId: number;
}

/** What group commit asks of the store. */
export interface GroupCommitHooks {
  /**
   * The state summary written first in every new segment: the durable state
   * once `operations` (this batch) are durable. Operations still queued may
   * have changed memory already; their effects must not be in it.
   */
  checkpointEntries(operations: readonly LogOperation[]): CheckpointEntry[];
  /** Called after each round (compaction checks its thresholds here). */
  afterRound(): void;
}

/** Options of {@linkcode GroupCommit}. */
export interface GroupCommitOptions {
  /** Write and sync with blocking calls (writeSync + syncDataSync) instead of async ones. */
  blocking: boolean;
}

/**
 * A batch up to this size is written with a blocking call even when commit
 * I/O is async (`blocking` false): a page-cache copy of this much takes a
 * few microseconds, less than a round trip to a worker thread.
 */
export const writeSyncBytesMax = 64 * 1024;

/**
 * The commit loop of one log.
 *
 * @example
 * ```ts
 * import { GroupCommit, type GroupCommitHooks, type LogOperation } from "./group_commit.ts";
 * import type { SegmentFiles } from "./segments.ts";
 * // What the store wires in (see store.ts):
 * declare const segments: SegmentFiles;
 * declare const hooks: GroupCommitHooks;
 * declare const operation: LogOperation;
 * const commit = new GroupCommit(segments, hooks, { blocking: true });
 * commit.submit(operation); // settles once durable
 * await commit.whenIdle();
 * ```
 */
export class GroupCommit {
  readonly #segments: SegmentFiles;
  readonly #hooks: GroupCommitHooks;
  readonly #blocking: boolean;
  readonly #encoder = new BatchEncoder();
  #queue: LogOperation[] = [];
  #running = false;
  #scheduled = false;
  #rollOverWaiters: Array<(error: unknown) => void> = [];
  #idleWaiters: Array<() => void> = [];
  /**
   * One timer for deferred operations, not cancelled when a round takes
   * them first: it finds no deadline (or a later one) when it fires.
   */
  #deferTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** performance.now() at which queued deferred operations start a round; 0 = none armed. */
  #deferDeadline = 0;
  /** Queued operations submitted with submitDeferred. */
  #deferred: Set<LogOperation> = new Set();
  #deferMs = 0;
  #batchTakesQueue = false;
  /** Rounds completed (with or without failure). */
  roundCount = 0;

  constructor(segments: SegmentFiles, hooks: GroupCommitHooks, options: GroupCommitOptions) {
    this.#segments = segments;
    this.#hooks = hooks;
    this.#blocking = options.blocking;
  }

  /** Queues an operation for the next round. */
  submit(operation: LogOperation): void {
    this.#queue.push(operation);
    this.#schedule();
  }

  /**
   * Queues an operation that need not start a round of its own: it rides
   * with the next one, or starts one after `maxDelayMs` if none came.
   */
  submitDeferred(operation: LogOperation, maxDelayMs: number): void {
    this.#queue.push(operation);
    this.#deferred.add(operation);
    this.#deferMs = maxDelayMs;
    if (this.#scheduled || this.#running) return;
    this.#armDeferTimer();
  }

  #armDeferTimer(): void {
    if (this.#deferDeadline !== 0) return;
    this.#deferDeadline = performance.now() + this.#deferMs;
    this.#deferTimer ??= setTimeout(this.#onDeferTimer, this.#deferMs);
  }

  readonly #onDeferTimer = (): void => {
    this.#deferTimer = undefined;
    if (this.#deferDeadline === 0) return;
    const remainingMs = this.#deferDeadline - performance.now();
    if (remainingMs > 0) {
      this.#deferTimer = setTimeout(this.#onDeferTimer, remainingMs);
      return;
    }
    this.#deferDeadline = 0;
    if (this.#queue.length > 0) this.#schedule();
  };

  /** Stops the deferred operations' timer (nothing deferred is queued, or a round is due). */
  #stopDeferTimer(): void {
    this.#deferDeadline = 0;
    if (this.#deferTimer !== undefined) clearTimeout(this.#deferTimer);
    this.#deferTimer = undefined;
  }

  /** Makes the next batch start a new segment (even an empty batch: just its checkpoint). */
  rollOver(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#rollOverWaiters.push((error) => error === null ? resolve() : reject(error));
      this.#schedule();
    });
  }

  /**
   * While operations encode: true when the batch holds every operation
   * queued so far (none waits for a later round), so an operation may leave
   * out a record that one queued after it in the same batch makes moot.
   */
  get batchTakesQueue(): boolean {
    return this.#batchTakesQueue;
  }

  /** True when nothing is queued or being written. */
  get idle(): boolean {
    return !this.#running && !this.#scheduled && this.#queue.length === 0 &&
      this.#rollOverWaiters.length === 0;
  }

  /** Resolves once nothing is queued or being written. */
  whenIdle(): Promise<void> {
    if (this.idle) {
      this.#stopDeferTimer();
      return Promise.resolve();
    }
    // Deferred operations are written now rather than after their delay.
    if (this.#queue.length > 0) this.#schedule();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    // A round is coming: the deferred timer, if running, will find no deadline.
    this.#deferDeadline = 0;
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    // One event-loop turn, never a timer: callers whose commit just resolved
    // and who write again at once join this round.
    setImmediate(() => this.#round());
  }

  async #round(): Promise<void> {
    assert(!this.#running, "one commit round at a time");
    this.#scheduled = false;
    if (this.#queue.length === 0 && this.#rollOverWaiters.length === 0) {
      this.#notifyIdle();
      return;
    }
    this.#running = true;
    const rollOverWaiters = this.#rollOverWaiters;
    this.#rollOverWaiters = [];
    let operations: LogOperation[] = [];
    let segment = this.#segments.active;
    let error: unknown = null;
    let written = false;
    let encodedBytes: Uint8Array = new Uint8Array(0);
    try {
      // Take operations up to the batch limit (at least one): one round
      // writes at most batchBytesMax, and no more than a segment holds.
      const segmentBytes = this.#segments.options.segmentBytes;
      const roundBytesMax = Math.min(batchBytesMax, segmentBytes - segmentHeaderBytes);
      let bytesMax = 0;
      let takeCount = 0;
      for (const operation of this.#queue) {
        const bytes = operation.recordBytesMax();
        if (takeCount > 0 && bytesMax + bytes > roundBytesMax) break;
        bytesMax += bytes;
        takeCount++;
      }
      const empty = segment.dataEnd === segmentHeaderBytes;
      // A sealed segment is one whose successor's creation failed: retry it.
      if (
        segment.sealed || (rollOverWaiters.length > 0 && !empty) ||
        (!empty && segment.dataEnd + bytesMax > segmentBytes)
      ) {
        segment = await this.#segments.create(segment.segmentNumber + 1);
      }
      // Operations queued during the await above join, within the limit.
      for (let i = takeCount; i < this.#queue.length; i++) {
        const bytes = defined(this.#queue[i], "i < queue length").recordBytesMax();
        if (bytesMax + bytes > roundBytesMax) break;
        bytesMax += bytes;
        takeCount++;
      }
      // From here to encoding nothing awaits: the checkpoint must describe
      // exactly the state the earlier batches plus this one leave behind.
      if (takeCount === this.#queue.length) {
        operations = this.#queue;
        this.#queue = [];
      } else {
        operations = this.#queue.slice(0, takeCount);
        this.#queue = this.#queue.slice(takeCount);
      }
      if (this.#deferred.size > 0) {
        if (this.#queue.length === 0) this.#deferred.clear();
        else for (const operation of operations) this.#deferred.delete(operation);
      }
      assert(
        this.#deferred.size <= this.#queue.length,
        "deferred operations are counted among the queued",
      );
      assert(operations.length === takeCount, "a round writes the operations it took");
      const encoder = this.#encoder;
      encoder.reset();
      if (segment.dataEnd === segmentHeaderBytes) {
        encoder.addCheckpoint(this.#hooks.checkpointEntries(operations));
      }
      this.#batchTakesQueue = this.#queue.length === 0;
      const operationsStart = encoder.byteLength;
      for (const operation of operations) operation.encode(encoder);
      // The bounds the round was sized by must hold for what was encoded.
      assert(
        encoder.byteLength - operationsStart <= bytesMax,
        "operations encode within their recordBytesMax",
      );
      const bytes = encoder.finish();
      encodedBytes = bytes;
      if (this.#segments.needsPreallocation(segment, bytes.length)) {
        await this.#segments.preallocate(segment, segment.dataEnd + bytes.length);
      }
      written = true;
      if (this.#blocking) {
        this.#segments.writeSync(segment, bytes);
        this.#segments.syncSync(segment);
      } else {
        // A small batch is copied to the page cache at once: a hand-off to
        // a worker thread and back costs more than that copy. The sync,
        // which waits for the disk, still runs off the event loop.
        if (bytes.length <= writeSyncBytesMax) this.#segments.writeSync(segment, bytes);
        else await this.#segments.write(segment, bytes);
        await this.#segments.sync(segment);
      }
    } catch (failure) {
      error = writeError(failure, segment.path);
    }
    // Once the batch is durable nothing may undo it: a failing commit step
    // is a bug, reported to its own operation, and its ids stay used.
    let commitErrors: Map<LogOperation, unknown> | null = null;
    if (error === null) {
      const batchOffset = segment.dataEnd;
      this.#segments.commitWritten(segment, encodedBytes);
      for (const operation of operations) {
        try {
          operation.commit(segment, batchOffset);
        } catch (bug) {
          (commitErrors ??= new Map()).set(operation, bug);
        }
      }
    }
    if (error !== null) {
      if (written) await this.#segments.cutBack(segment);
      // Operations queued meanwhile were built on the failed ones' effects.
      const later = this.#queue;
      this.#queue = [];
      this.#deferred.clear();
      for (let i = later.length - 1; i >= 0; i--) defined(later[i], "i < length").revert();
      for (let i = operations.length - 1; i >= 0; i--) {
        defined(operations[i], "i < length").revert();
      }
      for (const operation of operations) operation.settle(error);
      for (const operation of later) operation.settle(error);
    } else {
      for (const operation of operations) operation.settle(commitErrors?.get(operation) ?? null);
    }
    for (const waiter of rollOverWaiters) waiter(error);
    this.roundCount++;
    this.#running = false;
    this.#hooks.afterRound();
    if (this.#queue.length > this.#deferred.size || this.#rollOverWaiters.length > 0) {
      this.#schedule();
    } else if (this.#queue.length > 0) {
      // Only deferred operations wait: they ride with the next commit, or go after their delay.
      if (this.#idleWaiters.length > 0) this.#schedule();
      else this.#armDeferTimer();
    } else {
      this.#notifyIdle();
    }
  }

  #notifyIdle(): void {
    if (!this.idle) return;
    if (this.#idleWaiters.length === 0) return;
    this.#stopDeferTimer();
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
