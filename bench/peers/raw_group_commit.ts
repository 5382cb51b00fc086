/**
 * The raw group-commit ceiling: plain Deno file writes and datasyncs with no
 * queue around them. One preallocated file; all pending records go out in
 * one write and one datasync per round; the next round starts one
 * event-loop turn (setImmediate) after the previous one ended. N concurrent
 * writers each await their own record. What q4d's insert path (issue 4) is
 * compared against; `run.ts` prints it above the systems.
 *
 * @module
 */

import { join } from "node:path";

/** Bytes of one record standing for an inserted row (96-byte body + header). */
export const insertRecordBytes = 128;
/** Bytes of one record standing for a removal. */
export const removalRecordBytes = 16;
/** The file is zero-filled ahead of the write position in steps of this size. */
export const preallocateStepBytes = 4 * 1024 * 1024;
/** Serial write+datasync rounds used to measure raw datasyncs/s. */
export const serialSyncRoundCount = 2_000;

/** Deno's file API as this module uses it (so it type-checks without Deno types in scope). */
interface DenoFile {
  write(data: Uint8Array): Promise<number>;
  writeSync(data: Uint8Array): number;
  seek(offset: number, whence: number): Promise<number>;
  seekSync(offset: number, whence: number): number;
  syncData(): Promise<void>;
  syncDataSync(): void;
  close(): void;
}

interface DenoFiles {
  open(path: string, options: { read?: boolean; write: boolean; create: boolean }): Promise<
    DenoFile
  >;
  SeekMode: { Start: number };
}

function denoFiles(): DenoFiles {
  const deno = (globalThis as { Deno?: DenoFiles }).Deno;
  if (!deno) throw new Error("the raw ceiling uses Deno's file API: run it under Deno");
  return deno;
}

/** One ceiling measurement. */
export interface CeilingResult {
  /** "async" (write + syncData) or "blocking" (writeSync + syncDataSync). */
  mode: "async" | "blocking";
  /** Concurrent writers, each awaiting its record. */
  writerCount: number;
  /** Bytes per record. */
  recordBytes: number;
  /** Records written. */
  recordCount: number;
  /** Records per second. */
  recordsPerSecond: number;
  /** Write + datasync rounds per second. */
  roundsPerSecond: number;
  /** Average records per round. */
  recordsPerRoundAverage: number;
}

/** A log file written round by round, preallocated ahead of the write position. */
class RoundLog {
  readonly #file: DenoFile;
  readonly #seekStart: number;
  readonly #zeros = new Uint8Array(preallocateStepBytes);
  #writeOffset = 0;
  #allocatedBytes = 0;

  constructor(file: DenoFile, seekStart: number) {
    this.#file = file;
    this.#seekStart = seekStart;
  }

