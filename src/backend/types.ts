/**
 * The backend seam: everything the engine (SQL statements, sessions, queue
 * functions) needs from what stores the queues, as one interface. The local
 * append-only log (`src/backend/local_*.ts` over `src/storage/`) is the first
 * implementation; a replicated one (NATS JetStream, issue 14) is the second,
 * its client dependencies outside the core. The engine above
 * this line does not change between them; what weakens on a backend is
 * declared in its {@linkcode BackendCapabilities}.
 *
 * Database/Session → Engine (SQL, schemas, plans, owner mode) → Backend → storage | cluster
 *
 * The contract, in short:
 *
 * - **Identity.** A table is its `tableId` (a positive integer, never reused
 *   in one database, kept across ALTER TABLE; a table dropped and created
 *   again under its name has a new id). A row is its `rowId` within its
 *   table: positive, rising by one per inserted row, never reused (not after
 *   TRUNCATE, not after a restart). Callers refer to tables and rows by
 *   these ids only, never by objects the backend hands out.
 * - **Who owns what.** The backend owns the catalog (names, ids, the opaque
 *   `meta` the engine stores per table), the rows (opaque `payload` bytes),
 *   relay watermarks, row ownership (which session holds which row),
 *   blocked waits, delayed visibility, delivery counts and the counters of
 *   {@linkcode TableStats}. The engine owns schemas (it stores them as
 *   `meta`, JSON-serialisable), compiled statement plans, and per-session
 *   SQL state (owner mode, the armed relay mark and delay).
 * - **Payloads are opaque.** Rows cross the seam as encoded bytes; the
 *   engine decodes them. Inserts also carry each row's values so that a
 *   backend can derive routing keys (subject tokens) without a decoder.
 * - **Sync where it is free, async where it must be.** Catalog reads and
 *   counters are synchronous (a remote backend answers them from its cached
 *   view). Reads of rows ({@linkcode BackendSession.scan},
 *   {@linkcode BackendSession.visibleCount}) return a value or a promise:
 *   `undefined`/a number when the backend reads synchronously
 *   (`capabilities.synchronousReads`), a promise otherwise. Callers await
 *   only when they got a promise, so the local hot path allocates none.
 *   Everything that writes returns a promise that resolves once the effect
 *   is durable in the backend's sense (`capabilities.durability`).
 * - **Errors.** User-visible failures are `QueueError`s with the codes of
 *   `src/errors.ts` (ER_NO_SUCH_TABLE, ER_TABLE_EXISTS_ERROR, ER_CLOSED,
 *   ER_DISK_FULL, ER_ERROR_ON_WRITE, ER_NOT_SUPPORTED_YET for what a backend
 *   cannot do, …). A failed write changes nothing the caller can observe.
 * - **Conditions.** queue_wait conditions reach the backend as text per
 *   table; the backend asks the engine's {@linkcode ConditionCompiler}
 *   (given at open) to compile them, and may keep them compiled (it is told
 *   nothing when a schema changes except through `alterTable`, after which
 *   it recompiles what it holds). A backend evaluates a condition itself
 *   (server-side) or with the compiled `matches` (client-side); one it can
 *   do neither for is rejected with ER_NOT_SUPPORTED_YET by `wait`.
 *
 * @module
 */

import type { Expr, Value } from "../sql/mod.ts";
import type { RecoveryReport } from "../storage/mod.ts";

/** What recovery found and did when a local log was opened (storage's report; `null` on backends without one). */
export type { RecoveryReport };

