/**
 * The segment files of the log: naming, creation (under a temporary name,
 * linked to the previous segment, renamed into place once durable), the log
 * head file, positioned batch writes, cutting back a failed batch, deleting
 * the oldest, and reads of records through a bounded block cache. Group
 * commit writes through it; table reads and recovery read through it.
 *
 * @module
 */

import { assert, defined, QueueError } from "../errors.ts";
import { type FileHandle, type FileSystem, IoError } from "../io/mod.ts";
import { preallocateBytes, readCacheBytesMax } from "../limits.ts";
import {
  batchCrcField,
  encodeLogHead,
  encodeSegmentHeader,
  type LogHead,
  segmentHeaderBytes,
} from "./record_codec.ts";
import type { SyncMode } from "./types.ts";

/** Bytes of one cached block of a segment. */
export const cacheBlockBytes = 64 * 1024;
/** Largest zero buffer written at once while preallocating. */
const zeroChunkBytes = 1024 * 1024;
/** Blocks per segment number in a cache key (segments are below 4 GiB). */
const blocksPerSegmentKey = 65536;

/** File name of segment `segmentNumber`: 16 zero-padded digits + ".q4l". */
export function segmentFileName(segmentNumber: number): string {
  return `${String(segmentNumber).padStart(16, "0")}.q4l`;
}

/** Suffix of a segment being created; a leftover one at open is removed. */
export const segmentTempSuffix = ".tmp";
/** File name of the log head in the log directory (FORMAT.md). */
export const logHeadFileName = "head";
/** Temporary name of the log head during a rewrite; a leftover one at open is removed. */
export const logHeadTempFileName = "head.tmp";

/** The segment number a file name encodes, or null when it is not a segment. */
export function parseSegmentFileName(name: string): number | null {
  const match = /^(\d{16})\.q4l$/.exec(name);
  return match === null ? null : Number(match[1]);
}

/** One segment file and what the store knows of it. */
export interface Segment {
  readonly segmentNumber: number;
  readonly path: string;
  readonly handle: FileHandle;
  /** End of valid batches: the next batch is written here. */
  dataEnd: number;
  /** Bytes known to be zero-filled (and durable) from dataEnd up to here. */
  preallocatedEnd: number;
  /** Rows whose current record is here and whose removal is not durable. */
  liveRows: number;
  /** Bytes of ROW records per table id held in this segment. */
  readonly tableBytes: Map<number, number>;
  /** Header CRC field of the last batch at dataEnd's left; 0 when none. */
  lastBatchCrc: number;
  /** True once creating the next segment began: nothing more is written here. */
  sealed: boolean;
}

/** Options of {@linkcode SegmentFiles}. */
export interface SegmentFilesOptions {
  sync: SyncMode;
  /** Segment size after which the log rolls over. */
  segmentBytes: number;
}

/**
 * Maps an I/O failure of a log write (an IoError, which carries an errno) to
 * the QueueError users see. Anything else is returned unchanged: a
 * QueueError already says what it means, and any other exception is a bug
 * that must surface as itself, never as a disk error.
 */
export function writeError(error: unknown, path: string): unknown {
  if (!(error instanceof IoError)) return error;
  const errno = error.errno;
  const code = errno === "ENOSPC" ? "ER_DISK_FULL" : "ER_ERROR_ON_WRITE";
  const why = error instanceof Error ? error.message : String(error);
  return new QueueError(code, `cannot write the log: ${why}`, { path, cause: error });
}

/** The ordered segment files of one log directory. */
export class SegmentFiles {
  readonly fs: FileSystem;
  readonly logDirectory: string;
  readonly options: SegmentFilesOptions;
  /** Oldest first; the last one is written. */
  readonly list: Segment[] = [];
  #byNumber = new Map<number, Segment>();
  #cache = new Map<number, Uint8Array>();
  #cacheBlocksMax = Math.max(1, Math.floor(readCacheBytesMax / cacheBlockBytes));
  #zeros = new Uint8Array(zeroChunkBytes);
  /** The log head as last asked for (FORMAT.md); written through #headQueue. */
  #head: LogHead = { first: 1, last: 0 };
  #headQueue: Promise<unknown> = Promise.resolve();
  /** The batch written last, kept so rows just made durable read from memory. */
  #lastBatch: { segmentNumber: number; offset: number; bytes: Uint8Array } | null = null;

  constructor(fs: FileSystem, logDirectory: string, options: SegmentFilesOptions) {
    this.fs = fs;
    this.logDirectory = logDirectory;
    this.options = options;
  }

  /** The segment being written. */
  get active(): Segment {
    return defined(this.list[this.list.length - 1], "log has no segment");
  }

  /** A segment by number, or undefined when deleted. */
  get(segmentNumber: number): Segment | undefined {
    return this.#byNumber.get(segmentNumber);
  }

  /** Path of segment `segmentNumber`. */
  pathOf(segmentNumber: number): string {
    return `${this.logDirectory}/${segmentFileName(segmentNumber)}`;
  }

