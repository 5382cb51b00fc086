/**
 * Q4M's queue functions: queue_wait, queue_end, queue_abort, queue_rowid,
 * queue_set_srcid, queue_compact and queue_stats, with the decisions of
 * DESIGN.md ("Where q4d deliberately differs from Q4M").
 *
 * Arguments are checked and tables resolved here; owning, waiting and
 * consuming rows are the backend session's.
 *
 * SELECT queue_…(args) → these functions → session state + BackendSession
 *
 * @module
 */

import type { Value } from "../sql/mod.ts";
import { defined, QueueError } from "../errors.ts";
import { relaySourceCount, waitTimeoutSecondsDefault, waitTimeoutSecondsMax } from "../limits.ts";
import type { TableStats, WaitArg } from "../backend/mod.ts";
import type { SessionState } from "./session_state.ts";
import type { EngineTable } from "./table.ts";

/** What the queue functions need of the database. */
export interface QueueHost {
  /** The table by name (`t` in database `current`, or `db.t`), or undefined. */
  table(name: string, current: string): EngineTable | undefined;
  /**
   * The backend's catalog read, on a backend whose catalog reaches this
   * process later than other clients' DDL (see Backend.refreshCatalog):
   * resolves true when it found a newer catalog. Undefined elsewhere.
   */
  readonly refreshCatalog: (() => Promise<boolean>) | undefined;
  /** The counters of a table by name or catalog key; ER_NO_SUCH_TABLE when missing. */
  stats(name: string): QueueStats;
  /** Compacts the log now. */
  compact(): Promise<void>;
}

/**
 * Counters of a table, as `Database.stats()` returns them: the backend's
 * per-table counters and the database's failed compaction runs.
 */
export interface QueueStats extends TableStats {
  /**
   * Automatic compaction runs that failed since open, for the whole database
   * (not only this table); the first failure is also logged to stderr.
   */
  compactionErrors: number;
}

/** Runs one queue function call. */
export function callQueueFunction(
  host: QueueHost,
  session: SessionState,
  name: string,
  args: readonly Value[],
): Promise<Value> | Value {
  switch (name) {
    case "queue_wait":
      return queueWait(host, session, args);
    case "queue_end":
      checkArgCount(name, args, 0);
      return queueEnd(session).then(() => 1);
    case "queue_fail":
      checkArgCount(name, args, 0);
      return queueEnd(session, true).then(() => 1);
    case "queue_abort":
      if (session.backend.inTransaction) {
        throw new QueueError(
          "ER_CANT_DO_THIS_DURING_AN_TRANSACTION",
          "queue_abort() is not allowed inside a transaction: ROLLBACK gives back the rows the transaction took, or COMMIT first",
        );
      }
      if (args.length === 1) return queueAbort(session, delayArg(name, argAt(args, 0)));
      checkArgCount(name, args, 0);
      return queueAbort(session, 0);
    case "queue_attempts":
      checkArgCount(name, args, 0);
      return session.ownerMode ? session.backend.attempts() : null;
    case "queue_set_delay":
      checkArgCount(name, args, 1);
      session.armedDelayMs = delayArg(name, argAt(args, 0));
      return 1;
    case "queue_rowid":
      checkArgCount(name, args, 0);
      if (!session.ownerMode) {
        throw new QueueError("ER_NOT_OWNER", "queue_rowid(): not in owner mode");
      }
      return session.backend.owned?.rowId ?? null;
    case "queue_set_srcid":
      checkArgCount(name, args, 3);
      return queueSetSrcid(session, args);
    case "queue_compact": {
      checkArgCount(name, args, 1);
      if (host.table(tableArg(name, argAt(args, 0)), session.database) === undefined) return null;
      return host.compact().then(() => 1);
    }
    case "queue_stats": {
      checkArgCount(name, args, 1);
      const table = host.table(tableArg(name, argAt(args, 0)), session.database);
      return table === undefined ? null : formatStats(host.stats(table.key));
    }
    default:
      throw new QueueError("ER_NOT_SUPPORTED_YET", `FUNCTION ${name} does not exist`);
  }
}

/**
 * queue_stats' lines in order, each with the QueueStats field it shows:
 * Q4M's nine, then q4d's. One list for both directions, so that the text
 * and `db.stats()` (embedded, or parsed from the text over the wire) never
 * disagree.
 */
