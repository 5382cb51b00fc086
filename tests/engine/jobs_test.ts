/**
 * The job API of issue 12: session.jobs(), its unfinished-job rule (retry),
 * graceful stop and the retry policy. Delays are small real ones with hang
 * guards; nothing asserts how fast anything is.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import {
  lacksTransactions,
  nextTurn,
  notOnNats,
  openEngine,
  openTemp,
  plain,
  rejectsCode,
  wait,
  within,
} from "./_helpers.ts";
import type { Database } from "../../mod.ts";

const guardMs = 10_000;

async function queueTables(db: Database, ...names: string[]): Promise<void> {
  for (const name of names) {
    await db.sql.unsafe(`CREATE TABLE ${name} (v INT NOT NULL) ENGINE=QUEUE`);
  }
}

async function insert(db: Database, table: string, ...values: number[]): Promise<void> {
  for (const v of values) await db.sql.unsafe(`INSERT INTO ${table} (v) VALUES (?)`, [v]);
}

describe("jobs()", () => {
  test("yields jobs in the priority order of its conditions, with table, rowId and attempts", async () => {
    const { db } = await openTemp();
    await queueTables(db, "urgent", "normal");
    await insert(db, "normal", 1, 2);
    await insert(db, "urgent", 10);
    const s = db.session();
    const seen: string[] = [];
    await within(
      (async () => {
        for await (const job of s.jobs<{ v: number }>("urgent", "normal:v>1", { timeout: 0.05 })) {
          assert.equal(job.attempts, 1);
          assert.ok(job.rowId > 0);
          seen.push(`${job.table}:${job.row.v}`);
          await job.ack();
          if (seen.length === 2) s.stop();
        }
      })(),
      guardMs,
      "jobs loop",
    );
    assert.deepEqual(seen, ["urgent:10", "normal:2"]);
    assert.deepEqual(plain(await db.sql`SELECT v FROM normal`), [{ v: 1 }]);
    assert.deepEqual(plain(await db.sql`SELECT v FROM urgent`), []);
    await db.close();
  });

  test("the loop's unshaped statements leave the session's own results shaped", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    await insert(db, "t", 1);
    const s = db.session();
    await within(
      (async () => {
        for await (const job of s.jobs<{ v: number }>("t", { timeout: 0.05 })) {
          assert.deepEqual({ ...job.row }, { v: 1 });
          const own = await s.sql`SELECT v FROM t`;
          assert.deepEqual(own.columns?.map((column) => column.name), ["v"]);
          assert.deepEqual(own.rowArrays, [[1]]);
          assert.deepEqual(Object.keys(own), ["0"], "columns and rowArrays stay non-enumerable");
          await job.ack();
          s.stop();
        }
      })(),
      guardMs,
      "jobs loop",
    );
    const stats = db.stats("t");
    assert.equal(stats.rowsLive, 0);
    assert.equal(stats.compactionErrors, 0);
    await db.close();
  });

  test(
    "retry with a delay brings the job back later and attempts count up",
    notOnNats(
      "queue_attempts() is JetStream's delivery count, which also counts early deliveries of a delayed row (README)",
    ),
    async () => {
      const { db } = await openTemp();
      await queueTables(db, "t");
      await insert(db, "t", 7);
      const s = db.session();
      const attempts: number[] = [];
      await within(
        (async () => {
          for await (const job of s.jobs("t", { timeout: 0.05 })) {
            attempts.push(job.attempts);
            if (job.attempts < 3) await job.retry({ delay: 0.05 });
            else {
              await job.ack();
              s.stop();
            }
          }
        })(),
        guardMs,
        "jobs loop",
      );
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.deepEqual(plain(await db.sql`SELECT v FROM t`), []);
      await db.close();
    },
  );

  test("at maxAttempts a retry moves the row to the dead-letter table", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t", "t_dead");
    await insert(db, "t", 5);
    const s = db.session();
    const policy = {
      maxAttempts: 2,
      backoff: "exponential" as const,
      delay: 0.01,
      deadLetter: "t_dead",
    };
    let deliveries = 0;
    await within(
      (async () => {
        for await (const job of s.jobs("t", { timeout: 0.05, policy })) {
          deliveries++;
          await job.retry();
          if (job.attempts === 2) s.stop();
        }
      })(),
      guardMs,
      "jobs loop",
    );
    assert.equal(deliveries, 2);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), []);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t_dead`), [{ v: 5 }]);
    await db.close();
  });

  test("a policy set in SQL (q4d_queue_policy) applies to every session's loop", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t", "t_dead");
    await db
      .sql`CREATE TABLE q4d_queue_policy (tbl VARCHAR(64) NOT NULL, policy TEXT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4d_queue_policy VALUES ('t', ${
      JSON.stringify({ max_attempts: 3, backoff: "fixed", delay: 0.01, dead_letter: "t_dead" })
    })`;
    await insert(db, "t", 9);
    const s = db.session();
    const attempts: number[] = [];
    await within(
      (async () => {
        for await (const job of s.jobs("t", { timeout: 0.05 })) {
          attempts.push(job.attempts);
          if (job.attempts === 3) s.stop();
          // not finished: the unfinished-job rule retries it, the third time to the dead letters
        }
      })(),
      guardMs,
      "jobs loop",
    );
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), []);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t_dead`), [{ v: 9 }]);
    await db.close();
  });

  test("a bad policy row is ER_WRONG_ARGUMENTS and takes no job", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    await db
      .sql`CREATE TABLE q4d_queue_policy (tbl VARCHAR(64) NOT NULL, policy TEXT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4d_queue_policy VALUES ('t', '{"max_attempt": 3}')`;
    await insert(db, "t", 1);
    const s = db.session();
    await rejectsCode(async () => {
      for await (const _job of s.jobs("t", { timeout: 0.05 })) break;
    }, "ER_WRONG_ARGUMENTS");
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), [{ v: 1 }]);
    await db.close();
  });

  test("a loop never iterated but returned frees the session", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    const s = db.session();
    await s.jobs("t").return?.();
    const again = s.jobs("t", { timeout: 0.05 });
    s.stop();
    assert.equal((await within(again.next(), guardMs, "stopped loop")).done, true);
    await db.close();
  });

  test("fail() moves the row to the dead-letter table at once", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t", "t_dead");
    await insert(db, "t", 1);
    const s = db.session();
    for await (const job of s.jobs("t", { timeout: 0.05, policy: { deadLetter: "t_dead" } })) {
      await job.fail("bad");
      break;
    }
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), []);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t_dead`), [{ v: 1 }]);
    await db.close();
  });

  test("fail() writes the dead letter and ends the row in one commit: a failed write leaves neither", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine("/db", { fs, autoCompact: false });
    await queueTables(db, "t", "t_dead");
    await insert(db, "t", 1);
    const s = db.session();
    for await (const job of s.jobs("t", { timeout: 0.05, policy: { deadLetter: "t_dead" } })) {
      await db.sql`SELECT 1`; // (the delivery count rides with the next commit)
      fs.failNextWrite("ENOSPC");
      await rejectsCode(job.fail("bad"), "ER_DISK_FULL");
      assert.equal(job.finished, false);
      assert.equal(s.inTransaction, false);
      assert.deepEqual(plain(await db.sql`SELECT v FROM t_dead`), []);
      assert.deepEqual(plain(await s.sql`SELECT v FROM t`), [{ v: 1 }], "still owned");
      await job.fail("bad");
      break;
    }
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), []);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t_dead`), [{ v: 1 }]);
    assert.equal(db.stats("t").rowsFailed, 1);
    const reopened = await openEngine("/db", { fs: fs.crash() });
    assert.deepEqual(plain(await reopened.sql`SELECT v FROM t`), []);
    assert.deepEqual(plain(await reopened.sql`SELECT v FROM t_dead`), [{ v: 1 }]);
    await reopened.close();
  });

  test("fail() inside the session's own transaction joins it", async () => {
    const { db } = await openTemp();
    if (await lacksTransactions(db)) return;
    await queueTables(db, "t", "t_dead", "audit");
    await insert(db, "t", 1);
    const s = db.session();
    for await (const job of s.jobs("t", { timeout: 0.05, policy: { deadLetter: "t_dead" } })) {
      await s.sql`BEGIN`;
      await s.sql`INSERT INTO audit VALUES (1)`;
      await job.fail("bad");
      assert.equal(s.inTransaction, true);
      assert.deepEqual(plain(await db.sql`SELECT v FROM t_dead`), []);
      await s.sql`ROLLBACK`;
      assert.deepEqual(plain(await s.sql`SELECT v FROM t`), [{ v: 1 }], "owned again");
      break; // finished, but rolled back: the unfinished-job rule gives it back
    }
    assert.deepEqual(plain(await db.sql`SELECT v FROM t_dead`), []);
    assert.deepEqual(plain(await db.sql`SELECT v FROM audit`), []);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), [{ v: 1 }], "back in its queue");
    await db.close();
  });

  test("several jobs acked in one transaction commit together", async () => {
    const { db } = await openTemp();
    if (await lacksTransactions(db)) return;
    await queueTables(db, "t");
    await insert(db, "t", 1, 2, 3);
    const s = db.session();
    let acked = 0;
    for await (const job of s.jobs("t", { timeout: 0.05 })) {
      if (acked === 0) await s.sql`BEGIN`;
      await job.ack();
      if (++acked === 3) break;
    }
    assert.equal(s.inTransaction, false, "break rolled it back");
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), [{ v: 1 }, { v: 2 }, { v: 3 }]);
    acked = 0;
    for await (const job of s.jobs("t", { timeout: 0.05 })) {
      if (acked === 0) await s.sql`BEGIN`;
      await job.ack();
      if (++acked === 3) {
        assert.equal(db.stats("t").rowsRemoved, 0);
        await s.sql`COMMIT`;
        break;
      }
    }
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), []);
    assert.equal(db.stats("t").rowsRemoved, 3);
    await db.close();
  });

  test("a throw out of the loop body with its transaction open rolls it back and keeps the error", async () => {
    const { db } = await openTemp();
    if (await lacksTransactions(db)) return;
    await queueTables(db, "t", "audit");
    await insert(db, "t", 1);
    const s = db.session();
    await assert.rejects(async () => {
      for await (const job of s.jobs("t", { timeout: 0.05 })) {
        await s.sql`BEGIN`;
        await s.sql`INSERT INTO audit VALUES (1)`;
        await job.ack();
        throw new Error("boom");
      }
    }, /boom/);
    assert.equal(s.inTransaction, false);
    assert.deepEqual(plain(await db.sql`SELECT v FROM audit`), []);
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), [{ v: 1 }], "back in its queue");
    await db.close();
  });

  test("a fail() that cannot write the dead letter leaves the row in its queue", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    await insert(db, "t", 4);
    const s = db.session();
    await rejectsCode(async () => {
      for await (
        const job of s.jobs("t", {
          timeout: 0.05,
          policy: { deadLetter: "missing", maxAttempts: 1 },
        })
      ) {
        await rejectsCode(job.fail("x"), "ER_NO_SUCH_TABLE");
        assert.equal(job.finished, false, "a failed fail() leaves the job unfinished");
      }
    }, "ER_NO_SUCH_TABLE");
    // The session does not keep the row (a later queue_wait would consume it).
    const other = db.session();
    assert.equal(await wait(other, ["t"], 0), 1, "the row is back in the queue");
    await other.sql`SELECT queue_abort()`;
    assert.equal(await wait(s, ["t"], 0), 1);
    await s.sql`SELECT queue_end()`;
    await db.close();
  });

  test("an unknown table is ER_NO_SUCH_TABLE", async () => {
    const { db } = await openTemp();
    const s = db.session();
    await rejectsCode(async () => {
      for await (const _job of s.jobs("nope", { timeout: 0.05 })) break;
    }, "ER_NO_SUCH_TABLE");
    // The session can run a loop again afterwards.
    await queueTables(db, "t");
    await insert(db, "t", 1);
    for await (const job of s.jobs("t", { timeout: 0.05 })) {
      await job.ack();
      break;
    }
    await db.close();
  });

  test("break or throw in the loop body returns the job to its queue", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    await insert(db, "t", 1);
    const s = db.session();
    for await (const _job of s.jobs("t", { timeout: 0.05 })) break;
    await assert.rejects(async () => {
      for await (const _job of s.jobs("t", { timeout: 0.05 })) throw new Error("boom");
    }, /boom/);
    const other = db.session();
    assert.equal(await wait(other, ["t"], 0), 1, "the row is back in the queue");
    assert.deepEqual(plain(await other.sql`SELECT queue_attempts() AS n`), [{ n: 3 }]);
    await other.sql`SELECT queue_end()`;
    await db.close();
  });

  test("bad arguments are ER_WRONG_ARGUMENTS at the call and leave the session free", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    await insert(db, "t", 1);
    const s = db.session();
    const bad: Array<() => unknown> = [
      () => (s.jobs as (...args: unknown[]) => unknown)(),
      () => (s.jobs as (...args: unknown[]) => unknown)(42),
      () => s.jobs("t", { timeout: -1 }),
      () => s.jobs("t", { policy: { maxAttempts: 0 } }),
      () => s.jobs("t", { policy: { backoff: "linear" as "fixed" } }),
      () => s.jobs("t", { policy: { delay: Number.NaN } }),
    ];
    for (const call of bad) assert.throws(call, { code: "ER_WRONG_ARGUMENTS" });
    for await (const job of s.jobs("t", { timeout: 0.05 })) {
      await job.ack();
      break;
    }
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), []);
    await db.close();
  });

  test("a second loop on one session is refused at once", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    const s = db.session();
    const first = s.jobs("t", { timeout: 0.05 });
    const running = first.next();
    assert.throws(() => s.jobs("t"), { code: "ER_WRONG_ARGUMENTS" }, "refused at the call");
    s.stop();
    assert.equal((await within(running, guardMs, "stopped loop")).done, true);
    await db.close();
  });

  test("stop() ends a pending wait at once and lets the job in progress finish", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    await insert(db, "t", 1);
    const busy = db.session();
    const idle = db.session();
    let release!: () => void;
    const released = new Promise<void>((r) => release = r);
    let started!: () => void;
    const isStarted = new Promise<void>((r) => started = r);
    const busyLoop = (async () => {
      for await (const job of busy.jobs("t", { timeout: 3600 })) {
        started();
        await released;
        await job.ack();
      }
    })();
    await within(isStarted, guardMs, "first job");
    // The idle loop starts once busy owns the only row: which of two sessions waiting at once
    // gets a row is not promised, and on NATS their first pulls race.
    const idleLoop = (async () => {
      for await (const _job of idle.jobs("t", { timeout: 3600 })) assert.fail("no job expected");
    })();
    await nextTurn();
    db.stop();
    await within(idleLoop, guardMs, "idle loop after stop");
    release();
    await within(busyLoop, guardMs, "busy loop after stop");
    assert.deepEqual(plain(await db.sql`SELECT v FROM t`), [], "the job in progress was acked");
    await db.close();
  });

  test("an AbortSignal stops the loop", async () => {
    const { db } = await openTemp();
    await queueTables(db, "t");
    const s = db.session();
    const controller = new AbortController();
    const loop = (async () => {
      for await (const _job of s.jobs("t", { timeout: 3600, signal: controller.signal })) {
        assert.fail("no job expected");
      }
    })();
    setTimeout(() => controller.abort(), 20);
    await within(loop, guardMs, "aborted loop");
    await db.close();
  });
});
