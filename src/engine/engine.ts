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
import { openStore } from "../storage/store.ts";
import type { RecoveryReport, Store, SyncMode, TableEntry } from "../storage/types.ts";
import { type QueueHost, type QueueStats, tableStats } from "./queue_functions.ts";
import { schemaFromJson, schemaToJson, TableSchema } from "./schema.ts";
import { SessionState } from "./session_state.ts";
import { executeDelete, executeInsert, executeInsertPieces } from "./modify.ts";
import { countResult, type Result, type StatementOf } from "./result.ts";
import { executeSelect, executeShowTables } from "./select.ts";
import { executeShow, selectView } from "./inspect.ts";
import {
  defaultDatabase,
  displayTable,
  enterDatabase,
  informationSchema,
  resolveTable,
  splitTableRef,
  tableKey,
  unknownDatabase,
} from "../sql/mod.ts";
import { QueueTable } from "./table.ts";

/** Options of the engine (the public `open` accepts a subset). */
export interface EngineOptions {
  /** How a commit reaches the disk. Default "fdatasync". */
  sync?: SyncMode;
  /** Log segment size in bytes. */
  segmentBytes?: number;
  /** The file system; default the real one of this runtime. Tests inject faults here. */
  fs?: FileSystem;
  /** Automatic compaction; default true. */
  autoCompact?: boolean;
}

/** One open database directory. */
export class Engine implements QueueHost {
  readonly store: Store;
  /** Tables by key (src/sql/names.ts: `t` in the default database, else `db` NUL `t`). */
  readonly #tables: Map<string, QueueTable> = new Map();
  /** Every database, the default one first. */
  readonly #databases: Set<string> = new Set([defaultDatabase]);
  readonly #sessions: Set<SessionState> = new Set();
  #sessionIdNext = 1;
  #closing: Promise<void> | null = null;