const statsLines = [
  ["rows_written", "rowsWritten"],
  ["rows_removed", "rowsRemoved"],
  ["wait_immediate", "waitImmediate"],
  ["wait_delayed", "waitDelayed"],
  ["wait_timeout", "waitTimeout"],
  ["restored_by_abort", "restoredByAbort"],
  ["restored_by_close", "restoredByClose"],
  ["bytes_total", "bytesTotal"],
  ["bytes_removed", "bytesRemoved"],
  ["rows_delayed", "rowsDelayed"],
  ["rows_failed", "rowsFailed"],
  ["rows_live", "rowsLive"],
  ["compaction_errors", "compactionErrors"],
] as const satisfies readonly (readonly [string, keyof QueueStats])[];

/** Fails type checking when a QueueStats field has no line above. */
const everyFieldHasALine: [Exclude<keyof QueueStats, (typeof statsLines)[number][1]>] extends
  [never] ? true : never = true;
void everyFieldHasALine;

/** Q4M's queue_stats text: one `name: value` line per counter. */
export function formatStats(stats: QueueStats): string {
  let text = "";
  for (const [name, key] of statsLines) text += `${name}: ${stats[key]}\n`;
  return text;
}

/** The `name: value` lines of a queue_stats text, by name (lines of any other shape are skipped). */
export function parseStatsLines(text: string): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^(\w+): (-?\d+)$/.exec(line.trim());
    const [, name, value] = match ?? [];
    if (name !== undefined && value !== undefined) stats[name] = Number(value);
  }
  return stats;
}

/**
 * The QueueStats a queue_stats text shows (what `db.stats()` of a served
 * database returns); ER_NOT_SUPPORTED_YET when a line is missing (a server
 * that is not q4d, or older).
 */
export function statsOfText(text: string): QueueStats {
  const lines = parseStatsLines(text);
  const stats = {} as Record<keyof QueueStats, number>;
  for (const [name, key] of statsLines) {
    const value = lines[name];
    if (value === undefined) {
      throw new QueueError(
        "ER_NOT_SUPPORTED_YET",
        `The server's queue_stats has no ${name} line (not a q4d server, or an older one)`,
      );
    }
    stats[key] = value;
  }
  return stats;
}

/**
 * Consumes the owned row (durably) and leaves owner mode. Idempotent: a row
 * the owner already deleted, or that TRUNCATE or DROP removed, is not
 * removed or counted again. `failed` (queue_fail) counts it in rows_failed.
 * Inside a transaction the row is held by it and removed at COMMIT; if the
 * transaction cannot take it (too large) the row stays owned.
 */
export function queueEnd(session: SessionState, failed = false): Promise<void> {
  if (!session.backend.inTransaction) {
    session.ownerMode = false;
    return session.backend.end(failed);
  }
  return session.backend.end(failed).then(() => {
    session.ownerMode = false;
  });
}

/**
 * Returns the owned row to its queue at its place and leaves owner mode; 1
 * in any mode. With a delay (q4d's extension) the row is visible to
 * queue_wait again only after it; if writing the due time fails, the row
 * stays owned and the session stays in owner mode.
 */
function queueAbort(session: SessionState, delayMs: number): number | Promise<number> {
  const aborting = session.backend.abort(delayMs);
  if (aborting === undefined) {
    session.ownerMode = false;
    return 1;
  }
  return aborting.then(() => {
    session.ownerMode = false;
    return 1;
  });
}

/** Longest delay queue_abort(seconds) and queue_set_delay(seconds) accept: one year. */
const delaySecondsMax = 365 * 24 * 3600;

/** A delay argument in seconds (number or numeric string, ≥ 0, fractions allowed) → ms. */
function delayArg(name: string, value: Value): number {
  const seconds = typeof value === "bigint"
    ? Number(value)
    : typeof value === "string" && numericText.test(value)
    ? Number(value)
    : value;
  if (
    typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 ||
    seconds > delaySecondsMax
  ) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `${name}(): the delay must be a number of seconds from 0 to ${delaySecondsMax}, not ${
        describe(value)
      }`,
    );
  }
  return Math.round(seconds * 1000);
}

function queueSetSrcid(session: SessionState, args: readonly Value[]): Value {
  const source = integerArg(argAt(args, 0));
  const mode = argAt(args, 1);
  const rowId = integerArg(argAt(args, 2));
  if (source === null || source < 0 || source >= relaySourceCount) return null;
  if (mode !== "a" && mode !== "w") return null;
  if (rowId === null || rowId < 0) return null;
  session.armed = rowId === 0 ? null : { source, mode, rowId };
  return 1;
}

async function queueWait(
  host: QueueHost,
  session: SessionState,
  args: readonly Value[],
): Promise<Value> {
  // One queue_wait per session from the moment it is called (not only once
  // it blocks): two at once would both finish the previous row and both
  // take one, and one of the two rows would be owned by nobody.
  if (session.waitCalled) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      "queue_wait(): this session already has a queue_wait in progress",
    );
  }
  session.waitCalled = true;
  try {
    return await queueWaitOnce(host, session, args);
  } finally {
    session.waitCalled = false;
  }
}

