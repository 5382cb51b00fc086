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
import process from "node:process";
import { Database, open, type OpenOptions, QueueError } from "../../mod.ts";
import type { ErrorCode, Row, Sql } from "../../mod.ts";
import {
  type EngineOptions,
  jobs,
  type JobsOptions,
  openLocal,
  stopJobs,
} from "../../src/engine/mod.ts";
import { connect, serve } from "../../src/server/mod.ts";
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

/**
 * Where `openTemp` databases live: `embedded` (default), `served`
 * (Q4D_TEST_BACKEND=served): the database is opened in this process, served
 * on 127.0.0.1 port 0, and the test talks to it through `connect()` — the
 * same tests, run over the wire (see scripts/test_served.ts for which files)
 * — or `nats` (Q4D_TEST_BACKEND=nats): a NATS-backed database in a fresh
 * namespace on the cluster at Q4D_TEST_NATS_URL (see scripts/test_nats.ts).
 */
export const testBackend: "embedded" | "served" | "nats" =
  process.env.Q4D_TEST_BACKEND === "served" || process.env.Q4D_TEST_BACKEND === "nats"
    ? process.env.Q4D_TEST_BACKEND
    : "embedded";

/** Opens a database in a fresh temp directory; `sync: "none"` unless durability is tested. */
export async function openTemp(
  options: OpenOptions = { sync: "none" },
): Promise<{ db: Database; directory: string }> {
  const directory = freshDirectory();
  if (testBackend === "nats") return { db: await openNatsTest(directory), directory };
  const embedded = await open(directory, options);
  if (testBackend === "embedded") return { db: embedded, directory };
  return { db: await servedDatabase(embedded), directory };
}

/**
 * Opens again the database `openTemp` gave for `directory` once it is
 * closed: the directory, or in nats mode the same namespace on the cluster.
 */
export async function reopen(directory: string): Promise<Database> {
  if (testBackend === "nats") return await openNatsTest(directory);
  return await open(directory, { sync: "none" });
}

/**
 * Nats mode: the database of namespace `e<run>_<n>` (the temp root's unique
 * suffix — one per test file — and the directory's number) on the run's cluster, with client-side conditions on so that the
 * condition tests check filtering. The NATS client is loaded only here.
 */
async function openNatsTest(directory: string): Promise<Database> {
  const url = process.env.Q4D_TEST_NATS_URL;
  if (url === undefined) throw new Error("Q4D_TEST_BACKEND=nats needs Q4D_TEST_NATS_URL");
  const { open: openNats } = await import("../../src/nats/mod.ts");
  return await openNats(url, {
    namespace: `e${path.basename(temporaryRoot).slice(-6)}_${path.basename(directory)}`,
    replicas: 3,
    leaseMs: 10_000,
    clientSideConditions: true,
    filterDelayMs: 20,
  });
}

/**
 * `embedded` served in-process and reached through `connect()`, shaped as a
 * Database: `sql`, `session()` and `close()` go over the wire; `stats()`,
 * `recovery` and `stop()` read the served database in-process (observers of
 * its state, not paths under test); `close()` closes the connections, the
 * server and the database, in that order.
 */