  // The file cursor stays at #writeOffset between rounds, so a round is just
  // write + datasync; seeks happen only around a preallocation step.
  async append(data: Uint8Array): Promise<void> {
    if (this.#writeOffset + data.length > this.#allocatedBytes) {
      await this.#file.seek(this.#allocatedBytes, this.#seekStart);
      await writeAll(this.#file, this.#zeros);
      this.#allocatedBytes += this.#zeros.length;
      await this.#file.seek(this.#writeOffset, this.#seekStart);
    }
    await writeAll(this.#file, data);
    this.#writeOffset += data.length;
    await this.#file.syncData();
  }

  appendSync(data: Uint8Array): void {
    if (this.#writeOffset + data.length > this.#allocatedBytes) {
      this.#file.seekSync(this.#allocatedBytes, this.#seekStart);
      writeAllSync(this.#file, this.#zeros);
      this.#allocatedBytes += this.#zeros.length;
      this.#file.seekSync(this.#writeOffset, this.#seekStart);
    }
    writeAllSync(this.#file, data);
    this.#writeOffset += data.length;
    this.#file.syncDataSync();
  }

  close(): void {
    this.#file.close();
  }

  /** Preallocates `bytes` up front and syncs, outside any timed region. */
  async preallocate(bytes: number): Promise<void> {
    while (this.#allocatedBytes < bytes) {
      await this.#file.seek(this.#allocatedBytes, this.#seekStart);
      await writeAll(this.#file, this.#zeros);
      this.#allocatedBytes += this.#zeros.length;
    }
    await this.#file.seek(this.#writeOffset, this.#seekStart);
    await this.#file.syncData();
  }
}

async function writeAll(file: DenoFile, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await file.write(data.subarray(written));
}

function writeAllSync(file: DenoFile, data: Uint8Array): void {
  let written = 0;
  while (written < data.length) written += file.writeSync(data.subarray(written));
}

/**
 * Group commit over a RoundLog: records queued during a round go out
 * together in the next; one round in flight at a time.
 */
class GroupCommitter {
  readonly #log: RoundLog;
  readonly #mode: "async" | "blocking";
  #pendingRecords: Uint8Array[] = [];
  #pendingResolvers: Array<() => void> = [];
  #roundActive = false;
  roundCount = 0;

  constructor(log: RoundLog, mode: "async" | "blocking") {
    this.#log = log;
    this.#mode = mode;
  }

  write(record: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.#pendingRecords.push(record);
      this.#pendingResolvers.push(resolve);
      if (!this.#roundActive) {
        this.#roundActive = true;
        setImmediate(() => this.#round());
      }
    });
  }

  async #round(): Promise<void> {
    const records = this.#pendingRecords;
    const resolvers = this.#pendingResolvers;
    this.#pendingRecords = [];
    this.#pendingResolvers = [];
    let totalBytes = 0;
    for (const record of records) totalBytes += record.length;
    const batch = new Uint8Array(totalBytes);
    let offset = 0;
    for (const record of records) {
      batch.set(record, offset);
      offset += record.length;
    }
    if (this.#mode === "async") await this.#log.append(batch);
    else this.#log.appendSync(batch);
    this.roundCount++;
    for (const resolve of resolvers) resolve();
    // One turn later, so writers resuming from the resolves above join in.
    if (this.#pendingRecords.length > 0) setImmediate(() => this.#round());
    else this.#roundActive = false;
  }
}

async function openScratch(dir: string, name: string): Promise<RoundLog> {
  const deno = denoFiles();
  const file = await deno.open(join(dir, name), { read: true, write: true, create: true });
  return new RoundLog(file, deno.SeekMode.Start);
}

/**
 * Measures records/s with `writerCount` concurrent writers each awaiting its
 * own record, `recordCount` records in all, in a new file in `dir`.
 */
export async function measureCeiling(
  dir: string,
  options: {
    writerCount: number;
    recordBytes: number;
    recordCount: number;
    mode: "async" | "blocking";
  },
): Promise<CeilingResult> {
  const log = await openScratch(dir, `ceiling-${options.mode}-${options.writerCount}.log`);
  // Zero-fill the first step before timing, as a running log would have.
  await log.preallocate(preallocateStepBytes);
  const committer = new GroupCommitter(log, options.mode);
  const record = new Uint8Array(options.recordBytes).fill(0x5a);
  let remaining = options.recordCount;
  const writer = async (): Promise<void> => {
    while (remaining > 0) {
      remaining--;
      await committer.write(record);
    }
  };
  const startMs = performance.now();
  await Promise.all(Array.from({ length: options.writerCount }, writer));
  const elapsedSeconds = (performance.now() - startMs) / 1000;
  log.close();
  return {
    mode: options.mode,
    writerCount: options.writerCount,
    recordBytes: options.recordBytes,
    recordCount: options.recordCount,
    recordsPerSecond: options.recordCount / elapsedSeconds,
    roundsPerSecond: committer.roundCount / elapsedSeconds,
    recordsPerRoundAverage: options.recordCount / committer.roundCount,
  };
}

/** Raw serial datasync rate: one writer, one record per write + datasync. */
export interface SerialSyncResult {
  /** "async" or "blocking", as in {@linkcode CeilingResult}. */
  mode: "async" | "blocking";
  /** write + datasync pairs per second, one at a time. */
  syncsPerSecond: number;
  /** Average cost of one pair, in µs. */
  syncMicrosecondsAverage: number;
}

/** Measures serial write + datasync pairs per second on a preallocated file. */
export async function measureSerialSyncs(
  dir: string,
  mode: "async" | "blocking",
  roundCount: number = serialSyncRoundCount,
): Promise<SerialSyncResult> {
  const log = await openScratch(dir, `serial-${mode}.log`);
  await log.preallocate(preallocateStepBytes);
  const record = new Uint8Array(insertRecordBytes).fill(0x5a);
  const startMs = performance.now();
  for (let round = 0; round < roundCount; round++) {
    if (mode === "async") await log.append(record);
    else log.appendSync(record);
  }
  const elapsedMs = performance.now() - startMs;
  log.close();
  return {
    mode,
    syncsPerSecond: roundCount / (elapsedMs / 1000),
    syncMicrosecondsAverage: (elapsedMs * 1000) / roundCount,
  };
}

/** Everything the ceiling section of a run reports. */
export interface CeilingReport {
  /** Serial datasync rates (the "concurrency × syncs/s" simpler form uses these). */
  serial: SerialSyncResult[];
  /** Group-commit runs. */
  groupCommit: CeilingResult[];
}

/**
 * Runs the whole ceiling suite in `dir`: serial syncs (async, blocking) and
 * group commit at 16 and 256 writers with insert-sized and removal-sized
 * records (async), plus blocking insert-sized runs.
 */
export async function runCeilingSuite(
  dir: string,
  recordCountMin: number,
  writerCounts: readonly number[] = [16, 256],
): Promise<CeilingReport> {
  const serial = [
    await measureSerialSyncs(dir, "async"),
    await measureSerialSyncs(dir, "blocking"),
  ];
  const groupCommit: CeilingResult[] = [];
  const runs: Array<{ mode: "async" | "blocking"; recordBytes: number }> = [
    { mode: "async", recordBytes: insertRecordBytes },
    { mode: "async", recordBytes: removalRecordBytes },
    { mode: "blocking", recordBytes: insertRecordBytes },
  ];
  for (const run of runs) {
    for (const writerCount of writerCounts) {
      // At least ~400 rounds' worth, so start-up and tail do not dominate.
      const recordCount = Math.max(recordCountMin, writerCount * 400);
      groupCommit.push(await measureCeiling(dir, { ...run, writerCount, recordCount }));
    }
  }
  return { serial, groupCommit };
}