async function queueWaitOnce(
  host: QueueHost,
  session: SessionState,
  args: readonly Value[],
): Promise<Value> {
  // Q4M finishes the previous row first, even when this call then fails.
  if (session.ownerMode) {
    await queueEnd(session);
    session.checkOpen();
  }
  let timeoutSeconds = waitTimeoutSecondsDefault;
  let conditionArgs = args;
  // DESIGN decision 2: a last argument that is a number, or a string that
  // is a complete number (clients that quote every bound value send '5'),
  // is the timeout; NULL there is a bad timeout, not a table.
  const last = args.length > 1 ? args[args.length - 1] : undefined;
  if (
    typeof last === "number" || typeof last === "bigint" || last === null ||
    (typeof last === "string" && numericText.test(last))
  ) {
    timeoutSeconds = checkTimeout(typeof last === "string" ? Number(last) : last);
    conditionArgs = args.slice(0, -1);
  }
  if (conditionArgs.length === 0) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "queue_wait() needs at least one table");
  }
  const parsed: { tableName: string; text: string }[] = [];
  for (const arg of conditionArgs) {
    if (typeof arg !== "string") {
      throw new QueueError(
        "ER_WRONG_ARGUMENTS",
        `queue_wait(): a condition must be a string 'table' or 'table:expr', not ${describe(arg)}`,
      );
    }
    const colon = arg.indexOf(":");
    const tableName = colon < 0 ? arg : arg.slice(0, colon);
    if (tableName === "") {
      throw new QueueError("ER_WRONG_ARGUMENTS", `queue_wait(): empty table name in '${arg}'`);
    }
    const text = colon < 0 ? "" : arg.slice(colon + 1);
    if (colon >= 0 && text.trim() === "") {
      // 't:' is a condition with nothing in it, not the plain table 't'.
      throw new QueueError("ER_PARSE_ERROR", `queue_wait(): empty condition after ':' in '${arg}'`);
    }
    parsed.push({ tableName, text });
  }
  const waitArgs: WaitArg[] = [];
  let refreshed = false;
  for (const { tableName, text } of parsed) {
    let table = host.table(tableName, session.database);
    if (table === undefined && !refreshed && host.refreshCatalog !== undefined) {
      // Another client may have made it a moment ago (a NATS catalog watch lags): read once.
      refreshed = true;
      if (await host.refreshCatalog()) table = host.table(tableName, session.database);
    }
    if (table === undefined) return null;
    waitArgs.push({ tableId: table.tableId, text });
  }
  const waiting = session.backend.wait(waitArgs, timeoutSeconds * 1000, session.anchor?.deref());
  const { argIndex } = waiting instanceof Promise ? await waiting : waiting;
  session.ownerMode = true;
  return argIndex;
}

function checkTimeout(value: Value): number {
  const seconds = typeof value === "bigint" ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `queue_wait(): the timeout must be a number of seconds ≥ 0, not ${describe(value)}`,
    );
  }
  if (seconds > waitTimeoutSecondsMax) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `queue_wait(): the timeout ${seconds} exceeds ${waitTimeoutSecondsMax} seconds`,
    );
  }
  return seconds;
}

function checkArgCount(name: string, args: readonly Value[], count: number): void {
  if (args.length !== count) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `Incorrect parameter count in the call to native function '${name}' (expected ${count}, got ${args.length})`,
    );
  }
}

function tableArg(name: string, value: Value): string {
  if (typeof value !== "string" || value === "") {
    throw new QueueError("ER_WRONG_ARGUMENTS", `${name}(): the table must be a non-empty string`);
  }
  return value;
}

/** A complete decimal number: what MySQL casts from a string without a warning (no spaces). */
const numericText = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
/** A complete decimal integer. */
const integerText = /^[+-]?[0-9]+$/;

/**
 * An integer argument where Q4M takes one: an integer number, or a string
 * that is a complete integer (as MySQL casts '5' to 5); otherwise null.
 */
function integerArg(value: Value): number | null {
  if (typeof value === "string") {
    if (!integerText.test(value)) return null;
    value = BigInt(value);
  }
  if (typeof value === "bigint") {
    return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
  }
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  return null;
}

function describe(value: Value): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return `'${value}'`;
  if (value instanceof Uint8Array) return "a binary value";
  return String(value);
}

/** Argument `i` of a queue function whose count checkArgCount checked. */
function argAt(args: readonly Value[], i: number): Value {
  return defined(args[i], "checkArgCount checked the count");
}
