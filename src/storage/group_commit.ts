/**
 * Group commit: operations submitted while a round is in flight accumulate
 * into the next batch; one round = one batch = one write + one sync; each
 * operation settles only once its batch is durable. Table operations
 * (table_rows.ts) and compaction submit here; segments.ts does the I/O.
 *
 * On a failed write or sync, the round's operations and every operation
 * queued behind them (built on their in-memory effects) are reverted newest
 * first and rejected; the segment is cut back and the log stays usable.
 *
 * @module
 */

import type { QueueError } from "../errors.ts";
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
  /** Resolves (error null) or rejects the caller. */
  settle(error: QueueError | null): void;
}

/** What group commit asks of the store. */
export interface GroupCommitHooks {
  /** The state summary written first in every new segment. */
  checkpointEntries(): CheckpointEntry[];
  /** Called after each round (compaction checks its thresholds here). */
  afterRound(): void;
}

/** Options of {@linkcode GroupCommit}. */
export interface GroupCommitOptions {
  /** Write and sync with blocking calls (writeSync + syncDataSync) instead of async ones. */
  blocking: boolean;
}

/**
 * The commit loop of one log.
 *
 * @example
 * ```ts
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
  #rollOverWaiters: Array<(error: QueueError | null) => void> = [];
  #idleWaiters: Array<() => void> = [];
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

  /** Makes the next batch start a new segment (even an empty batch: just its checkpoint). */
  rollOver(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#rollOverWaiters.push((error) => error === null ? resolve() : reject(error));
      this.#schedule();
    });
  }

  /** True when nothing is queued or being written. */
  get idle(): boolean {
    return !this.#running && !this.#scheduled && this.#queue.length === 0 &&
      this.#rollOverWaiters.length === 0;
  }

  /** Resolves once nothing is queued or being written. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    // One event-loop turn, never a timer: callers whose commit just resolved
    // and who write again at once join this round.
    setImmediate(() => this.#round());
  }

  async #round(): Promise<void> {
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
    let error: QueueError | null = null;
    let written = false;
    try {
      let bytesMax = 0;
      for (const operation of this.#queue) bytesMax += operation.recordBytesMax();
      const empty = segment.dataEnd === segmentHeaderBytes;
      // A sealed segment is one whose successor's creation failed: retry it.
      if (
        segment.sealed || (rollOverWaiters.length > 0 && !empty) ||
        (!empty && segment.dataEnd + bytesMax > this.#segments.options.segmentBytes)
      ) {
        segment = await this.#segments.create(segment.segmentNumber + 1);
      }
      // From here to encoding nothing awaits: the checkpoint must describe
      // exactly the state the earlier batches plus this one leave behind.
      operations = this.#queue;
      this.#queue = [];
      const encoder = this.#encoder;
      encoder.reset();
      if (segment.dataEnd === segmentHeaderBytes) {
        encoder.addCheckpoint(this.#hooks.checkpointEntries());
      }
      for (const operation of operations) operation.encode(encoder);
      const bytes = encoder.finish();
      if (this.#segments.needsPreallocation(segment, bytes.length)) {
        await this.#segments.preallocate(segment, segment.dataEnd + bytes.length);
      }
      written = true;
      if (this.#blocking) {
        this.#segments.writeSync(segment, bytes);
        this.#segments.syncSync(segment);
      } else {
        await this.#segments.write(segment, bytes);
        await this.#segments.sync(segment);
      }
      const batchOffset = segment.dataEnd;
      this.#segments.commitWritten(segment, bytes);
      for (const operation of operations) operation.commit(segment, batchOffset);
    } catch (failure) {
      error = writeError(failure, segment.path);
    }
    if (error !== null) {
      if (written) await this.#segments.cutBack(segment);
      // Operations queued meanwhile were built on the failed ones' effects.
      const later = this.#queue;
      this.#queue = [];
      for (let i = later.length - 1; i >= 0; i--) later[i].revert();
      for (let i = operations.length - 1; i >= 0; i--) operations[i].revert();
      for (const operation of operations) operation.settle(error);
      for (const operation of later) operation.settle(error);
    } else {
      for (const operation of operations) operation.settle(null);
    }
    for (const waiter of rollOverWaiters) waiter(error);
    this.roundCount++;
    this.#running = false;
    this.#hooks.afterRound();
    if (this.#queue.length > 0 || this.#rollOverWaiters.length > 0) this.#schedule();
    else this.#notifyIdle();
  }

  #notifyIdle(): void {
    if (!this.idle) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
