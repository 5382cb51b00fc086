/**
 * Issue 10's served benchmark, one command: the standard workload (W1 inserts,
 * W2 drain, W3 both with latency) against q4d embedded, q4d served over the
 * MySQL protocol (a `q4d serve` child process through mysql2 and through
 * `connect()`, and served in-process through mysql2) and a MariaDB InnoDB job
 * table through the same mysql2 client, at 16 and 64 connections. Prints one
 * table per connection count, the issue's targets as met/missed, and writes
 * JSON. Exits 1 only on a lost message or a failed workload, never on timing.
 *
 *   deno run -A bench/served/run.ts [--quick] [--connections 16,64] [--json out.json]
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import process from "node:process";
import {
  checkText,
  parseRunnerArgs,
  runWorkloads,
  type SystemFactory,
  SystemUnavailableError,
  usageText,
  type WorkloadResults,
} from "../workload/mod.ts";
import { createQ4d } from "../peers/q4d.ts";
import { servedSystems, serverCpuSeconds } from "./systems.ts";

interface Entry {
  connections: number;
  key: string;
  name: string;
  status: "ok" | "unavailable";
  reason?: string;
  notes: readonly string[];
  results?: WorkloadResults;
  /** CPU seconds of the child server(s), user + system, when measured. */
  serverCpuSeconds?: number | undefined;
}

function rate(value: number | undefined): string {
  return value === undefined ? "-" : Math.round(value).toString();
}

