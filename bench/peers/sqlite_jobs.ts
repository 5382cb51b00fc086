/**
 * SQLite job table peers, "the common way": `node:sqlite` DatabaseSync, WAL,
 * synchronous=FULL, `jobs(id INTEGER PRIMARY KEY, body TEXT, claimed INT)`;
 * produce = INSERT, claim = UPDATE … RETURNING of the oldest unclaimed row,
 * ack = DELETE. Two variants: one autocommit (one sync) per statement, and a
 * hand-written group commit that runs every write of one event-loop turn in
 * one transaction. Used by `run.ts` as the systems `sqlite-autocommit` and
 * `sqlite-group-commit`.
 *
 * @module
 */

import { join } from "node:path";
import type { DatabaseSync as DatabaseSyncType, StatementSync } from "node:sqlite";
import type {
  Delivery,
  QueueConsumer,
  QueueSystem,
  SetupOptions,
  SystemFactory,
} from "../workload/mod.ts";
import { SystemUnavailableError } from "../workload/mod.ts";
import { Wakeups } from "./wakeups.ts";

const notes: readonly string[] = [
  "WAL with synchronous=FULL: a COMMIT returns after the WAL is fsynced, so produce and ack are durable when they resolve",
  "claim is UPDATE ... SET claimed=1 ... RETURNING: a crashed consumer's claimed rows stay claimed (no lease), unlike q4d's ownership",
  "DatabaseSync blocks the event loop for every statement and sync",
  "consumers are woken in-process when a row commits instead of polling (generous to SQLite)",
];

/** A claimed row; the handle of a SQLite delivery is its id. */
interface ClaimedRow {
  id: number;
  body: string;
}

/** The statements both variants use, prepared once. */
interface Statements {
  insert: StatementSync;
  claim: StatementSync;
  remove: StatementSync;
}

type DatabaseSyncConstructor = new (path: string) => DatabaseSyncType;

async function loadDatabaseSync(): Promise<DatabaseSyncConstructor> {
  try {
    const sqlite = await import("node:sqlite");
    return sqlite.DatabaseSync;
  } catch (error) {
    throw new SystemUnavailableError(`node:sqlite is not available: ${error}`);
  }
}

function openJobs(DatabaseSync: DatabaseSyncConstructor, dir: string): {
  database: DatabaseSyncType;
  statements: Statements;
} {
  const database = new DatabaseSync(join(dir, "jobs.sqlite3"));
  database.exec("PRAGMA journal_mode=WAL");
  database.exec("PRAGMA synchronous=FULL");
  database.exec(
    "CREATE TABLE jobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL, claimed INT NOT NULL DEFAULT 0)",
  );
  const statements: Statements = {
    insert: database.prepare("INSERT INTO jobs (id, body, claimed) VALUES (?, ?, 0)"),
    claim: database.prepare(
      "UPDATE jobs SET claimed = 1 WHERE id = (SELECT id FROM jobs WHERE claimed = 0 ORDER BY id LIMIT 1) RETURNING id, body",
    ),
    remove: database.prepare("DELETE FROM jobs WHERE id = ?"),
  };
  return { database, statements };
}

function asDelivery(row: ClaimedRow | undefined): Delivery | null {
  if (row === undefined) return null;
  return { id: Number(row.id), body: String(row.body), handle: Number(row.id) };
}

/** Claims with the given function until a row comes or timeoutMs passes. */
async function claimOrWait(
  claim: () => Promise<ClaimedRow | undefined> | ClaimedRow | undefined,
  wakeups: Wakeups,
  timeoutMs: number,
): Promise<Delivery | null> {
  const deadlineMs = performance.now() + timeoutMs;
  while (true) {
    const row = await claim();
    if (row !== undefined) return asDelivery(row);
    const remainingMs = deadlineMs - performance.now();
    if (remainingMs <= 0) return null;
    await wakeups.wait(remainingMs);
  }
}

/** One autocommit statement per produce, claim and ack. */
class SqliteAutocommit implements QueueSystem {
  readonly name = "sqlite-autocommit";
  readonly notes: readonly string[] = notes;
  readonly #DatabaseSync: DatabaseSyncConstructor;
  #database: DatabaseSyncType | undefined;
  #statements: Statements | undefined;
  readonly #wakeups = new Wakeups();

  constructor(DatabaseSync: DatabaseSyncConstructor) {
    this.#DatabaseSync = DatabaseSync;
  }

