/**
 * The engine layer's front door: the public `Database` / `Session` surface
 * (re-exported by the package's mod.ts) and the internal ways to open a
 * database that the package's mod.ts does not offer — on the local backend
 * with every engine option (tests: fault-injecting file systems), or on
 * any backend that implements src/backend/types.ts.
 *
 * @module
 */

export { Database, open, openLocal, openWithBackend, runLongInsert, Session } from "./database.ts";
export type { OpenOptions, RecoveryReportView, SessionActivity, Sql } from "./database.ts";
export type { BackendOpener, EngineOptions } from "./engine.ts";
export type { Job, JobPolicy, JobsOptions } from "./jobs.ts";
export type { QueueStats } from "./queue_functions.ts";
export { parseStatsLines, statsOfText } from "./queue_functions.ts";
export type { Result, ResultColumn, Row } from "./result.ts";
export { withColumns } from "./result.ts";
export { jobs, stopAllJobs, stopJobs } from "./jobs.ts";
export type { BackendCapabilities, SyncMode, TableStats } from "../backend/mod.ts";
