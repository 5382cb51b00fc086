/**
 * A failed automatic compaction seen from the engine: counted in
 * db.stats(table).compactionErrors, and the database keeps serving.
 * Compactions racing close() end cleanly.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { IoError } from "../../src/io/types.ts";
import { openEngine, openTemp } from "./_helpers.ts";

class FailingRemoveFs extends FaultFileSystem {
  failRemove = false;
  override async remove(path: string): Promise<void> {
    if (this.failRemove) throw new IoError("EIO", path, "remove failure injected");
    return await super.remove(path);
  }
}

test("db.stats counts failed automatic compactions and writes go on", async () => {
  const fs = new FailingRemoveFs();
  const db = await openEngine("/db", { fs, segmentBytes: 64 * 1024 });
  await db.sql`CREATE TABLE t (v TEXT) ENGINE=QUEUE`;
  assert.equal(db.stats("t").compactionErrors, 0);
  const body = "x".repeat(16 * 1024);
  for (let i = 0; i < 6; i++) await db.sql`INSERT INTO t (v) VALUES (${body})`;
  fs.failRemove = true;
  const originalError = console.error;
  const logged: unknown[] = [];
  console.error = (...args: unknown[]) => void logged.push(args);
  try {
    await db.sql`DELETE FROM t`;
    // The fault fs settles in microtasks: the run started by that round is over by now.
    await new Promise((resolve) => setImmediate(resolve));
    await db.sql`INSERT INTO t (v) VALUES ('after')`;
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    console.error = originalError;
  }
  assert.ok(db.stats("t").compactionErrors >= 1, `${db.stats("t").compactionErrors}`);
  assert.equal(logged.length, 1);
  const [row] = await db.sql`SELECT v FROM t`;
  assert.ok(row !== undefined);
  assert.equal(row.v, "after");
  fs.failRemove = false;
  await db.close();
});

test("queue_compact calls racing close() end done or ER_CLOSED, never reading closed files", async () => {
  const { db } = await openTemp({ sync: "none", segmentBytes: 65536 });
  await db.sql`CREATE TABLE t (v INT NOT NULL, pad BLOB) ENGINE=QUEUE`;
  for (let i = 1; i <= 12; i++) {
    await db.sql`INSERT INTO t VALUES (${i}, ${new Uint8Array(20_000)})`;
  }
  await db.sql`DELETE FROM t WHERE v < 10`;
  const outcome = (call: Promise<unknown>) =>
    call.then(() => "done", (error) => (error as { code?: string }).code);
  // The second is queued behind the first, to run after it.
  const first = outcome(db.sql`SELECT queue_compact('t')`);
  const second = outcome(db.sql`SELECT queue_compact('t')`);
  await db.close();
  const outcomes = [await first, await second];
  assert.deepEqual(outcomes.filter((code) => code !== "done" && code !== "ER_CLOSED"), []);
});
