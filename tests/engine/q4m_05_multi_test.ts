/**
 * Q4M's benchmark-style tests t/05-multireader.t, t/05-multirw.t and
 * t/05-multiwait.t ported as correctness tests (no timing): 32 sessions in
 * one process; every value is received exactly once and the table ends as
 * Q4M's test expects. Scaled down from 6400 messages.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { QueueError, type Session } from "../../mod.ts";
import { column, openTemp, wait, within } from "./_helpers.ts";

const concurrency = 32;
const guardMs = 60_000;

describe("q4m 05-multireader", () => {
  test("32 readers started through a gate table receive each pre-inserted value exactly once", async () => {
    const messageCount = 1600;
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE q4m_t2 (v INT NOT NULL) ENGINE=QUEUE`;
    for (let start = 1; start <= messageCount; start += 100) {
      const values = Array.from({ length: 100 }, (_, i) => start + i);
      const placeholders = values.map(() => "(?)").join(", ");
      await db.sql.unsafe(`INSERT INTO q4m_t (v) VALUES ${placeholders}`, values);
    }
    const received: number[] = [];
    const readers: Session[] = [];
    let allReceived!: () => void;
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    const read = async (reader: Session) => {
      try {
        assert.equal(await wait(reader, ["q4m_t2"], 30), 1);
        while (true) {
          const got = await wait(reader, ["q4m_t"], 30);
          assert.equal(got, 1);
          const [row] = await reader.sql`SELECT v FROM q4m_t`;
          assert.ok(row !== undefined);
          received.push(row.v);
          if (received.length === messageCount) allReceived();
        }
      } catch (error) {
        if (!(error instanceof QueueError && error.code === "ER_CLOSED")) throw error;
      }
    };
    const running: Promise<void>[] = [];
    for (let r = 0; r < concurrency; r++) {
      const reader = db.session();
      readers.push(reader);
      running.push(read(reader));
    }
    const gate = Array.from({ length: concurrency }, (_, i) => i);
    await db.sql.unsafe(`INSERT INTO q4m_t2 (v) VALUES ${gate.map(() => "(?)").join(", ")}`, gate);
    await within(done, guardMs, "reading every message");
    // Every reader is now blocked in (or entering) a queue_wait that already consumed its last row.
    for (const reader of readers) await reader.close();
    await within(Promise.all(running), guardMs, "readers stopping");
    assert.deepEqual(
      [...received].sort((a, b) => a - b),
      Array.from({ length: messageCount }, (_, i) => i + 1),
    );
    const [count] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, 0);
    await db.close();
  });
});

describe("q4m 05-multirw", () => {
  test("workers that each insert one row then take any row receive every value once; the table ends empty", async () => {
    const roundsPerWorker = 40;
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    const received: number[] = [];
    const work = async (worker: number) => {
      const s = db.session();
      for (let round = 0; round < roundsPerWorker; round++) {
        await s.sql`INSERT INTO q4m_t (v) VALUES (${worker * roundsPerWorker + round})`;
        assert.equal(await wait(s, ["q4m_t"], 30), 1);
        const rows = await s.sql`SELECT v FROM q4m_t`;
        assert.equal(rows.length, 1);
        received.push(rows[0]?.v);
      }
      await s.sql`SELECT queue_end()`;
      await s.close();
    };
    await within(
      Promise.all(Array.from({ length: concurrency }, (_, w) => work(w))),
      guardMs,
      "multirw workers",
    );
    const total = concurrency * roundsPerWorker;
    assert.deepEqual(
      [...received].sort((a, b) => a - b),
      Array.from({ length: total }, (_, i) => i),
    );
    const [count] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, 0);
    await db.close();
  });
});

describe("q4m 05-multiwait", () => {
  test("workers that wait first and insert after leave exactly the seeded number of rows; received ∪ left is every value", async () => {
    const roundsPerWorker = 40;
    const seedCount = concurrency / 4;
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4m_t (v INT NOT NULL) ENGINE=QUEUE`;
    const received: number[] = [];
    let valueNext = 0;
    const work = async () => {
      const s = db.session();
      for (let round = 0; round < roundsPerWorker; round++) {
        assert.equal(await wait(s, ["q4m_t"], 30), 1);
        const rows = await s.sql`SELECT v FROM q4m_t`;
        assert.equal(rows.length, 1);
        received.push(rows[0]?.v);
        await s.sql`SELECT queue_end()`;
        await s.sql`INSERT INTO q4m_t (v) VALUES (${valueNext++})`;
      }
      await s.close();
    };
    const workers = Array.from({ length: concurrency }, () => work());
    for (let i = 0; i < seedCount; i++) await db.sql`INSERT INTO q4m_t (v) VALUES (${valueNext++})`;
    await within(Promise.all(workers), guardMs, "multiwait workers");
    const left = column(await db.sql`SELECT v FROM q4m_t`, "v") as number[];
    assert.equal(left.length, seedCount);
    const [count] = await db.sql`SELECT COUNT(*) AS n FROM q4m_t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, seedCount);
    assert.equal(received.length, concurrency * roundsPerWorker);
    assert.deepEqual(
      [...received, ...left].sort((a, b) => a - b),
      Array.from({ length: valueNext }, (_, i) => i),
    );
    await db.close();
  });
});