  /** Registers an existing segment (recovery). */
  adopt(segment: Segment): void {
    assert(
      this.list.length === 0 || this.active.segmentNumber < segment.segmentNumber,
      "segments adopted out of order",
    );
    this.list.push(segment);
    this.#byNumber.set(segment.segmentNumber, segment);
  }

  /** The log head recovery found (before anything is written). */
  loadHead(head: LogHead): void {
    this.#head = { ...head };
  }

  /**
   * Raises the log head's first and/or last segment number and makes it
   * durable (temporary file, sync, rename, directory sync). Serialised: each
   * write carries every change asked for so far.
   */
  updateHead(change: Partial<LogHead>): Promise<void> {
    const run = this.#headQueue.then(async () => {
      this.#head = {
        first: Math.max(this.#head.first, change.first ?? 0),
        last: Math.max(this.#head.last, change.last ?? 0),
      };
      const temp = `${this.logDirectory}/${logHeadTempFileName}`;
      const handle = await this.fs.open(temp, { create: true });
      try {
        await handle.truncate(0);
        await handle.write(encodeLogHead(this.#head), 0);
        await handle.sync();
      } finally {
        await handle.close().catch(() => {});
      }
      await this.fs.rename(temp, `${this.logDirectory}/${logHeadFileName}`);
      await this.fs.syncDirectory(this.logDirectory);
    });
    this.#headQueue = run.catch(() => {});
    return run;
  }

  /**
   * Creates segment `segmentNumber` after the active one and makes it
   * active: seals the active segment (nothing more is written there, so the
   * link stays true even if this fails and is retried), writes the header
   * linking to it and the preallocation under a temporary name, syncs,
   * renames it into place, syncs the directory, then raises the log head.
   * A crash or failure on the way leaves either a temporary file or an
   * empty segment past the head, both removed at open.
   */
  async create(segmentNumber: number): Promise<Segment> {
    const previous = this.list.length > 0 ? this.active : null;
    assert(
      previous === null || previous.segmentNumber === segmentNumber - 1,
      "segments are created in order",
    );
    if (previous !== null) previous.sealed = true;
    const path = this.pathOf(segmentNumber);
    const temp = path + segmentTempSuffix;
    const handle = await this.fs.open(temp, { create: true });
    let renamed = false;
    try {
      await handle.truncate(0);
      const header = encodeSegmentHeader(segmentNumber, {
        previousEnd: previous?.dataEnd ?? 0,
        previousLastBatchCrc: previous?.lastBatchCrc ?? 0,
      });
      await handle.write(header, 0);
      const segment: Segment = {
        segmentNumber,
        path,
        handle,
        dataEnd: segmentHeaderBytes,
        preallocatedEnd: segmentHeaderBytes,
        liveRows: 0,
        tableBytes: new Map(),
        lastBatchCrc: 0,
        sealed: false,
      };
      await this.preallocate(segment, segmentHeaderBytes + 1);
      await this.fs.rename(temp, path);
      renamed = true;
      await this.fs.syncDirectory(this.logDirectory);
      await this.updateHead({ last: segmentNumber });
      this.adopt(segment);
      return segment;
    } catch (error) {
      await handle.close().catch(() => {});
      // Once renamed, the file stays: the head may already name it. A retry renames over it.
      if (!renamed) await this.fs.remove(temp).catch(() => {});
      throw error;
    }
  }

  /** True when writing `bytes` more at the data end needs a preallocation first. */
  needsPreallocation(segment: Segment, bytes: number): boolean {
    return segment.dataEnd + bytes > segment.preallocatedEnd;
  }

  /**
   * Zero-fills the segment from its preallocated end past `end`, in
   * preallocateBytes steps (not beyond the segment size unless `end` is),
   * and makes that durable with a full sync, so later datasyncs commit no
   * size or allocation change.
   */
  async preallocate(segment: Segment, end: number): Promise<void> {
    if (end <= segment.preallocatedEnd) return;
    const step = Math.min(preallocateBytes, this.options.segmentBytes);
    const target = Math.max(end, Math.ceil(end / step) * step);
    this.#dropCached(segment.segmentNumber, segment.preallocatedEnd, target);
    for (let at = segment.preallocatedEnd; at < target; at += zeroChunkBytes) {
      const bytes = Math.min(zeroChunkBytes, target - at);
      await segment.handle.write(this.#zeros.subarray(0, bytes), at);
    }
    await segment.handle.sync();
    segment.preallocatedEnd = target;
  }

  /** Writes a batch at the data end, blocking. */
  writeSync(segment: Segment, bytes: Uint8Array): void {
    segment.handle.writeSync(bytes, segment.dataEnd);
  }

  /** Writes a batch at the data end. */
  write(segment: Segment, bytes: Uint8Array): Promise<void> {
    return segment.handle.write(bytes, segment.dataEnd);
  }

  /** Makes the batch durable per the sync mode, blocking. */
  syncSync(segment: Segment): void {
    if (this.options.sync === "fdatasync") segment.handle.syncDataSync();
    else if (this.options.sync === "fsync") segment.handle.syncSync();
  }

  /** Makes the batch durable per the sync mode. */
  async sync(segment: Segment): Promise<void> {
    if (this.options.sync === "fdatasync") await segment.handle.syncData();
    else if (this.options.sync === "fsync") await segment.handle.sync();
  }

  /** Records a durable batch of `bytes` at the data end and advances it. */
  commitWritten(segment: Segment, bytes: Uint8Array): void {
    const offset = segment.dataEnd;
    this.#dropCached(segment.segmentNumber, offset, offset + bytes.length);
    this.#lastBatch = { segmentNumber: segment.segmentNumber, offset, bytes: bytes.slice() };
    segment.dataEnd += bytes.length;
    segment.lastBatchCrc = batchCrcField(bytes, 0);
  }

  /**
   * After a failed batch: cuts the segment back to its data end so no
   * half-written batch stays; the next batch re-preallocates (zero-fill +
   * sync) first, which makes the cut durable before anything later is
   * acknowledged. Best effort: a failure here leaves that to the next round.
   */
  async cutBack(segment: Segment): Promise<void> {
    this.#dropCached(segment.segmentNumber, segment.dataEnd, Number.MAX_SAFE_INTEGER);
    segment.preallocatedEnd = segment.dataEnd;
    try {
      await segment.handle.truncate(segment.dataEnd);
    } catch {
      // The next preallocation overwrites the region with zeros anyway.
    }
  }

  /**
   * Deletes the oldest segment durably (file, then directory sync). Never the
   * active one; the caller has raised the log head's first past it.
   */
  async deleteOldest(): Promise<Segment> {
    assert(this.list.length > 1, "cannot delete the active segment");
    const segment = defined(this.list[0], "the list is not empty");
    await segment.handle.close();
    await this.fs.remove(segment.path);
    await this.fs.syncDirectory(this.logDirectory);
    this.list.shift();
    this.#byNumber.delete(segment.segmentNumber);
    this.#dropCached(segment.segmentNumber, 0, Number.MAX_SAFE_INTEGER);
    if (this.#lastBatch?.segmentNumber === segment.segmentNumber) this.#lastBatch = null;
    return segment;
  }

  /**
   * The bytes of a record, blocking on a cache miss. The result is a view
   * valid until the next call. Caller verifies the CRC.
   */
  readRecord(segmentNumber: number, offset: number, recordBytes: number): Uint8Array {
    const last = this.#lastBatch;
    if (
      last !== null && last.segmentNumber === segmentNumber && offset >= last.offset &&
      offset + recordBytes <= last.offset + last.bytes.length
    ) {
      const at = offset - last.offset;
      return last.bytes.subarray(at, at + recordBytes);
    }
    const segment = this.#byNumber.get(segmentNumber);
    assert(segment !== undefined, `read from deleted segment ${segmentNumber}`);
    const blockIndex = Math.floor(offset / cacheBlockBytes);
    const within = offset - blockIndex * cacheBlockBytes;
    if (within + recordBytes > cacheBlockBytes) {
      const bytes = new Uint8Array(recordBytes);
      this.#readFully(segment, bytes, offset);
      return bytes;
    }
    const key = segmentNumber * blocksPerSegmentKey + blockIndex;
    let block = this.#cache.get(key);
    if (block === undefined) {
      block = new Uint8Array(cacheBlockBytes);
      this.#readFully(segment, block, blockIndex * cacheBlockBytes);
      if (this.#cache.size >= this.#cacheBlocksMax) {
        this.#cache.delete(this.#cache.keys().next().value as number);
      }
    } else {
      this.#cache.delete(key);
    }
    this.#cache.set(key, block);
    return block.subarray(within, within + recordBytes);
  }

  #readFully(segment: Segment, buffer: Uint8Array, position: number): void {
    let done = 0;
    try {
      while (done < buffer.length) {
        const count = segment.handle.readSync(buffer.subarray(done), position + done);
        if (count === 0) break;
        done += count;
      }
    } catch (error) {
      // Only an I/O failure is a read error; anything else is a bug.
      if (!(error instanceof IoError)) throw error;
      throw new QueueError("ER_ERROR_ON_READ", "cannot read the log", {
        path: segment.path,
        position,
        cause: error,
      });
    }
    buffer.fill(0, done);
  }

  #dropCached(segmentNumber: number, start: number, end: number): void {
    if (this.#cache.size === 0) return;
    const first = Math.floor(start / cacheBlockBytes);
    const last = Math.floor((Math.min(end, 2 ** 32) - 1) / cacheBlockBytes);
    if (last - first > this.#cache.size) {
      for (const key of [...this.#cache.keys()]) {
        const block = key % blocksPerSegmentKey;
        if (Math.floor(key / blocksPerSegmentKey) === segmentNumber && block >= first) {
          this.#cache.delete(key);
        }
      }
      return;
    }
    for (let block = first; block <= last; block++) {
      this.#cache.delete(segmentNumber * blocksPerSegmentKey + block);
    }
  }

  /** Closes every segment file. */
  async closeAll(): Promise<void> {
    for (const segment of this.list) await segment.handle.close().catch(() => {});
    this.#cache.clear();
    this.#lastBatch = null;
  }
}
