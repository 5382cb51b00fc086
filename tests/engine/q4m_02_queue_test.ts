/**
 * Q4M's t/02-queue.t, t/02-queue-cond.t and t/02-queue-owned-delete.t
 * ported: queue_wait takes one row at a time (consuming the previous one),
 * conditional subscription, a session that goes away returns its row, and an
 * owner's DELETE of its row. "Connections" are sessions; "a child that
 * exits" is `Session.close()`.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  assertWaitedBlocked,
  column,
  nextTurn,
  notOnNats,
  openTemp,
  plain,
  wait,
} from "./_helpers.ts";

const roundCount = 256;

describe("q4m 02-queue", () => {
  test("queue_wait on a nonexistent table returns NULL", async () => {
    const { db } = await openTemp();
    const s = db.session();
    assert.equal(await wait(s, ["nonexistent_table"], 1), null);
    await db.close();
  });

  test("each queue_wait consumes the previous row and owns exactly the new one", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    for (let i = 1; i <= roundCount; i++) {
      await db.sql`INSERT INTO q4m_t (v) VALUES (${i})`;
      assert.equal(await wait(s, ["q4m_t"]), 1);
      assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ v: i }]);
    }
    const [end] = await s.sql`SELECT queue_end() AS ended`;
    assert.ok(end !== undefined);
    assert.equal(end.ended, 1);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), []);
    const [count] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, 0);
    assert.equal(db.stats("q4m_t").rowsRemoved, roundCount);
    await db.close();
  });
});

describe("q4m 02-queue-cond", () => {
  test(
    "a condition that matches no row times out with 0; one that matches returns 1",
    notOnNats(
      "a row a client-side condition turned down stays hidden from every wait for filterDelayMs (README)",
    ),
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO q4m_t (v) VALUES (1)`;
      const s = db.session();
      assert.equal(await wait(s, ["q4m_t:v!=1"], 0), 0);
      assert.equal(await wait(s, ["q4m_t:v=1"], 0), 1);
      assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ v: 1 }]);
      await s.sql`SELECT queue_end()`;
      await db.close();
    },
  );

  test("a blocked conditional waiter is woken by a matching insert, not by others", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    const waiting = wait(s, ["q4m_t:v=3"], 30);
    await nextTurn();
    await db.sql`INSERT INTO q4m_t (v) VALUES (2)`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (3)`;
    assert.equal(await waiting, 1);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ v: 3 }]);
    assertWaitedBlocked(db, "q4m_t");
    await s.sql`SELECT queue_end()`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), [{ v: 2 }]);
    await db.close();
  });

  test("a row taken by a session that closes is visible again and can be taken", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (4)`;
    const child = db.session();
    assert.equal(await wait(child, ["q4m_t:v=4"], 0), 1);
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), []);
    await child.close();
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), [{ v: 4 }]);
    assert.equal(db.stats("q4m_t").restoredByClose, 1);
    const s = db.session();
    assert.equal(await wait(s, ["q4m_t:v=4"], 0), 1);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ v: 4 }]);
    await db.close();
  });
});

describe("q4m 02-queue-owned-delete", () => {
  test("an owner's DELETE removes its row: its SELECT is empty and queue_abort does not bring it back", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4m_t (v) VALUES (1), (2), (3)`;
    const s = db.session();
    assert.equal(await wait(s, ["q4m_t"], 0), 1);
    const deleted = await s.sql`DELETE FROM q4m_t`;
    assert.equal(deleted.affectedRows, 1);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), []);
    await s.sql`SELECT queue_abort()`;
    assert.deepEqual(column(await db.sql`SELECT * FROM q4m_t`, "v"), [2, 3]);

    assert.equal(await wait(s, ["q4m_t"], 0), 1);
    assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ v: 2 }]);
    assert.equal((await s.sql`DELETE FROM q4m_t`).affectedRows, 1);
    await s.sql`SELECT queue_end()`;
    assert.deepEqual(column(await db.sql`SELECT * FROM q4m_t`, "v"), [3]);
    await db.close();
  });
});
