/**
 * How a session ends: close(), `await using` (Symbol.asyncDispose), and, as
 * a safety net, garbage collection of a session object nobody can reach
 * any more — each gives its owned row back to the queue.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { openTemp, plain } from "./_helpers.ts";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;

/** Runs _gc_child.ts in `mode` with the garbage collector exposed. */
function runGcChild(mode: string) {
  const testPath = fileURLToPath(import.meta.url);
  const childPath = path.join(path.dirname(testPath), `_gc_child${path.extname(testPath)}`);
  const [command, args] = isDeno
    ? [process.execPath, ["run", "-A", "--v8-flags=--expose-gc", childPath, mode]]
    : [process.execPath, ["--expose-gc", childPath, mode]];
  return spawnSync(command, args, { encoding: "utf8", timeout: 60_000 });
}

describe("session lifetime", () => {
  test("Symbol.asyncDispose closes the session and returns its owned row", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q VALUES (${1})`;
    const s = db.session();
    const [w] = await s.sql`SELECT queue_wait('q', 0) AS got`;
    assert.ok(w !== undefined);
    assert.equal(w.got, 1);
    assert.deepEqual(plain(await db.sql`SELECT v FROM q`), []);
    await s[Symbol.asyncDispose]();
    assert.equal(s.closed, true);
    assert.deepEqual(plain(await db.sql`SELECT v FROM q`), [{ v: 1 }]);
    assert.equal(db.stats("q").restoredByClose, 1);
    await db[Symbol.asyncDispose]();
    assert.equal(db.closed, true);
  });

  test("an unreachable session's owned row goes back to the queue once it is collected", () => {
    const child = runGcChild("forget");
    assert.equal(child.stdout.trim(), "RELEASED 1", `child stderr: ${child.stderr}`);
    assert.equal(child.status, 0);
  });

  test("a blocked queue_wait keeps its session open though nothing else refers to it", () => {
    const child = runGcChild("pending-wait");
    assert.equal(child.stdout.trim(), "TAKEN", `child stderr: ${child.stderr}`);
    assert.equal(child.status, 0);
  });

  for (const kept of ["sql", "unsafe"]) {
    test(`a session whose ${kept} is still reachable stays open through collections`, () => {
      const child = runGcChild(`keep-${kept}`);
      assert.equal(child.stdout.trim(), "KEPT", `child stderr: ${child.stderr}`);
      assert.equal(child.status, 0);
    });
  }
});
