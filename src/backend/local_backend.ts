/**
 * The local backend: one database directory on this machine's disk, through
 * storage's append-only log ({@linkcode openStore}). Tables, ownership and
 * waiting live in this process; a crash returns every owned row to its
 * queue (at-least-once, never lost).
 *
 * State owned here: the tables by id (each a {@linkcode LocalTable}) and the
 * open sessions. The catalog and the rows are storage's; this file keeps
 * only handles on them, refreshed on every catalog change.
 *
 * Engine → LocalBackend (this file) → LocalTable / LocalSession → storage
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import {
  type CommitIo,
  type FileSystem,
  openStore,
  type RecoveryReport,
  type Store,
  type SyncMode,
  type TableRows,
} from "../storage/mod.ts";
import type { Value } from "../sql/mod.ts";
import { LocalSession } from "./local_session.ts";
import { LocalTable } from "./local_table.ts";
import type {
  Backend,
  BackendCapabilities,
  BackendOpenOptions,
  BackendSession,
  ConditionCompiler,
  InsertOptions,
  InsertResult,
  TableInfo,
  TableStats,
} from "./types.ts";

/** Options of {@linkcode openLocalBackend}. */
export interface LocalBackendOptions extends BackendOpenOptions {
  /** How a commit reaches the disk. Default "fdatasync". */
  sync?: SyncMode | undefined;
  /** Log segment size in bytes. */
  segmentBytes?: number | undefined;
  /** The file system; default the real one of this runtime (storage chooses). Tests inject faults here. */
  fs?: FileSystem | undefined;
  /** Automatic compaction; default true. */
  autoCompact?: boolean | undefined;
  /** Blocking (default) or async write and sync of a commit round. */
  commitIo?: CommitIo | undefined;
}

/** Opens (creating if missing) the database in `directory`, recovering its log. */
export async function openLocalBackend(
  directory: string,
  options: LocalBackendOptions,
): Promise<LocalBackend> {
  const store = await openStore(directory, {
    fs: options.fs,
    sync: options.sync,
    segmentBytes: options.segmentBytes,
    autoCompact: options.autoCompact,
    commitIo: options.commitIo,
  });
  try {
    return new LocalBackend(store, options);
  } catch (error) {
    await store.close();
    throw error;
  }
}

const duplicate: InsertResult = { firstRowId: 0, rowCount: 0 };

/** The local backend (see the module doc); made by {@linkcode openLocalBackend}. */
export class LocalBackend implements Backend {
  readonly capabilities: BackendCapabilities;
  readonly #store: Store;
  readonly #compile: ConditionCompiler;
  /** Live tables by id, in creation order. */
  readonly #tables: Map<number, LocalTable> = new Map();
  readonly #sessions: Set<LocalSession> = new Set();
  #closing: Promise<void> | null = null;
  onCatalogChange: (() => void) | null = null;

  constructor(store: Store, options: LocalBackendOptions) {
    this.#store = store;
    this.#compile = options.compileCondition;
    this.capabilities = {
      name: "local",
      transactions: true,
      ownershipIsLease: false,
      synchronousReads: true,
      serverSideConditions: "any",
      clientSideConditions: true,
      exactRelayMarks: true,
      delayedRows: true,
      strictPriorityAcrossTables: true,
      compaction: true,
      durability: options.sync === "none" ? "memory" : "disk",
    };
    for (const rows of store.tables().values()) this.#addTable(rows);
    store.onRowsLive = (rows, firstRowId, count) => this.#rowsLive(rows, firstRowId, count);
  }

  get recovery(): RecoveryReport {
    return this.#store.recovery;
  }

  get compactionErrorCount(): number {
    return this.#store.compactionErrorCount;
  }

  #addTable(rows: TableRows): LocalTable {
    const info: TableInfo = { tableId: rows.tableId, name: rows.name, meta: rows.meta };
    const table = new LocalTable(info, rows, this.#compile);
    this.#tables.set(rows.tableId, table);
    return table;
  }

