/**
 * `q4d forward`: Q4M's q4m-forward relay. Rows move one at a time from a
 * source queue table to a destination table, each exactly once across
 * restarts and crashes of the relay:
 *
 * - the source row is taken with `queue_wait` and stays owned until the next
 *   `queue_wait` (or `queue_end` at a clean stop) consumes it, which happens
 *   only after the destination acknowledged the INSERT; a relay that dies
 *   before that leaves the row to come back to the source;
 * - the INSERT is armed with `queue_set_srcid(sender, 'a', rowid)`, so a row
 *   sent again with the same id is dropped by the destination (its
 *   watermark for `sender` is already that id); `--reset` arms the first
 *   row with `'w'`, which sets the watermark whatever it was (after the
 *   source was emptied and its ids started again).
 *
 * Each end is a `mysql://` URL (a served q4d, or any MySQL server with Q4M)
 * reached through `connect()`, or a q4d data directory opened here.
 *
 * src queue_wait → queue_rowid → SELECT * → dst queue_set_srcid → INSERT → (loop)
 *
 * @module
 */

import { existsSync, statSync } from "node:fs";
import { open } from "../mod.ts";
import { QueueError } from "./errors.ts";
import { relaySourceCount } from "./limits.ts";
import { connect } from "./server/mod.ts";

/** One end of a relay: where the database is, and the table. */
export interface ForwardEnd {
  /** A `mysql://` URL or a data directory. */
  location: string;
  /** The table: `t`, or `db.t`. */
  table: string;
}

/** How the relay is doing, reported about once a second while it runs. */
export interface ForwardProgress {
  /** Rows forwarded since start. */
  rows: number;
  /** Rows forwarded in the last report's interval, per second. */
  rowsPerSecond: number;
  /** Rows waiting at the source (its live rows), or null when it cannot tell. */
  lag: number | null;
}

/** Options of {@linkcode forward}. */
export interface ForwardOptions {
  /** The watermark slot at the destination, 0..63 (Q4M's `--sender`). Default 0. */
  sender?: number;
  /** Arm the first row with mode 'w' (Q4M's `--reset`). Default false. */
  reset?: boolean;
  /** Longest single queue_wait at the source, in seconds: how soon a stop is noticed when idle. Default 1. */
  waitSeconds?: number;
  /** Called about once a second with the progress (for a terminal). */
  onProgress?: ((progress: ForwardProgress) => void) | undefined;
  /** Ends the relay cleanly: the row in flight is finished, the last one consumed. */
  signal?: AbortSignal;
}

type Rows = Record<string, unknown>[];

/** What the relay needs of a connection or session: one statement at a time, in order. */
interface Link {
  query(text: string, params?: unknown[]): Promise<Rows>;
  close(): Promise<void>;
}

interface SqlHolder {
  sql: { unsafe(text: string, params?: unknown[]): Promise<Rows> };
}

/** Opens one end: a URL through connect(), a directory through open() (it must hold a database). */
async function openEnd(
  location: string,
  shared: Map<string, Promise<SharedDirectory>>,
): Promise<Link> {
  if (/^mysql:\/\//i.test(location)) {
    const db = await connect(location);
    const holder = db as unknown as SqlHolder;
    return { query: (text, params) => holder.sql.unsafe(text, params), close: () => db.close() };
  }
  if (!existsSync(`${location}/catalog.json`) || !statSync(location).isDirectory()) {
    throw new QueueError("ER_CANT_OPEN_FILE", `'${location}' holds no q4d database`, {
      path: location,
    });
  }
  // Both ends in one directory: one open database, a session each.
  let opened = shared.get(location);
  if (opened === undefined) {
    opened = open(location).then((db) => ({ db, users: 0 }));
    shared.set(location, opened);
  }
  const directory = await opened;
  directory.users++;
  const session = directory.db.session();
  const holder = session as unknown as SqlHolder;
  return {
    query: (text, params) => holder.sql.unsafe(text, params),
    async close() {
      await session.close();
      if (--directory.users === 0) await directory.db.close();
    },
  };
}

interface SharedDirectory {
  db: Awaited<ReturnType<typeof open>>;
  users: number;
}

