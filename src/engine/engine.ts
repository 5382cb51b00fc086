/**
 * The database engine: tables by name, sessions, statement dispatch and DDL.
 * It owns the storage `Store` and wakes blocked queue_wait calls when rows
 * become live.
 *
 * Database/Session (public) → Engine → select / modify / queue functions → Store
 *
 * @module
 */

import type { Prepared, Value } from "../sql/ast.ts";
import { QueueError } from "../errors.ts";
import type { FileSystem } from "../io/types.ts";
import { defaultFileSystem } from "../io/mod.ts";
import { type CommitIo, openStore } from "../storage/store.ts";
import type { RecoveryReport, Store, SyncMode, TableEntry } from "../storage/types.ts";
import { type QueueHost, type QueueStats, tableStats } from "./queue_functions.ts";
import { schemaFromJson, schemaToJson, TableSchema } from "./schema.ts";
import { SessionState } from "./session_state.ts";
import { executeDelete, executeInsert } from "./modify.ts";
import { countResult, type Result, type StatementOf } from "./result.ts";
import { executeSelect, executeShowTables } from "./select.ts";
import { executeShow, selectView } from "./inspect.ts";
import { defaultDatabase } from "../sql/mod.ts";
import { QueueTable } from "./table.ts";

/** Options of the engine (the public `open` accepts a subset). */
export interface EngineOptions {
  /** How a commit reaches the disk. Default "fdatasync". */
  sync?: SyncMode | undefined;
  /** Log segment size in bytes. */
  segmentBytes?: number | undefined;
  /** Blocking (default) or async write and sync of a commit round. */
  commitIo?: CommitIo | undefined;
  /** The file system; default the real one of this runtime. Tests inject faults here. */
  fs?: FileSystem;
  /** Automatic compaction; default true. */
  autoCompact?: boolean | undefined;
}

/** One open database directory. */
export class Engine implements QueueHost {
  readonly store: Store;
  readonly #tables: Map<string, QueueTable> = new Map();
  readonly #sessions: Set<SessionState> = new Set();
  #sessionIdNext = 1;
  #closing: Promise<void> | null = null;

  private constructor(store: Store) {
    this.store = store;
    for (const entry of store.tables().values()) {
      this.#tables.set(entry.name, new QueueTable(entry, schemaFromJson(entry.meta)));
    }
    store.onRowsLive = (entry, firstRowId, count) => this.#rowsLive(entry, firstRowId, count);
  }

