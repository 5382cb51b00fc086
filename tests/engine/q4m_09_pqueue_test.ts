/**
 * Q4M's t/09-pqueue-single-table.t and
 * t/09-pqueue-single-table-wake-listener.t ported: two conditions on one
 * table act as priorities — every prio=0 row is served (index 1) before any
 * prio=1 row (index 2), also when a blocked waiter is woken by a batch.
 * Scaled down from 20480 rows of 4 KiB.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { nextTurn, notOnNats, openTemp, plain, wait } from "./_helpers.ts";

const priorityConditions = ["q4m_t:prio=0", "q4m_t:prio=1"];

describe("q4m 09-pqueue-single-table", () => {
  test(
    "all prio=0 rows come first in id order with 1, then the prio=1 rows with 2",
    notOnNats(
      "with client-side conditions a delivered row goes to the first condition it matches: priority between conditions of one table holds per delivered row only",
    ),
    async () => {
      const rowCount = 2048;
      const body = "x".repeat(256);
      const { db } = await openTemp();
      await db
        .sql`CREATE TABLE q4m_t (id INT NOT NULL, prio TINYINT NOT NULL, body TEXT) ENGINE=QUEUE`;
      for (let start = 0; start < rowCount; start += 100) {
        const params: unknown[] = [];
        for (let id = start; id < Math.min(start + 100, rowCount); id++) {
          params.push(id, id % 10 === 9 ? 1 : 0, body);
        }
        const placeholders = Array.from({ length: params.length / 3 }, () => "(?, ?, ?)").join(
          ", ",
        );
        await db.sql.unsafe(`INSERT INTO q4m_t (id, prio, body) VALUES ${placeholders}`, params);
      }
      const s = db.session();
      const expected: [number, number][] = [];
      for (let id = 0; id < rowCount; id++) if (id % 10 !== 9) expected.push([1, id]);
      for (let id = 9; id < rowCount; id += 10) expected.push([2, id]);
      for (const [index, id] of expected) {
        assert.equal(await wait(s, priorityConditions, 1), index, `row ${id}`);
        const [row] = await s.sql`SELECT id, body FROM q4m_t`;
        assert.ok(row !== undefined);
        assert.equal(row.id, id);
        assert.equal(row.body, body);
      }
      assert.equal(await wait(s, priorityConditions, 0), 0);
      await db.close();
    },
  );
});

describe("q4m 09-pqueue-single-table-wake-listener", () => {
  test(
    "a blocked two-priority wait woken by one batch takes its prio=0 row first",
    notOnNats(
      "with client-side conditions a delivered row goes to the first condition it matches: priority between conditions of one table holds per delivered row only",
    ),
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE q4m_t (id INT NOT NULL, prio TINYINT NOT NULL) ENGINE=QUEUE`;
      const s = db.session();
      assert.equal(await wait(s, priorityConditions, 0.05), 0);
      const waiting = wait(s, priorityConditions, 30);
      await nextTurn();
      await db.sql`INSERT INTO q4m_t (id, prio) VALUES (1, 1), (2, 0), (3, 1)`;
      assert.equal(await waiting, 1);
      assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ id: 2, prio: 0 }]);
      assert.equal(db.stats("q4m_t").waitDelayed, 1, "the wait was blocked when the batch came");
      assert.equal(await wait(s, priorityConditions, 0), 2);
      assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ id: 1, prio: 1 }]);
      assert.equal(await wait(s, priorityConditions, 0), 2);
      assert.deepEqual(plain(await s.sql`SELECT * FROM q4m_t`), [{ id: 3, prio: 1 }]);
      await s.sql`SELECT queue_end()`;
      const [count] = await s.sql`SELECT COUNT(*) AS n FROM q4m_t`;
      assert.ok(count !== undefined);
      assert.equal(count.n, 0);
      await db.close();
    },
  );
});
