/**
 * The statement path's CPU cost against another checkout, in one process:
 * W1 (16 producers, one-row INSERTs) and W2 (16 consumers: queue_wait,
 * SELECT, queue_end) on 20,000 rows with `sync: "none"`, so that the disk
 * does not drown the difference; 12 alternating rounds (ABBA), medians.
 *
 *   git archive <rev> | tar -x -C /tmp/base
 *   deno run -A bench/hot_path_compare.ts /tmp/base
 *
 * @module
 */

import process from "node:process";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as here from "../mod.ts";
import { drainRaw } from "./_drain_support.ts";

type Open = typeof here.open;

const baselineDir = process.argv[2];
if (baselineDir === undefined) throw new Error("usage: hot_path_compare.ts <baseline checkout>");
const baseline = await import(pathToFileURL(path.resolve(baselineDir, "mod.ts")).href) as {
  open: Open;
};
const rows = 20_000;
const workers = 16;

async function once(open: Open): Promise<[number, number]> {
  const dir = await Deno.makeTempDir({ prefix: "q4d-hot-path-" });
  try {
    const db = await open(dir, { sync: "none" });
    await db.sql`CREATE TABLE w (v INT NOT NULL, body VARCHAR(96)) ENGINE=QUEUE`;
    const body = "x".repeat(96);
    let issued = 0;
    let start = performance.now();
    await Promise.all(Array.from({ length: workers }, async () => {
      const s = db.session();
      while (issued < rows) await s.sql`INSERT INTO w (v, body) VALUES (${issued++}, ${body})`;
    }));
    const w1 = rows / ((performance.now() - start) / 1000);
    start = performance.now();
    const taken = await drainRaw(db, workers);
    if (taken !== rows) throw new Error(`drained ${taken} of ${rows}`);
    const w2 = taken / ((performance.now() - start) / 1000);
    await db.close();
    return [w1, w2];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const results = { baseline: [] as [number, number][], current: [] as [number, number][] };
for (let round = 0; round < 12; round++) {
  if (round % 2 === 0) {
    results.baseline.push(await once(baseline.open));
    results.current.push(await once(here.open));
  } else {
    results.current.push(await once(here.open));
    results.baseline.push(await once(baseline.open));
  }
}
const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1] ?? NaN;
for (const [name, i] of [["W1 inserts/s", 0], ["W2 drained/s", 1]] as const) {
  const b = median(results.baseline.map((r) => r[i]));
  const c = median(results.current.map((r) => r[i]));
  console.log(
    `${name}: baseline ${Math.round(b)}, current ${Math.round(c)}, ratio ${(c / b).toFixed(3)}`,
  );
}
