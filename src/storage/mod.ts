/**
 * The storage layer's front door: `openStore` (open and recover a database
 * directory), `checkStore` (verify one read-only, for `q4d check`) and the
 * types of what they return. Other layers import storage only from here.
 *
 * @module
 */

export { checkStore, type CommitIo, openStore, type StoreOpenOptions } from "./store.ts";
export type { StoreCheck } from "./store.ts";
export type {
  RecoveryReport,
  RowMeta,
  SourceMark,
  Store,
  StoreOptions,
  SyncMode,
  TableCounters,
  TableRows,
} from "./types.ts";
export type { FileSystem } from "../io/mod.ts";