  tables(): readonly TableInfo[] {
    return [...this.#tables.values()].map((table) => table.info);
  }

  table(tableId: number): TableInfo | undefined {
    return this.#tables.get(tableId)?.info;
  }

  async createTable(name: string, meta: unknown): Promise<TableInfo> {
    this.#checkOpen();
    return this.#addTable(await this.#store.createTable(name, meta)).info;
  }

  /** The databases the storage catalog lists (CREATE DATABASE). */
  databases(): readonly string[] {
    return this.#store.databases();
  }

  setDatabases(names: readonly string[]): Promise<void> {
    return this.#store.setDatabases(names);
  }

  async alterTable(tableId: number, meta: unknown): Promise<TableInfo> {
    const table = this.#requireTable(tableId);
    const rows = await this.#store.alterTable(table.name, meta);
    table.setInfo({ tableId, name: rows.name, meta: rows.meta });
    // Recompiled conditions start from the head: rows may match now.
    table.serveWaiters();
    return table.info;
  }

  async dropTable(tableId: number): Promise<void> {
    const table = this.#requireTable(tableId);
    await this.#store.dropTable(table.name);
    this.#tables.delete(tableId);
    table.dropped = true;
    table.stopDueTimer();
    table.owners.clear();
    // A session waiting only on dropped tables gets 0 now rather than at its timeout.
    for (const waiter of [...table.waiters]) {
      table.waiters.delete(waiter);
      if (waiter.args.every((arg) => arg.table.dropped)) waiter.settle(0, null, 0);
    }
  }

  insert(
    tableId: number,
    payloads: readonly Uint8Array[],
    _values: readonly (readonly Value[])[],
    options?: InsertOptions,
  ): Promise<InsertResult> {
    try {
      const table = this.#requireTable(tableId);
      const mark = options?.mark;
      const visibleAt = options?.visibleAt ?? 0;
      const rows = table.rows;
      const transaction = options?.session instanceof LocalSession
        ? options.session.transaction
        : null;
      if (mark !== undefined && mark.mode === "a") {
        // A relay of a row another open transaction relayed (same source,
        // same or later row id): whether it is a duplicate depends on how
        // that transaction ends, so wait for it (a rollback means the row
        // was not relayed, and dropping it would lose it). A session in a
        // transaction cannot wait (two could wait on each other): it fails.
        // Checked before storage's watermark, which a committing
        // transaction's marks are already in before they are durable.
        const reservers = table.reservers(mark.source, mark.rowId, transaction);
        if (reservers === "own") return Promise.resolve(duplicate);
        if (reservers.length > 0) {
          if (transaction !== null) {
            throw new QueueError(
              "ER_LOCK_DEADLOCK",
              `another session's open transaction relayed row ${mark.rowId} of source ${mark.source} (or a later one) into '${table.name}'; ROLLBACK and retry once it ended`,
            );
          }
          return Promise.all(reservers.map((reserver) => reserver.ended)).then(() =>
            this.insert(tableId, payloads, _values, options)
          );
        }
        // Storage's watermarks include appends in flight, so two relayed
        // INSERTs of the same row at once cannot both pass this check.
        if (
          mark.rowId <=
            defined(rows.sourceMarks()[mark.source], "a source below relaySourceCount")
        ) {
          return Promise.resolve(duplicate);
        }
      }
      if (transaction !== null) {
        // Written with the transaction's commit; ids are issued then.
        transaction.insert(
          table,
          payloads,
          mark === undefined ? undefined : { source: mark.source, rowId: mark.rowId },
          visibleAt,
        );
        return Promise.resolve({ firstRowId: 0, rowCount: payloads.length });
      }
      const { firstRowId, durable } = rows.append(
        payloads,
        mark === undefined ? undefined : { source: mark.source, rowId: mark.rowId },
        visibleAt,
      );
      // Delayed before the rows become live, so no waiter is handed one early.
      if (visibleAt > 0) {
        for (let i = 0; i < payloads.length; i++) table.delay(firstRowId + i, visibleAt);
      }
      const rowCount = payloads.length;
      return durable.then(() => ({ firstRowId, rowCount }), (error) => {
        // The ids are issued again: they must not stay delayed.
        if (visibleAt > 0) {
          for (let i = 0; i < rowCount; i++) {
            if (table.delayed.get(firstRowId + i) === visibleAt) {
              table.delayed.delete(firstRowId + i);
            }
          }
        }
        throw error;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Text length of a table's cached compiled conditions (tests of the cache bound). */
  conditionCacheBytes(tableId: number): number {
    return this.#requireTable(tableId).conditionCacheBytes;
  }

  relayMarks(tableId: number): readonly number[] {
    return this.#requireTable(tableId).rows.sourceMarks();
  }

  async truncate(tableId: number): Promise<void> {
    const table = this.#requireTable(tableId);
    // Owned rows vanish for their owners too; queue_end/abort on them return 1
    // and do nothing. If the write fails the rows come back, and so does
    // their ownership (restoreOwners, before any waiter is served).
    const owned = [...table.owners.keys()];
    const done = table.rows.truncate();
    table.beginRemoval(owned, done);
    try {
      await done;
    } finally {
      table.endRemoval(owned);
    }
  }

  openSession(sessionId: number): BackendSession {
    this.#checkOpen();
    const session = new LocalSession(sessionId, {
      table: (tableId) => this.#tables.get(tableId),
      sessionClosed: (closed) => this.#sessions.delete(closed),
      store: this.#store,
    });
    this.#sessions.add(session);
    return session;
  }

  stats(tableId: number): TableStats {
    const table = this.#requireTable(tableId);
    const counters = table.rows.counters();
    return {
      rowsWritten: counters.rowsWritten,
      rowsRemoved: counters.rowsRemoved,
      rowsLive: table.rows.liveCount,
      waitImmediate: table.counters.waitImmediate,
      waitDelayed: table.counters.waitDelayed,
      waitTimeout: table.counters.waitTimeout,
      restoredByAbort: table.counters.restoredByAbort,
      restoredByClose: table.counters.restoredByClose,
      bytesTotal: counters.bytesTotal,
      bytesRemoved: counters.bytesRemoved,
      rowsDelayed: table.delayedCount,
      rowsFailed: table.counters.rowsFailed,
    };
  }

  compact(): Promise<void> {
    return this.#store.compact();
  }

  close(): Promise<void> {
    if (this.#closing === null) {
      // Every pending wait ends first: a row released by a session closed
      // below must not be handed to another session that is closing too.
      for (const session of this.#sessions) {
        session.cancelWait(new QueueError("ER_CLOSED", "Database was closed while waiting"));
      }
      for (const session of [...this.#sessions]) session.close();
      for (const table of this.#tables.values()) {
        table.stopDueTimer();
        table.closed = true;
      }
      this.#closing = this.#store.close();
    }
    return this.#closing;
  }

  #rowsLive(rows: TableRows, firstRowId: number, count: number): void {
    // By the stable table id: a table dropped and created again under its
    // name has a new id.
    const table = this.#tables.get(rows.tableId);
    if (table === undefined) return;
    // Rows live again after a failed removal go back to owners still holding them.
    table.restoreOwners(firstRowId, count);
    // New rows lie past every cursor; rows live again after a failed removal may not.
    table.rewindCursors(firstRowId);
    table.serveWaiters();
  }

  #requireTable(tableId: number): LocalTable {
    this.#checkOpen();
    const table = this.#tables.get(tableId);
    if (table === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Table with id ${tableId} doesn't exist`);
    }
    return table;
  }

  #checkOpen(): void {
    if (this.#closing !== null) throw new QueueError("ER_CLOSED", "Database is closed");
  }
}
