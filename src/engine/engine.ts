/**
 * The database engine: tables by name with their schemas, sessions,
 * statement dispatch and DDL, over one {@linkcode Backend} (the local log,
 * or another implementation of the seam in src/backend/types.ts).
 *
 * State owned here: the name → table map (ids and schemas) and the open
 * sessions. Rows, ownership and waiting are the backend's.
 *
 * Database/Session (public) → Engine → select / modify / queue functions → Backend
 *
 * @module
 */

import type { Prepared, Value } from "../sql/mod.ts";
import { QueueError } from "../errors.ts";
import {
  type Backend,
  type BackendCapabilities,
  type BackendOpenOptions,
  type LocalBackendOptions,
  openLocalBackend,
  type RecoveryReport,
  type TableInfo,
} from "../backend/mod.ts";
import { type QueueHost, type QueueStats } from "./queue_functions.ts";
import { schemaToJson, TableSchema } from "./schema.ts";
import { SessionState } from "./session_state.ts";
import { executeDelete, executeInsert, executeInsertPieces } from "./modify.ts";
import { runFollowingCatalog } from "./plan_support.ts";
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
import {
  compileCondition,
  EngineTable,
  rememberSchema,
  routingColumns,
  schemaOfMeta,
} from "./table.ts";

/** Options of the engine over the local backend (the public `open` accepts a subset). */
export type EngineOptions = Omit<LocalBackendOptions, "compileCondition" | "routingColumns">;

/** Opens a backend, given what the engine provides to every backend. */
export type BackendOpener = (options: BackendOpenOptions) => Promise<Backend>;

/** One open database. */
export class Engine implements QueueHost {
  readonly backend: Backend;
  /** Tables by key (src/sql/names.ts: `t` in the default database, else `db` NUL `t`). */
  readonly #tables: Map<string, EngineTable> = new Map();
  /** Every database, the default one first. */
  readonly #databases: Set<string> = new Set([defaultDatabase]);
  readonly #byId: Map<number, EngineTable> = new Map();
  readonly #sessions: Set<SessionState> = new Set();
  #sessionIdNext = 1;
  /** The backend's catalog read, when its catalog can lag behind its rows (see Backend). */
  readonly refreshCatalog: (() => Promise<boolean>) | undefined;
  #closing: Promise<void> | null = null;

  private constructor(backend: Backend) {
    this.backend = backend;
    for (const name of backend.databases()) this.#databases.add(name);
    for (const info of backend.tables()) this.#addTable(info);
    backend.onCatalogChange = () => this.#catalogChanged();
    this.refreshCatalog = backend.refreshCatalog?.bind(backend);
  }

  /** Opens (creating if missing) the database in `directory` on the local backend, recovering its log. */
  static open(directory: string, options: EngineOptions = {}): Promise<Engine> {
    return Engine.openWith((backendOptions) =>
      openLocalBackend(directory, { ...options, ...backendOptions })
    );
  }

  /** Opens a database on the backend `openBackend` opens. */
  static async openWith(openBackend: BackendOpener): Promise<Engine> {
    const backend = await openBackend({ compileCondition, routingColumns });
    try {
      return new Engine(backend);
    } catch (error) {
      await backend.close();
      throw error;
    }
  }

