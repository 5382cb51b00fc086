/**
 * W2-style drain (16 consumers) through raw statements (queue_wait →
 * SELECT → queue_end) and through `session.jobs()` in one run, on the same
 * database with default durability: the job API's cost over raw SQL.
 *
 *   deno run -A bench/jobs_drain.ts [--rows N]
 *
 * @module
 */

import { open } from "../mod.ts";
import { drainRaw, fillTable, rowsOption } from "./_drain_support.ts";
import type { Database } from "../mod.ts";

const rows = rowsOption();
const consumers = 16;

const fill = (db: Database) => fillTable(db, "w", rows);

async function drainJobs(db: Database): Promise<number> {
  let taken = 0;
  await Promise.all(Array.from({ length: consumers }, async () => {
    const s = db.session();
    for await (const job of s.jobs("w", { timeout: 0.01 })) {
      await job.ack();
      taken++;
      if (taken === rows) db.stop();
    }
    await s.close();
  }));
  return taken;
}

const dir = await Deno.makeTempDir({ prefix: "q4d-jobs-bench-" });
try {
  const db = await open(dir);
  await db.sql`CREATE TABLE w (v INT NOT NULL) ENGINE=QUEUE`;
  // Two rounds, interleaved; the first warms the JIT and the caches.
  for (const round of [1, 2]) {
    await fill(db);
    let start = performance.now();
    const raw = await drainRaw(db, consumers);
    const rawRate = raw / ((performance.now() - start) / 1000);
    await fill(db);
    start = performance.now();
    const viaJobs = await drainJobs(db);
    const jobsRate = viaJobs / ((performance.now() - start) / 1000);
    if (raw !== rows || viaJobs !== rows) {
      throw new Error(`drained ${raw} and ${viaJobs} of ${rows}`);
    }
    const f = (n: number) => Math.round(n).toString().padStart(8);
    console.log(
      `round ${round}: W2 drain raw ${f(rawRate)} msgs/s, jobs ${f(jobsRate)} msgs/s (${
        (jobsRate / rawRate).toFixed(2)
      }× raw)`,
    );
  }
  await db.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}
