/**
 * Storage micro-benchmarks on real files: one iteration = `concurrency`
 * durable appends of 100-byte records awaited together, engine beside a raw
 * baseline (the same bytes, one write + datasync per batch, plain Deno calls
 * on a temp file); and CRC32C throughput. Figures for the README come from
 * bench/storage_figures.ts.
 *
 *   deno bench -A bench/storage_bench.ts
 *
 * @module
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultFileSystem } from "../src/io/mod.ts";
import { crc32c } from "../src/storage/crc32c.ts";
import { openStore } from "../src/storage/store.ts";

const payload = new Uint8Array(100).fill(42);
const directory = mkdtempSync(join(tmpdir(), "q4d-storage-bench-"));
const store = await openStore(directory, { fs: defaultFileSystem() });
const rows = await store.createTable("t", null);

const raw = Deno.openSync(join(directory, "raw"), { read: true, write: true, create: true });
const rawBytesMax = 64 * 1024 * 1024;
raw.writeSync(new Uint8Array(rawBytesMax));
raw.syncSync();
let rawOffset = 0;

function rawBatch(recordCount: number): void {
  const batch = new Uint8Array(recordCount * 121);
  for (let i = 0; i < recordCount; i++) batch.set(payload, i * 121);
  if (rawOffset + batch.length > rawBytesMax) rawOffset = 0;
  raw.seekSync(rawOffset, Deno.SeekMode.Start);
  raw.writeSync(batch);
  raw.syncDataSync();
  rawOffset += batch.length;
}

for (const concurrency of [1, 16, 256]) {
  const group = `durable appends x${concurrency}`;
  Deno.bench(`raw write + datasync, ${concurrency} records`, { group, baseline: true }, () => {
    rawBatch(concurrency);
  });
  Deno.bench(`engine append, ${concurrency} concurrent`, { group }, async () => {
    const waits: Promise<void>[] = new Array(concurrency);
    for (let i = 0; i < concurrency; i++) waits[i] = rows.append([payload]).durable;
    await Promise.all(waits);
  });
}

const block = new Uint8Array(64 * 1024).map((_, i) => i * 31);
Deno.bench("crc32c of 64 KiB", { group: "crc32c" }, () => {
  crc32c(block);
});

globalThis.addEventListener("unload", () => {
  raw.close();
  void store.close();
});
