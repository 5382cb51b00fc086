/**
 * The public surface of the engine: `open()`, `Database` and `Session`, each
 * with the `sql` tagged template of DESIGN.md's contract.
 *
 * user code → Database / Session (this file) → Engine
 *
 * @module
 */

import { resolve as resolvePath } from "node:path";
import { prepareBoundText, prepareLargeInsert, prepareTemplate, prepareText } from "../sql/mod.ts";
import type { BackendCapabilities, SyncMode } from "../backend/mod.ts";
import { QueueError } from "../errors.ts";
import { ConstructionSlot } from "../construction.ts";
import { segmentBytesMin } from "../limits.ts";
import { type BackendOpener, Engine, type EngineOptions } from "./engine.ts";
import type { QueueStats } from "./queue_functions.ts";
import type { SessionState } from "./session_state.ts";
import type { Result, ResultColumn, Row } from "./result.ts";
import { describeSelect } from "./select.ts";
import { type Job, jobs, type JobsOptions, stopAllJobs, stopJobs } from "./jobs.ts";

/** `Session[runLongInsert](text, bytesMax)`: a served connection's INSERT longer than the embedded statement limit. */
export const runLongInsert: unique symbol = Symbol("q4d.runLongInsert");

/** Options for {@linkcode open}. */
export interface OpenOptions {
  /**
   * How a commit reaches the disk. Default `"fdatasync"`: a statement's
   * promise resolves only after its effect is on disk. `"fsync"` also syncs
   * metadata; `"none"` never syncs (tests and benchmarks only: a crash may
   * lose acknowledged rows).
   */
  sync?: SyncMode | undefined;
  /** Log segment size in bytes (default 64 MiB, at least 64 KiB). */
  segmentBytes?: number | undefined;
  /**
   * How a commit round writes and syncs (the durability is the same).
   * Default `"blocking"`: one blocking write and `fdatasync` on this thread,
   * the fastest for a process whose statements all wait on the round.
   * `"async"`: the same calls on a worker thread while this one runs other
   * statements meanwhile: better when unrelated work (a server's other
   * connections) would otherwise stall during the sync.
   */
  commitIo?: "blocking" | "async" | undefined;
}

/**
 * The `sql` tag of a {@linkcode Database} or {@linkcode Session}: every
 * `${value}` is a bound parameter, never text.
 *
 * @example
 * ```ts
 * import { open } from "@q4d/q4d";
 * const db = await open(await Deno.makeTempDir());
 * await db.sql`CREATE TABLE jobs (id INT NOT NULL, body TEXT) ENGINE=QUEUE`;
 * await db.sql`INSERT INTO jobs (id, body) VALUES (${1}, ${"hello"})`;
 * const rows = await db.sql.unsafe("SELECT * FROM jobs WHERE id = ?", [1]);
 * await db.close();
 * ```
 */
export interface Sql {
  /** Runs one statement written as a tagged template. */
  <T extends Row = Row>(strings: TemplateStringsArray, ...values: unknown[]): Promise<Result<T>>;
  /** Runs SQL text with `?` placeholders bound from `params` in order. */
  unsafe<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<Result<T>>;
}