/** What a backend can and cannot promise. The engine and the tests read these; users see them as `db.capabilities`. */
export interface BackendCapabilities {
  /** The backend's name: "local", "nats". */
  readonly name: string;
  /**
   * Sessions have transactions (`BEGIN` … `COMMIT`): what a
   * session inserts, ends and removes between `begin` and `commit` becomes
   * durable as one atomic unit (over several tables, also across a crash),
   * or not at all. False: `begin` throws ER_NOT_SUPPORTED_YET.
   */
  readonly transactions: boolean;
  /**
   * Ownership is a lease: a row owned by a session that stops renewing it
   * (a crashed or paused process) returns to its queue after the lease
   * time even while the session is open. False: a row stays owned until
   * its session ends, aborts or closes (or the process ends).
   */
  readonly ownershipIsLease: boolean;
  /** Row reads (`scan`, `visibleCount`) return without a promise. */
  readonly synchronousReads: boolean;
  /**
   * Which queue_wait conditions the backend evaluates without reading rows
   * into this process: "any" (every condition), "routing" (conditions over
   * routing columns only: any condition that reads only columns declared
   * as routing keys, see {@linkcode CompiledCondition.routing}), "none"
   * (only the plain table).
   */
  readonly serverSideConditions: "any" | "routing" | "none";
  /**
   * Conditions outside `serverSideConditions` are evaluated here on
   * delivered rows (rejected rows go back). False: such a condition is
   * ER_NOT_SUPPORTED_YET.
   */
  readonly clientSideConditions: boolean;
  /**
   * queue_set_srcid's watermark is exact: a relayed row at or below the
   * source's watermark is never written twice. False: de-duplication holds
   * within a window only (say which in the backend's documentation).
   */
  readonly exactRelayMarks: boolean;
  /** queue_set_delay / queue_abort(seconds) keep rows invisible to queue_wait until due. */
  readonly delayedRows: boolean;
  /**
   * queue_wait over several tables always serves the highest-priority
   * argument that has a row. False: strict only for rows already there when
   * the call starts; while blocked, the first delivery wins.
   */
  readonly strictPriorityAcrossTables: boolean;
  /** `compact()` reclaims space (false: it is a no-op resolving at once). */
  readonly compaction: boolean;
  /**
   * What "resolved" means for a write: "disk" (synced to this machine's
   * disk, per the sync mode), "quorum" (stored on a majority of replicas),
   * "memory" (sync "none": tests and benchmarks).
   */
  readonly durability: "disk" | "quorum" | "memory";
}

/** A table as the backend's catalog holds it. Plain data: the backend may hand out a new object for the same table at any time. */
export interface TableInfo {
  /** Stable id (never reused; kept across ALTER TABLE). */
  readonly tableId: number;
  /** The name as created (the engine decides case and database-prefix rules). */
  readonly name: string;
  /** The engine's schema for the table (JSON-serialisable), opaque to the backend. */
  readonly meta: unknown;
}

/** A relay mark armed by queue_set_srcid, applied with the rows of one insert. */
export interface RelayMark {
  /** Relay source slot, 0..63 (limits.relaySourceCount). */
  readonly source: number;
  /** The source's row id; becomes the slot's watermark when the rows are written. */
  readonly rowId: number;
  /**
   * "a" (append): the insert is dropped (nothing written, rowCount 0) when
   * `rowId` is at or below the watermark, checked atomically with the write.
   * "w" (write): written whatever the watermark.
   */
  readonly mode: "a" | "w";
}

/** Options of one insert. */
export interface InsertOptions {
  /**
   * The inserting session: when it has a transaction open, the rows are
   * buffered in it and written (or dropped) with its commit (or rollback);
   * the promise then resolves at once with firstRowId 0 and the row count.
   */
  readonly session?: BackendSession;
  /** The relay mark to apply atomically with the rows. */
  readonly mark?: RelayMark;
  /** Wall-clock ms (Date.now) before which queue_wait does not deliver the rows; 0 = at once. */
  readonly visibleAt?: number;
}

/** What an insert did. */
export interface InsertResult {
  /** The first row's id (the others follow, one apart); 0 when nothing was written. */
  readonly firstRowId: number;
  /** Rows written: all of them, or 0 when the relay mark dropped them as duplicates. */
  readonly rowCount: number;
}

