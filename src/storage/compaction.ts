/**
 * Compaction: deletes the oldest segments once every row in them is removed
 * (oldest first, one directory sync each, never the active one), and when
 * the log is mostly dead, copies the live rows of all older segments to a
 * fresh segment through group commit, then deletes those segments. Appends
 * continue meanwhile; each step is crash-safe because copies are ordinary
 * durable ROW records and deletion follows only their durability.
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import { IoError } from "../io/mod.ts";
import { compactionBytesMin, compactionRemovedRatioMin } from "../limits.ts";
import type { GroupCommit } from "./group_commit.ts";
import { segmentHeaderBytes } from "./record_codec.ts";
import type { SegmentFiles } from "./segments.ts";
import { CopyOperation, type TableState } from "./table_rows.ts";

/** Row bytes copied before waiting for their batch: bounds memory held by copies. */
const copyBytesInFlightMax = 4 * 1024 * 1024;

/** Runs compaction for one store; at most one run at a time. */
export class Compactor {
  readonly #segments: SegmentFiles;
  readonly #commit: GroupCommit;
  readonly #tables: () => Iterable<TableState>;
  readonly #tableById: (tableId: number) => TableState | undefined;
  #running: Promise<void> | null = null;
  /** Set when the store closes: no run starts, and a running one stops between steps. */
  #stopped = false;

  constructor(
    segments: SegmentFiles,
    commit: GroupCommit,
    tables: () => Iterable<TableState>,
    tableById: (tableId: number) => TableState | undefined,
  ) {
    this.#segments = segments;
    this.#commit = commit;
    this.#tables = tables;
    this.#tableById = tableById;
  }

  /** The current run, if any. */
  get running(): Promise<void> | null {
    return this.#running;
  }

  /** True when the oldest segment can be deleted or the thresholds call for a copy. */
  wanted(): boolean {
    if (this.#deletableCount() > 0) return true;
    return this.#thresholdsMet();
  }

  /**
   * How many of the oldest segments can go: those holding no live row, each
   * followed by a segment with a durable batch. Every segment's first batch
   * carries a checkpoint, so the newest durable checkpoint (ids, truncations,
   * relay marks) is never deleted before a newer one is durable, even when
   * the first batch of a new segment failed (ENOSPC).
   */
  #deletableCount(): number {
    const list = this.#segments.list;
    let count = 0;
    while (
      count < list.length - 1 &&
      defined(list[count], "count < length").liveRows === 0 &&
      defined(list[count + 1], "count + 1 < length").dataEnd > segmentHeaderBytes
    ) {
      count++;
    }
    return count;
  }

  #thresholdsMet(): boolean {
    let logBytes = 0;
    for (const segment of this.#segments.list) logBytes += segment.dataEnd - segmentHeaderBytes;
    if (logBytes < compactionBytesMin) return false;
    let liveBytes = 0;
    for (const table of this.#tables()) liveBytes += table.bytesTotal - table.bytesRemoved;
    return liveBytes <= (1 - compactionRemovedRatioMin) * logBytes;
  }

  /** Starts a run (forced: copy whatever the thresholds); resolves when it ends. */
  /** The store is closing: later runs (a forced one queued behind the current one too) are ER_CLOSED. */
  stop(): void {
    this.#stopped = true;
  }

  #checkRunning(): void {
    if (this.#stopped) throw new QueueError("ER_CLOSED", "the store is closed");
  }

  compact(force: boolean): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(new QueueError("ER_CLOSED", "the store is closed"));
    }
    if (this.#running !== null) {
      if (!force) return this.#running;
      // A forced run after the current one, so it sees the latest state.
      return this.#running.catch(() => {}).then(() => this.compact(true));
    }
    const run = this.#run(force).finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #run(force: boolean): Promise<void> {
    await this.#deleteDeadPrefix();
    if (!force && !this.#thresholdsMet()) return;
    this.#checkRunning();
    await this.#commit.rollOver();
    const boundary = this.#segments.active.segmentNumber;
    let pending: Promise<void>[] = [];
    let pendingBytes = 0;
    for (const table of [...this.#tables()]) {
      for (let rowId = table.index.nextLive(0); rowId !== 0; rowId = table.index.nextLive(rowId)) {
        if (table.dropped) break;
        if (table.index.segmentOf(rowId) >= boundary) continue;
        this.#checkRunning();
        const payload = table.readStored(rowId).slice();
        pending.push(
          new Promise((resolve, reject) => {
            this.#commit.submit(new CopyOperation(table, rowId, payload, resolve, reject));
          }),
        );
        pendingBytes += payload.length;
        if (pendingBytes >= copyBytesInFlightMax) {
          await Promise.all(pending);
          pending = [];
          pendingBytes = 0;
        }
      }
    }
    await Promise.all(pending);
    this.#checkRunning();
    await this.#deleteDeadPrefix();
  }

  async #deleteDeadPrefix(): Promise<void> {
    const list = this.#segments.list;
    const count = this.#deletableCount();
    if (count === 0) return;
    // The head names the new first segment before any file goes, so a
    // missing oldest segment is always detectable at open.
    // #deletableCount keeps the newest segment, so one always follows the
    // deletable prefix; deleteOldest shifts `list` up to it.
    const firstKept = defined(list[count], "a segment follows the deletable prefix");
    await this.#segments.updateHead({ first: firstKept.segmentNumber });
    while (list[0] !== firstKept) {
      const segment = await this.#segments.deleteOldest();
      for (const [tableId, bytes] of segment.tableBytes) {
        const table = this.#tableById(tableId);
        if (table === undefined) continue;
        table.bytesTotal -= bytes;
        table.bytesRemoved -= bytes;
      }
    }
  }
}

/**
 * Wraps a compaction failure for users of compact(): an I/O failure (it
 * carries an errno) becomes a QueueError; anything else is a bug and is
 * returned as it is.
 */
export function compactionError(error: unknown): unknown {
  if (!(error instanceof IoError)) return error;
  const code = error.errno === "ENOSPC" ? "ER_DISK_FULL" : "ER_ERROR_ON_WRITE";
  return new QueueError(code, `compaction failed: ${error.message}`, { cause: error });
}
