/**
 * The backend layer's front door: the seam interface every backend
 * implements (types.ts) and the local backend, the first implementation.
 * The engine imports backends only from here.
 *
 * @module
 */

export type * from "./types.ts";
export { type LocalBackend, type LocalBackendOptions, openLocalBackend } from "./local_backend.ts";
export type { SyncMode } from "../storage/mod.ts";
export { newWaitCounters, type WaitCounters } from "./local_table.ts";