  #addTable(info: TableInfo): EngineTable {
    const table = new EngineTable(info.tableId, info.name, schemaOfMeta(info.meta));
    this.#tables.set(info.name, table);
    this.#byId.set(info.tableId, table);
    return table;
  }

  /**
   * Another client of a shared backend changed the catalog: tables appear,
   * go, or get a new schema. Matched by id: a name reused by a new table is
   * a new table, and plans of the old one are not reused.
   */
  #catalogChanged(): void {
    const current = new Set<number>();
    for (const info of this.backend.tables()) {
      current.add(info.tableId);
      const table = this.#byId.get(info.tableId);
      if (table === undefined) {
        this.#addTable(info);
        continue;
      }
      const schema = schemaOfMeta(info.meta);
      if (schema.version !== table.schema.version) table.schema = schema;
    }
    for (const [tableId, table] of this.#byId) {
      if (current.has(tableId)) continue;
      this.#byId.delete(tableId);
      if (this.#tables.get(table.name) === table) this.#tables.delete(table.name);
    }
  }

  /** What recovery did when the database was opened (null for a backend without a local log). */
  get recovery(): RecoveryReport | null {
    return this.backend.recovery;
  }

  /** What the backend promises. */
  get capabilities(): BackendCapabilities {
    return this.backend.capabilities;
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * The table named by a queue function's argument (case-sensitive, as MySQL
   * on Linux), or undefined: `t` in database `current`, or `db.t` when `db`
   * is a database (a table whose own name holds a dot is found first).
   */
  table(name: string, current: string = defaultDatabase): EngineTable | undefined {
    const table = this.#tables.get(resolveTable(name, current));
    if (table !== undefined) return table;
    const dot = name.indexOf(".");
    if (dot < 0) return undefined;
    const database = name.slice(0, dot);
    if (!this.#databases.has(database)) return undefined;
    return this.#tables.get(tableKey(database, name.slice(dot + 1)));
  }

  /** A live table's name by id (`db.t` outside the default database), or undefined once dropped. */
  tableNameOf(tableId: number): string | undefined {
    const table = this.#byId.get(tableId);
    return table === undefined ? undefined : displayTable(table.key);
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
  requireTable(ref: string, current: string = defaultDatabase): EngineTable {
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
    return this.backend.compact();
  }

  /** Failed automatic compaction runs since open. */
  get compactionErrorCount(): number {
    return this.backend.compactionErrorCount;
  }

  /** The typed counters of a table (`t`, `db.t` or a key); ER_NO_SUCH_TABLE when missing. */
  stats(name: string): QueueStats {
    const table = this.#tables.get(name) ?? this.table(name);
    if (table === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Table '${displayTable(name)}' doesn't exist`);
    }
    return this.tableStatus(table);
  }

  /** The counters of a table (SHOW TABLE STATUS), copied: the caller may keep them. */
  tableStatus(table: EngineTable): QueueStats {
    this.#checkOpen();
    return {
      ...this.backend.stats(table.tableId),
      compactionErrors: this.backend.compactionErrorCount,
    };
  }

  /** A new session. */
  newSession(): SessionState {
    this.#checkOpen();
    const sessionId = this.#sessionIdNext++;
    const session = new SessionState(sessionId, this.backend.openSession(sessionId));
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
    session.armed = null;
    session.armedDelayMs = 0;
    session.ownerMode = false;
    session.backend.close();
  }

  /**
   * Closes every session (owned rows return to their queues; nothing is
   * written for them), waits for pending writes and closes the backend.
   * Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing === null) {
      // The backend ends every pending wait before it releases any row.
      this.#closing = this.backend.close();
      for (const session of [...this.#sessions]) this.closeSession(session);
    }
    return this.#closing;
  }

  /**
   * Runs one bound statement in a session. Not `async`: the hot statements
   * return their own promise, saving a layer per call; a synchronous throw
   * is turned into a rejection by the caller (`database.ts`). `shaped`
   * false: a SELECT's result lacks `columns` and `rowArrays` (see
   * executeSelect; for the job loop, never for users' statements).
   */
  run(
    session: SessionState,
    prepared: Prepared,
    params: readonly Value[],
    shaped = true,
  ): Promise<Result> {
    this.#checkOpen();
    session.checkOpen();
    enterDatabase(session.database);
    const statement = prepared.statement;
    // Savepoints need to know whether anything changed since: counted only
    // while one exists. A SELECT without FROM may call queue functions.
    if (
      session.savepoints !== null &&
      (statement.kind === "insert" || statement.kind === "delete" ||
        (statement.kind === "select" && statement.from === null))
    ) session.changeCount++;
    switch (statement.kind) {
      case "transaction":
        return this.#transactionStatement(session, statement);
      case "select":
        if (statement.view !== undefined) {
          return Promise.resolve(selectView(this, statement, params));
        }
        return executeSelect(this, session, prepared, params, shaped, this.refreshCatalog);
      case "insert":
        // A column or table not known here fails before anything is written.
        if (this.refreshCatalog === undefined) {
          return executeInsert(this, session, prepared, params);
        }
        return this.#followingCatalog(
          session,
          () => executeInsert(this, session, prepared, params),
        );
      case "delete":
        // Its selection ends before anything is removed.
        if (this.refreshCatalog === undefined) {
          return executeDelete(this, session, prepared, params);
        }
        return this.#followingCatalog(
          session,
          () => executeDelete(this, session, prepared, params),
        );
      case "show_tables": {
        const database = this.requireDatabase(statement.database ?? session.database);
        return Promise.resolve(
          executeShowTables(this.#tablesIn(database), database, statement, params),
        );
      }
      case "show":
        return Promise.resolve(executeShow(this, statement, params, session.database));
      case "create_table":
        return this.#ddl(session, () => this.#createTable(statement, session.database));
      case "drop_table": {
        const keys = statement.tables.map((t) => resolveTable(t, session.database));
        return this.#ddl(session, () => this.#dropTables(keys, statement.ifExists));
      }
      case "truncate":
        return this.#ddl(session, () => this.#truncate(statement, session.database));
      case "alter_table":
        return this.#ddl(session, () => this.#alterTable(statement, session.database));
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
        return this.#ddl(session, () => this.#createDatabase(statement));
      case "drop_database":
        return this.#ddl(session, () => this.#dropDatabase(statement));
    }
  }

  /** Runs `run` again after a catalog read when it met what a lagging catalog lacks (see runFollowingCatalog). */
  #followingCatalog(session: SessionState, run: () => Promise<Result>): Promise<Result> {
    return runFollowingCatalog(this.refreshCatalog!, session.database, run);
  }

  /** Runs a DDL statement; inside a transaction it commits it first. */
  #ddl(session: SessionState, run: () => Promise<Result>): Promise<Result> {
    return session.backend.inTransaction ? this.#afterCommit(session, run) : run();
  }

  /** DDL inside a transaction commits it first, as MySQL does (an implicit commit). */
  async #afterCommit(session: SessionState, run: () => Promise<Result>): Promise<Result> {
    await this.#commit(session);
    return run();
  }

  /** Commits the session's open transaction, if any (one atomic unit); on failure it rolled back. */
  async #commit(session: SessionState): Promise<void> {
    if (!session.backend.inTransaction) return;
    session.savepoints = null;
    try {
      await session.backend.commit();
    } catch (error) {
      // The backend rolled back: owner mode is what it was at BEGIN, too.
      session.ownerMode = session.ownerModeAtBegin;
      throw error;
    }
  }

  /** Opens a transaction (ER_NOT_SUPPORTED_YET on a backend without them). */
  #begin(session: SessionState): void {
    session.checkOpen();
    session.backend.begin();
    session.ownerModeAtBegin = session.ownerMode;
  }

  /** Rolls the session's transaction back, owner mode included. */
  #rollback(session: SessionState): void {
    if (!session.backend.inTransaction) return;
    session.savepoints = null;
    session.backend.rollback();
    session.ownerMode = session.ownerModeAtBegin;
  }

  async #transactionStatement(
    session: SessionState,
    statement: StatementOf<"transaction">,
  ): Promise<Result> {
    const inTransaction = session.backend.inTransaction;
    switch (statement.action) {
      case "begin":
        // BEGIN inside a transaction commits it first (MySQL's implicit commit).
        await this.#commit(session);
        this.#begin(session);
        break;
      case "commit":
        await this.#commit(session);
        if (statement.chain) this.#begin(session);
        break;
      case "rollback":
        this.#rollback(session);
        if (statement.chain) this.#begin(session);
        break;
      case "savepoint":
        // Outside a transaction a savepoint ends with its statement (autocommit).
        if (inTransaction) {
          (session.savepoints ??= new Map()).set(
            savepointKey(statement.savepoint),
            session.changeCount,
          );
        }
        break;
      case "release_savepoint":
      case "rollback_to_savepoint": {
        const key = savepointKey(statement.savepoint);
        const count = session.savepoints?.get(key);
        if (!inTransaction || count === undefined) {
          throw new QueueError(
            "ER_SP_DOES_NOT_EXIST",
            `SAVEPOINT ${statement.savepoint} does not exist`,
          );
        }
        if (statement.action === "release_savepoint") {
          session.savepoints?.delete(key);
        } else if (count !== session.changeCount) {
          // Undoing part of a transaction is not supported.
          throw new QueueError(
            "ER_NOT_SUPPORTED_YET",
            `ROLLBACK TO SAVEPOINT ${statement.savepoint} after changes is not supported by q4d: ROLLBACK the whole transaction`,
          );
        }
        break;
      }
    }
    return countResult(0);
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
    await this.backend.setDatabases(next);
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
    await this.backend.setDatabases(
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
    const schema = TableSchema.create(statement.columns, statement.routing);
    const meta = schemaToJson(schema);
    rememberSchema(meta, schema);
    let info: TableInfo;
    try {
      info = await this.backend.createTable(key, meta);
    } catch (error) {
      if (
        statement.ifNotExists && error instanceof QueueError &&
        error.code === "ER_TABLE_EXISTS_ERROR"
      ) return countResult(0);
      throw error;
    }
    this.#addTable(info);
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
      await this.backend.dropTable(table.tableId);
      this.#tables.delete(name);
      this.#byId.delete(table.tableId);
    }
    return countResult(0);
  }

  async #truncate(statement: StatementOf<"truncate">, current: string): Promise<Result> {
    const table = this.requireTable(statement.table, current);
    await this.backend.truncate(table.tableId);
    return countResult(0);
  }

  async #alterTable(statement: StatementOf<"alter_table">, current: string): Promise<Result> {
    const table = this.requireTable(statement.table, current);
    if (statement.actions.length === 0) return countResult(0); // DISABLE / ENABLE KEYS
    const schema = table.schema.alter(statement.actions);
    const meta = schemaToJson(schema);
    rememberSchema(meta, schema);
    // The backend recompiles the conditions it holds from the new meta
    // (compileCondition); the engine's plans follow the schema version.
    await this.backend.alterTable(table.tableId, meta);
    table.schema = schema;
    return countResult(0);
  }

  #checkOpen(): void {
    if (this.#closing !== null) throw new QueueError("ER_CLOSED", "Database is closed");
  }
}

/** Savepoint names compare case-insensitively, as MySQL's. */
function savepointKey(name: string | null): string {
  return (name ?? "").toLowerCase();
}
