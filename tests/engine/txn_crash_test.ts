/**
 * Transactions and the job loop under SIGKILL (a real process, fdatasync):
 * a kill between the statements of a transaction leaves none of it, a kill
 * at any moment around COMMIT all of it or none; a job retried with a delay
 * stays invisible after the kill, and a job in progress is delivered again
 * with its delivery count one higher.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { open } from "../../mod.ts";
import { childTimeoutMs, runChildAndKill } from "./_crash_harness.ts";
import { freshDirectory, withSeed } from "./_helpers.ts";

const rowCount = 200;

async function rowsOf(directory: string): Promise<{ src: number[]; dst: number[] }> {
  const db = await open(directory);
  const src = (await db.sql`SELECT v FROM src`).map((row) => row.v as number);
  const dst = (await db.sql`SELECT v FROM dst`).map((row) => row.v as number);
  await db.close();
  return { src, dst };
}

/** Every value is in exactly one of the two tables, each once; every acknowledged move is done. */
function checkMoves(src: number[], dst: number[], done: readonly number[]): void {
  const all = [...src, ...dst].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: rowCount }, (_, i) => i + 1), "each row once");
  const moved = new Set(dst);
  for (const v of done) assert.ok(moved.has(v), `acknowledged move of ${v} is lost`);
}

describe("transactions under SIGKILL", { timeout: childTimeoutMs * 4 }, () => {
  test("a kill between the statements of a transaction leaves none of it", async () => {
    const directory = freshDirectory();
    const lines = await runChildAndKill(
      "_txn_child",
      [directory, "pause", String(rowCount)],
      (line) => line.startsWith("MID"),
    );
    assert.deepEqual(lines, ["READY", "MID 1"]);
    const { src, dst } = await rowsOf(directory);
    assert.deepEqual(dst, []);
    checkMoves(src, dst, []);
  });

  test("a kill at a random moment around COMMIT leaves each move whole or absent", async () => {
    await withSeed(async (random) => {
      for (let round = 0; round < 3; round++) {
        const directory = freshDirectory();
        const killAfter = 2 + Math.floor(random() * rowCount);
        const lines = await runChildAndKill(
          "_txn_child",
          [directory, "pipeline", String(rowCount)],
          (_line, count) => count >= killAfter,
        );
        const done = lines.filter((l) => l.startsWith("DONE")).map((l) => Number(l.slice(5)));
        const { src, dst } = await rowsOf(directory);
        checkMoves(src, dst, done);
        // Moves happen in order: what moved is a prefix, at most one past the last acknowledged.
        assert.ok(
          dst.length <= done.length + 1,
          `${dst.length} moved, ${done.length} acknowledged`,
        );
      }
    });
  });
});

describe("the job loop under SIGKILL", { timeout: childTimeoutMs * 2 }, () => {
  test("a delayed retry stays invisible and a job in progress comes back with attempts + 1", async () => {
    const directory = freshDirectory();
    const lines = await runChildAndKill(
      "_txn_child",
      [directory, "jobs", "0"],
      (line) => line.startsWith("WORKING"),
    );
    assert.deepEqual(lines, ["READY", "RETRIED 1", "WORKING 2 1"]);
    const db = await open(directory);
    assert.equal(db.stats("t").rowsDelayed, 1);
    const s = db.session();
    for await (const job of s.jobs<{ v: number }>("t", { timeout: 0.2 })) {
      assert.equal(job.row.v, 2, "the retried row is not visible before its delay");
      assert.equal(job.attempts, 2, "the killed delivery counts");
      await job.ack();
      s.stop();
    }
    const [w] = await s.sql`SELECT queue_wait('t', 0) AS got`;
    assert.equal(w?.got, 0, "row 1 is still delayed");
    await db.close();
  });
});