  private constructor(store: Store) {
    this.store = store;
    for (const name of store.databases()) this.#databases.add(name);
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

  /**
   * The table named by a queue function's argument (case-sensitive, as MySQL
   * on Linux), or undefined: `t` in database `current`, or `db.t` when `db`
   * is a database (a table whose own name holds a dot is found first).
   */
  table(name: string, current: string = defaultDatabase): QueueTable | undefined {
    const table = this.#tables.get(resolveTable(name, current));
    if (table !== undefined) return table;
    const dot = name.indexOf(".");
    if (dot < 0) return undefined;
    const database = name.slice(0, dot);
    if (!this.#databases.has(database)) return undefined;
    return this.#tables.get(tableKey(database, name.slice(dot + 1)));
  }

  /** Every table's key (src/sql/names.ts), in creation order. */
  tableNames(): string[] {
    return [...this.#tables.keys()];
  }

  /** Every database's name, sorted. */
  databases(): string[] {
    return [...this.#databases].sort();
  }

  /** The table a statement names (`t` in database `current`, or `db.t`); ER_NO_SUCH_TABLE when missing. */
  requireTable(ref: string, current: string = defaultDatabase): QueueTable {
    const key = resolveTable(ref, current);
    const table = this.#tables.get(key);
    if (table === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Table '${displayTable(key)}' doesn't exist`);
    }
    return table;
  }

  /** `name` when it is a database; else ER_BAD_DB_ERROR. */
  requireDatabase(name: string): string {
    if (!this.#databases.has(name)) throw unknownDatabase(name);
    return name;
  }

  compact(): Promise<void> {
    return this.store.compact();
  }

  /** Failed automatic compaction runs since open. */
  get compactionErrorCount(): number {
    return this.store.compactionErrorCount;
  }

  /** The typed counters of a table (`t` or `db.t`); ER_NO_SUCH_TABLE when missing. */
  stats(name: string): QueueStats {
    this.#checkOpen();
    const table = this.table(name);
    if (table === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Table '${name}' doesn't exist`);
    }
    return tableStats(table, this.store.compactionErrorCount);
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
    enterDatabase(session.database);
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
      case "show_tables": {
        const database = this.requireDatabase(statement.database ?? session.database);
        return Promise.resolve(
          executeShowTables(this.#tablesIn(database), database, statement, params),
        );
      }
      case "show":
        return Promise.resolve(executeShow(this, statement, params, session.database));
      case "create_table":
        return this.#createTable(statement, session.database);
      case "drop_table":
        return this.#dropTables(
          statement.tables.map((t) => resolveTable(t, session.database)),
          statement.ifExists,
        );
      case "truncate":
        return this.#truncate(statement, session.database);
      case "alter_table":
        return this.#alterTable(statement, session.database);
      case "use":
        if (statement.database === informationSchema) {
          throw new QueueError(
            "ER_NOT_SUPPORTED_YET",
            "USE information_schema is not supported by q4d",
          );
        }
        session.database = this.requireDatabase(statement.database);
        return Promise.resolve(countResult(0));
      case "create_database":
        return this.#createDatabase(statement);
      case "drop_database":
        return this.#dropDatabase(statement);
    }
  }

  /** Runs one long INSERT given in pieces (sql/large_insert.ts), as one append. */
  runInsertPieces(session: SessionState, pieces: Iterable<Prepared>): Promise<Result> {
    this.#checkOpen();
    session.checkOpen();
    enterDatabase(session.database);
    return executeInsertPieces(this, session, pieces);
  }

  /** The bare names of the tables of `database`, in creation order. */
  #tablesIn(database: string): string[] {
    const names: string[] = [];
    for (const key of this.#tables.keys()) {
      const ref = splitTableRef(key);
      if (ref.database === database) names.push(ref.table);
    }
    return names;
  }

  async #createDatabase(statement: StatementOf<"create_database">): Promise<Result> {
    const name = statement.database;
    if (this.#databases.has(name) || name.toLowerCase() === informationSchema) {
      if (statement.ifNotExists) return countResult(0);
      throw new QueueError(
        "ER_DB_CREATE_EXISTS",
        `Can't create database '${name}'; database exists`,
      );
    }
    const next = [...this.#databases, name].filter((d) => d !== defaultDatabase);
    await this.store.setDatabases(next);
    this.#databases.add(name);
    return countResult(1);
  }

  /**
   * DROP DATABASE: each of its tables is dropped as DROP TABLE drops it
   * (rows gone, owned rows too: their owners' queue_end/abort do nothing;
   * waiters on them get 0), then the name. The default database holds every
   * unqualified program's tables and cannot be dropped.
   */
  async #dropDatabase(statement: StatementOf<"drop_database">): Promise<Result> {
    const name = statement.database;
    if (name === defaultDatabase || name.toLowerCase() === informationSchema) {
      throw new QueueError(
        "ER_NOT_SUPPORTED_YET",
        `DROP DATABASE of '${name}' is not supported by q4d (drop its tables instead)`,
      );
    }
    if (!this.#databases.has(name)) {
      if (statement.ifExists) return countResult(0);
      throw new QueueError(
        "ER_DB_DROP_EXISTS",
        `Can't drop database '${name}'; database doesn't exist`,
      );
    }
    const keys = this.#tablesIn(name).map((table) => tableKey(name, table));
    await this.#dropTables(keys, true);
    await this.store.setDatabases(
      [...this.#databases].filter((d) => d !== defaultDatabase && d !== name),
    );
    this.#databases.delete(name);
    return countResult(keys.length);
  }

  async #createTable(statement: StatementOf<"create_table">, current: string): Promise<Result> {
    const key = resolveTable(statement.table, current);
    this.requireDatabase(splitTableRef(key).database);
    if (this.#tables.has(key)) {
      if (statement.ifNotExists) return countResult(0);
      throw new QueueError("ER_TABLE_EXISTS_ERROR", `Table '${displayTable(key)}' already exists`);
    }
    const schema = TableSchema.create(statement.columns);
    let entry: TableEntry;
    try {
      entry = await this.store.createTable(key, schemaToJson(schema));
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

  /** Drops the tables of `keys`; ER_NO_SUCH_TABLE (nothing dropped) if one is missing unless `ifExists`. */
  async #dropTables(keys: readonly string[], ifExists: boolean): Promise<Result> {
    const missing = keys.filter((name) => !this.#tables.has(name));
    if (missing.length > 0 && !ifExists) {
      throw new QueueError(
        "ER_NO_SUCH_TABLE",
        `Unknown table '${missing.map(displayTable).join("', '")}'`,
      );
    }
    for (const name of keys) {
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

  async #truncate(statement: StatementOf<"truncate">, current: string): Promise<Result> {
    const table = this.requireTable(statement.table, current);
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

  async #alterTable(statement: StatementOf<"alter_table">, current: string): Promise<Result> {
    const table = this.requireTable(statement.table, current);
    if (statement.actions.length === 0) return countResult(0); // DISABLE / ENABLE KEYS
    const schema = table.schema.alter(statement.actions);
    const entry = await this.store.alterTable(table.key, schemaToJson(schema));
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
