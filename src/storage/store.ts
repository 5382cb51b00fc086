/**
 * openStore: the storage layer's front door. Locks the data directory, reads
 * the catalog, recovers the log, and wires tables, group commit and
 * compaction together behind the {@linkcode Store} interface the local
 * backend uses. Catalog changes (create / alter / drop) are serialised here.
 *
 * State owned here: the catalog (tables by name and id, each one
 * `TableState` for its whole life; the file's `CatalogTable` records are
 * its serialised form only), the directory lock and the segment files.
 *
 * @module
 */

import { assert, QueueError } from "../errors.ts";
import { type DirectoryLock, type FileSystem, IoError } from "../io/mod.ts";
import { defaultFileSystem } from "../io/mod.ts";
import { segmentBytesDefault, segmentBytesMax, segmentBytesMin } from "../limits.ts";
import {
  type CatalogData,
  catalogFileName,
  catalogTempFileName,
  catalogVersion,
  readCatalog,
  writeCatalog,
} from "./catalog.ts";
import { compactionError, Compactor } from "./compaction.ts";
import { AtomicOperation } from "./atomic_operation.ts";
import { GroupCommit, type LogOperation } from "./group_commit.ts";
import type { CheckpointEntry } from "./record_codec.ts";
import { recoverLog, type RecoveryPlan } from "./recovery.ts";
import { parseSegmentFileName, SegmentFiles, writeError } from "./segments.ts";
import { type TableContext, TableState } from "./table_rows.ts";
import type { RecoveryReport, Store, StoreOptions, TableRows } from "./types.ts";

/** How a commit round writes: blocking calls (the default, measured faster) or async ones. */
export type CommitIo = "blocking" | "async";

/** {@linkcode StoreOptions} plus knobs for benchmarks and tests. */
export interface StoreOpenOptions extends StoreOptions {
  /** Blocking (writeSync + syncDataSync) or async (write + syncData) rounds. Default "blocking". */
  commitIo?: CommitIo | undefined;
}

/** Sub-directory of the data directory holding the segments. */
export const logDirectoryName = "log";

class StoreImpl implements Store, TableContext {
  readonly recovery: RecoveryReport;
  onRowsLive: ((table: TableRows, firstRowId: number, count: number) => void) | null = null;
  readonly commit: GroupCommit;
  readonly segments: SegmentFiles;
  readonly #fs: FileSystem;
  readonly #directory: string;
  readonly #lock: DirectoryLock;
  readonly #autoCompact: boolean;
  readonly #byName: Map<string, TableState>;
  readonly #byId: Map<number, TableState>;
  readonly #compactor: Compactor;
  #catalog: CatalogData;
  #catalogQueue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | null = null;
  /** Operations submitted inside atomically(), or null outside it. */
  #captured: LogOperation[] | null = null;
  compactionErrorCount = 0;

