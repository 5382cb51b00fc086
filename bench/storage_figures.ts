/**
 * Storage figures on real files: durable appends of 100-byte records per
 * second (engine, blocking and async commit rounds, vs a raw group-commit
 * loop on a plain file) at concurrency 1, 16 and 256; recovery time of a
 * large log; index bytes per live row.
 *
 *   deno run -A bench/storage_figures.ts [--recovery-mib=1024] [--seconds=2]
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultFileSystem } from "../src/io/mod.ts";
import { type CommitIo, openStore } from "../src/storage/store.ts";
import type { TableState } from "../src/storage/table_rows.ts";

const argument = (name: string, fallback: number): number => {
  const found = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.split("=")[1]);
};
const seconds = argument("seconds", 2);
const recoveryMib = argument("recovery-mib", 1024);
const recordBytes = 100;
const payload = new Uint8Array(recordBytes).fill(42);

function tempDirectory(): string {
  return mkdtempSync(join(tmpdir(), "q4d-storage-"));
}

/** Zero-fill step of the growing raw log: the engine's preallocation step. */
const rawGrowStepBytes = 4 * 1024 * 1024;

/**
 * Raw ceiling: one write + fdatasync per round of all pending records.
 * "cyclic" rewrites one preallocated 64 MiB region forever (idealised: no
 * log can reuse its space); "growing" appends to a fresh file, zero-filling
 * and fsyncing 4 MiB ahead as the engine does, so both pay for new space.
 */
async function rawRecordsPerSecond(
  concurrency: number,
  layout: "cyclic" | "growing",
): Promise<number> {
  const directory = tempDirectory();
  const file = Deno.openSync(join(directory, "raw"), { read: true, write: true, create: true });
  const zeros = new Uint8Array(layout === "cyclic" ? 64 * 1024 * 1024 : rawGrowStepBytes);
  file.writeSync(zeros);
  file.syncSync();
  let offset = 0;
  let zeroedEnd = zeros.length;
  let queue: Array<() => void> = [];
  let scheduled = false;
  const round = () => {
    scheduled = false;
    const waiting = queue;
    queue = [];
    const batch = new Uint8Array(waiting.length * (recordBytes + 21));
    for (let i = 0; i < waiting.length; i++) batch.set(payload, i * (recordBytes + 21));
    if (offset + batch.length > zeroedEnd) {
      if (layout === "cyclic") {
        offset = 0;
      } else {
        file.seekSync(zeroedEnd, Deno.SeekMode.Start);
        file.writeSync(zeros);
        file.syncSync();
        zeroedEnd += zeros.length;
      }
    }
    file.seekSync(offset, Deno.SeekMode.Start);
    file.writeSync(batch);
    file.syncDataSync();
    offset += batch.length;
    for (const resolve of waiting) resolve();
    if (queue.length > 0 && !scheduled) {
      scheduled = true;
      setImmediate(round);
    }
  };
  const append = () =>
    new Promise<void>((resolve) => {
      queue.push(resolve);
      if (!scheduled) {
        scheduled = true;
        setImmediate(round);
      }
    });
  const count = await drive(concurrency, append);
  file.close();
  rmSync(directory, { recursive: true });
  return count;
}

async function drive(concurrency: number, append: () => Promise<void>): Promise<number> {
  const endMs = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < endMs) {
      await append();
      done++;
    }
  };
  const startMs = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - startMs) / 1000);
}

async function engineRecordsPerSecond(concurrency: number, commitIo: CommitIo): Promise<number> {
  const directory = tempDirectory();
  const store = await openStore(directory, { fs: defaultFileSystem(), commitIo });
  const rows = await store.createTable("t", null);
  const count = await drive(concurrency, () => rows.append([payload]).durable);
  await store.close();
  rmSync(directory, { recursive: true });
  return count;
}

const format = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(`durable appends of ${recordBytes}-byte records, ${seconds} s each`);
console.log(
  "  (raw cyclic rewrites one preallocated 64 MiB region; raw growing appends like a log)",
);
for (const concurrency of [1, 16, 256]) {
  const cyclic = await rawRecordsPerSecond(concurrency, "cyclic");
  const growing = await rawRecordsPerSecond(concurrency, "growing");
  const blocking = await engineRecordsPerSecond(concurrency, "blocking");
  const asynchronous = await engineRecordsPerSecond(concurrency, "async");
  const share = (engine: number) =>
    `${(100 * engine / cyclic).toFixed(0)}% of cyclic, ${
      (100 * engine / growing).toFixed(0)
    }% of growing`;
  console.log(
    `  concurrency ${String(concurrency).padStart(3)}: raw cyclic ${format(cyclic)}/s, ` +
      `raw growing ${format(growing)}/s, engine blocking ${format(blocking)}/s (${
        share(blocking)
      }), ` +
      `engine async ${format(asynchronous)}/s (${share(asynchronous)})`,
  );
}

// Recovery of a large log, and index bytes per live row.
{
  const directory = tempDirectory();
  const store = await openStore(directory, { fs: defaultFileSystem(), sync: "none" });
  const rows = await store.createTable("t", null);
  const big = new Uint8Array(1000).fill(7);
  const rowCount = Math.floor(recoveryMib * 1024 * 1024 / (big.length + 21));
  const perBatch = 1000;
  for (let written = 0; written < rowCount; written += perBatch) {
    const n = Math.min(perBatch, rowCount - written);
    await rows.append(Array.from({ length: n }, () => big)).durable;
  }
  await store.close();
  const reopened = await openStore(directory, { fs: defaultFileSystem() });
  const report = reopened.recovery;
  const table = reopened.tables().get("t") as TableState;
  console.log(
    `recovery of ${
      (report.bytesScanned / 2 ** 20).toFixed(0)
    } MiB (${report.segmentCount} segments, ` +
      `${report.batchCount} batches, ${table.liveCount} rows): ${report.durationMs.toFixed(0)} ms`,
  );
  console.log(
    `index bytes per live row: ${(table.index.indexBytes / table.liveCount).toFixed(1)} ` +
      `(${table.index.indexBytes} bytes for ${table.liveCount} rows)`,
  );
  await reopened.close();
  rmSync(directory, { recursive: true });
}
