/**
 * Child process of kill_test: opens the store in a directory with the real
 * file system and appends durably from 8 concurrent writers, printing each
 * acknowledged row id on its own line, until it is killed.
 *
 * Usage: `_kill_child.ts <directory>`.
 *
 * @module
 */

import process from "node:process";
import { defaultFileSystem } from "../../src/io/mod.ts";
import { openStore } from "../../src/storage/store.ts";

const directory = process.argv[2] ?? "";
const store = await openStore(directory, { fs: defaultFileSystem() });
const entry = store.tables().get("t") ?? await store.createTable("t", null);
const writerCount = 8;

async function writer(): Promise<void> {
  for (let i = 0;; i++) {
    const rows = 1 + (i % 3);
    const payloads = Array.from({ length: rows }, () => new TextEncoder().encode("payload"));
    const { firstRowId, durable } = entry.append(payloads);
    await durable;
    let line = "";
    for (let r = 0; r < rows; r++) line += `${firstRowId + r}\n`;
    process.stdout.write(line);
  }
}

process.stdout.write("READY\n");
await Promise.all(Array.from({ length: writerCount }, writer));
