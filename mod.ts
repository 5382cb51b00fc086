/**
 * q4d — a durable message queue for Deno and Node: Q4M's tables-as-queues,
 * with every message transfer logged to disk with checksums and group commit.
 *
 * @example
 * ```ts
 * import { open } from "@q4d/q4d";
 *
 * const db = await open(await Deno.makeTempDir());
 * await db.sql`CREATE TABLE jobs (id INT NOT NULL, prio TINYINT NOT NULL, body TEXT) ENGINE=QUEUE`;
 * await db.sql`INSERT INTO jobs (id, prio, body) VALUES (${1}, ${0}, ${"hello"})`;
 *
 * const s = db.session();
 * const [w] = await s.sql`SELECT queue_wait('jobs:prio=0', 'jobs', 5) AS got`;
 * if (w?.got > 0) {
 *   const [job] = await s.sql`SELECT * FROM jobs`;
 *   console.log(job?.body);
 *   await s.sql`SELECT queue_end()`;
 * }
 * await s.close();
 * await db.close();
 * ```
 *
 * @module
 */

export { Database, open, Session } from "./src/engine/mod.ts";
export type {
  BackendCapabilities,
  Job,
  JobPolicy,
  JobsOptions,
  OpenOptions,
  QueueStats,
  RecoveryReportView,
  Result,
  ResultColumn,
  Row,
  SessionActivity,
  Sql,
  SyncMode,
  TableStats,
} from "./src/engine/mod.ts";
export { QueueError } from "./src/errors.ts";
export type { ErrorCode, QueueErrorOptions } from "./src/errors.ts";
export { ident, Identifier } from "./src/sql/mod.ts";
export type { ColumnType } from "./src/sql/ast.ts";
