/**
 * Turns a peer run's results into the printed tables (throughput per
 * workload per system, W3 latency, q4d's ratios to each peer and to the raw
 * ceiling, the deep backlog, each system's caveats) and the JSON document.
 *
 * @module
 */

import type { WorkloadOptions, WorkloadResults } from "../workload/mod.ts";
import { checkText } from "../workload/mod.ts";
import type { CeilingReport } from "./raw_group_commit.ts";

/** One system's outcome in a run. */
export interface SystemReport {
  /** Key used by `--systems`, e.g. `"sqlite-group-commit"`. */
  key: string;
  /** "ok" when the workloads ran (some may still have failed, see errors). */
  status: "ok" | "unavailable";
  /** Why the system is unavailable. */
  reason?: string;
  /** What the system can and cannot promise. */
  notes: readonly string[];
  /** Workload results when status is "ok". */
  results?: WorkloadResults;
}

/** q4d ÷ peer, per measure; null where either side is missing. */
export interface RatioRow {
  /** The peer divided by. */
  peer: string;
  /** W1 inserts/s ratio (>1: q4d faster). */
  w1?: number | null;
  /** W2 drained/s ratio (>1: q4d faster). */
  w2?: number | null;
  /** W3 msgs/s ratio (>1: q4d faster). */
  w3?: number | null;
  /** W3 p50 latency ratio (<1: q4d faster). */
  w3P50?: number | null;
  /** W3 p99 latency ratio (<1: q4d faster). */
  w3P99?: number | null;
}

/** The JSON document a run writes. */
export interface PeerRunReport {
  /** ISO time the run ended. */
  generatedAt: string;
  /** The command line, for replaying. */
  command: string;
  /** Runtime and machine. */
  environment: { runtime: string; cpuCount: number; platform: string };
  /** The workload options used. */
  options: WorkloadOptions;
  /** Raw group-commit ceiling, when measured. */
  ceiling?: CeilingReport;
  /** Every system, in run order. */
  systems: SystemReport[];
  /** q4d ÷ each peer. */
  ratios: RatioRow[];
}

function ratio(numerator: number | undefined, denominator: number | undefined): number | null {
  if (
    numerator === undefined || denominator === undefined || !Number.isFinite(numerator) ||
    !Number.isFinite(denominator) || denominator === 0
  ) return null;
  return numerator / denominator;
}

/** q4d ÷ every other system that ran, per measure. */
export function computeRatios(systems: readonly SystemReport[]): RatioRow[] {
  const q4d = systems.find((system) => system.key === "q4d")?.results;
  return systems.filter((system) => system.key !== "q4d").map((peer) => {
    const results = peer.results;
    return {
      peer: peer.key,
      w1: ratio(q4d?.w1?.messagesPerSecond, results?.w1?.messagesPerSecond),
      w2: ratio(q4d?.w2?.messagesPerSecond, results?.w2?.messagesPerSecond),
      w3: ratio(q4d?.w3?.messagesPerSecond, results?.w3?.messagesPerSecond),
      w3P50: ratio(q4d?.w3?.latencyP50Ms, results?.w3?.latencyP50Ms),
      w3P99: ratio(q4d?.w3?.latencyP99Ms, results?.w3?.latencyP99Ms),
    };
  });
}

const integerFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function rate(value: number | undefined): string {
  return value === undefined ? "-" : integerFormat.format(value);
}

function milliseconds(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(2);
}

function times(value: number | null | undefined): string {
  if (value === null || value === undefined) return "n/a";
  return `${value < 0.1 ? value.toPrecision(2) : value.toFixed(2)}x`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;
}

function table(header: string[], rows: string[][], leftAlignLast = false): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: string[]): string =>
    cells.map((cell, column) =>
      column === 0 || column === header.length - 1 && leftAlignLast
        ? cell.padEnd(widths[column] ?? 0)
        : cell.padStart(widths[column] ?? 0)
    ).join("  ").trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join(
    "\n",
  );
}

function ceilingText(ceiling: CeilingReport): string {
  const lines: string[] = ["Raw group-commit ceiling (plain Deno write + datasync, one file):"];
  const serialRows = ceiling.serial.map((serial) => [
    `serial write+datasync (${serial.mode})`,
    rate(serial.syncsPerSecond),
    `${serial.syncMicrosecondsAverage.toFixed(0)} us`,
    `16 x = ${rate(16 * serial.syncsPerSecond)}`,
    `256 x = ${rate(256 * serial.syncsPerSecond)}`,
  ]);
  lines.push(
    table(
      ["serial (simpler form: concurrency x syncs/s)", "syncs/s", "per sync", "", ""],
      serialRows,
    ),
  );
  lines.push("");
  const groupRows = ceiling.groupCommit.map((run) => [
    `${run.mode}, ${run.recordBytes}-byte records`,
    String(run.writerCount),
    rate(run.recordsPerSecond),
    rate(run.roundsPerSecond),
    run.recordsPerRoundAverage.toFixed(1),
  ]);
  lines.push(table(["group commit", "writers", "records/s", "rounds/s", "per round"], groupRows));
  return lines.join("\n");
}