function ms(value: number | undefined): string {
  return value === undefined ? "-" : value.toFixed(2);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => row[i]?.length ?? 0))
  );
  const line = (row: string[]) =>
    row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function probe(create: SystemFactory): Promise<string | undefined> {
  try {
    await create();
    return undefined;
  } catch (error) {
    if (error instanceof SystemUnavailableError) return error.message;
    return `cannot be created: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? "n/a" : ok ? "met" : "MISSED";
}

async function main(): Promise<number> {
  const raw = process.argv.slice(2);
  if (raw.includes("--help")) {
    console.log(
      `deno run -A bench/served/run.ts [--connections 16,64] [options]\n${usageText}\n` +
        "systems: q4d, q4d-served-mysql2, q4d-served-connect, q4d-served-inprocess, mariadb-innodb",
    );
    return 0;
  }
  // --connections N,M sets producers = consumers = N for each run.
  let connectionCounts = [16, 64];
  const args: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const arg = raw[i] ?? "";
    if (arg === "--connections") {
      connectionCounts = (raw[++i] ?? "").split(",").map(Number);
      if (connectionCounts.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new Error("--connections takes a comma-separated list of positive integers");
      }
    } else args.push(arg);
  }
  const options = parseRunnerArgs(args);
  const log = (line: string): void => console.error(line);
  const entries: Entry[] = [];

  for (const connections of connectionCounts) {
    const workload = {
      ...options.workload,
      producerCount: connections,
      consumerCount: connections,
    };
    const systems = [
      { key: "q4d", create: createQ4d },
      ...servedSystems(connections),
    ].filter(({ key }) => options.systemKeys.length === 0 || options.systemKeys.includes(key));
    for (const { key, create } of systems) {
      const reason = await probe(create);
      const name = key === "q4d" ? "q4d embedded" : (await create()).name;
      if (reason !== undefined) {
        log(`${name} ×${connections}: unavailable: ${reason}`);
        entries.push({ connections, key, name, status: "unavailable", reason, notes: [] });
        continue;
      }
      log(`${name} ×${connections} ...`);
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
      const cpu = serverCpuSeconds.get(name);
      serverCpuSeconds.delete(name);
      entries.push({ connections, key, name, status: "ok", notes, results, serverCpuSeconds: cpu });
    }
  }

  const runtime = "Deno" in globalThis
    ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
    : `Node ${process.versions.node}`;
  const command = `deno run -A bench/served/run.ts ${raw.join(" ")}`.trimEnd();
  const sections: string[] = [
    `Served workload: ${options.workload.rowCount} rows, ${options.workload.bodyBytes}-byte bodies ` +
    `(${runtime}, ${cpus().length} CPUs)\ncommand: ${command}`,
  ];
  const targetLines: string[] = [];
  for (const connections of connectionCounts) {
    const mine = entries.filter((entry) => entry.connections === connections);
    sections.push(
      `${connections} connections (producers = consumers = ${connections}; msgs/s, W3 latency insert → receipt;\n` +
        "srv CPU: the q4d serve child's user+system CPU per message moved, over all workloads):\n" +
        table(
          [
            "system",
            "W1 ins/s",
            "W2 drain/s",
            "W3 msgs/s",
            "W3 p50 ms",
            "W3 p99 ms",
            "srv CPU µs/msg",
            "delivery",
          ],
          mine.map((entry) => {
            if (entry.status === "unavailable") {
              return [entry.name, "-", "-", "-", "-", "-", "-", `unavailable: ${entry.reason}`];
            }
            const r = entry.results!;
            const checks = [r.w2, r.w3].filter((x) => x !== undefined).map((x) => checkText(x!));
            const errors = Object.entries(r.errors).map(([n, m]) => `${n} failed: ${m}`);
            return [
              entry.name,
              rate(r.w1?.messagesPerSecond),
              rate(r.w2?.messagesPerSecond),
              rate(r.w3?.messagesPerSecond),
              ms(r.w3?.latencyP50Ms),
              ms(r.w3?.latencyP99Ms),
              entry.serverCpuSeconds === undefined ? "-" : (entry.serverCpuSeconds * 1e6 /
                (options.workload.rowCount * options.workload.workloads.length)).toFixed(0),
              [...new Set(checks), ...errors].join("; ") || "-",
            ];
          }),
        ),
    );
    const get = (key: string) => mine.find((entry) => entry.key === key)?.results;
    const embedded = get("q4d");
    const maria = get("mariadb-innodb");
    for (const key of ["q4d-served-mysql2", "q4d-served-connect"]) {
      const served = get(key);
      if (!served) continue;
      const ratio = (a?: number, b?: number) =>
        a === undefined || b === undefined || b === 0 ? undefined : a / b;
      const show = (x?: number) => (x === undefined ? "-" : `${x.toFixed(2)}×`);
      const w1m = ratio(served.w1?.messagesPerSecond, maria?.w1?.messagesPerSecond);
      const w2m = ratio(served.w2?.messagesPerSecond, maria?.w2?.messagesPerSecond);
      const w1e = ratio(served.w1?.messagesPerSecond, embedded?.w1?.messagesPerSecond);
      const w2e = ratio(served.w2?.messagesPerSecond, embedded?.w2?.messagesPerSecond);
      const p99 = served.w3 && maria?.w3
        ? served.w3.latencyP99Ms < maria.w3.latencyP99Ms
        : undefined;
      targetLines.push(
        `×${connections} ${key}: W1 ${show(w1m)} MariaDB (≥3×: ${
          verdict(w1m === undefined ? undefined : w1m >= 3)
        }), W2 ${show(w2m)} (≥3×: ${verdict(w2m === undefined ? undefined : w2m >= 3)}), ` +
          `W3 p99 below MariaDB's: ${verdict(p99)}, served/embedded W1 ${show(w1e)} W2 ${
            show(w2e)
          } (≥0.5×: ${
            verdict(w1e === undefined || w2e === undefined ? undefined : w1e >= 0.5 && w2e >= 0.5)
          })`,
      );
    }
  }
  if (targetLines.length > 0) sections.push("Issue 10 targets:\n" + targetLines.join("\n"));
  const seen = new Set<string>();
  const notes: string[] = [];
  for (const entry of entries) {
    if (seen.has(entry.key) || entry.notes.length === 0) continue;
    seen.add(entry.key);
    notes.push(`${entry.name}:`, ...entry.notes.map((note) => `  - ${note}`));
  }
  sections.push("What each system promises:\n" + notes.join("\n"));
  console.log(sections.join("\n\n"));
  if (options.jsonPath) {
    writeFileSync(
      options.jsonPath,
      JSON.stringify(
        {
          generatedAt: new Date().toISOString(),
          command,
          runtime,
          options: options.workload,
          entries,
        },
        null,
        2,
      ) + "\n",
    );
    log(`wrote ${options.jsonPath}`);
  }
  const failed = entries.some((entry) => {
    const r = entry.results;
    if (!r) return false;
    const lost = [r.w2, r.w3].some((d) => d !== undefined && d.check.lostCount > 0);
    const duplicated = [r.w2, r.w3].some((d) => d !== undefined && d.check.duplicateCount > 0);
    return lost || duplicated || Object.keys(r.errors).length > 0;
  });
  return failed ? 1 : 0;
}

process.exitCode = await main();
