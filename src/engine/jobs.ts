/**
 * The job API of issue 12: `session.jobs(...conditions, options)`, an async
 * iterable of owned rows built only on q4d's SQL (queue_wait, queue_end,
 * queue_abort(s), queue_attempts(), queue_rowid()).
 *
 * Rule for an unfinished job: a job neither acked, retried nor failed when
 * the loop body ends (break, throw, `continue`, or the next iteration) is
 * retried as `job.retry()` would: back in its queue after the policy's
 * back-off, or to the dead-letter table once attempts reach maxAttempts.
 * It is never consumed silently. A transaction still open when the body is
 * left by break or throw is rolled back; a job finished inside a
 * transaction that then rolled back is unfinished again. fail() moves
 * a row to its dead-letter table in one transaction (one log batch).
 */

import { assert, defined, QueueError } from "../errors.ts";
import type { Row } from "./result.ts";

/** Retry policy of a job loop. */
export interface JobPolicy {
  /** Deliveries before a retry becomes fail(); default: unlimited. */
  maxAttempts?: number;
  /** "fixed": `delay` each time; "exponential": delay·2^(attempts-1). Default "fixed". */
  backoff?: "fixed" | "exponential";
  /** Seconds before a retried job is visible again; default 0. */
  delay?: number;
  /** Cap of an exponential back-off in seconds; default 3600. */
  delayMax?: number;
  /** Table that fail() moves rows to (same columns); without it fail() only ends the row. */
  deadLetter?: string;
}

/** The table holding per-table policies, readable by every client. */
export const policyTable = "q4d_queue_policy";

const policyKeys: Record<string, keyof JobPolicy> = {
  max_attempts: "maxAttempts",
  backoff: "backoff",
  delay: "delay",
  delay_max: "delayMax",
  dead_letter: "deadLetter",
};

/** Parses a policy row's JSON text (snake_case keys, as written in SQL). */
export function parsePolicy(table: string, text: unknown): JobPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(text));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `${policyTable}: the policy of ${table} is not a JSON object: ${String(text)}`,
    );
  }
  const policy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const name = policyKeys[key];
    if (name === undefined) {
      throw new QueueError(
        "ER_WRONG_ARGUMENTS",
        `${policyTable}: unknown policy key ${JSON.stringify(key)} for ${table} (known: ${
          Object.keys(policyKeys).join(", ")
        })`,
      );
    }
    policy[name] = value;
  }
  return checkPolicy(policy as JobPolicy);
}

function checkPolicy(policy: JobPolicy): JobPolicy {
  if (
    policy.maxAttempts !== undefined &&
    !(Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1)
  ) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "jobs(): max_attempts must be an integer ≥ 1");
  }
  if (
    policy.backoff !== undefined && policy.backoff !== "fixed" && policy.backoff !== "exponential"
  ) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "jobs(): backoff is 'fixed' or 'exponential'");
  }
  if (
    policy.deadLetter !== undefined &&
    (typeof policy.deadLetter !== "string" || policy.deadLetter === "")
  ) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "jobs(): dead_letter must be a table name");
  }
  checkSeconds("delay", policy.delay ?? 0);
  checkSeconds("delay_max", policy.delayMax ?? 0);
  return policy;
}

/** Options of {@linkcode Session.jobs}. */
export interface JobsOptions {
  /** Seconds of each queue_wait (the loop keeps waiting across timeouts); default 60. */
  timeout?: number;
  /** Aborting it stops the loop as `session.stop()` does. */
  signal?: AbortSignal;
  /**
   * Retry policy (max attempts, back-off, dead-letter table) for every table
   * of the loop; its fields override the table's row in `q4d_queue_policy`.
   */
  policy?: JobPolicy;
}

