/**
 * What the engine sees of storage: one durable log shared by every table,
 * a catalog of tables, and per-table indexes of live rows. Storage knows
 * nothing of SQL: a table's schema is an opaque JSON value (`meta`) and a
 * row is an opaque byte string (`payload`).
 *
 * Implemented by `store.ts` (`openStore`).
 *
 * @module
 */

import type { FileSystem } from "../io/mod.ts";

/** How a commit reaches the disk. */
export type SyncMode = "fdatasync" | "fsync" | "none";

/** Options for `openStore`. */
export interface StoreOptions {
  /** The file system (Deno, Node or fault-injecting); default the real one of this runtime. */
  fs?: FileSystem | undefined;
  /** Default "fdatasync". "none" skips syncing (tests, benchmarks). */
  sync?: SyncMode | undefined;
  /** Segment size in bytes; default limits.segmentBytesDefault. */
  segmentBytes?: number | undefined;
  /** Disable automatic compaction (tests that want to control it). Default true. */
  autoCompact?: boolean | undefined;
}

/** What recovery found and did when the log was opened. */
export interface RecoveryReport {
  /** Segments scanned. */
  segmentCount: number;
  /** Batches verified. */
  batchCount: number;
  /** Bytes of log verified. */
  bytesScanned: number;
  /** A torn tail that was cut off, if any: where, and how many bytes. */
  tornTail: { path: string; offset: number; bytesDropped: number } | null;
  /** Time recovery took, in milliseconds. */
  durationMs: number;
}

/** A relay mark armed by queue_set_srcid, written in the same commit as its rows. */
export interface SourceMark {
  /** Relay source slot, 0..63. */
  source: number;
  /** The source row id; becomes the slot's watermark. */
  rowId: number;
}

/** q4d's per-row state beside the payload (ROW_META records), zeros when never set. */
export interface RowMeta {
  /** Wall-clock ms (Date.now) before which the row is not delivered; 0 = visible now. */
  visibleAt: number;
  /** Times queue_wait handed the row to a session. */
  attempts: number;
}

/** Counters of one table, exact and derived from the log (never drift). */
export interface TableCounters {
  /** Rows ever appended (equals the highest row id issued). */
  rowsWritten: number;
  /** Rows ever removed (consumed, deleted, truncated): each row at most once. */
  rowsRemoved: number;
  /** Bytes of row records of this table in the log now. */
  bytesTotal: number;
  /** The part of bytesTotal whose rows are removed (reclaimed by compaction). */
  bytesRemoved: number;
}

/**
 * One table of the catalog and its rows: the same object for the table's
 * whole life (ALTER TABLE changes its `meta` in place; a table dropped and
 * created again under its name is a new object with a new id). Row ids start at 1 and rise by one per appended row,
 * never reused (not after truncate, not after restart). A row is "live" from
 * the moment its append is durable until it is removed.
 */
export interface TableRows {
  /** Stable numeric id of the table in the log (never reused). */
  readonly tableId: number;
  /** The name as created (the engine decides case rules). */
  readonly name: string;
  /** The engine's schema for the table (JSON-serialisable), opaque to storage; replaced by alterTable. */
  readonly meta: unknown;
  /** Live rows now. O(1). */
  readonly liveCount: number;
  /** Exact counters. */
  counters(): TableCounters;
  /** The smallest live row id greater than `afterId`, or 0 when none. Amortised O(1) when walking forward. */
  nextLive(afterId: number): number;
  /** True when the row is live. O(1). */
  isLive(rowId: number): boolean;
  /**
   * The payload of a live row, read through the cache (blocking read on a
   * miss). The returned bytes must not be modified; they stay valid only
   * until the next storage call.
   */
  readRow(rowId: number): Uint8Array;
  /**
   * Appends rows as one atomic unit (all or none, also across a crash),
   * together with an optional relay mark. Ids are assigned now, in order;
   * the rows become live when `durable` resolves. On a write failure
   * `durable` rejects with QueueError (ER_DISK_FULL / ER_ERROR_ON_WRITE) and
   * the rows never become live.
   */
  append(
    payloads: readonly Uint8Array[],
    mark?: SourceMark,
    visibleAt?: number,
  ): { firstRowId: number; durable: Promise<void> };
  /** The row's visible-at time and delivery count (zeros when never set). O(1). */
  rowMeta(rowId: number): RowMeta;
  /** Rows of this table with a nonzero visible-at time (read at open). */
  delayedRows(): Array<[rowId: number, visibleAt: number]>;
  /**
   * Sets a live row's meta at once; durable when the promise resolves. On a
   * write failure the previous meta is restored (unless set again since)
   * and the promise rejects.
   */
  setRowMeta(rowId: number, meta: RowMeta): Promise<void>;
  /**
   * Adds one to a live row's delivery count, in memory at once. The counts
   * of a table ride with the next commit round as ROW_META records (or get
   * a round of their own after `metaDeferMs`), so counting adds no sync; a
   * round that also removes the row writes none for it.
   */
  countDelivery(rowId: number): void;
  /**
   * Removes live rows: they stop being live at once; the promise resolves
   * when the removal is durable. Ids that are not live are ignored (removal
   * is idempotent). On a write failure the rows become live again and the
   * promise rejects.
   */
  remove(rowIds: readonly number[]): Promise<void>;
  /** Removes every row appended so far (TRUNCATE). Ids keep rising. */
  truncate(): Promise<void>;
  /** The 64 relay watermarks (0 = never set); the array must not be modified. */
  sourceMarks(): readonly number[];
}

/** The whole durable state of a database directory. */
export interface Store {
  /** What recovery did on open. */
  readonly recovery: RecoveryReport;
  /** Tables by name (names as created; the engine decides case rules). */
  tables(): ReadonlyMap<string, TableRows>;
  /** Creates a table durably; ER_TABLE_EXISTS_ERROR when the name is taken. */
  createTable(name: string, meta: unknown): Promise<TableRows>;
  /** Replaces a table's meta durably (ALTER TABLE); rows are untouched. */
  alterTable(name: string, meta: unknown): Promise<TableRows>;
  /** Drops a table durably; its rows are gone. ER_NO_SUCH_TABLE when missing. */
  dropTable(name: string): Promise<void>;
  /** Databases besides the default one, as last set (the engine's namespaces; tables' names hold them). */
  databases(): readonly string[];
  /** Replaces the list of databases durably. */
  setDatabases(names: readonly string[]): Promise<void>;
  /**
   * Called (synchronously, after the append's promise settles) whenever rows
   * become live: the engine wakes waiters here. Also called after a failed
   * removal makes rows live again.
   */
  onRowsLive: ((table: TableRows, firstRowId: number, count: number) => void) | null;
  /**
   * Runs `build`, which appends and removes rows of any tables: everything
   * those calls write goes into one batch, durable all together or not at
   * all (also across a crash). Their effects and promises are those of the
   * calls made alone; the promises settle together. If `build` throws,
   * nothing is written, the calls' effects are undone, their promises
   * reject with that error, and it is rethrown.
   */
  atomically(build: () => void): void;
  /** Compacts the log now, whatever the thresholds; resolves when done. */
  compact(): Promise<void>;
  /** Automatic compaction runs that failed since open (each left the log as it was). */
  readonly compactionErrorCount: number;
  /** Waits for pending commits and compaction, then closes all files. Idempotent. */
  close(): Promise<void>;
}
