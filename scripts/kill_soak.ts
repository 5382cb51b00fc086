/**
 * The long kill loop (issue 9): a child process inserting, consuming and
 * relaying on a database with small segments is SIGKILLed at random moments,
 * thousands of times; after each kill the database must open with every
 * acknowledged row, nothing consumed back, nothing twice, row ids and relay
 * marks kept. The same loop runs bounded (12 kills) in tests/engine/crash_test.ts.
 *
 * Usage: `deno run -A scripts/kill_soak.ts [--kills N] [--segment-bytes B] [--seed S]`
 * (defaults: 1000 kills, 65536-byte segments, a random seed, printed).
 * On a failure it prints the seed and keeps the database directory.
 *
 * @module
 */

import nodeFs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { killLoop } from "../tests/engine/_crash_harness.ts";
import { prng } from "../tests/_random.ts";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} needs an integer`);
  return value;
}

const kills = option("kills", 1000);
const segmentBytes = option("segment-bytes", 64 * 1024);
const seed = option("seed", Math.floor(Math.random() * 0xffffffff));
const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-kill-soak-"));
const directory = path.join(root, "db");
console.log(`kill soak: ${kills} kills, ${segmentBytes}-byte segments, seed ${seed}, ${directory}`);
const startedMs = performance.now();
let rows = 0;
try {
  await killLoop(directory, kills, prng(seed), segmentBytes, (round, log) => {
    rows += log.inserted.size;
    if ((round + 1) % 50 === 0 || round + 1 === kills) {
      const segments = nodeFs.readdirSync(path.join(directory, "log")).filter((name) =>
        name.endsWith(".q4l")
      );
      const seconds = ((performance.now() - startedMs) / 1000).toFixed(0);
      console.log(
        `${round + 1} kills, ${rows} acknowledged inserts, segments now ${
          segments.join(" ")
        } (${seconds} s)`,
      );
    }
  });
} catch (error) {
  console.error(`kill soak FAILED (seed ${seed}); database kept in ${directory}`);
  throw error;
}
nodeFs.rmSync(root, { recursive: true, force: true });
console.log(`kill soak: ${kills} kills passed`);