/** Array.isArray, false instead of a TypeError for a revoked Proxy. */
function isArrayArgument(value: unknown): boolean {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * What keeps a session open: both functions of its `sql` tag (`sql` and
 * `sql.unsafe`) reference it, so it stays reachable exactly as long as
 * anything that can run a statement in the session does. The session's
 * FinalizationRegistry entry watches this object, never a wrapper the user
 * may drop while still using `sql` (`const { sql } = db.session()`).
 */
interface SessionAnchor {
  readonly state: SessionState;
}

function makeSql(engine: Engine, state: SessionState): { sql: Sql; anchor: SessionAnchor } {
  const anchor: SessionAnchor = { state };
  const sql = ((strings: TemplateStringsArray, ...values: unknown[]) => {
    try {
      if (!Array.isArray(strings) || !Array.isArray((strings as { raw?: unknown }).raw)) {
        throw new QueueError(
          "ER_WRONG_ARGUMENTS",
          "sql is a tagged template (sql`SELECT ${value}`); for SQL text use sql.unsafe(text, params)",
        );
      }
      const { prepared, params } = prepareTemplate(strings, values);
      return engine.run(anchor.state, prepared, params);
    } catch (error) {
      return Promise.reject(error);
    }
  }) as Sql;
  sql.unsafe =
    ((text: string, params: readonly unknown[] = []) =>
      runText(engine, anchor.state, text, params, true)) as Sql["unsafe"];
  return { sql, anchor };
}

/**
 * Runs SQL text with `?` parameters in a session (`sql.unsafe`). `shaped`
 * false leaves a SELECT's result without `columns` and `rowArrays`: the
 * job loop's own statements read only rows (see Engine.run).
 */
function runText(
  engine: Engine,
  state: SessionState,
  text: string,
  params: readonly unknown[],
  shaped: boolean,
): Promise<Result> {
  try {
    if (typeof text !== "string") {
      throw new QueueError("ER_WRONG_ARGUMENTS", "sql.unsafe() takes SQL text as a string");
    }
    if (!isArrayArgument(params)) {
      throw new QueueError("ER_WRONG_ARGUMENTS", "sql.unsafe() takes its parameters as an array");
    }
    const { prepared, params: bound } = prepareBoundText(text, params);
    return engine.run(state, prepared, bound, shaped);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What the next `new Database()` / `new Session()` wraps (see src/construction.ts). */
const constructing = new ConstructionSlot<{ engine: Engine; state: SessionState }>(
  "made by open() and db.session()",
);

/** Makes the Database of an engine (module-private; set in Database's static block). */
let createDatabase: (engine: Engine) => Database;
/** Makes a Session of an engine session (module-private; set in Session's static block). */
let createSession: (engine: Engine, state: SessionState) => Session;

/**
 * One consumer (or producer), like one MySQL connection: it has its own
 * owner mode, owned row and armed relay mark.
 *
 * @example
 * ```ts
 * import { open } from "@q4d/q4d";
 * const db = await open(await Deno.makeTempDir());
 * await db.sql`CREATE TABLE jobs (id INT NOT NULL) ENGINE=QUEUE`;
 * await db.sql`INSERT INTO jobs VALUES (${1})`;
 * const s = db.session();
 * const [w] = await s.sql`SELECT queue_wait('jobs', 5) AS got`;
 * if (w?.got > 0) {
 *   const [job] = await s.sql`SELECT * FROM jobs`;
 *   console.log(job?.id);
 *   await s.sql`SELECT queue_end()`;
 * }
 * await s.close();
 * await db.close();
 * ```
 */
export class Session {
  /** Runs a statement in this session. */
  readonly sql: Sql;
  readonly #engine: Engine;
  readonly #state: SessionState;

  /** Sessions are made by {@linkcode Database.session}. */
  private constructor() {
    const { engine, state } = constructing.take("Session");
    this.#engine = engine;
    this.#state = state;
    const { sql, anchor } = makeSql(engine, state);
    this.sql = sql;
    state.anchor = new WeakRef(anchor);
    sessionFinalizer.register(anchor, { engine, state }, state);
  }

  static {
    createSession = (engine, state) => constructing.with({ engine, state }, () => new Session());
  }

  /** True once closed (by itself or by its database). */
  get closed(): boolean {
    return this.#state.closed;
  }

  /**
   * Closes the session: a pending queue_wait rejects with ER_CLOSED and the
   * owned row, if any, goes back to its queue. Idempotent.
   */
  close(): Promise<void> {
    sessionFinalizer.unregister(this.#state);
    this.#engine.closeSession(this.#state);
    return Promise.resolve();
  }

  /**
   * The result columns SQL `text` would have, without running it (a
   * server's COM_STMT_PREPARE describes them): names in select-list order,
   * and table, type and nullability of plain columns. Null for a statement
   * that returns no rows. Throws the QueueError the statement would.
   */
  describe(text: string): ResultColumn[] | null {
    return describeSelect(this.#engine, prepareText(text));
  }

  /**
   * The session's id, unique within its database. A served connection's
   * id (CONNECTION_ID(), SHOW PROCESSLIST, KILL; `connect()`'s session.id)
   * is the server's own, kept across COM_RESET_CONNECTION while the
   * connection's engine session is replaced.
   */
  get id(): number {
    return this.#state.sessionId;
  }

  /**
   * Ends this session's pending queue_wait, if any, with
   * ER_QUERY_INTERRUPTED (what a server's KILL QUERY does); the session stays
   * usable. Returns whether a wait was pending.
   */
  cancelWait(): boolean {
    return this.#state.backend.cancelWait(
      new QueueError("ER_QUERY_INTERRUPTED", "Query execution was interrupted"),
    );
  }

  /**
   * A job loop over `conditions` (queue_wait's arguments, in Q4M's priority
   * order): yields one owned row at a time. A job not acked, retried or
   * failed when the loop body ends is retried (see `JobPolicy`). One loop per
   * session at a time; {@linkcode Session.stop} ends it gracefully.
   *
   * @example
   * ```ts
   * import { open } from "@q4d/q4d";
   * const db = await open(await Deno.makeTempDir());
   * await db.sql`CREATE TABLE thumbs (id INT NOT NULL) ENGINE=QUEUE`;
   * await db.sql`INSERT INTO thumbs VALUES (${1})`;
   * const s = db.session();
   * for await (const job of s.jobs<{ id: number }>("thumbs", { timeout: 1 })) {
   *   console.log(job.row.id, job.attempts);
   *   await job.ack();
   *   s.stop();
   * }
   * await db.close();
   * ```
   */
  jobs<T = Row>(...args: [string, ...(string | JobsOptions)[]]): AsyncIterableIterator<Job<T>> {
    return jobs<T>(this, this.#engine, args, {
      ownedRow: () => {
        // What queue_rowid() and queue_attempts() would return, without a statement.
        const state = this.#state;
        const rowId = state.backend.owned?.rowId;
        const attempts = state.ownerMode ? state.backend.attempts() : null;
        return rowId === undefined || attempts === null ? null : { rowId, attempts };
      },
      run: (text, params = []) => runText(this.#engine, this.#state, text, params, false),
      transactions: this.#engine.capabilities.transactions,
    });
  }

  /**
   * Stops this session's job loop: a pending wait ends at once, a job in
   * progress may still finish, then the loop ends. No-op without a loop.
   */
  stop(): void {
    stopJobs(this);
  }

  /**
   * Runs `text` when it is an INSERT … VALUES longer than the embedded
   * statement limit, up to `bytesMax` (a server's max_allowed_packet), in
   * pieces (sql/large_insert.ts) written as one append; null when it is not
   * such an INSERT (run it as any statement). For servers: not part of the
   * public API, hence the symbol (and hidden from the documentation).
   *
   * @ignore
   */
  [runLongInsert](text: string, bytesMax: number): Promise<Result> | null {
    const pieces = prepareLargeInsert(text, bytesMax);
    if (pieces === null) return null;
    try {
      return this.#engine.runInsertPieces(this.#state, pieces);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The session's current database (`USE db`; "q4d" until then): unqualified table names resolve in it. */
  get database(): string {
    return this.#state.database;
  }

  /** True while the session has an open transaction (BEGIN … COMMIT / ROLLBACK). */
  get inTransaction(): boolean {
    return this.#state.backend.inTransaction;
  }

  /** What the session holds, for a server's SHOW PROCESSLIST. */
  get activity(): SessionActivity {
    const backend = this.#state.backend;
    const nameOf = (tableId: number) => this.#engine.tableNameOf(tableId) ?? droppedTableName;
    const waitingOn = backend.waitingOn;
    const owned = backend.owned;
    return {
      waiting: waitingOn === null ? null : waitingOn.map(nameOf),
      owned: owned === null ? null : { table: nameOf(owned.tableId), rowId: owned.rowId },
    };
  }

  /**
   * Closes the session at the end of an `await using` block.
   *
   * @example
   * ```ts
   * import { open } from "@q4d/q4d";
   * const db = await open(await Deno.makeTempDir());
   * {
   *   await using s = db.session();
   *   await s.sql`SELECT 1`;
   * } // s is closed here; an owned row would go back to its queue
   * await db.close();
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A session that becomes garbage while it owns a row gives the row back, as
 * a MySQL connection that goes away does: nothing can finish that row any
 * more. "Garbage" means its Session object, `sql` and `sql.unsafe` are all
 * unreachable (the registry watches their shared SessionAnchor), and no
 * queue_wait of the session is pending (a pending wait holds the anchor).
 * close() is the reliable way.
 */
const sessionFinalizer = new FinalizationRegistry<{ engine: Engine; state: SessionState }>(
  ({ engine, state }) => engine.closeSession(state),
);

/**
 * An open database directory.
 *
 * @example
 * ```ts
 * import { open } from "@q4d/q4d";
 * const db = await open(await Deno.makeTempDir());
 * await db.sql`CREATE TABLE IF NOT EXISTS jobs (id INT NOT NULL) ENGINE=QUEUE`;
 * console.log(db.stats("jobs").rowsWritten);
 * await db.close();
 * ```
 */
export class Database {
  /** Runs a statement in the database's own default session. */
  readonly sql: Sql;
  readonly #engine: Engine;

  /** Databases are made by {@linkcode open}. */
  private constructor() {
    const { engine, state } = constructing.take("Database");
    this.#engine = engine;
    this.sql = makeSql(engine, state).sql;
  }

  static {
    createDatabase = (engine) =>
      constructing.with({ engine, state: engine.newSession() }, () => new Database());
  }

  /** A new session (one consumer). */
  session(): Session {
    return createSession(this.#engine, this.#engine.newSession());
  }

  /** What the database's backend promises (local disk here; see the README's backends table). */
  get capabilities(): BackendCapabilities {
    return { ...this.#engine.capabilities };
  }

  /** A table's counters as numbers (queue_stats' text, typed). ER_NO_SUCH_TABLE when missing. */
  stats(table: string): QueueStats {
    return this.#engine.stats(table);
  }

  /** What recovery found and did when this database was opened. */
  get recovery(): RecoveryReportView {
    const report = this.#engine.recovery ?? noRecovery;
    return { ...report, tornTail: report.tornTail === null ? null : { ...report.tornTail } };
  }

  /** Stops every job loop of this database's sessions, as Session.stop() does. */
  stop(): void {
    stopAllJobs(this.#engine);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#engine.closed;
  }

  /**
   * Waits for pending commits, returns every session's owned row to its
   * queue (nothing is lost: they stay in the queue on disk), and closes the
   * files. Idempotent.
   */
  close(): Promise<void> {
    return this.#engine.close();
  }

  /** Closes the database at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** What a backend without a local log reports as its recovery. */
const noRecovery: RecoveryReportView = {
  segmentCount: 0,
  batchCount: 0,
  bytesScanned: 0,
  tornTail: null,
  durationMs: 0,
};

/** The name SessionActivity shows for a table dropped since. */
const droppedTableName = "(dropped)";

/** What a session holds: the tables of its pending queue_wait and its owned row. */
export interface SessionActivity {
  /** Tables a pending queue_wait is waiting on, or null when not waiting. */
  waiting: string[] | null;
  /** The owned row, or null. */
  owned: { table: string; rowId: number } | null;
}

/** What recovery found and did when a database was opened. */
export interface RecoveryReportView {
  /** Log segments scanned. */
  segmentCount: number;
  /** Commit batches verified. */
  batchCount: number;
  /** Bytes of log verified. */
  bytesScanned: number;
  /** A torn tail (an unacknowledged last write) that was cut off, if any. */
  tornTail: { path: string; offset: number; bytesDropped: number } | null;
  /** Time recovery took, in milliseconds. */
  durationMs: number;
}

/**
 * Opens the database in `directory` (created if missing), recovering its
 * log. A relative `directory` is resolved against the working directory at
 * this call; a later chdir does not affect the open database. A second open
 * of the same directory, from this or another process, rejects with
 * ER_DB_LOCKED while the first is open.
 *
 * @example
 * ```ts
 * import { open } from "@q4d/q4d";
 * const db = await open(await Deno.makeTempDir(), { sync: "fdatasync" });
 * await db.close();
 * ```
 */
export async function open(directory: string, options: OpenOptions = {}): Promise<Database> {
  if (typeof directory !== "string" || directory === "") {
    throw new QueueError("ER_WRONG_ARGUMENTS", "open() needs a directory path");
  }
  const sync = options.sync ?? "fdatasync";
  if (sync !== "fdatasync" && sync !== "fsync" && sync !== "none") {
    throw new QueueError("ER_WRONG_ARGUMENTS", `Unknown sync mode '${String(sync)}'`);
  }
  const segmentBytes = options.segmentBytes;
  if (
    segmentBytes !== undefined &&
    (!Number.isSafeInteger(segmentBytes) || segmentBytes < segmentBytesMin)
  ) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `segmentBytes must be an integer ≥ ${segmentBytesMin}, not ${segmentBytes}`,
    );
  }
  // Resolved once, here: every later file name derives from it, so a
  // chdir after open cannot move new segments or the catalog elsewhere.
  const commitIo = options.commitIo ?? "blocking";
  if (commitIo !== "blocking" && commitIo !== "async") {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `commitIo must be "blocking" or "async", not ${String(commitIo)}`,
    );
  }
  return createDatabase(
    await Engine.open(resolvePath(directory), { sync, segmentBytes, commitIo }),
  );
}

/**
 * Opens a database on the local backend with the engine's full options
 * (tests inject a fault-injecting file system here). Internal: reached
 * through src/engine/mod.ts, not the public mod.ts.
 */
export async function openLocal(directory: string, options: EngineOptions): Promise<Database> {
  return createDatabase(await Engine.open(directory, options));
}

/**
 * Opens a database on any backend: `openBackend` receives what the engine
 * gives every backend (its condition compiler) and returns the open
 * backend. The entry point of a second backend (e.g. NATS JetStream) calls
 * this; SQL and sessions are the same on every backend.
 */
export async function openWithBackend(openBackend: BackendOpener): Promise<Database> {
  return createDatabase(await Engine.openWith(openBackend));
}
