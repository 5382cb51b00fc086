/**
 * Crashes: a child process SIGKILLed while it inserts, consumes and relays
 * with default durability (`_crash_child.ts`, driven by `_crash_harness.ts`),
 * then reopened here, once, twice, and in a loop with 64 KiB segments and
 * compaction deleting segments (issue 9's kill loop; the long version is
 * scripts/kill_soak.ts); and
 * simulated power cuts through the fault-injecting file system (a torn
 * tail, a bad checksum before the tail, relay marks across a crash).
 * DESIGN.md decisions 7 and 8 and the contract's "resolved means on disk".
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { open } from "../../mod.ts";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { checkAfterCrash, childTimeoutMs, killLoop, runAndKill } from "./_crash_harness.ts";
import { freshDirectory, openEngine, plain, rejectsCode, wait, withSeed } from "./_helpers.ts";

const childTestOptions = { timeout: childTimeoutMs * 2 };
/** Kills in the bounded kill loop (the soak runs thousands). */
const killLoopRounds = 12;

describe("crash: a SIGKILLed process", () => {
  test(
    "after a kill while owning a row, the owned row is back and every acknowledged effect is on disk",
    childTestOptions,
    async () => {
      const directory = freshDirectory();
      const log = await runAndKill(
        [directory, "hold", "1", "30"],
        (line) => line.startsWith("HOLD"),
      );
      assert.ok(log.held !== null && log.held > 0, "the child held a row");
      const present = await checkAfterCrash(directory, log, -2);
      const heldValue = [...log.inserted].find(([, id]) => id === log.held)![0];
      assert.ok(present.has(heldValue), "the owned row is back in the queue");
    },
  );

  test(
    "after a kill at a random moment, nothing acknowledged is lost and nothing consumed returns; twice in a row",
    childTestOptions,
    async () => {
      await withSeed(async (random) => {
        const directory = freshDirectory();
        let firstValue = 1;
        for (let round = 0; round < 2; round++) {
          const killAfterLines = 10 + Math.floor(random() * 200);
          const log = await runAndKill(
            [directory, "run", String(firstValue)],
            (line, count) => count >= killAfterLines && line !== "READY",
          );
          const lastValue = Math.max(firstValue - 1, ...log.inserted.keys());
          await checkAfterCrash(directory, log, lastValue + 1);
          // Consume what is left so the next round's checks start from an empty queue.
          const db = await open(directory, { sync: "none" });
          await db.sql`DELETE FROM q`;
          await db.close();
          firstValue = lastValue + 2;
        }
      });
    },
  );

  test(
    "a kill loop with 64 KiB segments (rollovers and segment deletions): the database always opens and nothing acknowledged is lost",
    childTestOptions,
    async () => {
      await withSeed(async (random) => {
        await killLoop(freshDirectory(), killLoopRounds, random, 64 * 1024);
      });
    },
  );
});

describe("crash: simulated power cuts (fault-injecting file system)", () => {
  const root = "/db";

  test("relay marks survive a crash", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine(root, { fs });
    await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`SELECT queue_set_srcid(5, 'a', 100)`;
    assert.equal((await db.sql`INSERT INTO dst (v) VALUES (1)`).affectedRows, 1);
    const survivor = fs.crash();
    const reopened = await openEngine(root, { fs: survivor });
    await reopened.sql`SELECT queue_set_srcid(5, 'a', 100)`;
    assert.equal((await reopened.sql`INSERT INTO dst (v) VALUES (1)`).affectedRows, 0);
    await reopened.sql`SELECT queue_set_srcid(5, 'a', 101)`;
    assert.equal((await reopened.sql`INSERT INTO dst (v) VALUES (2)`).affectedRows, 1);
    assert.deepEqual(plain(await reopened.sql`SELECT v FROM dst`), [{ v: 1 }, { v: 2 }]);
    await reopened.close();
  });

  test("acknowledged rows survive a crash; owned rows are back in the queue", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine(root, { fs });
    await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q (v) VALUES (1), (2), (3)`;
    const s = db.session();
    assert.equal(await wait(s, ["q"], 0), 1);
    await s.sql`SELECT queue_end()`;
    assert.equal(await wait(s, ["q"], 0), 1);
    const reopened = await openEngine(root, { fs: fs.crash() });
    assert.deepEqual(plain(await reopened.sql`SELECT v FROM q`), [{ v: 2 }, { v: 3 }]);
    const stats = reopened.stats("q");
    assert.equal(stats.rowsWritten, 3);
    assert.equal(stats.rowsRemoved, 1);
    await reopened.close();
  });

  test("a torn tail is truncated and reported; acknowledged rows survive", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine(root, { fs });
    await db.sql`CREATE TABLE q (v INT NOT NULL, body BLOB) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q (v, body) VALUES (1, ${new Uint8Array(100).fill(1)})`;
    fs.crashAtSync(1);
    const torn = db.sql`INSERT INTO q (v, body) VALUES (2, ${new Uint8Array(60_000).fill(2)})`;
    torn.catch(() => {});
    await torn.then(() => {}, () => {});
    const survivor = fs.crash({ torn: "prefix", random: () => 0.5 });
    const reopened = await openEngine(root, { fs: survivor });
    assert.notEqual(reopened.recovery.tornTail, null, "the torn tail was reported");
    assert.ok(reopened.recovery.tornTail!.bytesDropped > 0);
    assert.deepEqual(plain(await reopened.sql`SELECT v FROM q`), [{ v: 1 }]);
    const next = await reopened.sql`INSERT INTO q (v, body) VALUES (3, NULL)`;
    assert.equal(next.affectedRows, 1);
    assert.deepEqual(plain(await reopened.sql`SELECT v FROM q`), [{ v: 1 }, { v: 3 }]);
    await reopened.close();
  });

  test("a bad checksum before the tail is ER_CORRUPT", async () => {
    const fs = new FaultFileSystem();
    const db = await openEngine(root, { fs });
    await db.sql`CREATE TABLE q (body BLOB) ENGINE=QUEUE`;
    const marker = new Uint8Array(1000).fill(0xab);
    await db.sql`INSERT INTO q (body) VALUES (${marker})`;
    for (let i = 0; i < 5; i++) await db.sql`INSERT INTO q (body) VALUES (${new Uint8Array([i])})`;
    const survivor = fs.crash();
    let flipped = false;
    for (const filePath of await filesUnder(survivor, root)) {
      let content: Uint8Array;
      try {
        content = survivor.durableContent(filePath);
      } catch {
        continue;
      }
      const at = findRun(content, 0xab, marker.length);
      if (at >= 0) {
        survivor.flipBit(filePath, at + 500, 3);
        flipped = true;
      }
    }
    assert.ok(flipped, "found the marker row in a log file");
    await rejectsCode(openEngine(root, { fs: survivor }), "ER_CORRUPT");
  });
});

/** Paths of the durable files under `directory`, recursively. */
async function filesUnder(fs: FaultFileSystem, directory: string): Promise<string[]> {
  const files: string[] = [];
  for (const name of await fs.list(directory)) {
    const entry = `${directory}/${name}`;
    let children: string[] | null = null;
    try {
      children = await filesUnder(fs, entry);
    } catch {
      children = null;
    }
    if (children === null) files.push(entry);
    else files.push(...children);
  }
  return files;
}

/** Offset of the first run of `length` bytes equal to `byte`, or -1. */
function findRun(content: Uint8Array, byte: number, length: number): number {
  let run = 0;
  for (let i = 0; i < content.length; i++) {
    run = content[i] === byte ? run + 1 : 0;
    if (run === length) return i - length + 1;
  }
  return -1;
}
