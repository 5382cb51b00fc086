/**
 * Issue 4's workload figures for q4d alone, with default durability
 * (fdatasync), beside the group-commit ceiling measured in the same run:
 * W1 (16 producers), W2 (16 consumers: queue_wait → SELECT → queue_end),
 * W3 (both at once, insert-to-receipt latency). Prints each target as met
 * or missed; exits 1 when a message is lost.
 *
 *   deno task bench:queue [--quick] [--rows N] [--repeat N]
 *
 * The ceiling is concurrency × serial write+datasync pairs per second with
 * plain Deno calls (blocking, on a preallocated file): what 16 writers would
 * reach if every sync carried all 16 records and nothing else cost time.
 * With --repeat N the whole measurement (ceiling then q4d) runs N times,
 * interleaved, and the median of each figure is reported: the disk here is
 * shared and single runs swing.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseRunnerArgs, runWorkloads, type WorkloadResults } from "./workload/mod.ts";
import { measureSerialSyncs } from "./peers/raw_group_commit.ts";
import { createQ4d } from "./peers/q4d.ts";

/** W1 and W2 must each reach this share of the ceiling. */
const ceilingShareMin = 0.5;
/** W3's insert-to-receipt p99 must stay under this. */
const w3P99MsMax = 5;

const args = process.argv.slice(2);
const repeatIndex = args.indexOf("--repeat");
const repeatCount = repeatIndex >= 0 ? Number(args.splice(repeatIndex, 2)[1]) : 1;
if (!Number.isInteger(repeatCount) || repeatCount < 1) throw new Error("--repeat takes N ≥ 1");
const options = parseRunnerArgs(args);
const workload = {
  ...options.workload,
  workloads: ["w1", "w2", "w3"] as typeof options.workload.workloads,
};
const concurrency = workload.producerCount;

interface Sample {
  ceiling: number;
  syncMicroseconds: number;
  results: WorkloadResults;
}

const samples: Sample[] = [];
for (let run = 0; run < repeatCount; run++) {
  const dir = mkdtempSync(join(workload.baseDir ?? tmpdir(), "q4d-ceiling-"));
  let serial;
  try {
    serial = await measureSerialSyncs(dir, "blocking");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const results = await runWorkloads(createQ4d, workload, (line) => console.error(line));
  samples.push({
    ceiling: concurrency * serial.syncsPerSecond,
    syncMicroseconds: serial.syncMicrosecondsAverage,
    results,
  });
  if (Object.keys(results.errors).length > 0) {
    console.error(results.errors);
    process.exit(1);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? NaN) + upper) / 2;
}

const ceiling = median(samples.map((s) => s.ceiling));
const w1 = median(samples.map((s) => s.results.w1!.messagesPerSecond));
const w2 = median(samples.map((s) => s.results.w2!.messagesPerSecond));
const w3 = median(samples.map((s) => s.results.w3!.messagesPerSecond));
const p50 = median(samples.map((s) => s.results.w3!.latencyP50Ms));
const p99 = median(samples.map((s) => s.results.w3!.latencyP99Ms));
const lost = samples.reduce(
  (sum, s) => sum + s.results.w2!.check.lostCount + s.results.w3!.check.lostCount,
  0,
);
const duplicated = samples.reduce(
  (sum, s) => sum + s.results.w2!.check.duplicateCount + s.results.w3!.check.duplicateCount,
  0,
);

const f = (n: number) => Math.round(n).toLocaleString("en-US");
const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
console.log(
  `q4d standard workload: ${workload.rowCount} rows, ${workload.bodyBytes}-byte bodies, ` +
    `${concurrency} producers / ${workload.consumerCount} consumers, sync fdatasync, ` +
    `${repeatCount} run(s), medians`,
);
console.log(
  `group-commit ceiling: ${concurrency} × ${f(ceiling / concurrency)} syncs/s ` +
    `(${median(samples.map((s) => s.syncMicroseconds)).toFixed(0)} µs per write+datasync) = ${
      f(ceiling)
    } msgs/s`,
);
console.log(
  `W1 insert   ${f(w1).padStart(8)} msgs/s  ${
    (w1 / ceiling * 100).toFixed(0).padStart(3)
  }% of ceiling  ` +
    `target ≥ ${ceilingShareMin * 100}%: ${verdict(w1 >= ceilingShareMin * ceiling)}`,
);
console.log(
  `W2 drain    ${f(w2).padStart(8)} msgs/s  ${
    (w2 / ceiling * 100).toFixed(0).padStart(3)
  }% of ceiling  ` +
    `target ≥ ${ceilingShareMin * 100}%: ${verdict(w2 >= ceilingShareMin * ceiling)}`,
);
console.log(
  `W3 mixed    ${f(w3).padStart(8)} msgs/s  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  ` +
    `target p99 < ${w3P99MsMax} ms: ${verdict(p99 < w3P99MsMax)}`,
);
console.log(`delivery: ${lost} lost, ${duplicated} duplicated (W2 + W3, all runs)`);
process.exitCode = lost > 0 ? 1 : 0;
