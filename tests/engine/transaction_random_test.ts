/**
 * Randomised moves in transactions (BEGIN; queue_wait; INSERT INTO dst;
 * queue_end(); COMMIT or ROLLBACK) by three concurrent sessions, with
 * inserts in and out of transactions, injected write failures, sessions
 * closed (also with a COMMIT in flight), compactions, and sometimes the
 * database closed mid-run. Checked live and after a crash and reopen:
 * every row whose insert was confirmed is in exactly one of src and dst,
 * nothing is there twice, and nothing is there whose insert failed or was
 * rolled back (only rows whose fate the close cut off may be either way).
 * Replay a failure with Q4D_SEED=<seed>.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import type { Database, Session } from "../../mod.ts";
import { column, openEngine, wait, withSeed } from "./_helpers.ts";

const rounds = 12;
const stepsPerSession = 40;
/** Errors a step may end with: the write failures injected, and a close that cut it off. */
const expectedCodes = new Set(["ER_DISK_FULL", "ER_ERROR_ON_WRITE", "ER_CLOSED"]);

/** What is known of the rows inserted into src. */
class Ledger {
  /** Inserts confirmed (a statement outside a transaction, or its COMMIT). */
  readonly confirmed = new Set<number>();
  /** Inserts whose fate is not known yet (in flight, or in an open transaction). */
  readonly open = new Set<number>();
  #next = 1;

  fresh(): number {
    const v = this.#next++;
    this.open.add(v);
    return v;
  }

  confirm(values: readonly number[]): void {
    for (const v of values) {
      this.confirmed.add(v);
      this.open.delete(v);
    }
  }

  forget(values: readonly number[]): void {
    for (const v of values) this.open.delete(v);
  }

  /** src and dst hold every confirmed row once, and nothing that failed. */
  async check(db: Database, label: string): Promise<void> {
    const src = column(await db.sql`SELECT v FROM src`, "v").map(Number);
    const dst = column(await db.sql`SELECT v FROM dst`, "v").map(Number);
    const all = [...src, ...dst];
    const held = new Set(all);
    assert.deepEqual(
      {
        label,
        missing: [...this.confirmed].filter((v) => !held.has(v)),
        unexpected: all.filter((v) => !this.confirmed.has(v) && !this.open.has(v)),
        twice: all.length - held.size,
      },
      { label, missing: [], unexpected: [], twice: 0 },
    );
  }
}

/** One session's random steps. */
async function worker(
  db: Database,
  fs: FaultFileSystem,
  ledger: Ledger,
  random: () => number,
): Promise<void> {
  let s: Session = db.session();
  /** Values inserted by the open transaction (empty outside one). */
  let pending: number[] = [];
  let inTransaction = false;
  const endTransaction = (committed: boolean) => {
    if (committed) ledger.confirm(pending);
    else ledger.forget(pending);
    pending = [];
    inTransaction = false;
  };
  for (let step = 0; step < stepsPerSession; step++) {
    const roll = random();
    try {
      if (random() < 0.05) fs.failNextWrite(random() < 0.5 ? "ENOSPC" : "EIO");
      if (roll < 0.2) {
        const v = ledger.fresh();
        if (inTransaction) pending.push(v);
        try {
          await s.sql`INSERT INTO src VALUES (${v})`;
        } catch (error) {
          // Failed, so not written (but a close leaves it in flight: unknown).
          if ((error as { code?: string }).code !== "ER_CLOSED") {
            ledger.forget([v]);
            if (inTransaction) pending.pop();
          }
          throw error;
        }
        if (!inTransaction) ledger.confirm([v]);
      } else if (roll < 0.35) {
        if (!inTransaction) {
          await s.sql`BEGIN`;
          inTransaction = true;
        }
      } else if (roll < 0.6) {
        if (inTransaction && await wait(s, ["src"], 0) === 1) {
          const [row] = await s.sql`SELECT v FROM src`;
          if (row !== undefined) {
            await s.sql`INSERT INTO dst VALUES (${row.v})`;
            await s.sql`SELECT queue_end()`;
          }
        }
      } else if (roll < 0.75) {
        if (inTransaction) {
          await s.sql`COMMIT`;
          endTransaction(true);
        }
      } else if (roll < 0.85) {
        if (inTransaction) {
          await s.sql`ROLLBACK`;
          endTransaction(false);
        }
      } else if (roll < 0.9) {
        if (inTransaction && random() < 0.5) {
          // Closed with its COMMIT in flight: it happens or not, never half.
          const values = pending;
          pending = [];
          inTransaction = false;
          const committing = s.sql`COMMIT`.then(
            () => ledger.confirm(values),
            () => ledger.forget(values),
          );
          await s.close();
          await committing;
        } else {
          await s.close();
          endTransaction(false);
        }
        s = db.session();
      } else if (roll < 0.95) {
        await new Promise((resolve) => setTimeout(resolve, random() * 3));
      } else {
        await db.sql`SELECT queue_compact('src')`;
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === undefined || !expectedCodes.has(code)) throw error;
      if (db.closed) return;
      // A failed COMMIT rolled back; any other failed statement left the transaction open.
      if (inTransaction && !s.inTransaction) endTransaction(false);
    }
  }
  if (db.closed) return;
  if (inTransaction) {
    await s.sql`ROLLBACK`;
    endTransaction(false);
  }
  await s.close();
}

for (let round = 0; round < rounds; round++) {
  test(`random moves in transactions never lose or repeat a row (${round + 1}/${rounds})`, async () => {
    await withSeed(async (random) => {
      const fs = new FaultFileSystem();
      const db = await openEngine("/db", {
        fs,
        autoCompact: random() < 0.5,
        commitIo: random() < 0.5 ? "async" : "blocking",
      });
      await db.sql`CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
      const ledger = new Ledger();
      const workers = Promise.all([1, 2, 3].map(() => worker(db, fs, ledger, random)));
      if (random() < 0.5) {
        await new Promise((resolve) => setTimeout(resolve, random() * 20));
        await db.close();
        await workers;
      } else {
        await workers;
        await ledger.check(db, "live");
        await db.close();
      }
      const reopened = await openEngine("/db", { fs: fs.crash() });
      await ledger.check(reopened, "reopened");
      await reopened.close();
    });
  });
}
