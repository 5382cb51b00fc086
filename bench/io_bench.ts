/**
 * Per-call cost of the file calls storage makes, under Deno, through Deno's
 * own FsFile and through Deno's `node:fs`, to choose per call for
 * src/io/deno_fs.ts; plus the same calls through both q4d FileSystems.
 * Files are preallocated, so a datasync need not commit a size change.
 *
 * Run: `deno bench -A bench/io_bench.ts`
 */

import * as fs from "node:fs";
import { DenoFileSystem, NodeFileSystem } from "../src/io/mod.ts";

/** Bytes per write or read: a small group-commit batch. */
const recordBytes = 512;
/** Preallocated file length; positions cycle inside it. */
const fileBytes = 8 * 1024 * 1024;
const slotCount = fileBytes / recordBytes;

const directory = Deno.makeTempDirSync({ prefix: "q4d-io-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(directory, { recursive: true }));

const data = new Uint8Array(recordBytes).fill(7);
const readBuffer = new Uint8Array(recordBytes);

const denoFile = Deno.openSync(`${directory}/deno.bin`, { read: true, write: true, create: true });
denoFile.truncateSync(fileBytes);
const nodeFd = fs.openSync(`${directory}/node.bin`, "w+");
fs.ftruncateSync(nodeFd, fileBytes);
const viaDeno = await new DenoFileSystem().open(`${directory}/q4d-deno.bin`, { create: true });
await viaDeno.truncate(fileBytes);
const viaNode = await new NodeFileSystem().open(`${directory}/q4d-node.bin`, { create: true });
await viaNode.truncate(fileBytes);

let slot = 0;
/** The next write or read position, cycling through the file. */
function nextPosition(): number {
  slot = (slot + 1) % slotCount;
  return slot * recordBytes;
}

function nodeWrite(position: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.write(nodeFd, data, 0, recordBytes, position, (e) => (e ? reject(e) : resolve()))
  );
}
function nodeRead(position: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.read(nodeFd, readBuffer, 0, recordBytes, position, (e) => (e ? reject(e) : resolve()))
  );
}
function nodeDatasync(): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(nodeFd, (e) => (e ? reject(e) : resolve())));
}

Deno.bench("FsFile seekSync+writeSync", { group: "write blocking", baseline: true }, () => {
  denoFile.seekSync(nextPosition(), Deno.SeekMode.Start);
  denoFile.writeSync(data);
});
Deno.bench("node:fs writeSync(position)", { group: "write blocking" }, () => {
  fs.writeSync(nodeFd, data, 0, recordBytes, nextPosition());
});

Deno.bench("FsFile seekSync+write", { group: "write async", baseline: true }, async () => {
  denoFile.seekSync(nextPosition(), Deno.SeekMode.Start);
  await denoFile.write(data);
});
Deno.bench("node:fs write(position)", { group: "write async" }, async () => {
  await nodeWrite(nextPosition());
});

Deno.bench("FsFile seekSync+readSync", { group: "read blocking", baseline: true }, () => {
  denoFile.seekSync(nextPosition(), Deno.SeekMode.Start);
  denoFile.readSync(readBuffer);
});
Deno.bench("node:fs readSync(position)", { group: "read blocking" }, () => {
  fs.readSync(nodeFd, readBuffer, 0, recordBytes, nextPosition());
});

Deno.bench("FsFile seekSync+read", { group: "read async", baseline: true }, async () => {
  denoFile.seekSync(nextPosition(), Deno.SeekMode.Start);
  await denoFile.read(readBuffer);
});
Deno.bench("node:fs read(position)", { group: "read async" }, async () => {
  await nodeRead(nextPosition());
});

Deno.bench(
  "FsFile write+syncDataSync",
  { group: "write+datasync blocking", baseline: true },
  () => {
    denoFile.seekSync(nextPosition(), Deno.SeekMode.Start);
    denoFile.writeSync(data);
    denoFile.syncDataSync();
  },
);
Deno.bench("node:fs writeSync+fdatasyncSync", { group: "write+datasync blocking" }, () => {
  fs.writeSync(nodeFd, data, 0, recordBytes, nextPosition());
  fs.fdatasyncSync(nodeFd);
});
Deno.bench(
  "q4d DenoFileSystem writeSync+syncDataSync",
  { group: "write+datasync blocking" },
  () => {
    viaDeno.writeSync(data, nextPosition());
    viaDeno.syncDataSync();
  },
);
Deno.bench(
  "q4d NodeFileSystem writeSync+syncDataSync",
  { group: "write+datasync blocking" },
  () => {
    viaNode.writeSync(data, nextPosition());
    viaNode.syncDataSync();
  },
);

Deno.bench("FsFile write+syncData", { group: "write+datasync async", baseline: true }, async () => {
  denoFile.seekSync(nextPosition(), Deno.SeekMode.Start);
  await denoFile.write(data);
  await denoFile.syncData();
});
Deno.bench("node:fs write+fdatasync", { group: "write+datasync async" }, async () => {
  await nodeWrite(nextPosition());
  await nodeDatasync();
});
Deno.bench("q4d DenoFileSystem write+syncData", { group: "write+datasync async" }, async () => {
  await viaDeno.write(data, nextPosition());
  await viaDeno.syncData();
});
Deno.bench("q4d NodeFileSystem write+syncData", { group: "write+datasync async" }, async () => {
  await viaNode.write(data, nextPosition());
  await viaNode.syncData();
});

Deno.bench("FsFile syncData", { group: "datasync async", baseline: true }, async () => {
  await denoFile.syncData();
});
Deno.bench("node:fs fdatasync", { group: "datasync async" }, async () => {
  await nodeDatasync();
});