  setup(dir: string, _options: SetupOptions): Promise<void> {
    const opened = openJobs(this.#DatabaseSync, dir);
    this.#database = opened.database;
    this.#statements = opened.statements;
    return Promise.resolve();
  }

  produce(id: number, body: string): Promise<void> {
    this.#statements!.insert.run(id, body);
    this.#wakeups.wake();
    return Promise.resolve();
  }

  produceMany(messages: readonly { id: number; body: string }[]): Promise<void> {
    const database = this.#database!;
    database.exec("BEGIN");
    try {
      for (const message of messages) this.#statements!.insert.run(message.id, message.body);
      database.exec("COMMIT");
    } catch (error) {
      database.exec("ROLLBACK");
      throw error;
    }
    this.#wakeups.wake(messages.length);
    return Promise.resolve();
  }

  openConsumer(): Promise<QueueConsumer> {
    const statements = this.#statements!;
    const wakeups = this.#wakeups;
    const claim = () => statements.claim.get() as ClaimedRow | undefined;
    return Promise.resolve({
      consume: (timeoutMs: number) => claimOrWait(claim, wakeups, timeoutMs),
      ack: (delivery: Delivery) => {
        statements.remove.run(delivery.handle as number);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    });
  }

  close(): Promise<void> {
    this.#wakeups.wakeAll();
    this.#database?.close();
    this.#database = undefined;
    return Promise.resolve();
  }
}

/** A write waiting for the next group-commit round. */
interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Hand-written group commit: every write (insert, claim, delete) queued in
 * one event-loop turn runs in one transaction, so one sync covers them all.
 * The next round starts one turn after the previous one ended, so callers
 * whose write just resolved join it.
 */
class SqliteGroupCommit implements QueueSystem {
  readonly name = "sqlite-group-commit";
  readonly notes: readonly string[] = [
    ...notes,
    "hand-written group commit: all writes of one event-loop turn share one transaction and one sync",
  ];
  readonly #DatabaseSync: DatabaseSyncConstructor;
  #database: DatabaseSyncType | undefined;
  #statements: Statements | undefined;
  readonly #wakeups = new Wakeups();
  #pending: PendingWrite[] = [];
  #roundScheduled = false;

  constructor(DatabaseSync: DatabaseSyncConstructor) {
    this.#DatabaseSync = DatabaseSync;
  }

  setup(dir: string, _options: SetupOptions): Promise<void> {
    const opened = openJobs(this.#DatabaseSync, dir);
    this.#database = opened.database;
    this.#statements = opened.statements;
    return Promise.resolve();
  }

  #write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#roundScheduled) {
        this.#roundScheduled = true;
        setImmediate(() => this.#commitRound());
      }
    });
  }

  #commitRound(): void {
    const batch = this.#pending;
    this.#pending = [];
    const database = this.#database!;
    const results: unknown[] = new Array(batch.length);
    const failures: unknown[] = new Array(batch.length);
    let insertedCount = 0;
    try {
      database.exec("BEGIN");
      for (let index = 0; index < batch.length; index++) {
        try {
          results[index] = batch[index]?.run();
          if (results[index] === "inserted") insertedCount++;
        } catch (error) {
          failures[index] = error ?? new Error("write failed");
        }
      }
      database.exec("COMMIT");
    } catch (error) {
      try {
        database.exec("ROLLBACK");
      } catch {
        // The failed COMMIT may already have ended the transaction.
      }
      for (const write of batch) write.reject(error);
      this.#endRound();
      return;
    }
    for (let index = 0; index < batch.length; index++) {
      if (failures[index] !== undefined) batch[index]?.reject(failures[index]);
      else batch[index]?.resolve(results[index]);
    }
    this.#wakeups.wake(insertedCount);
    this.#endRound();
  }

  #endRound(): void {
    // Writers whose promise just resolved queue their next write in the
    // microtasks that follow; setImmediate lets them join the next round.
    if (this.#pending.length > 0) setImmediate(() => this.#commitRound());
    else this.#roundScheduled = false;
  }

  async produce(id: number, body: string): Promise<void> {
    const statements = this.#statements!;
    await this.#write(() => {
      statements.insert.run(id, body);
      return "inserted";
    });
  }

  async produceMany(messages: readonly { id: number; body: string }[]): Promise<void> {
    const statements = this.#statements!;
    await this.#write(() => {
      for (const message of messages) statements.insert.run(message.id, message.body);
      return "inserted";
    });
    this.#wakeups.wake(messages.length);
  }

  openConsumer(): Promise<QueueConsumer> {
    const statements = this.#statements!;
    const wakeups = this.#wakeups;
    const claim = () => this.#write(() => statements.claim.get() as ClaimedRow | undefined);
    return Promise.resolve({
      consume: (timeoutMs: number) => claimOrWait(claim, wakeups, timeoutMs),
      ack: async (delivery: Delivery) => {
        await this.#write(() => statements.remove.run(delivery.handle as number));
      },
      close: () => Promise.resolve(),
    });
  }

  close(): Promise<void> {
    this.#wakeups.wakeAll();
    this.#database?.close();
    this.#database = undefined;
    return Promise.resolve();
  }
}

/** Factory of the one-autocommit-per-statement SQLite job table. */
export const createSqliteAutocommit: SystemFactory = async () =>
  new SqliteAutocommit(await loadDatabaseSync());

/** Factory of the SQLite job table with hand-written group commit. */
export const createSqliteGroupCommit: SystemFactory = async () =>
  new SqliteGroupCommit(await loadDatabaseSync());