/** The whole printed report. */
export function formatReport(report: PeerRunReport): string {
  const sections: string[] = [];
  const options = report.options;
  sections.push(
    `Standard workload: ${options.rowCount} rows, ${options.bodyBytes}-byte bodies, ` +
      `${options.producerCount} producers / ${options.consumerCount} consumers ` +
      `(${report.environment.runtime}, ${report.environment.cpuCount} CPUs)\n` +
      `command: ${report.command}`,
  );
  if (report.ceiling) sections.push(ceilingText(report.ceiling));

  const systemRows = report.systems.map((system) => {
    if (system.status === "unavailable") {
      return [system.key, "-", "-", "-", "-", "-", `unavailable: ${system.reason}`];
    }
    const results = system.results!;
    const checks = [results.w2, results.w3, results.backlog?.drain]
      .filter((result) => result !== undefined)
      .map((result) => checkText(result!));
    const errors = Object.entries(results.errors).map(([name, message]) =>
      `${name} failed: ${message}`
    );
    return [
      system.key,
      rate(results.w1?.messagesPerSecond),
      rate(results.w2?.messagesPerSecond),
      rate(results.w3?.messagesPerSecond),
      milliseconds(results.w3?.latencyP50Ms),
      milliseconds(results.w3?.latencyP99Ms),
      [...new Set(checks), ...errors].join("; ") || "-",
    ];
  });
  sections.push(
    "Systems (msgs/s; W3 latency from before INSERT to receipt):\n" +
      table(
        ["system", "W1 ins/s", "W2 drain/s", "W3 msgs/s", "W3 p50 ms", "W3 p99 ms", "delivery"],
        systemRows,
        true,
      ),
  );

  const ratioRows = report.ratios.map((row) => [
    row.peer,
    times(row.w1),
    times(row.w2),
    times(row.w3),
    times(row.w3P50),
    times(row.w3P99),
  ]);
  const q4dW1 = report.systems.find((system) => system.key === "q4d")?.results?.w1;
  const ceiling16 = report.ceiling?.groupCommit.find((run) =>
    run.mode === "async" && run.writerCount === options.producerCount && run.recordBytes === 128
  );
  if (ceiling16) {
    ratioRows.push([
      `raw ceiling (async, ${ceiling16.writerCount} writers)`,
      times(ratio(q4dW1?.messagesPerSecond, ceiling16.recordsPerSecond)),
      "",
      "",
      "",
      "",
    ]);
  }
  sections.push(
    "q4d / peer (throughput: >1 means q4d faster; latency: <1 means q4d faster):\n" +
      table(["peer", "W1", "W2", "W3", "W3 p50", "W3 p99"], ratioRows),
  );

  const backlogRows = report.systems.filter((system) => system.results?.backlog).map((system) => {
    const backlog = system.results!.backlog!;
    return [
      system.key,
      rate(backlog.insert.messagesPerSecond) + (backlog.insertUsedFastPath ? " (multi)" : ""),
      rate(backlog.drain.messagesPerSecond),
      `${mebibytes(backlog.memoryBefore.rssBytes)} / ${mebibytes(backlog.memoryFull.rssBytes)} / ${
        mebibytes(backlog.memoryAfter.rssBytes)
      }`,
      `${mebibytes(backlog.memoryBefore.heapUsedBytes)} / ${
        mebibytes(backlog.memoryFull.heapUsedBytes)
      } / ${mebibytes(backlog.memoryAfter.heapUsedBytes)}`,
      checkText(backlog.drain),
    ];
  });
  if (backlogRows.length > 0) {
    sections.push(
      `Deep backlog (${options.backlogRowCount} rows; memory before / full / drained):\n` +
        table(["system", "fill/s", "drain/s", "RSS", "heap", "delivery"], backlogRows, true),
    );
  }

  const noteLines = report.systems.flatMap((system) => [
    `${system.key}:`,
    ...system.notes.map((note) => `  - ${note}`),
  ]);
  sections.push(
    "What each system promises (equal durability asked: every insert and ack on disk before it resolves):\n" +
      noteLines.join("\n"),
  );
  return sections.join("\n\n");
}
