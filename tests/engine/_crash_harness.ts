/**
 * The machinery of the SIGKILL tests, shared by tests/engine/crash_test.ts
 * (bounded runs) and scripts/kill_soak.ts (long soaks): start
 * `_crash_child.ts`, kill it at a chosen line, and check the reopened
 * database against what the child acknowledged before it died.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { open } from "../../mod.ts";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
/** Longest a child may take to reach the line the test waits for. */
export const childTimeoutMs = 60_000;

/** How to start a child script beside this file (a .ts under Deno, the transpiled file under Node). */
function childCommand(name: string, args: string[]): [string, string[]] {
  const testPath = fileURLToPath(import.meta.url);
  const childPath = path.join(path.dirname(testPath), `${name}${path.extname(testPath)}`);
  return isDeno
    ? [process.execPath, ["run", "-A", childPath, ...args]]
    : [process.execPath, [childPath, ...args]];
}

/** What the child reported before it was killed. */
export interface ChildLog {
  /** value → row id of every acknowledged insert. */
  inserted: Map<number, number>;
  /** Row ids taken, in order. */
  taken: number[];
  /** Row ids whose queue_end was acknowledged. */
  ended: Set<number>;
  /** Source row ids relayed (acknowledged), with their affectedRows. */
  relayed: [number, number][];
  /** The row held in hold mode, if reached. */
  held: number | null;
  /** `DELETE FROM dst` statements acknowledged (churn mode). */
  dstClears: number;
}

/**
 * Runs the child script `name` (beside this file) and SIGKILLs it as soon
 * as `killWhen` says so for a line it printed; resolves with every line it
 * printed up to its death (lines printed after the kill decision count: the
 * child did that much before dying).
 */
export function runChildAndKill(
  name: string,
  args: string[],
  killWhen: (line: string, lineCount: number) => boolean,
): Promise<string[]> {
  const [command, commandArgs] = childCommand(name, args);
  const child: ChildProcess = spawn(command, commandArgs, { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let pending = "";
  let stderr = "";
  let killed = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child never reached the kill point; stderr: ${stderr}`));
    }, childTimeoutMs);
    child.stdout!.on("data", (chunk) => {
      pending += String(chunk);
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        lines.push(line);
        if (!killed && killWhen(line, lines.length)) {
          killed = true;
          child.kill("SIGKILL");
        }
      }
    });
    child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL" && killed) resolve(lines);
      else reject(new Error(`child exited on its own (${code}, ${signal}); stderr: ${stderr}`));
    });
  });
}

/**
 * Runs `_crash_child` and SIGKILLs it as soon as `killWhen` says so for a
 * line it printed; resolves with what it printed up to its death.
 */
export async function runAndKill(
  args: string[],
  killWhen: (line: string, lineCount: number) => boolean,
): Promise<ChildLog> {
  const log: ChildLog = {
    inserted: new Map(),
    taken: [],
    ended: new Set(),
    relayed: [],
    held: null,
    dstClears: 0,
  };
  for (const line of await runChildAndKill("_crash_child", args, killWhen)) {
    const [kind, a, b] = line.split(" ");
    if (kind === "INS") log.inserted.set(Number(a), Number(b));
    else if (kind === "TAKE") log.taken.push(Number(a));
    else if (kind === "END") log.ended.add(Number(a));
    else if (kind === "RELAY") log.relayed.push([Number(a), Number(b)]);
    else if (kind === "HOLD") log.held = Number(a);
    else if (kind === "DCLEAR") log.dstClears++;
  }
  return log;
}

/** Checks a reopened database against what the killed child acknowledged. */
export async function checkAfterCrash(directory: string, log: ChildLog, inFlightValue: number) {
  const db = await open(directory);
  const rows = await db.sql`SELECT v FROM q`;
  const present = new Set(rows.map((row) => row.v as number));
  assert.equal(present.size, rows.length, "a row is there twice");
  const idOf = new Map([...log.inserted].map(([v, id]) => [id, v]));
  const lastTaken = log.taken.at(-1);
  // Every queue_end'ed row is gone.
  for (const id of log.ended) assert.ok(!present.has(idOf.get(id)!), `ended row ${id} is back`);
  // Every acknowledged insert is there unless consumed; the owned row is back.
  for (const [v, id] of log.inserted) {
    if (log.ended.has(id)) continue;
    if (id === lastTaken && log.held === null) continue; // its queue_end may have reached the disk
    assert.ok(present.has(v), `acknowledged row v=${v} id=${id} is lost`);
  }
  // Nothing else: at most the one unacknowledged insert in flight.
  for (const v of present) {
    assert.ok(log.inserted.has(v) || v === inFlightValue, `unexpected row v=${v}`);
  }
  // Row ids keep increasing after reopen.
  const maxId = Math.max(0, ...log.inserted.values());
  const next = await db.sql`INSERT INTO q (v) VALUES (${-1})`;
  assert.ok(next.insertId! > maxId, `new id ${next.insertId} > ${maxId}`);
  // Relay marks survive: the last acknowledged relay is a duplicate now.
  const lastRelay = log.relayed.at(-1);
  if (lastRelay !== undefined) {
    assert.equal(lastRelay[1], 1);
    const [armed] = await db.sql`SELECT queue_set_srcid(0, 'a', ${lastRelay[0]}) AS r`;
    assert.ok(armed !== undefined);
    assert.equal(armed.r, 1);
    const again = await db.sql`INSERT INTO dst (v) VALUES (${lastRelay[0]})`;
    assert.equal(again.affectedRows, 0, "relay mark survived the crash");
    const relayedRows = await db.sql`SELECT v FROM dst`;
    const relayedValues = relayedRows.map((row) => row.v);
    // Churn mode deletes dst's rows after each relay, and such a DELETE may be in flight.
    if (log.dstClears === 0) {
      for (const [v] of log.relayed) assert.ok(relayedValues.includes(v), `relayed ${v} lost`);
    }
  }
  await db.close();
  return present;
}

/**
 * The kill loop: `kills` times, runs the child in churn mode (insert, consume,
 * relay, with `segmentBytes` segments so rollovers and compaction's segment
 * deletions happen all the time), SIGKILLs it after a random number of lines,
 * reopens and checks (nothing acknowledged lost, nothing consumed back,
 * nothing twice, ids and relay marks kept), then empties the queues for the
 * next round. `report` hears each round.
 */
export async function killLoop(
  directory: string,
  kills: number,
  random: () => number,
  segmentBytes: number,
  report: (round: number, log: ChildLog) => void = () => {},
): Promise<void> {
  let firstValue = 1;
  for (let round = 0; round < kills; round++) {
    // Up to ~4 segments' worth of rows per round (3–4 lines per row, ~60 rows a 64 KiB segment).
    const killAfterLines = 5 + Math.floor(random() * 800);
    const log = await runAndKill(
      [directory, "churn", String(firstValue), "0", String(segmentBytes)],
      (line, count) => count >= killAfterLines && line !== "READY",
    );
    const lastValue = Math.max(firstValue - 1, ...log.inserted.keys());
    await checkAfterCrash(directory, log, lastValue + 1);
    report(round, log);
    const db = await open(directory, { segmentBytes });
    await db.sql`DELETE FROM q`;
    await db.sql`DELETE FROM dst`;
    await db.close();
    firstValue = lastValue + 2;
  }
}