/** One owned row handed out by a job loop. */
export interface Job<T = Row> {
  /** The table the row came from. */
  readonly table: string;
  /** The row. */
  readonly row: T;
  /** Its row id (queue_rowid()). */
  readonly rowId: number;
  /** Deliveries of this row, this one included (1-based). */
  readonly attempts: number;
  /** Whether ack/retry/fail was called. */
  readonly finished: boolean;
  /** Consumes the row (queue_end). */
  ack(): Promise<void>;
  /** Returns the row to its queue, visible after `delay` seconds (default: the policy's back-off). */
  retry(options?: { delay?: number }): Promise<void>;
  /**
   * Moves the row to the policy's dead-letter table: its INSERT there and
   * the row's end (queue_fail(), counted in rows_failed) commit as one
   * transaction, so a crash leaves the row in exactly one of the two tables.
   * Inside a transaction the session opened itself, they join it instead.
   */
  fail(reason?: string): Promise<void>;
}

/** What a job loop needs of its session. */
export interface JobHost {
  readonly sql: {
    unsafe(text: string, params?: readonly unknown[]): Promise<Row[]>;
  };
  cancelWait(): boolean;
  /** True while the session has an open transaction (BEGIN … COMMIT). */
  readonly inTransaction?: boolean;
}

/** The owned row's id and delivery count, read without a statement; null: ask in SQL. */
export type OwnedRowInfo = () => { rowId: number; attempts: number } | null;

/** What an embedded session gives its job loop beyond SQL (a remote session gives none). */
export interface JobShortcuts {
  /** The owned row's id and delivery count without a statement. */
  ownedRow?: OwnedRowInfo;
  /**
   * Runs the loop's own statements as `sql.unsafe` does, but without the
   * result's `columns` and `rowArrays`, which the loop never reads (their
   * `Object.defineProperty` calls were most of its cost over raw SQL).
   */
  run?: JobHost["sql"]["unsafe"];
  /**
   * Whether the backend has transactions (`db.capabilities.transactions`;
   * default true). Without, fail() writes the dead letter and then ends the
   * row: at least once, never in neither table.
   */
  transactions?: boolean;
}

interface LoopState {
  stopping: boolean;
  waiting: boolean;
  stop(): void;
}

/**
 * The running loop of each session (module state; one per session): weak on
 * the session, and an entry leaves when its loop ends.
 */
const activeLoops = new WeakMap<JobHost, LoopState>();
/**
 * Running loops by database (the engine or a remote database), for
 * `db.stop()`: weak on the database; a loop leaves its set when it ends.
 */
const loopsByKey = new WeakMap<object, Set<LoopState>>();

/** Stops the job loop of one session, if any. */
export function stopJobs(host: JobHost): void {
  activeLoops.get(host)?.stop();
}

/** Stops every job loop registered under a database key. */
export function stopAllJobs(key: object): void {
  for (const loop of loopsByKey.get(key) ?? []) loop.stop();
}

function quoteIdent(name: string): string {
  return "`" + name.replaceAll("`", "``") + "`";
}

function tableOf(condition: string): string {
  const colon = condition.indexOf(":");
  const name = (colon < 0 ? condition : condition.slice(0, colon)).trim();
  const dot = name.lastIndexOf(".");
  return dot < 0 ? name : name.slice(dot + 1);
}

function checkSeconds(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new QueueError("ER_WRONG_ARGUMENTS", `jobs(): ${what} must be a number of seconds ≥ 0`);
  }
  return value;
}

/** The delay a retry without an explicit delay gets under `policy`. */
export function backoffDelay(policy: JobPolicy, attempts: number): number {
  const base = policy.delay ?? 0;
  if (policy.backoff !== "exponential") return base;
  const cap = policy.delayMax ?? 3600;
  return Math.min(cap, base * 2 ** Math.max(0, attempts - 1));
}

/**
 * Starts a job loop on `host`. Throws at once if the session already runs one.
 * `shortcuts.transactions`: whether the backend has them; see JobShortcuts.
 */
