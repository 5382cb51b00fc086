/**
 * The operator commands behind `q4d check` and `q4d stats`, separate from
 * the argument parsing in cli.ts so tests can call them in-process.
 *
 * check: checkStore (recovery's scan, read-only) → CheckOutcome → report
 * stats: open(dir) or connect(url) → information_schema.TABLES → queue_stats(t) each
 *
 * Exit codes (README, `q4d --help`): 0 clean, 1 recovery would cut a torn
 * tail, 2 corrupt, 3 cannot check (locked, missing, permission).
 *
 * @module
 */

import { existsSync, statSync } from "node:fs";
import { open } from "../mod.ts";
import { parseStatsLines } from "./engine/mod.ts";
import { defined, QueueError } from "./errors.ts";
import { connect } from "./server/mod.ts";
import { checkStore } from "./storage/mod.ts";
import { displayTable } from "./sql/mod.ts";

/** Exit code: nothing to repair. */
export const exitClean = 0;
/** Exit code: recovery would cut a torn tail (unacknowledged writes only). */
export const exitTornTail = 1;
/** Exit code: the database is corrupt (ER_CORRUPT). */
export const exitCorrupt = 2;
/** Exit code: the database could not be checked or read (locked, missing, permission). */
export const exitCannot = 3;

/** What `q4d check` found. */
export interface CheckOutcome {
  /** The exit code: exitClean, exitTornTail, exitCorrupt or exitCannot. */
  exitCode: number;
  directory: string;
  segments: number;
  batches: number;
  bytes: number;
  /** Tables with their live rows (rows recovery would make visible). */
  tables: { name: string; liveRows: number }[];
  /** The torn tail recovery would cut, if any. */
  tornTail: { path: string; offset: number; bytesDropped: number } | null;
  /** Leftover files recovery would delete (unfinished creations; no data). */
  wouldRemove: string[];
  /** Why the check failed (corrupt or cannot check), or null. */
  error: { code: string; message: string; path: string | null; position: number | null } | null;
}

/**
 * Checks the database in `directory` without modifying it: takes its lock,
 * verifies the catalog, the segment chain and every checksum, and says what
 * recovery would do. Never throws a QueueError: it is the outcome.
 */
export async function checkDatabase(directory: string): Promise<CheckOutcome> {
  const outcome: CheckOutcome = {
    exitCode: exitClean,
    directory,
    segments: 0,
    batches: 0,
    bytes: 0,
    tables: [],
    tornTail: null,
    wouldRemove: [],
    error: null,
  };
  let checked;
  try {
    checked = await checkStore(directory, {});
  } catch (error) {
    if (!(error instanceof QueueError)) throw error;
    outcome.exitCode = error.code === "ER_CORRUPT" ? exitCorrupt : exitCannot;
    outcome.error = {
      code: error.code,
      message: error.message,
      path: error.path ?? null,
      position: error.position ?? null,
    };
    return outcome;
  }
  const { store, plan } = checked;
  try {
    const report = store.recovery;
    outcome.segments = report.segmentCount;
    outcome.batches = report.batchCount;
    outcome.bytes = report.bytesScanned;
    outcome.tornTail = report.tornTail === null ? null : { ...report.tornTail };
    outcome.wouldRemove = [...plan.remove];
    for (const [name, table] of store.tables()) {
      outcome.tables.push({ name: displayTable(name), liveRows: table.liveCount });
    }
    outcome.tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (report.tornTail !== null) outcome.exitCode = exitTornTail;
  } finally {
    await store.close();
  }
  return outcome;
}

/** The text report of a check: a few lines, the verdict last. */
export function formatCheck(outcome: CheckOutcome): string {
  const lines: string[] = [];
  if (outcome.error !== null) {
    const where = outcome.error.path === null
      ? ""
      : ` (${outcome.error.path}${
        outcome.error.position === null ? "" : ` at offset ${outcome.error.position}`
      })`;
    const verdict = outcome.exitCode === exitCorrupt ? "CORRUPT" : "CANNOT CHECK";
    lines.push(`${verdict}: ${outcome.error.code}: ${outcome.error.message}${where}`);
    return lines.join("\n");
  }
  lines.push(
    `${outcome.directory}: ${outcome.segments} segments, ${outcome.batches} batches, ${outcome.bytes} bytes scanned`,
  );
  for (const table of outcome.tables) {
    lines.push(`  table ${table.name}: ${table.liveRows} live rows`);
  }
  for (const path of outcome.wouldRemove) {
    lines.push(`  recovery would remove the leftover ${path}`);
  }
  if (outcome.tornTail !== null) {
    const t = outcome.tornTail;
    lines.push(
      `TORN TAIL: recovery would cut ${t.bytesDropped} bytes of unacknowledged writes from ${t.path} at offset ${t.offset}`,
    );
  } else {
    lines.push("OK");
  }
  return lines.join("\n");
}