  constructor(
    fs: FileSystem,
    directory: string,
    lock: DirectoryLock,
    catalog: CatalogData,
    segments: SegmentFiles,
    options: StoreOpenOptions,
    build: (context: TableContext) => Map<number, TableState>,
    recovery: () => RecoveryReport,
  ) {
    this.#fs = fs;
    this.#directory = directory;
    this.#lock = lock;
    this.#catalog = catalog;
    this.segments = segments;
    this.#autoCompact = options.autoCompact ?? true;
    this.commit = new GroupCommit(segments, {
      checkpointEntries: (operations) => this.#checkpointEntries(operations),
      afterRound: () => this.#afterRound(),
    }, { blocking: (options.commitIo ?? "blocking") === "blocking" });
    this.#byId = build(this);
    this.#byName = new Map();
    for (const table of this.#byId.values()) {
      this.#byName.set(table.name, table);
    }
    this.#compactor = new Compactor(
      segments,
      this.commit,
      () => this.#byId.values(),
      (tableId) => this.#byId.get(tableId),
    );
    this.recovery = recovery();
  }

  checkOpen(): void {
    if (this.#closed) throw new QueueError("ER_CLOSED", "the store is closed");
  }

  rowsLive(table: TableState, firstRowId: number, count: number): void {
    this.onRowsLive?.(table, firstRowId, count);
  }

  submit(operation: LogOperation): void {
    if (this.#captured !== null) this.#captured.push(operation);
    else this.commit.submit(operation);
  }

  atomically(build: () => void): void {
    assert(this.#captured === null, "atomically() inside atomically()");
    this.checkOpen();
    const captured: LogOperation[] = [];
    this.#captured = captured;
    try {
      build();
    } catch (error) {
      // Nothing was submitted: undo what the operations did in memory,
      // newest first (no other operation can have started in between).
      for (const operation of captured.toReversed()) operation.revert();
      for (const operation of captured) operation.settle(error);
      throw error;
    } finally {
      this.#captured = null;
    }
    const [only] = captured;
    if (captured.length === 1 && only !== undefined) this.commit.submit(only);
    else if (captured.length > 1) this.commit.submit(new AtomicOperation(captured));
  }

  #checkpointEntries(operations: readonly LogOperation[]): CheckpointEntry[] {
    // Relay marks as durable once this batch is: operations still queued
    // have set theirs in memory already, and a mark must never be ahead of
    // its rows. (A higher nextRowId only skips ids; lowLiveRowId counts
    // removals in flight as alive.)
    const marks = new Map<number, number[]>();
    for (const table of this.#byId.values()) marks.set(table.tableId, table.durableMarks.slice());
    for (const operation of operations) {
      const written = operation instanceof AtomicOperation
        ? operation.relayMarks()
        : [operation.relayMark?.() ?? null];
      for (const mark of written) {
        if (mark === null) continue;
        const tableMarks = marks.get(mark.tableId);
        if (tableMarks !== undefined) tableMarks[mark.source] = mark.rowId;
      }
    }
    const entries: CheckpointEntry[] = [];
    for (const table of this.#byId.values()) {
      entries.push({
        tableId: table.tableId,
        nextRowId: table.index.nextRowId,
        lowLiveRowId: table.index.lowLiveRowId(),
        sourceMarks: marks.get(table.tableId)!,
      });
    }
    return entries;
  }

  #afterRound(): void {
    if (!this.#autoCompact || this.#closed || this.#compactor.running !== null) return;
    if (!this.#compactor.wanted()) return;
    // Nobody awaits an automatic run: a failure leaves the log as it was and
    // the store keeps serving, but it is reported (counted, and logged once).
    this.#compactor.compact(false).catch((error) => this.#automaticCompactionFailed(error));
  }

  #automaticCompactionFailed(error: unknown): void {
    // Stopped by close(): not a failure.
    if (error instanceof QueueError && error.code === "ER_CLOSED") return;
    this.compactionErrorCount++;
    if (this.compactionErrorCount > 1) return;
    console.error(
      `q4d: automatic compaction of '${this.#directory}' failed; later failures are only counted (db.stats().compactionErrors):`,
      error,
    );
  }

  tables(): ReadonlyMap<string, TableRows> {
    this.checkOpen();
    return this.#byName;
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#catalogQueue.then(() => {
      this.checkOpen();
      return work();
    });
    this.#catalogQueue = result.catch(() => {});
    return result;
  }

  async #writeCatalog(next: CatalogData): Promise<void> {
    try {
      await writeCatalog(this.#fs, this.#directory, next);
    } catch (error) {
      // The rename may have happened before the failure (a failed directory
      // sync): put the catalog memory still holds back, or a reopen would
      // see a change that was reported as failed (a dropped table, and the
      // rows acknowledged into it since, gone). Best effort: if this fails
      // too, the first error is what the caller hears.
      await writeCatalog(this.#fs, this.#directory, this.#catalog).catch(() => {});
      throw writeError(error, `${this.#directory}/${catalogFileName}`);
    }
    this.#catalog = next;
  }

  /** The table named `name`; ER_NO_SUCH_TABLE when there is none. */
  #requireTable(name: string): TableState {
    const table = this.#byName.get(name);
    if (table === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Table '${name}' doesn't exist`);
    }
    return table;
  }

  createTable(name: string, meta: unknown): Promise<TableRows> {
    return this.#serialise(async () => {
      if (this.#byName.has(name)) {
        throw new QueueError("ER_TABLE_EXISTS_ERROR", `Table '${name}' already exists`);
      }
      const tableId = this.#catalog.nextTableId;
      await this.#writeCatalog({
        ...this.#catalog,
        version: catalogVersion,
        nextTableId: tableId + 1,
        tables: [...this.#catalog.tables, { tableId, name, meta }],
      });
      const table = new TableState(tableId, name, meta, this);
      this.#byId.set(tableId, table);
      this.#byName.set(name, table);
      return table;
    });
  }

  alterTable(name: string, meta: unknown): Promise<TableRows> {
    return this.#serialise(async () => {
      const table = this.#requireTable(name);
      await this.#writeCatalog({
        ...this.#catalog,
        tables: this.#catalog.tables.map((t) => t.tableId === table.tableId ? { ...t, meta } : t),
      });
      table.meta = meta;
      return table;
    });
  }

  dropTable(name: string): Promise<void> {
    return this.#serialise(async () => {
      const table = this.#requireTable(name);
      await this.#writeCatalog({
        ...this.#catalog,
        tables: this.#catalog.tables.filter((t) => t.tableId !== table.tableId),
      });
      table.detach();
      this.#byId.delete(table.tableId);
      this.#byName.delete(name);
    });
  }

  databases(): readonly string[] {
    this.checkOpen();
    return this.#catalog.databases ?? [];
  }

  setDatabases(names: readonly string[]): Promise<void> {
    return this.#serialise(() => this.#writeCatalog({ ...this.#catalog, databases: [...names] }));
  }

  async compact(): Promise<void> {
    this.checkOpen();
    try {
      await this.#compactor.compact(true);
    } catch (error) {
      throw compactionError(error);
    }
  }

  close(): Promise<void> {
    if (this.#closing === null) this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    // A forced compaction queued behind a running one must not start once
    // the segments may be closed (it would read closed files).
    this.#compactor.stop();
    await this.#catalogQueue;
    await this.#compactor.running?.catch(() => {});
    await this.commit.whenIdle();
    await this.#compactor.running?.catch(() => {});
    await this.commit.whenIdle();
    await this.segments.closeAll();
    await this.#lock.release();
  }
}