/** A queue_wait condition compiled by the engine for one table. */
export interface CompiledCondition {
  /** The text after the ':' ("" for the plain table). */
  readonly text: string;
  /** The parsed expression (for a backend that maps it to server-side filters); null for "". */
  readonly expression: Expr | null;
  /** Evaluates the condition on a row's payload; null matches every row. May throw a QueueError for a row. */
  readonly matches: ((payload: Uint8Array) => boolean) | null;
  /** It reads the clock (NOW() …): a row may come to match through time alone. */
  readonly readsClock: boolean;
  /**
   * Present when the table has routing columns (see
   * {@linkcode BackendOpenOptions.routingColumns}) and the condition reads
   * only them and not the clock: evaluates it on a routing tuple (the
   * routing columns' values, in declaration order), so a backend can pick
   * the subjects to pull from without reading rows.
   */
  readonly routing?: ((tuple: readonly Value[]) => boolean) | null;
}

/**
 * The engine's condition compiler, given to a backend when it is opened:
 * compiles `text` for `table`'s current `meta`. Throws ER_PARSE_ERROR /
 * ER_BAD_FIELD_ERROR when it does not compile.
 */
export type ConditionCompiler = (table: TableInfo, text: string) => CompiledCondition;

/** One argument of a queue_wait: a table and a condition on it. */
export interface WaitArg {
  readonly tableId: number;
  /** The condition text after ':' ("" for the plain table). */
  readonly text: string;
}

/** How a wait ended: the 1-based argument that was served and the row now owned, or 0 / 0 on timeout. */
export interface WaitResult {
  readonly argIndex: number;
  readonly rowId: number;
}

/** A row owned by a session. */
export interface OwnedRow {
  readonly tableId: number;
  readonly rowId: number;
}

/** The counters of one table, as `Database.stats()` and queue_stats report them. */
export interface TableStats {
  /** Rows ever inserted (relay duplicates excluded); equals the highest row id issued. */
  rowsWritten: number;
  /** Rows ever removed (consumed, deleted, truncated), each once. */
  rowsRemoved: number;
  /** Rows in the table now, owned ones included (SHOW TABLE STATUS' Rows). */
  rowsLive: number;
  /** queue_wait calls served from this table without blocking (this process, since open). */
  waitImmediate: number;
  /** queue_wait calls served from this table after blocking. */
  waitDelayed: number;
  /** queue_wait calls naming this table that timed out (once per call). */
  waitTimeout: number;
  /** Owned rows returned by queue_abort. */
  restoredByAbort: number;
  /** Owned rows returned by a closing session or database. */
  restoredByClose: number;
  /** Bytes of this table's rows in the backend now (0 when unknown). */
  bytesTotal: number;
  /** The part of bytesTotal already removed, reclaimable by compaction. */
  bytesRemoved: number;
  /** Live rows not yet visible to queue_wait (q4d's delayed rows). */
  rowsDelayed: number;
  /**
   * Rows consumed with queue_fail() (the job API's `fail()`) since the
   * database was opened, counted once durable: in memory, like the wait
   * counters.
   */
  rowsFailed: number;
}

/**
 * One session's view of the backend: the row it owns and its blocked wait.
 * Made by {@linkcode Backend.openSession}; one per engine session.
 *
 * Visibility: a session not in owner mode sees every live row that no
 * session owns, in row-id order (delayed rows included: delay hides rows
 * from queue_wait only); in owner mode it sees only its owned row of that
 * table. Owner mode itself is the engine's state, passed in where it
 * matters.
 */
