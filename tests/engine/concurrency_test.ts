/**
 * Many sessions in one process: 32 concurrent producers and consumers never
 * see a row delivered twice while it is owned, lose none, and consume every
 * row id exactly once (with random aborts putting rows back); blocked
 * queue_wait calls are woken by an insert, an abort and a session close, in
 * the order they began waiting. No polling: every step awaits an event,
 * under a generous overall guard.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { QueueError, type Session } from "../../mod.ts";
import {
  nextTurn,
  notOnNats,
  openTemp,
  plain,
  rejectsCode,
  wait,
  within,
  withSeed,
} from "./_helpers.ts";
import { at } from "../_at.ts";

const guardMs = 60_000;

async function rowIdOf(s: Session): Promise<number> {
  const [row] = await s.sql`SELECT queue_rowid() AS id`;
  assert.ok(row !== undefined);
  return row.id;
}

describe("many sessions", () => {
  test("16 producers and 16 consumers: no row twice while owned, none lost, each id consumed once", async () => {
    await withSeed(async (random) => {
      const producerCount = 16;
      const consumerCount = 16;
      const rowsPerProducer = 100;
      const total = producerCount * rowsPerProducer;
      const { db } = await openTemp();
      await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;

      const held = new Map<number, number>(); // row id → consumer
      const endedIds = new Set<number>();
      const consumedValues: number[] = [];
      let abortCount = 0;
      let allEnded!: () => void;
      const done = new Promise<void>((resolve) => (allEnded = resolve));
      let fail!: (error: unknown) => void;
      const failed = new Promise<never>((_, reject) => (fail = reject));
      failed.catch(() => {});

      const consumers = Array.from({ length: consumerCount }, () => db.session());
      const consuming = consumers.map(async (s, c) => {
        try {
          while (true) {
            assert.equal(await wait(s, ["t"], 60), 1);
            const id = await rowIdOf(s);
            assert.ok(!held.has(id), `row ${id} delivered to ${c} while owned by ${held.get(id)}`);
            assert.ok(!endedIds.has(id), `row ${id} delivered after it was consumed`);
            held.set(id, c);
            const rows = await s.sql`SELECT v FROM t`;
            assert.equal(rows.length, 1);
            held.delete(id);
            if (random() < 0.1) {
              abortCount++;
              await s.sql`SELECT queue_abort()`;
              continue;
            }
            await s.sql`SELECT queue_end()`;
            endedIds.add(id);
            consumedValues.push(rows[0]?.v);
            if (endedIds.size === total) allEnded();
          }
        } catch (error) {
          if (error instanceof QueueError && error.code === "ER_CLOSED") return;
          fail(error);
        }
      });
      const producing = Array.from({ length: producerCount }, async (_, p) => {
        const s = db.session();
        for (let i = 0; i < rowsPerProducer; i++) {
          await s.sql`INSERT INTO t (v) VALUES (${p * rowsPerProducer + i})`;
        }
        await s.close();
      });
      await within(Promise.race([Promise.all(producing), failed]), guardMs, "producers");
      await within(Promise.race([done, failed]), guardMs, "consumers");
      for (const s of consumers) await s.close();
      await Promise.all(consuming);

      assert.deepEqual(
        [...endedIds].sort((a, b) => a - b),
        Array.from({ length: total }, (_, i) => i + 1),
      );
      assert.deepEqual(
        consumedValues.sort((a, b) => a - b),
        Array.from({ length: total }, (_, i) => i),
      );
      const [count] = await db.sql`SELECT COUNT(*) AS n FROM t`;
      assert.ok(count !== undefined);
      assert.equal(count.n, 0);
      const stats = db.stats("t");
      assert.equal(stats.rowsWritten, total);
      assert.equal(stats.rowsRemoved, total);
      assert.equal(stats.restoredByAbort, abortCount);
      await db.close();
    });
  });

  test(
    "blocked sessions are woken by an insert, each with a different row, in the order they began waiting",
    notOnNats(
      "waiters are served in the order their pulls reach the consumer leader, not strictly in the order they began waiting",
    ),
    async () => {
      const waiterCount = 8;
      const { db } = await openTemp();
      await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
      const sessions = Array.from({ length: waiterCount }, () => db.session());
      const waits: Promise<number | null>[] = [];
      for (const s of sessions) {
        waits.push(wait(s, ["t"], 60));
        await nextTurn();
      }
      const values = Array.from({ length: waiterCount }, (_, i) => i);
      await db.sql.unsafe(`INSERT INTO t (v) VALUES ${values.map(() => "(?)").join(", ")}`, values);
      assert.deepEqual(await within(Promise.all(waits), guardMs, "waiters"), values.map(() => 1));
      for (let i = 0; i < waiterCount; i++) {
        const [row] = await at(sessions, i).sql`SELECT v FROM t`;
        assert.ok(row !== undefined);
        assert.equal(row.v, i, `waiter ${i} got the row for its place in line`);
      }
      assert.equal(db.stats("t").waitDelayed, waiterCount);
      await db.close();
    },
  );

  const releases = [
    ["queue_abort", (owner: Session) => owner.sql`SELECT queue_abort()`, "restoredByAbort"],
    ["close", (owner: Session) => owner.close(), "restoredByClose"],
  ] as const;
  for (const [how, release, counter] of releases) {
    test(`a blocked session is woken by another session's ${how} and gets that row`, async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO t (v) VALUES (1)`;
      const owner = db.session();
      const waiter = db.session();
      assert.equal(await wait(owner, ["t"], 0), 1);
      const id = await rowIdOf(owner);
      const waiting = wait(waiter, ["t"], 60);
      await nextTurn();
      await release(owner);
      assert.equal(await within(waiting, guardMs, "waiter"), 1);
      assert.equal(await rowIdOf(waiter), id);
      assert.equal(db.stats("t")[counter], 1);
      await db.close();
    });
  }

  test("closing the database rejects every pending queue_wait with ER_CLOSED", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    const waits = Array.from({ length: 4 }, () => wait(db.session(), ["t"], 60));
    const settled = Promise.allSettled(waits);
    await nextTurn();
    await db.close();
    const results = await within(settled, guardMs, "waiters");
    for (const result of results) {
      assert.equal(result.status, "rejected");
      const reason = (result as PromiseRejectedResult).reason;
      assert.ok(reason instanceof QueueError && reason.code === "ER_CLOSED", String(reason));
    }
  });

  test("a row released as the database closes is not handed to another session's wait", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    // The owner is closed first, its row goes back: the waiter must get ER_CLOSED, not it.
    const owner = db.session();
    assert.equal(await wait(owner, ["t"], 0), 1);
    const waiter = wait(db.session(), ["t"], 60);
    await nextTurn();
    const closing = db.close();
    await within(rejectsCode(waiter, "ER_CLOSED"), guardMs, "waiter");
    await closing;
  });

  test("a session cannot run a second queue_wait while one is pending", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    const first = wait(s, ["t"], 60);
    await nextTurn();
    await rejectsCode(wait(s, ["t"], 0), "ER_WRONG_ARGUMENTS");
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    assert.equal(await within(first, guardMs, "first wait"), 1);
    await db.close();
  });

  test("two queue_waits started together on an owning session: the second is an error", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1), (2), (3)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    // Both are called before the first has finished row 1 (issue 9, item 10).
    const results = await Promise.allSettled([wait(s, ["t"], 0), wait(s, ["t"], 0)]);
    assert.equal(results[0].status, "fulfilled");
    assert.equal((results[0] as PromiseFulfilledResult<unknown>).value, 1);
    assert.equal(results[1].status, "rejected");
    const reason = (results[1] as PromiseRejectedResult).reason;
    assert.ok(reason instanceof QueueError && reason.code === "ER_WRONG_ARGUMENTS", String(reason));
    // Row 1 consumed, row 2 owned by s, row 3 free: nothing is owned by nobody.
    assert.deepEqual(plain(await s.sql`SELECT v FROM t`), [{ v: 2 }]);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), [{ v: 3 }]);
    await s.sql`SELECT queue_end()`;
    assert.equal(db.stats("t").rowsRemoved, 2);
    await db.close();
  });
});
