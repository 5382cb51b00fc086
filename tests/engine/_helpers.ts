/**
 * Shared helpers for the engine tests: temp database directories, opening a
 * database (also over an injected file system), asserting QueueError codes,
 * a seeded PRNG (Q4D_SEED) and small waits on events.
 *
 * tests/engine/*_test.ts → these helpers → mod.ts / src/engine
 */

import { after } from "node:test";
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Database, open, type OpenOptions, QueueError } from "../../mod.ts";
import type { ErrorCode, Row } from "../../mod.ts";
import { type EngineOptions, openLocal } from "../../src/engine/mod.ts";
import { prng, testSeed } from "../_random.ts";

export { prng, testSeed };

const temporaryRoot = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-engine-test-"));
after(() => nodeFs.rmSync(temporaryRoot, { recursive: true, force: true }));
let directoryCount = 0;

/** A fresh, not yet existing directory path for one database. */
export function freshDirectory(): string {
  directoryCount++;
  return path.join(temporaryRoot, `db${directoryCount}`);
}

/** Opens a database in a fresh temp directory; `sync: "none"` unless durability is tested. */
export async function openTemp(
  options: OpenOptions = { sync: "none" },
): Promise<{ db: Database; directory: string }> {
  const directory = freshDirectory();
  return { db: await open(directory, options), directory };
}

/** Opens a database through the internal engine, e.g. over a fault-injecting file system. */
export async function openEngine(directory: string, options: EngineOptions): Promise<Database> {
  return await openLocal(directory, options);
}

/** Asserts that `action` rejects with a QueueError carrying `code`; returns the error. */
export async function rejectsCode(
  action: Promise<unknown> | (() => Promise<unknown>),
  code: ErrorCode,
): Promise<QueueError> {
  let caught: unknown = undefined;
  try {
    await (typeof action === "function" ? action() : action);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof QueueError, `expected QueueError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}

/** Plain copies of rows (drops the result array's extra properties) for deepEqual. */
export function plain(rows: readonly Row[]): Row[] {
  return rows.map((row) => ({ ...row }));
}

/** The values of one column, in row order. */
export function column(rows: readonly Row[], name: string): unknown[] {
  return rows.map((row) => row[name]);
}

/** Resolves after one macrotask turn: every pending microtask (a synchronous-path statement) has run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs a randomised test body with a seeded PRNG; prints the seed on failure
 * so it can be replayed with `Q4D_SEED=<seed>`.
 */
export async function withSeed(
  body: (random: () => number, seed: number) => Promise<void>,
): Promise<void> {
  const seed = testSeed();
  try {
    await body(prng(seed), seed);
  } catch (error) {
    console.error(`failed with seed ${seed}; replay with Q4D_SEED=${seed}`);
    throw error;
  }
}

/** Random bytes of `length` from `random`. */
export function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** A random ASCII string of `length` from `random`. */
export function randomText(random: () => number, length: number): string {
  const chars: string[] = new Array(length);
  for (let i = 0; i < length; i++) chars[i] = String.fromCharCode(32 + Math.floor(random() * 95));
  return chars.join("");
}

/** Rejects with a clear message if `promise` has not settled within `timeoutMs` (a hang guard, not a timing assertion). */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Takes a row with queue_wait in `sql`'s session; returns the function's result. */
export async function wait(
  session: { sql: Database["sql"] },
  conditions: readonly string[],
  timeoutSeconds?: number,
): Promise<number | null> {
  const args: unknown[] = [...conditions];
  if (timeoutSeconds !== undefined) args.push(timeoutSeconds);
  const placeholders = args.map(() => "?").join(", ");
  const [row] = await session.sql.unsafe(`SELECT queue_wait(${placeholders}) AS got`, args);
  assert.ok(row !== undefined);
  return row.got;
}
