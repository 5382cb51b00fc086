/**
 * W2-style drain (16 consumers) through raw statements (queue_wait →
 * SELECT → queue_end) and through `session.jobs()` in one run, on the same
 * database with default durability: the job API's cost over raw SQL
 * (issue 12: under 10%). A third drain goes through `session.jobs()` with
 * one job in ten retried once with a 20 ms delay (issue 12's "drain with
 * 10% of jobs retried with a delay"); its rate counts acked rows. Each
 * drain also prints the process's CPU per acked row, steadier than the
 * rate on a shared disk.
 *
 *   deno run -A bench/jobs_drain.ts [--rows N]
 *
 * @module
 */

import process from "node:process";
import { open } from "../mod.ts";
import { drainRaw, fillTable, rowsOption } from "./_drain_support.ts";
import type { Database } from "../mod.ts";

const rows = rowsOption();
const consumers = 16;

const fill = (db: Database) => fillTable(db, "w", rows);

/** Seconds a retried job waits before it is visible again. */
const retryDelaySeconds = 0.02;

/** Drains through jobs(); with `retryEvery`, every such row id is retried once first. */
async function drainJobs(db: Database, retryEvery = 0): Promise<number> {
  let taken = 0;
  await Promise.all(Array.from({ length: consumers }, async () => {
    const s = db.session();
    for await (const job of s.jobs("w", { timeout: 0.01 })) {
      if (retryEvery > 0 && job.rowId % retryEvery === 0 && job.attempts === 1) {
        await job.retry({ delay: retryDelaySeconds });
        continue;
      }
      await job.ack();
      taken++;
      if (taken === rows) db.stop();
    }
    await s.close();
  }));
  return taken;
}

/** Rows per second and process CPU µs per row of one drain. */
async function measure(drain: () => Promise<number>): Promise<[number, number, number]> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const taken = await drain();
  const used = process.cpuUsage(cpu);
  return [taken, taken / ((performance.now() - start) / 1000), (used.user + used.system) / taken];
}

const dir = await Deno.makeTempDir({ prefix: "q4d-jobs-bench-" });
try {
  const db = await open(dir);
  await db.sql`CREATE TABLE w (v INT NOT NULL) ENGINE=QUEUE`;
  // Two rounds, interleaved; the first warms the JIT and the caches.
  for (const round of [1, 2]) {
    await fill(db);
    const [raw, rawRate, rawCpu] = await measure(() => drainRaw(db, consumers));
    await fill(db);
    const [viaJobs, jobsRate, jobsCpu] = await measure(() => drainJobs(db));
    await fill(db);
    const [retried, retryRate, retryCpu] = await measure(() => drainJobs(db, 10));
    if (raw !== rows || viaJobs !== rows || retried !== rows) {
      throw new Error(`drained ${raw}, ${viaJobs} and ${retried} of ${rows}`);
    }
    const f = (n: number) => Math.round(n).toString().padStart(8);
    const c = (n: number) => n.toFixed(1).padStart(5);
    console.log(
      `round ${round}: W2 drain raw ${f(rawRate)} msgs/s (${c(rawCpu)} µs CPU/msg), ` +
        `jobs ${f(jobsRate)} msgs/s (${c(jobsCpu)} µs, ${(jobsRate / rawRate).toFixed(2)}× raw), ` +
        `jobs with 10% retried after ${retryDelaySeconds * 1000} ms ${f(retryRate)} msgs/s ` +
        `(${c(retryCpu)} µs, ${(retryRate / rawRate).toFixed(2)}× raw)`,
    );
  }
  await db.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}
