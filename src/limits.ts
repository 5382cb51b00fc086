/**
 * Every resource limit of q4d, as a named constant with its unit and the
 * reason for its value. Layers import what they enforce from here.
 *
 * @module
 */

import { assert } from "./errors.ts";

/**
 * Longest SQL text parsed whole; longer is ER_PARSE_ERROR, not a hang: a
 * statement's tokens and syntax tree take many times its text. A served
 * connection's INSERT … VALUES may be longer, up to the server's
 * max_allowed_packet (what mysqldump writes up to its net_buffer_length):
 * it is parsed in pieces under this limit, one piece alive at a time
 * (sql/large_insert.ts), and its rows are one append, so bounded by
 * `batchBytesMax` rather than `insertRowCountMax`.
 */
export const statementBytesMax = 1024 * 1024;
/** Deepest expression nesting; deeper is ER_PARSE_ERROR, never a stack overflow. */
export const expressionDepthMax = 256;
/** Parsed `sql.unsafe` texts kept in the LRU cache. */
export const unsafeCacheEntriesMax = 1024;
/** Compiled queue_wait conditions kept per table. */
export const conditionCacheEntriesMax = 256;
/**
 * Condition text kept compiled per table, counted as text length: a count
 * alone let 256 conditions of up to a statement's size each (256 MiB) stay
 * cached. A single larger condition is still compiled and kept alone.
 */
export const conditionCacheBytesMax = 512 * 1024;
/** Longest table or column name, in characters (MySQL's limit). */
export const identifierLengthMax = 64;
/** Most columns in a table. */
export const columnCountMax = 1024;
/**
 * Largest encoded row, in bytes. A row always fits one batch (asserted
 * below); a batch larger than the room a segment has gets a new segment to
 * itself, which then exceeds `segmentBytes` (see batchBytesMax).
 */
export const rowBytesMax = 16 * 1024 * 1024;
/** Most rows in one INSERT statement. */
export const insertRowCountMax = 65536;
/** A segment rolls over past this size; compaction works a segment at a time. */
export const segmentBytesDefault = 64 * 1024 * 1024;
/** Smallest segment size accepted by open(); smaller only multiplies files. */
export const segmentBytesMin = 64 * 1024;
/**
 * Largest segment size accepted by open(): offsets inside a segment are u32
 * (in the row index), and a segment may pass its size by one batch.
 */
export const segmentBytesMax = 2 * 1024 * 1024 * 1024;
/**
 * Most record bytes one commit round writes (one batch, one sync). A round
 * takes queued operations up to this, or up to the room of one segment when
 * that is less; an operation larger than that goes alone in its own batch,
 * starting a new segment, so a segment exceeds `segmentBytes` only by its
 * first batch. One append (an INSERT's rows) larger than this is refused
 * (ER_DATA_TOO_LONG): an append is one batch, so its size bounds memory and
 * keeps batch lengths far inside their u32 field.
 */
export const batchBytesMax = 64 * 1024 * 1024;
/** Bytes a record and its batch add around one row, at most (storage asserts its real overhead fits). */
export const rowOverheadBytesMax = 128;
/** Segments are zero-filled ahead of the write position in steps of this size, so a datasync need not commit a size change. */
export const preallocateBytes = 4 * 1024 * 1024;
/** Compaction runs once removed row bytes reach this share of all row bytes... */
export const compactionRemovedRatioMin = 0.75;
/** ...and the log holds at least this many row bytes (Q4M's thresholds). */
export const compactionBytesMin = 16 * 1024 * 1024;
/** Bytes of log blocks kept in the read cache. */
export const readCacheBytesMax = 32 * 1024 * 1024;
/** Default queue_wait timeout, in seconds (Q4M's). */
export const waitTimeoutSecondsDefault = 60;
/** Longest queue_wait timeout, in seconds: a timer holds at most 2^31-1 ms; longer is ER_WRONG_ARGUMENTS. */
export const waitTimeoutSecondsMax = 2_147_483;
/** Relay sources per table for queue_set_srcid (Q4M's 0..63). */
export const relaySourceCount = 64;
/**
 * Total text held by the sql.unsafe cache, counted as text length (UTF-16
 * code units, about bytes for SQL); the parsed statements take a few times
 * that. Bounds memory when texts are large (a count alone let ~470 texts of
 * 800 KB exhaust the heap).
 */
export const unsafeCacheBytesMax = 8 * 1024 * 1024;

// The relations the layers rely on, checked when this module loads: a
// wrong edit above fails at once, not in production.
function limitHolds(condition: boolean, relation: string): void {
  assert(condition, `limits: ${relation}`);
}
limitHolds(rowBytesMax + rowOverheadBytesMax <= batchBytesMax, "a largest row fits one batch");
limitHolds(
  segmentBytesMin <= segmentBytesDefault && segmentBytesDefault <= segmentBytesMax,
  "the default segment size is in range",
);
limitHolds(
  segmentBytesMax + batchBytesMax < 2 ** 32,
  "a segment grown by one batch keeps its offsets inside u32",
);
limitHolds(segmentBytesMin > 2 * rowOverheadBytesMax, "a segment holds a small batch");
limitHolds(
  relaySourceCount <= 256,
  "a relay source fits the u8 of SOURCE_MARK and CHECKPOINT records",
);
limitHolds(
  waitTimeoutSecondsMax * 1000 <= 2 ** 31 - 1,
  "the longest queue_wait timeout fits one timer",
);
limitHolds(
  compactionRemovedRatioMin > 0 && compactionRemovedRatioMin < 1,
  "compaction waits for some, not all, bytes to be removed",
);
limitHolds(
  statementBytesMax <= unsafeCacheBytesMax,
  "the sql.unsafe cache can hold a longest statement",
);
limitHolds(
  conditionCacheEntriesMax > 0 && unsafeCacheEntriesMax > 0,
  "caches hold at least one entry",
);
limitHolds(preallocateBytes <= segmentBytesDefault, "a default segment holds a preallocation step");