/**
 * Opens (creating if missing) the store in `directory`, recovering its log.
 * A file-system failure on the way is a QueueError (ER_CANT_OPEN_FILE, or
 * ER_DISK_FULL), never a bare IoError.
 */
export async function openStore(directory: string, options: StoreOpenOptions): Promise<Store> {
  return await withQueueErrors(directory, () => openStoreChecked(directory, options, null));
}

/** What {@linkcode checkStore} found: the store (to read, then close) and the repairs it would make. */
export interface StoreCheck {
  /** The scanned store: read its tables and recovery report, then close it. Never write to it. */
  store: Store;
  /** Files recovery would delete, and (in store.recovery.tornTail) the cut it would make. */
  plan: RecoveryPlan;
}

/**
 * Opens an existing store read-only for `q4d check`: takes the directory
 * lock (ER_DB_LOCKED when held), verifies the catalog and the whole log with
 * recovery's own scan, and modifies no file (besides the lock file). A
 * missing directory is ER_CANT_OPEN_FILE. The caller closes the store.
 */
export async function checkStore(
  directory: string,
  options: StoreOpenOptions,
): Promise<StoreCheck> {
  const plan: RecoveryPlan = { remove: [] };
  const store = await withQueueErrors(directory, () => openStoreChecked(directory, options, plan));
  return { store, plan };
}

async function withQueueErrors(directory: string, run: () => Promise<Store>): Promise<Store> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof IoError)) throw error;
    const code = error.errno === "ENOSPC" ? "ER_DISK_FULL" : "ER_CANT_OPEN_FILE";
    throw new QueueError(code, `cannot open database '${directory}': ${error.message}`, {
      path: error.path,
      cause: error,
    });
  }
}