export interface BackendSession {
  /** The engine's session id (unique in the database; a server's connection id). */
  readonly sessionId: number;
  /** The owned row, or null. It may have been removed since (DELETE, TRUNCATE, DROP). */
  readonly owned: OwnedRow | null;
  /** The owned row's id in `tableId` while it is live, else 0. */
  ownedRowIn(tableId: number): number;
  /** The tables of a blocked wait, or null when not waiting. */
  readonly waitingOn: readonly number[] | null;
  /**
   * Waits for a row matching one of `args`, in priority order (the first
   * argument with a row wins; arguments may repeat a table). Resolves with
   * the served argument and takes ownership of the row (the previous owned
   * row must have been ended or released by the caller first); resolves
   * 0/0 after `timeoutMs` (0: do not block) or once every table named is
   * dropped. Counts a delivery (see {@linkcode attempts}). Rejects with the
   * condition's QueueError (it does not compile, or fails on a row), with
   * ER_NOT_SUPPORTED_YET for a condition the backend cannot evaluate, or
   * with the error given to {@linkcode cancelWait} / ER_CLOSED. One wait
   * per session at a time. `keepAlive` is held strongly while the wait is
   * pending (see Database's session finalizer).
   *
   * A backend may return the result itself, without a promise, when it is
   * at hand at the call (the local backend does when a row is there or
   * `timeoutMs` is 0: the hot path then costs no promise); errors are then
   * thrown. Returning a promise is always correct.
   */
  wait(
    args: readonly WaitArg[],
    timeoutMs: number,
    keepAlive?: object,
  ): WaitResult | Promise<WaitResult>;
  /** Ends a pending wait with `error`; false when none was pending. */
  cancelWait(error: Error): boolean;
  /** Times queue_wait handed the owned row out (this one included); null without a live owned row. */
  attempts(): number | null;
  /**
   * Consumes the owned row, durably, and forgets it. Idempotent: a row
   * already removed (DELETE, TRUNCATE, DROP) is not removed or counted again.
   * `failed` (queue_fail, the job API's fail()) also counts it in
   * `rowsFailed` once the removal is durable.
   */
  end(failed?: boolean): Promise<void>;
  /**
   * Returns the owned row to its queue at its place (queue_abort); with
   * `delayMs` > 0 it stays invisible to queue_wait that long, and the due
   * time is durable before the row leaves the session (if writing it fails,
   * the row stays owned and the promise rejects). Without an owned row it
   * does nothing. Counts restoredByAbort when a row went back. Returns
   * `undefined` when done at the call (no write was needed), else a promise.
   * Inside a transaction it throws ER_CANT_DO_THIS_DURING_AN_TRANSACTION
   * (rollback is what gives rows back then).
   */
  abort(delayMs: number): void | Promise<void>;
  /**
   * Closes the session: a pending wait rejects with ER_CLOSED, the owned
   * row goes back to its queue at once (counted restoredByClose). Nothing
   * is written. Idempotent.
   */
  close(): void;
  /**
   * Calls `visit` with each row the session sees in `tableId`, in row-id
   * order, until it returns false. The payload must not be modified and is
   * valid only during the call. `undefined` when done synchronously, else a
   * promise.
   */
  scan(
    tableId: number,
    ownerMode: boolean,
    visit: (rowId: number, payload: Uint8Array) => boolean,
  ): void | Promise<void>;
  /** How many rows the session sees in `tableId` (COUNT(*) without WHERE). */
  visibleCount(tableId: number, ownerMode: boolean): number | Promise<number>;
  /**
   * Removes rows of `tableId` the session sees (DELETE), durably. Only the
   * session's own owned row can be owned among them: it is consumed. If
   * the write fails, every row stays (an owned one with its owner).
   */
  remove(tableId: number, rowIds: readonly number[]): Promise<void>;

  // --- transactions (capabilities.transactions) --------------------------

  /**
   * Opens a transaction: until `commit` or `rollback`, rows this session
   * consumes (`end`, `remove`) are held (no session sees or gets them; the
   * returned promises resolve at once) and its inserts (`insert` with
   * `options.session`) are buffered. ER_NOT_SUPPORTED_YET when the backend
   * has no transactions; ER_WRONG_ARGUMENTS when one is open already. A
   * write that would make the transaction larger than the backend commits
   * at once fails with ER_TRANS_CACHE_FULL and changes nothing.
   * Savepoints and implicit commits (DDL, BEGIN) are the engine's.
   */
  begin(): void;
  /** True while a transaction is open. */
  readonly inTransaction: boolean;
  /**
   * Writes everything of the transaction as one atomic unit; resolves when
   * durable. On failure nothing of it happened (as `rollback`) and the
   * promise rejects with the cause. Without a transaction it resolves at once.
   */
  commit(): Promise<void>;
  /**
   * Undoes the transaction: buffered rows are dropped, held rows go back to
   * their queues (the row owned at `begin` to this session), the owned row
   * is what it was at `begin`. Idempotent; `close` rolls back.
   */
  rollback(): void;
}