async function servedDatabase(embedded: Database): Promise<Database> {
  const server = await serve(embedded, { port: 0, log: () => {} });
  // The database name open() reports (DATABASE() is 'q4d'), as the README's URL has it.
  const remote = await connect(`mysql://root@127.0.0.1:${server.port}/q4d`);
  const entry: ServedEntry = { inFlight: 0, observer: remote.session() };
  servedLive.add(entry);
  const track = <T>(promise: Promise<T>): Promise<T> => {
    entry.inFlight++;
    return promise.finally(() => entry.inFlight--);
  };
  const tracked = (sql: Sql): Sql => {
    const wrapped =
      ((strings: TemplateStringsArray, ...values: unknown[]) =>
        track(sql(strings, ...values))) as Sql;
    wrapped.unsafe =
      ((text: string, params?: readonly unknown[]) => track(sql.unsafe(text, params))) as Sql[
        "unsafe"
      ];
    return wrapped;
  };
  let closing: Promise<void> | null = null;
  const served = {
    sql: tracked(remote.sql),
    session() {
      const session = remote.session();
      // RemoteSession.jobs() is the engine's jobs() on the session; here it
      // runs on this wrapper, so its statements count for nextTurn too.
      const wrapper = {
        sql: tracked(session.sql),
        get closed() {
          return session.closed;
        },
        get inTransaction() {
          return session.inTransaction;
        },
        get database() {
          return session.database;
        },
        close: () => session.close(),
        cancelWait: () => session.cancelWait(),
        jobs: (...args: [string, ...(string | JobsOptions)[]]) => jobs(wrapper, remote, args),
        stop: () => stopJobs(wrapper),
        [Symbol.asyncDispose]: () => session[Symbol.asyncDispose](),
      };
      return wrapper;
    },
    stats: (table: string) => embedded.stats(table),
    get capabilities() {
      return embedded.capabilities;
    },
    get recovery() {
      return embedded.recovery;
    },
    stop: () => remote.stop(),
    get closed() {
      return remote.closed;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        servedLive.delete(entry);
        await remote.close();
        await server.close({ graceMs: 1000 });
        await embedded.close();
      })();
      return closing;
    },
    [Symbol.asyncDispose]: () => remote[Symbol.asyncDispose]().then(() => served.close()),
  };
  return served as unknown as Database;
}

/** A served test database: statements its test has in flight, and a connection that watches. */
interface ServedEntry {
  inFlight: number;
  observer: { sql: Sql };
}

const servedLive = new Set<ServedEntry>();

/**
 * Served mode's nextTurn: resolves once the server has read every statement
 * the test has in flight (SHOW PROCESSLIST counts them as busy; a blocked
 * queue_wait stays busy), so a waiter sent before an INSERT is registered
 * before it, as one event-loop turn guarantees embedded.
 */
async function servedSettled(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const entry of servedLive) {
    for (;;) {
      const rows = await entry.observer.sql`SHOW PROCESSLIST`;
      const busy = rows.filter((row) => row.Command !== "Sleep" && row.Command !== "Connect")
        .length - 1;
      if (busy >= entry.inFlight) break;
      if (Date.now() > deadline) throw new Error("served statements did not reach the server");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
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

/**
 * Options of `test()` that skip it in nats mode (scripts/test_nats.ts) and
 * say why: it tests the local storage, or behaviour the NATS backend
 * documents as weaker where no capability states it.
 */
export function notOnNats(reason: string): { skip?: string } {
  return testBackend === "nats" ? { skip: `not on NATS: ${reason}` } : {};
}

/**
 * Asserts that one wait on `table` was counted as blocked (waitDelayed) —
 * the wait was sent before the INSERT, one turn apart. In nats mode the
 * wait may still be in its immediate pass (a network round) when the row
 * arrives, so the weaker check: one wait counted, blocked or immediate.
 */
export function assertWaitedBlocked(db: Database, table: string): void {
  const stats = db.stats(table);
  if (testBackend !== "nats") assert.equal(stats.waitDelayed, 1);
  else assert.equal(stats.waitDelayed + stats.waitImmediate, 1);
}

/**
 * For a test of transactions: on a backend without them
 * (`capabilities.transactions` false, NATS) asserts the weaker contract —
 * BEGIN is ER_NOT_SUPPORTED_YET — closes `db` and returns true (the test
 * returns); false where transactions exist.
 */
export async function lacksTransactions(db: Database): Promise<boolean> {
  if (db.capabilities.transactions) return false;
  await rejectsCode(db.session().sql`BEGIN`, "ER_NOT_SUPPORTED_YET");
  await db.close();
  return true;
}

/** Plain copies of rows (drops the result array's extra properties) for deepEqual. */
export function plain(rows: readonly Row[]): Row[] {
  return rows.map((row) => ({ ...row }));
}

/** The values of one column, in row order. */
export function column(rows: readonly Row[], name: string): unknown[] {
  return rows.map((row) => row[name]);
}

/**
 * Resolves after one macrotask turn: every pending microtask (a
 * synchronous-path statement) has run. Served: once the server has read
 * every statement in flight.
 */
export async function nextTurn(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (testBackend === "served") await servedSettled();
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