  /** Opens (creating if missing) the database in `directory`, recovering its log. */
  static async open(directory: string, options: EngineOptions = {}): Promise<Engine> {
    const store = await openStore(directory, {
      fs: options.fs ?? defaultFileSystem(),
      sync: options.sync,
      segmentBytes: options.segmentBytes,
      commitIo: options.commitIo,
      autoCompact: options.autoCompact,
    });
    try {
      return new Engine(store);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** What recovery did when the database was opened. */
  get recovery(): RecoveryReport {
    return this.store.recovery;
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** The table by name (case-sensitive, as MySQL on Linux), or undefined. */
  table(name: string): QueueTable | undefined {
    const table = this.#tables.get(name);
    // `q4d.t` (the one database's name, as queue_wait('q4d.t:…') writes it) is `t`.
    if (table === undefined && name.startsWith(defaultDatabase + ".")) {
      return this.#tables.get(name.slice(defaultDatabase.length + 1));
    }
    return table;
  }

  /** Every table's name, in creation order. */
  tableNames(): string[] {
    return [...this.#tables.keys()];
  }

  /** The table by name; ER_NO_SUCH_TABLE when missing. */
  requireTable(name: string): QueueTable {
    const table = this.#tables.get(name);
    if (table === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Table '${name}' doesn't exist`);
    }
    return table;
  }

  compact(): Promise<void> {
    return this.store.compact();
  }

  /** Failed automatic compaction runs since open. */
  get compactionErrorCount(): number {
    return this.store.compactionErrorCount;
  }

  /** The typed counters of a table; ER_NO_SUCH_TABLE when missing. */
  stats(name: string): QueueStats {
    this.#checkOpen();
    return tableStats(this.requireTable(name), this.store.compactionErrorCount);
  }

  /** A new session. */
  newSession(): SessionState {
    this.#checkOpen();
    const session = new SessionState(this.#sessionIdNext++);
    this.#sessions.add(session);
    return session;
  }

  /**
   * Closes a session: a pending queue_wait rejects with ER_CLOSED at once and
   * the owned row goes back to its queue. Idempotent.
   */
  closeSession(session: SessionState): void {
    if (session.closed) return;
    session.closed = true;
    this.#sessions.delete(session);
    session.pendingWait?.cancel(new QueueError("ER_CLOSED", "Session was closed while waiting"));
    session.armed = null;
    session.armedDelayMs = 0;
    const table = session.owned?.table;
    if (session.release() && table !== undefined) table.counters.restoredByClose++;
  }

  /**
   * Closes every session (owned rows return to their queues; nothing is
   * written for them), waits for pending commits and closes the files.
   * Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing === null) {
      // Every pending wait ends first: a row released by a session closed
      // below must not be handed to another session that is closing too.
      for (const session of this.#sessions) {
        session.pendingWait?.cancel(
          new QueueError("ER_CLOSED", "Database was closed while waiting"),
        );
      }
      for (const session of [...this.#sessions]) this.closeSession(session);
      for (const table of this.#tables.values()) table.stopDueTimer();
      this.#closing = this.store.close();
    }
    return this.#closing;
  }

  /**
   * Runs one bound statement in a session. Not `async`: the hot statements
   * return their own promise, saving a layer per call; a synchronous throw
   * is turned into a rejection by the caller (`database.ts`).
   */
  run(session: SessionState, prepared: Prepared, params: readonly Value[]): Promise<Result> {
    this.#checkOpen();
    session.checkOpen();
    const statement = prepared.statement;
    switch (statement.kind) {
      case "select":
        if (statement.view !== undefined) {
          return Promise.resolve(selectView(this, statement, params));
        }
        return executeSelect(this, session, prepared, params);
      case "insert":
        return executeInsert(this, session, prepared, params);
      case "delete":
        return executeDelete(this, session, prepared, params);
      case "show_tables":
        return Promise.resolve(executeShowTables([...this.#tables.keys()], statement, params));
      case "show":
        return Promise.resolve(executeShow(this, statement, params));
      case "create_table":
        return this.#createTable(statement);
      case "drop_table":
        return this.#dropTables(statement);
      case "truncate":
        return this.#truncate(statement);
      case "alter_table":
        return this.#alterTable(statement);
    }
  }

  async #createTable(statement: StatementOf<"create_table">): Promise<Result> {
    if (this.#tables.has(statement.table)) {
      if (statement.ifNotExists) return countResult(0);
      throw new QueueError("ER_TABLE_EXISTS_ERROR", `Table '${statement.table}' already exists`);
    }
    const schema = TableSchema.create(statement.columns);
    let entry: TableEntry;
    try {
      entry = await this.store.createTable(statement.table, schemaToJson(schema));
    } catch (error) {
      if (
        statement.ifNotExists && error instanceof QueueError &&
        error.code === "ER_TABLE_EXISTS_ERROR"
      ) return countResult(0);
      throw error;
    }
    this.#tables.set(entry.name, new QueueTable(entry, schema));
    return countResult(0);
  }

  async #dropTables(statement: StatementOf<"drop_table">): Promise<Result> {
    const missing = statement.tables.filter((name) => !this.#tables.has(name));
    if (missing.length > 0 && !statement.ifExists) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Unknown table '${missing.join("', '")}'`);
    }
    for (const name of statement.tables) {
      const table = this.#tables.get(name);
      if (table === undefined) continue;
      await this.store.dropTable(name);
      this.#tables.delete(name);
      table.dropped = true;
      table.stopDueTimer();
      table.owners.clear();
      // A session waiting only on dropped tables gets 0 now rather than at its timeout.
      for (const waiter of [...table.waiters]) {
        table.waiters.delete(waiter);
        if (waiter.args.every((arg) => arg.table.dropped)) waiter.settle(0, null, 0);
      }
    }
    return countResult(0);
  }

  async #truncate(statement: StatementOf<"truncate">): Promise<Result> {
    const table = this.requireTable(statement.table);
    // Owned rows vanish for their owners too; queue_end/abort on them return 1
    // and do nothing. If the write fails the rows come back, and so does
    // their ownership (restoreOwners, before any waiter is served).
    const owned = [...table.owners.keys()];
    const done = table.entry.rows.truncate();
    table.beginRemoval(owned, done);
    try {
      await done;
    } finally {
      table.endRemoval(owned);
    }
    return countResult(0);
  }

  async #alterTable(statement: StatementOf<"alter_table">): Promise<Result> {
    const table = this.requireTable(statement.table);
    if (statement.actions.length === 0) return countResult(0); // DISABLE / ENABLE KEYS
    const schema = table.schema.alter(statement.actions);
    const entry = await this.store.alterTable(table.name, schemaToJson(schema));
    table.setSchema(schema, entry);
    // Recompiled conditions start from the head: rows may match now.
    table.serveWaiters();
    return countResult(0);
  }

  #rowsLive(entry: TableEntry, firstRowId: number, count: number): void {
    // By the stable table id: ALTER TABLE replaces the entry object, and a
    // table dropped and created again under its name has a new id.
    const table = this.#tables.get(entry.name);
    if (table === undefined || table.tableId !== entry.tableId) return;
    // Rows live again after a failed removal go back to owners still holding them.
    table.restoreOwners(firstRowId, count);
    // New rows lie past every cursor; rows live again after a failed removal may not.
    table.rewindCursors(firstRowId);
    table.serveWaiters();
  }

  #checkOpen(): void {
    if (this.#closing !== null) throw new QueueError("ER_CLOSED", "Database is closed");
  }
}