/** One open database on some backend. */
export interface Backend {
  /** What this backend promises. */
  readonly capabilities: BackendCapabilities;
  /** What recovery did on open (null for a backend without a local log). */
  readonly recovery: RecoveryReport | null;

  // --- catalog ---------------------------------------------------------

  /** Every table, in creation order (the backend's current view). */
  tables(): readonly TableInfo[];
  /** A table by id, or undefined (dropped, never existed). */
  table(tableId: number): TableInfo | undefined;
  /** Creates a table durably; ER_TABLE_EXISTS_ERROR when the name is taken. */
  createTable(name: string, meta: unknown): Promise<TableInfo>;
  /**
   * Replaces a table's meta durably (ALTER TABLE): id, rows, ownership and
   * blocked waits stay; held conditions are recompiled (a waiter whose
   * condition no longer compiles fails with that error).
   */
  alterTable(tableId: number, meta: unknown): Promise<TableInfo>;
  /**
   * Drops a table durably with its rows. Blocked waits naming only dropped
   * tables resolve 0. ER_NO_SUCH_TABLE when missing.
   */
  dropTable(tableId: number): Promise<void>;
  /**
   * The databases (SQL namespaces) besides the default one, as last set.
   * Tables carry their database in their name (the engine's naming rule);
   * the backend only stores this list.
   */
  databases(): readonly string[];
  /** Replaces the list of databases durably. */
  setDatabases(names: readonly string[]): Promise<void>;
  /**
   * Called when the catalog changed other than through this object's own
   * calls (another client of a shared backend). The engine re-reads
   * `tables()`. Never called by the local backend.
   */
  onCatalogChange: (() => void) | null;
  /**
   * Optional, for a shared backend whose catalog reaches this process
   * later than other clients' rows: reads the catalog now and, when it is
   * newer than the view, applies it (calling `onCatalogChange`) and
   * resolves true. The engine asks it when a read meets a row written
   * under a schema version it does not know, then plans the statement
   * again. The local backend has no such lag and lacks it.
   */
  refreshCatalog?(): Promise<boolean>;

  // --- rows ------------------------------------------------------------

  /**
   * Inserts rows as one atomic unit (all or none, also across a crash),
   * with the relay mark applied atomically; `values[i]` are the decoded
   * values of `payloads[i]` (for routing keys). Ids are assigned in order.
   * Resolves when durable; waiters are served then. A relay whose mark
   * another session's open transaction reserved is decided once that
   * transaction ends (written if it rolled back); never dropped while it
   * might still roll back.
   */
  insert(
    tableId: number,
    payloads: readonly Uint8Array[],
    values: readonly (readonly Value[])[],
    options?: InsertOptions,
  ): Promise<InsertResult>;
  /** The relay watermarks of a table (64 slots, 0 = never set), including inserts in flight. */
  relayMarks(tableId: number): readonly number[];
  /** Removes every row (TRUNCATE); owned rows vanish for their owners too. Ids keep rising. */
  truncate(tableId: number): Promise<void>;

  // --- sessions, stats, lifetime ---------------------------------------

  /** A new session handle for the engine session `sessionId`. */
  openSession(sessionId: number): BackendSession;
  /** A table's counters; ER_NO_SUCH_TABLE when missing. */
  stats(tableId: number): TableStats;
  /** Reclaims space now (queue_compact); resolves when done. */
  compact(): Promise<void>;
  /** Failed automatic compaction runs since open (0 for a backend without). */
  readonly compactionErrorCount: number;
  /**
   * Closes every session (owned rows go back; nothing is written for them),
   * waits for pending writes and releases files or connections. Idempotent.
   */
  close(): Promise<void>;
}

/** Options every backend opener takes. */
export interface BackendOpenOptions {
  /** Compiles queue_wait conditions for the backend (from the engine). */
  compileCondition: ConditionCompiler;
  /**
   * The positions (in the values of an insert) of a table's routing
   * columns, in declaration order (`PARTITION BY KEY (…)`); [] when it has
   * none. A backend with subjects (NATS) routes rows by their values; the
   * local backend ignores it. Absent: no table has routing columns.
   */
  routingColumns?: (table: TableInfo) => readonly number[];
}