export function jobs<T = Row>(
  host: JobHost,
  key: object,
  args: readonly (string | JobsOptions)[],
  shortcuts: JobShortcuts = {},
): AsyncIterableIterator<Job<T>> {
  const ownedRow = shortcuts.ownedRow ?? (() => null);
  const transactions = shortcuts.transactions ?? true;
  let options: JobsOptions = {};
  let conditions = args as readonly unknown[];
  const last = args.at(-1);
  if (last !== undefined && typeof last === "object" && last !== null) {
    options = last;
    conditions = args.slice(0, -1);
  }
  if (conditions.length === 0 || conditions.some((c) => typeof c !== "string" || c === "")) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      "jobs() takes one or more table conditions as strings",
    );
  }
  const timeout = checkSeconds("timeout", options.timeout ?? 60);
  const override = checkPolicy({ ...options.policy });
  if (activeLoops.has(host)) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      "this session already runs a jobs() loop; use one session per loop",
    );
  }
  const state: LoopState = {
    stopping: false,
    waiting: false,
    stop() {
      if (state.stopping) return;
      state.stopping = true;
      // The wait may not have reached the engine yet: retry until it ends.
      const poke = () => {
        if (!state.waiting) return;
        if (!host.cancelWait()) setTimeout(poke, 5);
      };
      poke();
    },
  };
  activeLoops.set(host, state);
  let registry = loopsByKey.get(key);
  if (registry === undefined) loopsByKey.set(key, registry = new Set());
  registry.add(state);
  const onAbort = () => state.stop();
  options.signal?.addEventListener("abort", onAbort);
  if (options.signal?.aborted) state.stopping = true;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    options.signal?.removeEventListener("abort", onAbort);
    activeLoops.delete(host);
    registry.delete(state);
  };
  const sql: JobHost["sql"] = {
    unsafe: shortcuts.run ?? ((text, params) => host.sql.unsafe(text, params)),
  };
  const tables = (conditions as string[]).map(tableOf);
  // The statement texts of the loop, built once.
  const waitText = `SELECT queue_wait(${conditions.map(() => "?").join(", ")}, ?) AS got`;
  const waitParams = [...conditions, timeout];
  const selectAll = new Map<string, string>();
  const selectAllOf = (table: string): string => {
    const text = `SELECT * FROM ${quoteIdent(table)}`;
    selectAll.set(table, text);
    return text;
  };

  const policies = new Map<string, JobPolicy>();
  async function loadPolicies(): Promise<void> {
    let rows: Row[];
    try {
      rows = await sql.unsafe(`SELECT tbl, policy FROM ${policyTable}`);
    } catch (error) {
      if (error instanceof QueueError && error.code === "ER_NO_SUCH_TABLE") rows = [];
      else throw error;
    }
    const wanted = new Set(tables.map((t) => t.toLowerCase()));
    for (const row of rows) {
      const name = String(row.tbl).toLowerCase();
      if (wanted.has(name)) policies.set(name, parsePolicy(name, row.policy));
    }
  }
  // Policies are loaded once per loop: each table's merged policy is built once too.
  const merged = new Map<string, JobPolicy>();
  const policyOf = (table: string): JobPolicy => {
    let policy = merged.get(table);
    if (policy === undefined) {
      policy = { ...policies.get(table.toLowerCase()), ...override };
      merged.set(table, policy);
    }
    return policy;
  };

  // The unfinished-job rule; if its retry or fail fails, the row still goes
  // back at once: a session keeping it would consume it at its next wait.
  async function giveBack(job: Job<T>): Promise<void> {
    try {
      await job.retry();
    } catch (error) {
      if (!job.finished && error instanceof QueueError) {
        try {
          await sql.unsafe("SELECT queue_abort()");
        } catch (abortError) {
          if (!(abortError instanceof QueueError)) throw abortError;
        }
      }
      throw error;
    }
  }

  /** The row the session owns, or null (not in owner mode, or no row). */
  async function ownedRowId(): Promise<number | null> {
    try {
      const [owned] = await sql.unsafe("SELECT queue_rowid() AS id");
      assert(owned !== undefined, "a SELECT without FROM returns one row");
      return owned.id === null ? null : Number(owned.id);
    } catch (error) {
      if (error instanceof QueueError && error.code === "ER_NOT_OWNER") return null;
      throw error;
    }
  }

  /**
   * After a body that used a transaction: the session must own exactly the
   * current job's row if that is unfinished, and nothing else. A ROLLBACK
   * gives back what was owned at BEGIN, which may be the current job (then
   * unfinished again) or an earlier job's row (back to its queue: its loop
   * iteration is over, and the next queue_wait would consume it).
   */
  async function settleOwnership(
    job: LoopJob<T>,
  ): Promise<void> {
    const owned = await ownedRowId();
    if (owned === job.rowId) {
      job.setFinished(false);
      return;
    }
    if (owned !== null && host.inTransaction !== true) await sql.unsafe("SELECT queue_abort()");
    // The current row is not ours (given back by a ROLLBACK, or held by an open transaction).
    if (!job.finished) job.setFinished(true);
  }

  async function* loop(): AsyncGenerator<Job<T>> {
    try {
      await loadPolicies();
      while (!state.stopping) {
        let got: unknown;
        state.waiting = true;
        try {
          const [result] = await sql.unsafe(waitText, waitParams);
          got = defined(result, "SELECT queue_wait() returns one row").got;
        } catch (error) {
          if (
            state.stopping && error instanceof QueueError && error.code === "ER_QUERY_INTERRUPTED"
          ) break;
          throw error;
        } finally {
          state.waiting = false;
        }
        if (got === null) {
          // Find which table is missing for a clear message.
          for (const table of tables) {
            try {
              await sql.unsafe(`SELECT 1 FROM ${quoteIdent(table)} LIMIT 0`);
            } catch (error) {
              if (error instanceof QueueError && error.code === "ER_NO_SUCH_TABLE") throw error;
            }
          }
          throw new QueueError(
            "ER_NO_SUCH_TABLE",
            `jobs(): a table of ${JSON.stringify(conditions)} doesn't exist`,
          );
        }
        const index = Number(got);
        if (index === 0) continue;
        const table = defined(tables[index - 1], "queue_wait returns a condition's 1-based index");
        const [row] = await sql.unsafe(selectAll.get(table) ?? selectAllOf(table));
        let owned = ownedRow();
        if (owned === null) {
          const [info] = await sql.unsafe("SELECT queue_rowid() AS id, queue_attempts() AS n");
          assert(info !== undefined, "a SELECT without FROM returns one row");
          owned = { rowId: Number(info.id), attempts: Number(info.n ?? 1) };
        }
        const job = new LoopJob<T>(
          host,
          sql,
          table,
          row as T,
          owned.rowId,
          owned.attempts,
          policyOf(table),
          transactions,
        );
        let resumed = false;
        const inTransactionAtYield = host.inTransaction === true;
        try {
          yield job;
          resumed = true;
        } finally {
          // Left by break or throw with a transaction still open: it cannot
          // be finished any more, so it rolls back (as a closing session's).
          const rolledBack = !resumed && host.inTransaction === true;
          if (rolledBack) await sql.unsafe("ROLLBACK");
          if (inTransactionAtYield || rolledBack || job.finishedInTransaction()) {
            await settleOwnership(job);
          }
          if (!job.finished) await giveBack(job);
        }
      }
    } finally {
      release();
    }
  }
  const generator = loop();
  // return() on a loop never iterated does not run the generator's finally.
  const iterator: AsyncIterableIterator<Job<T>> = {
    next: () => generator.next(),
    return: async (value?: unknown) => {
      const result = await generator.return(value as undefined);
      release();
      return result;
    },
    throw: async (error?: unknown) => {
      try {
        return await generator.throw(error);
      } finally {
        release();
      }
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * One job a loop hands out. A class, so a job costs one object (its
 * methods live on the prototype): the loop makes one per message.
 */
class LoopJob<T> implements Job<T> {
  readonly #host: JobHost;
  readonly #sql: JobHost["sql"];
  readonly #policy: JobPolicy;
  readonly #transactions: boolean;
  #finished = false;
  /** Whether it was finished inside a transaction (settled after the body). */
  #inTransaction = false;

  constructor(
    host: JobHost,
    sql: JobHost["sql"],
    readonly table: string,
    readonly row: T,
    readonly rowId: number,
    readonly attempts: number,
    policy: JobPolicy,
    transactions: boolean,
  ) {
    this.#host = host;
    this.#sql = sql;
    this.#policy = policy;
    this.#transactions = transactions;
  }

  get finished(): boolean {
    return this.#finished;
  }

  ack(): Promise<void> {
    return this.#finish(() => this.#sql.unsafe("SELECT queue_end()"));
  }

  retry(options?: { delay?: number }): Promise<void> {
    const policy = this.#policy;
    if (policy.maxAttempts !== undefined && this.attempts >= policy.maxAttempts) {
      return this.fail(`gave up after ${this.attempts} attempts`);
    }
    try {
      const delay = options?.delay === undefined
        ? backoffDelay(policy, this.attempts)
        : checkSeconds("retry delay", options.delay);
      return this.#finish(() => this.#sql.unsafe("SELECT queue_abort(?)", [delay]));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  fail(_reason?: string): Promise<void> {
    return this.#finish(() => this.#moveToDeadLetter());
  }

  /** Whether it was finished inside a transaction (for the loop). */
  finishedInTransaction(): boolean {
    return this.#inTransaction;
  }

  /** Marks it finished or not after a transaction settled (for the loop). */
  setFinished(finished: boolean): void {
    this.#finished = finished;
  }

  /** Runs `work` as the job's finishing statement; if it fails, the row is still owned: unfinished again. */
  async #finish(work: () => Promise<unknown>): Promise<void> {
    if (this.#finished) {
      throw new QueueError(
        "ER_WRONG_ARGUMENTS",
        "this job is already finished (ack, retry or fail)",
      );
    }
    this.#finished = true;
    this.#inTransaction = this.#host.inTransaction === true;
    try {
      await work();
    } catch (error) {
      this.#finished = false;
      throw error;
    }
  }

  async #moveToDeadLetter(): Promise<void> {
    const sql = this.#sql;
    const deadLetter = this.#policy.deadLetter;
    if (deadLetter === undefined) {
      await sql.unsafe("SELECT queue_fail()");
      return;
    }
    const r = this.row as Record<string, unknown>;
    const columns = Object.keys(r);
    const insert = () =>
      sql.unsafe(
        `INSERT INTO ${quoteIdent(deadLetter)} (${columns.map(quoteIdent).join(", ")}) VALUES (${
          columns.map(() => "?").join(", ")
        })`,
        columns.map((c) => r[c]),
      );
    if (!this.#transactions) {
      // No transactions on this backend (NATS): the dead letter first, then
      // the end. A crash or failed end between leaves the row in both
      // tables (at least once), never in neither.
      await insert();
      await sql.unsafe("SELECT queue_fail()");
      return;
    }
    if (this.#host.inTransaction === true) {
      // The session's own transaction: its COMMIT makes both durable together.
      await insert();
      await sql.unsafe("SELECT queue_fail()");
      return;
    }
    // One transaction, one batch: never in both tables, never in neither.
    await sql.unsafe("BEGIN");
    try {
      await insert();
      await sql.unsafe("SELECT queue_fail()");
      await sql.unsafe("COMMIT");
    } catch (error) {
      // The row is owned again (a failed COMMIT has rolled back already).
      await sql.unsafe("ROLLBACK").catch(() => {});
      throw error;
    }
  }
}