/** queue_stats of every table of a database, by table name (snake_case counters). */
export type StatsSnapshot = Record<string, Record<string, number>>;

/** A database to read stats from: a directory (opened here) or a mysql:// URL. */
export interface StatsSource {
  /** One snapshot of every table's queue_stats. */
  read(): Promise<StatsSnapshot>;
  close(): Promise<void>;
}

interface SqlHolder {
  sql: {
    (strings: TemplateStringsArray, ...values: unknown[]): Promise<Record<string, unknown>[]>;
  };
  close(): Promise<void>;
}

/**
 * Opens `target` for `q4d stats`: a `mysql://` URL through connect(), else a
 * directory through open() (refused when missing, so nothing is created).
 * Throws a QueueError when it cannot (ER_DB_LOCKED when the directory is
 * open elsewhere: use its server's URL).
 */
export async function openStatsSource(target: string): Promise<StatsSource> {
  let db: SqlHolder;
  if (/^mysql:\/\//i.test(target)) {
    db = await connect(target) as unknown as SqlHolder;
  } else {
    if (!existsSync(target) || !statSync(target).isDirectory()) {
      throw new QueueError("ER_CANT_OPEN_FILE", `'${target}' is not a database directory`, {
        path: target,
      });
    }
    if (!existsSync(`${target}/catalog.json`)) {
      throw new QueueError("ER_CANT_OPEN_FILE", `'${target}' holds no q4d database`, {
        path: target,
      });
    }
    db = await open(target) as unknown as SqlHolder;
  }
  return {
    async read() {
      const snapshot: StatsSnapshot = {};
      // Every database's queue tables: `t` in the current database, `db.t` in others.
      const [first] = await db.sql`SELECT DATABASE() AS current`;
      const listed = await db.sql`SELECT TABLE_SCHEMA AS d, TABLE_NAME AS t
        FROM information_schema.TABLES WHERE ENGINE = 'QUEUE'`;
      const names = listed.map(({ d, t }) => d === first?.current ? String(t) : `${d}.${t}`);
      names.sort();
      for (const name of names) {
        const [row] = await db.sql`SELECT queue_stats(${name}) AS s`;
        const text = row?.s;
        if (text === null || text === undefined) continue; // dropped meanwhile
        snapshot[name] = parseStats(String(text));
      }
      return snapshot;
    },
    close: () => db.close(),
  };
}

/** Parses queue_stats' `name: value` lines (the engine's parser, the one db.stats() over the wire uses). */
export const parseStats: (text: string) => Record<string, number> = parseStatsLines;

const statsColumns: [string, string][] = [
  ["live", "rows_live"],
  ["delayed", "rows_delayed"],
  ["written", "rows_written"],
  ["removed", "rows_removed"],
  ["bytes", "bytes_total"],
  ["bytes_removed", "bytes_removed"],
  ["wait_imm", "wait_immediate"],
  ["wait_del", "wait_delayed"],
  ["timeouts", "wait_timeout"],
  ["aborted", "restored_by_abort"],
  ["closed", "restored_by_close"],
  ["failed", "rows_failed"],
];

/** A table of the snapshot, one line per queue table. */
export function formatStats(snapshot: StatsSnapshot): string {
  const header = ["table", ...statsColumns.map(([title]) => title)];
  const rows = Object.entries(snapshot).map(([name, stats]) => [
    name,
    ...statsColumns.map(([, key]) => String(stats[key] ?? 0)),
  ]);
  if (rows.length === 0) return "(no tables)";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => {
      const width = defined(widths[i], "a row has no more cells than the header");
      return i === 0 ? cell.padEnd(width) : cell.padStart(width);
    }).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