/** `t` or `db`.`t`, back-quoted. */
function quoteTable(name: string): string {
  const quote = (part: string) => "`" + part.replaceAll("`", "``") + "`";
  const dot = name.indexOf(".");
  return dot < 0 ? quote(name) : `${quote(name.slice(0, dot))}.${quote(name.slice(dot + 1))}`;
}

/** The live rows of `table` at the source, from queue_stats; null when unknown. */
async function sourceLag(src: Link, table: string, owning: boolean): Promise<number | null> {
  try {
    const [row] = await src.query("SELECT queue_stats(?) AS s", [table]);
    const text = String(row?.s ?? "");
    const written = /rows_written: (\d+)/.exec(text);
    const removed = /rows_removed: (\d+)/.exec(text);
    if (written === null || removed === null) return null;
    return Math.max(0, Number(written[1]) - Number(removed[1]) - (owning ? 1 : 0));
  } catch {
    return null;
  }
}

/**
 * Relays rows from `source` to `destination` until `options.signal` aborts
 * (then the row in flight is finished and the last one consumed at the
 * source) or an error (rejects; rows not yet acknowledged by the
 * destination stay at the source). Resolves with the rows forwarded.
 */
export async function forward(
  source: ForwardEnd,
  destination: ForwardEnd,
  options: ForwardOptions = {},
): Promise<number> {
  const sender = options.sender ?? 0;
  if (!Number.isInteger(sender) || sender < 0 || sender >= relaySourceCount) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `the sender slot must be 0..${relaySourceCount - 1}, not ${sender}`,
    );
  }
  const waitSeconds = options.waitSeconds ?? 1;
  const shared = new Map<string, Promise<SharedDirectory>>();
  const src = await openEnd(source.location, shared);
  let dst: Link;
  try {
    dst = await openEnd(destination.location, shared);
  } catch (error) {
    await src.close();
    throw error;
  }
  const dstTable = quoteTable(destination.table);
  const selectSource = `SELECT * FROM ${quoteTable(source.table)}`;
  const inserts = new Map<string, string>();
  let mode = options.reset === true ? "w" : "a";
  let rows = 0;
  let owning = false;
  let reportedAt = Date.now();
  let reportedRows = 0;
  const report = async () => {
    const now = Date.now();
    if (options.onProgress === undefined || now - reportedAt < 1000) return;
    const lag = await sourceLag(src, source.table, owning);
    options.onProgress({
      rows,
      rowsPerSecond: (rows - reportedRows) * 1000 / (now - reportedAt),
      lag,
    });
    reportedAt = now;
    reportedRows = rows;
  };
  try {
    while (options.signal?.aborted !== true) {
      // Also consumes the row forwarded last (its INSERT is acknowledged).
      const [waited] = await src.query("SELECT queue_wait(?, ?) AS w", [source.table, waitSeconds]);
      owning = false;
      if (waited === undefined || waited.w === null) {
        throw new QueueError("ER_NO_SUCH_TABLE", `source table '${source.table}' not found`);
      }
      if (Number(waited.w) === 0) {
        await report();
        continue;
      }
      owning = true;
      const [rowid] = await src.query("SELECT queue_rowid() AS id");
      const id = rowid?.id;
      const [row] = await src.query(selectSource);
      if (id === null || id === undefined || row === undefined) {
        throw new QueueError("ER_WRONG_ARGUMENTS", "the source gave no row after queue_wait");
      }
      const [armed] = await dst.query("SELECT queue_set_srcid(?, ?, ?) AS r", [sender, mode, id]);
      if (Number(armed?.r) !== 1) {
        throw new QueueError("ER_WRONG_ARGUMENTS", "the destination refused queue_set_srcid");
      }
      const columns = Object.keys(row);
      const key = columns.join("\0");
      let insert = inserts.get(key);
      if (insert === undefined) {
        insert = `INSERT INTO ${dstTable} (${
          columns.map((c) => "`" + c.replaceAll("`", "``") + "`").join(", ")
        }) VALUES (${columns.map(() => "?").join(", ")})`;
        inserts.set(key, insert);
      }
      await dst.query(insert, columns.map((c) => row[c]));
      mode = "a";
      rows++;
      await report();
    }
    // A clean stop: the last forwarded row is consumed now rather than sent again later.
    if (owning) await src.query("SELECT queue_end()");
    return rows;
  } finally {
    await src.close().catch(() => {});
    await dst.close().catch(() => {});
  }
}
