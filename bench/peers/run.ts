/**
 * The peer benchmark, one command: the raw group-commit ceiling, then the
 * standard workload against q4d, Deno KV queues and two SQLite job tables;
 * prints the tables and writes JSON. A system that cannot run here is
 * reported as unavailable, never crashes the run.
 *
 *   deno run -A --unstable-kv bench/peers/run.ts [--quick] [--json out.json]
 *
 * @module
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  parseRunnerArgs,
  runWorkloads,
  type SystemFactory,
  SystemUnavailableError,
  usageText,
} from "../workload/mod.ts";
import { createDenoKv } from "./deno_kv.ts";
import { createQ4d } from "./q4d.ts";
import { runCeilingSuite } from "./raw_group_commit.ts";
import { computeRatios, formatReport, type PeerRunReport, type SystemReport } from "./report.ts";
import { createSqliteAutocommit, createSqliteGroupCommit } from "./sqlite_jobs.ts";

/** Systems in run order; `raw` is the ceiling, not a queue. */
const systemFactories: ReadonlyArray<{ key: string; create: SystemFactory }> = [
  { key: "q4d", create: createQ4d },
  { key: "deno-kv", create: createDenoKv },
  { key: "sqlite-autocommit", create: createSqliteAutocommit },
  { key: "sqlite-group-commit", create: createSqliteGroupCommit },
];

const knownKeys = ["raw", ...systemFactories.map((entry) => entry.key)];

function runtimeName(): string {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  return deno ? `Deno ${deno.version.deno}` : `Node ${process.versions.node}`;
}

async function probe(create: SystemFactory): Promise<string | undefined> {
  try {
    const system = await create();
    void system;
    return undefined;
  } catch (error) {
    if (error instanceof SystemUnavailableError) return error.message;
    return `cannot be created: ${error instanceof Error ? error.message : String(error)}`;
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes("--help")) {
    console.log(`deno run -A --unstable-kv bench/peers/run.ts [options]\n${usageText}`);
    console.log(`systems: ${knownKeys.join(", ")}`);
    return 0;
  }
  const options = parseRunnerArgs(args);
  for (const key of options.systemKeys) {
    if (!knownKeys.includes(key)) throw new Error(`unknown system ${key}; known: ${knownKeys}`);
  }
  const selected = (key: string): boolean =>
    options.systemKeys.length === 0 || options.systemKeys.includes(key);
  const workload = options.workload;
  const log = (line: string): void => console.error(line);

  const report: PeerRunReport = {
    generatedAt: "",
    command: `deno run -A --unstable-kv bench/peers/run.ts ${args.join(" ")}`.trimEnd(),
    environment: { runtime: runtimeName(), cpuCount: cpus().length, platform: process.platform },
    options: workload,
    systems: [],
    ratios: [],
  };

  if (selected("raw")) {
    log("raw group-commit ceiling ...");
    const dir = mkdtempSync(join(workload.baseDir ?? tmpdir(), "q4d-ceiling-"));
    try {
      report.ceiling = await runCeilingSuite(dir, workload.rowCount);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  for (const { key, create } of systemFactories) {
    if (!selected(key)) continue;
    const reason = await probe(create);
    if (reason !== undefined) {
      log(`${key}: unavailable: ${reason}`);
      report.systems.push({ key, status: "unavailable", reason, notes: [] });
      continue;
    }
    log(`${key} ...`);
    let notes: readonly string[] = [];
    const results = await runWorkloads(
      async () => {
        const system = await create();
        notes = system.notes;
        return system;
      },
      workload,
      log,
    );
    const entry: SystemReport = { key, status: "ok", notes, results };
    report.systems.push(entry);
  }

  report.ratios = computeRatios(report.systems);
  report.generatedAt = new Date().toISOString();
  console.log(formatReport(report));
  if (options.jsonPath) {
    writeFileSync(options.jsonPath, JSON.stringify(report, null, 2) + "\n");
    log(`wrote ${options.jsonPath}`);
  }

  // Losing a message or a failed workload fails the run; duplicates from an
  // at-least-once peer are reported, not fatal.
  const failed = report.systems.some((system) => {
    const results = system.results;
    if (!results) return false;
    const lost = [results.w2, results.w3, results.backlog?.drain].some((drain) =>
      drain !== undefined && drain.check.lostCount > 0
    );
    return lost || Object.keys(results.errors).length > 0;
  });
  return failed ? 1 : 0;
}

process.exitCode = await main();
