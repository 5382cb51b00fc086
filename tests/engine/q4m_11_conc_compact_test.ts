/**
 * Q4M's t/11-conc-compact.t and t/11-conc-compact-w-insert.t ported, scaled
 * down: consumers keep taking rows while the log is compacted (automatically
 * past the thresholds, and on demand) and a producer keeps inserting; no row
 * is lost, duplicated or altered, and the counters add up.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Database, QueueError } from "../../mod.ts";
import { compactionBytesMin } from "../../src/limits.ts";
import { column, openTemp, prng, randomText, wait, within, withSeed } from "./_helpers.ts";

const consumerCount = 20;
const guardMs = 90_000;

/**
 * Starts consumers that record each value they take until their session
 * closes. `failed` rejects with the first error of any consumer.
 */
function startConsumers(
  db: Database,
  table: string,
  onValue: (value: number, body: string) => void,
) {
  const sessions = Array.from({ length: consumerCount }, () => db.session());
  let firstError: unknown = undefined;
  let fail!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const running = sessions.map(async (s) => {
    try {
      while (true) {
        const got = await wait(s, [table], 60);
        if (got === 0) continue;
        assert.equal(got, 1);
        const rows = await s.sql`SELECT v, body FROM q4m_t`;
        assert.equal(rows.length, 1);
        onValue(rows[0]?.v, rows[0]?.body);
      }
    } catch (error) {
      if (error instanceof QueueError && error.code === "ER_CLOSED") return;
      firstError ??= error;
      fail(error);
    }
  });
  return {
    failed,
    async stop() {
      for (const s of sessions) await s.close();
      await Promise.all(running);
      if (firstError !== undefined) throw firstError;
    },
  };
}

/** The body of row `v`: derived from v so a consumer can check it. */
function bodyOf(v: number, bytesMax: number): string {
  const random = prng(v + 1);
  return randomText(random, Math.floor(random() * bytesMax));
}

describe("q4m 11-conc-compact", () => {
  test("consumers and an inserting parent race with automatic compaction; left + consumed = total", async () => {
    const bodyBytes = 1024;
    const initialCount = Math.ceil((compactionBytesMin * 1.1) / bodyBytes);
    const extraCount = 2000;
    const { db } = await openTemp({ sync: "none", segmentBytes: 4 * 1024 * 1024 });
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL, body TEXT NOT NULL) ENGINE=QUEUE`;
    const body = "b".repeat(bodyBytes);
    for (let start = 0; start < initialCount; start += 100) {
      const params: unknown[] = [];
      for (let v = start; v < Math.min(start + 100, initialCount); v++) params.push(v, body);
      const placeholders = Array.from({ length: params.length / 2 }, () => "(?, ?)").join(", ");
      await db.sql.unsafe(`INSERT INTO q4m_t (v, body) VALUES ${placeholders}`, params);
    }
    // 74 % deleted: just below the compaction threshold.
    const deleteCount = Math.floor(initialCount * 0.74);
    const deleted = await db.sql`DELETE FROM q4m_t LIMIT ${deleteCount}`;
    assert.equal(deleted.affectedRows, deleteCount);
    const bytesBefore = db.stats("q4m_t").bytesTotal;

    const total = initialCount + extraCount;
    const consumed = new Set<number>();
    let allConsumed!: () => void;
    const done = new Promise<void>((resolve) => (allConsumed = resolve));
    const consumers = startConsumers(db, "q4m_t", (v, got) => {
      assert.ok(!consumed.has(v), `value ${v} delivered twice`);
      assert.equal(got, body);
      consumed.add(v);
      if (consumed.size === total - deleteCount) allConsumed();
    });
    for (let v = initialCount; v < total; v++) {
      await db.sql`INSERT INTO q4m_t (v, body) VALUES (${v}, ${body})`;
    }
    await within(Promise.race([done, consumers.failed]), guardMs, "consuming every row");
    await consumers.stop();
    const left = column(await db.sql`SELECT v FROM q4m_t`, "v");
    assert.equal(left.length, 0);
    assert.equal(consumed.size + deleteCount, total);
    for (let v = deleteCount; v < total; v++) assert.ok(consumed.has(v), `value ${v} lost`);
    const stats = db.stats("q4m_t");
    assert.equal(stats.rowsWritten, total);
    assert.equal(stats.rowsRemoved, total);
    assert.ok(
      stats.bytesTotal < bytesBefore,
      `compaction reclaimed space: ${stats.bytesTotal} < ${bytesBefore}`,
    );
    await db.close();
  });
});

describe("q4m 11-conc-compact-w-insert", () => {
  test("rows inserted 16 per INSERT while consumers take them and the log is compacted arrive intact, once", async () => {
    await withSeed(async (random) => {
      const rowCount = 8192;
      const bodyBytesMax = 2048;
      const { db } = await openTemp({ sync: "none", segmentBytes: 256 * 1024 });
      await db.sql`CREATE TABLE q4m_t (v INT NOT NULL, body TEXT NOT NULL) ENGINE=QUEUE`;
      const consumed = new Set<number>();
      let allConsumed!: () => void;
      const done = new Promise<void>((resolve) => (allConsumed = resolve));
      const consumers = startConsumers(db, "q4m_t", (v, got) => {
        assert.ok(!consumed.has(v), `value ${v} delivered twice`);
        assert.equal(got, bodyOf(v, bodyBytesMax), `body of ${v}`);
        consumed.add(v);
        if (consumed.size === rowCount) allConsumed();
      });
      const compactor = db.session();
      for (let start = 0; start < rowCount; start += 16) {
        const params: unknown[] = [];
        for (let v = start; v < start + 16; v++) params.push(v, bodyOf(v, bodyBytesMax));
        const placeholders = Array.from({ length: 16 }, () => "(?, ?)").join(", ");
        await db.sql.unsafe(`INSERT INTO q4m_t (v, body) VALUES ${placeholders}`, params);
        if (random() < 0.02) {
          const [compacted] = await compactor.sql`SELECT queue_compact('q4m_t') AS r`;
          assert.ok(compacted !== undefined);
          assert.equal(compacted.r, 1);
        }
      }
      await compactor.sql`SELECT queue_compact('q4m_t') AS r`;
      await within(Promise.race([done, consumers.failed]), guardMs, "consuming every row");
      // Closing only after every row was consumed: a consumer closed between its SELECT and
      // its next queue_wait would rightly see its row delivered again (at-least-once).
      await consumers.stop();
      const left = column(await db.sql`SELECT v, body FROM q4m_t`, "v") as number[];
      assert.deepEqual(left, []);
      assert.equal(consumed.size, rowCount);
      const stats = db.stats("q4m_t");
      assert.equal(stats.rowsWritten, rowCount);
      assert.equal(stats.rowsRemoved, consumed.size);
      await db.close();
    });
  });
});
