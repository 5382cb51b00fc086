/**
 * Q4M's t/08-forward.t ported: Q4M runs its q4m-forward script; here a small
 * forwarder loop in the test does what the script does — queue_wait on the
 * source, queue_rowid, SELECT, queue_set_srcid on the destination, INSERT by
 * column name (the column order differs) — while a consumer reads the
 * destination. Large rows pass in order with compaction on both sides.
 * Scaled down from 80 rows of 510 KiB.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Database, QueueError } from "../../mod.ts";
import { notOnNats, openTemp, plain, randomText, wait, within, withSeed } from "./_helpers.ts";

const guardMs = 60_000;

/** The forwarder: runs until its source session is closed; returns how many rows it relayed. */
function forward(db: Database, slot: number) {
  const src = db.session();
  const dst = db.session();
  let relayed = 0;
  const running = (async () => {
    try {
      while (true) {
        // Also consumes the previously forwarded row, as q4m-forward relies on.
        const got = await wait(src, ["q4m_t"], 30);
        assert.notEqual(got, null);
        if (got === 0) continue;
        const [owned] = await src.sql`SELECT queue_rowid() AS id`;
        assert.ok(owned !== undefined);
        const { id } = owned;
        const [row] = await src.sql`SELECT * FROM q4m_t`;
        assert.ok(row !== undefined);
        const [armed] = await dst.sql`SELECT queue_set_srcid(${slot}, 'a', ${id}) AS r`;
        assert.ok(armed !== undefined);
        assert.equal(armed.r, 1);
        await dst.sql`INSERT INTO q4m_t2 (v, s) VALUES (${row.v}, ${row.s})`;
        relayed++;
      }
    } catch (error) {
      if (!(error instanceof QueueError && error.code === "ER_CLOSED")) throw error;
    }
  })();
  return {
    relayed: () => relayed,
    async stop() {
      await src.close();
      await running;
      await dst.close();
    },
  };
}

describe("q4m 08-forward", () => {
  test(
    "rows forwarded from q4m_t(v,s) arrive in q4m_t2(s,v) once each, in order, across compactions",
    notOnNats(
      "drives the local log's compaction and exact relay watermarks (capabilities.exactRelayMarks is false on NATS)",
    ),
    async () => {
      await withSeed(async (random) => {
        const { db } = await openTemp({ sync: "none", segmentBytes: 1024 * 1024 });
        await db.sql`CREATE TABLE q4m_t (v INT NOT NULL, s LONGTEXT) ENGINE=QUEUE`;
        await db.sql`CREATE TABLE q4m_t2 (s LONGTEXT, v INT NOT NULL) ENGINE=QUEUE`;
        const forwarder = forward(db, 0);
        const consumer = db.session();

        assert.equal(await wait(consumer, ["q4m_t2"], 0.05), 0, "dst times out while empty");
        await db.sql`INSERT INTO q4m_t (v, s) VALUES (${10}, ${"foobar"})`;
        assert.equal(await within(wait(consumer, ["q4m_t2"], 30), guardMs, "first row"), 1);
        assert.deepEqual(plain(await consumer.sql`SELECT * FROM q4m_t2`), [{ s: "foobar", v: 10 }]);
        assert.deepEqual(plain(await db.sql`SELECT * FROM q4m_t`), [], "src is empty");

        const rowCount = 20;
        const bodies: string[] = [];
        for (let i = 0; i < rowCount; i++) bodies.push(randomText(random, 128 * 1024));
        const producing = (async () => {
          for (let i = 0; i < rowCount; i++) {
            await db.sql`INSERT INTO q4m_t (v, s) VALUES (${i}, ${bodies[i]})`;
            if (i % 5 === 4) await db.sql`SELECT queue_compact('q4m_t') AS r`;
          }
        })();
        for (let i = 0; i < rowCount; i++) {
          assert.equal(await within(wait(consumer, ["q4m_t2"], 30), guardMs, `row ${i}`), 1);
          const rows = await consumer.sql`SELECT s, v FROM q4m_t2`;
          assert.equal(rows.length, 1);
          assert.equal(rows[0]?.v, i);
          assert.equal(rows[0]?.s, bodies[i]);
          if (i % 5 === 4) {
            const [compacted] = await db.sql`SELECT queue_compact('q4m_t2') AS r`;
            assert.ok(compacted !== undefined);
            assert.equal(compacted.r, 1);
          }
        }
        await consumer.sql`SELECT queue_end()`;
        await producing;
        await forwarder.stop();
        assert.equal(forwarder.relayed(), rowCount + 1);
        const src = db.stats("q4m_t");
        assert.equal(src.rowsWritten, rowCount + 1);
        assert.equal(src.rowsRemoved, rowCount + 1, "every source row was consumed");
        const dst = db.stats("q4m_t2");
        assert.equal(dst.rowsWritten, rowCount + 1);
        assert.equal(dst.rowsRemoved, rowCount + 1);
        await db.close();
      });
    },
  );
});
