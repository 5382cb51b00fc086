/**
 * The `q4d serve` child's CPU per statement, by statement kind: COM_PING,
 * `SELECT 1`, an INSERT with its values inline (mysql2's `query`, as W1
 * sends it), the same INSERT through `connect()` (prepared, binary
 * protocol), and a consumer's `queue_wait` / `SELECT` / `queue_end()`.
 * Each kind runs on 16 connections at once; the server's user + system CPU
 * (from /proc) is divided by the statements, and so is this process's
 * (the clients': mysql2 or connect(), rows prefixed "client:"; this
 * tree's connect() in both columns, so those rows compare servers only).
 * CPU time, unlike throughput,
 * moves little when other work shares the machine, so this is the figure to
 * compare two trees by: with `--baseline <checkout>/src/cli.ts` both run in
 * one command, alternating, and the median of `--rounds` rounds is printed.
 *
 *   deno run -A bench/served/statement_cpu.ts [--baseline <cli.ts>] [--rounds 3]
 *     [--statements 2000] (per connection and kind)
 *
 * Linux only (/proc). Nothing here checks a speed; it prints.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import mysql from "npm:mysql2@3.24.6/promise";
import { connect } from "../../src/server/mod.ts";
import { ServerChild } from "./systems.ts";

const connectionCount = 16;
const body = "x".repeat(96);

interface Options {
  baseline: string | null;
  rounds: number;
  statements: number;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = { baseline: null, rounds: 3, statements: 2000 };
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    switch (args[i]) {
      case "--baseline":
        options.baseline = value ?? null;
        i++;
        break;
      case "--rounds":
        options.rounds = Number(value);
        i++;
        break;
      case "--statements":
        options.statements = Number(value);
        i++;
        break;
      default:
        throw new Error(`unknown argument ${args[i]}`);
    }
  }
  if (!(options.rounds >= 1 && options.statements >= 1)) {
    throw new Error("bad --rounds/--statements");
  }
  return options;
}

type Kinds = Map<string, number[]>;

/** Where a kind's client-side CPU (this process: mysql2 or connect()) is kept. */
function clientKey(kind: string): string {
  return `client: ${kind}`;
}

/** One round against a fresh server of `cli`: µs of server CPU per statement, by kind. */
async function round(cli: string | undefined, statements: number, into: Kinds): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "q4d-statement-cpu-"));
  const child = await ServerChild.start(join(dir, "q4d"), cli);
  const options = { host: "127.0.0.1", port: child.port, user: "root" };
  const url = `mysql://root@127.0.0.1:${child.port}`;
  const pool = await Promise.all(
    Array.from({ length: connectionCount }, () => mysql.createConnection(options)),
  );
  const remote = await Promise.all(Array.from({ length: connectionCount }, () => connect(url)));
  try {
    await pool[0]!.query("CREATE TABLE jobs (id INT NOT NULL, body VARCHAR(96)) ENGINE=QUEUE");
    const measure = async <C>(
      kind: string,
      clients: C[],
      perStatement: number,
      run: (client: C, id: number) => Promise<unknown>,
    ): Promise<void> => {
      const before = child.cpuSeconds() ?? 0;
      const clientBefore = process.cpuUsage();
      await Promise.all(clients.map(async (client, k) => {
        for (let i = 0; i < statements; i++) await run(client, k * statements + i);
      }));
      const cpu = (child.cpuSeconds() ?? 0) - before;
      const clientCpu = process.cpuUsage(clientBefore);
      const count = clients.length * statements * perStatement;
      const list = into.get(kind) ?? [];
      list.push(cpu * 1e6 / count);
      into.set(kind, list);
      const clientList = into.get(clientKey(kind)) ?? [];
      clientList.push((clientCpu.user + clientCpu.system) / count);
      into.set(clientKey(kind), clientList);
    };
    await measure("COM_PING (mysql2)", pool, 1, (c) => c.ping());
    await measure("SELECT 1 (mysql2)", pool, 1, (c) => c.query("SELECT 1"));
    await measure(
      "INSERT inline (mysql2 query)",
      pool,
      1,
      (c, id) => c.query(`INSERT INTO jobs (id, body) VALUES (${id}, '${body}')`),
    );
    await measure(
      "INSERT (connect(), prepared)",
      remote,
      1,
      (c, id) => c.sql`INSERT INTO jobs (id, body) VALUES (${id}, ${body})`,
    );
    // A consumer's three statements, through mysql2 (the rows inserted above).
    await measure("queue_wait+SELECT+queue_end", pool, 3, async (c) => {
      await c.query("SELECT queue_wait('jobs', 1) AS got");
      await c.query("SELECT id, body FROM jobs");
      await c.query("SELECT queue_end()");
    });
  } finally {
    await Promise.all(pool.map((c) => c.end()));
    await Promise.all(remote.map((c) => c.close()));
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const options = parseArgs(process.argv.slice(2));
const current: Kinds = new Map();
const baseline: Kinds = new Map();
for (let r = 0; r < options.rounds; r++) {
  if (options.baseline !== null) await round(options.baseline, options.statements, baseline);
  await round(undefined, options.statements, current);
}
const header = options.baseline === null
  ? `${"statement kind".padEnd(38)} srv CPU µs/stmt (median)`
  : `${"statement kind".padEnd(38)} baseline µs  this tree µs  ratio`;
console.log(
  `${connectionCount} connections, ${options.statements} statements per connection and kind, ` +
    `median of ${options.rounds} round(s):\n${header}`,
);
for (const [kind, values] of current) {
  const mine = median(values);
  if (options.baseline === null) {
    console.log(`${kind.padEnd(38)} ${mine.toFixed(1).padStart(8)}`);
  } else {
    const theirs = median(baseline.get(kind) ?? []);
    console.log(
      `${kind.padEnd(38)} ${theirs.toFixed(1).padStart(11)}  ${mine.toFixed(1).padStart(12)}  ${
        (mine / theirs).toFixed(2).padStart(5)
      }`,
    );
  }
}