/**
 * Opens (creating if missing) the store in `directory`: takes the directory
 * lock (ER_DB_LOCKED when held), reads the catalog, recovers the log.
 *
 * @example
 * ```ts
 * import { FaultFileSystem } from "../io/fault_fs.ts";
 * const store = await openStore("/db", { fs: new FaultFileSystem() });
 * const jobs = await store.createTable("jobs", {});
 * await jobs.append([new Uint8Array([1])]).durable;
 * await store.close();
 * ```
 */
async function openStoreChecked(
  directory: string,
  options: StoreOpenOptions,
  plan: RecoveryPlan | null,
): Promise<Store> {
  const fs = options.fs ?? defaultFileSystem();
  const segmentBytes = options.segmentBytes ?? segmentBytesDefault;
  if (
    !Number.isSafeInteger(segmentBytes) || segmentBytes < segmentBytesMin ||
    segmentBytes > segmentBytesMax
  ) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `segmentBytes ${segmentBytes} is out of range (${segmentBytesMin}..${segmentBytesMax})`,
    );
  }
  const logDirectory = `${directory}/${logDirectoryName}`;
  // A new directory's entry lives in its parent: without syncing the parents,
  // a power cut could take a whole new database, acknowledged rows and all.
  const created: string[] = [];
  for (let path = logDirectory; !(await fs.exists(path)); path = parentPath(path)) {
    if (plan !== null) {
      throw new QueueError("ER_CANT_OPEN_FILE", `'${path}' does not exist`, { path });
    }
    created.push(path);
    if (parentPath(path) === path) break;
  }
  if (plan === null) await fs.mkdir(logDirectory);
  for (const path of created.reverse()) await fs.syncDirectory(parentPath(path));
  let lock: DirectoryLock;
  try {
    lock = await fs.lockDirectory(directory);
  } catch (error) {
    if ((error as { errno?: string }).errno === "ELOCKED") {
      throw new QueueError("ER_DB_LOCKED", `database '${directory}' is open elsewhere`, {
        path: directory,
        cause: error,
      });
    }
    throw error;
  }
  const segments = new SegmentFiles(fs, logDirectory, {
    sync: options.sync ?? "fdatasync",
    segmentBytes,
  });
  try {
    let catalog = await readCatalog(fs, directory);
    if (catalog === null) {
      // The catalog is made durable before the first segment is created, so a
      // log without one lost it: starting fresh would reuse table ids and let
      // old records hide or resurrect rows.
      const segmentName = (await fs.list(logDirectory)).find((name) =>
        parseSegmentFileName(name) !== null
      );
      if (segmentName !== undefined) {
        throw new QueueError(
          "ER_CORRUPT",
          `catalog is missing while the log holds segments ('${segmentName}')`,
          { path: `${directory}/${catalogFileName}`, position: 0 },
        );
      }
      catalog = { version: catalogVersion, nextTableId: 1, tables: [] };
      if (plan === null) await writeCatalog(fs, directory, catalog);
    } else if (await fs.exists(`${directory}/${catalogTempFileName}`)) {
      if (plan === null) await fs.remove(`${directory}/${catalogTempFileName}`);
      else plan.remove.push(`${directory}/${catalogTempFileName}`);
    }
    const loaded = catalog;
    const tables = new Map<number, TableState>();
    const store = new StoreImpl(
      fs,
      directory,
      lock,
      loaded,
      segments,
      options,
      (context) => {
        for (const t of loaded.tables) {
          tables.set(t.tableId, new TableState(t.tableId, t.name, t.meta, context));
        }
        return tables;
      },
      () => emptyReport(),
    );
    const report = await recoverLog(segments, tables, plan);
    for (const table of tables.values()) table.durableMarks.splice(0, Infinity, ...table.marks);
    if (segments.list.length === 0 && plan === null) await segments.create(1);
    Object.assign(store.recovery, report);
    return store;
  } catch (error) {
    await segments.closeAll();
    await lock.release();
    throw error;
  }
}

function emptyReport(): RecoveryReport {
  return { segmentCount: 0, batchCount: 0, bytesScanned: 0, tornTail: null, durationMs: 0 };
}

/** The directory holding `path` ("." for a bare name, "/" at the root). */
function parentPath(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return ".";
  if (slash === 0) return "/";
  return trimmed.slice(0, slash);
}
