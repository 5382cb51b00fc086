/**
 * Crash property test of the log: random appends (with relay marks),
 * removals, truncates and compactions over the fault-injecting file system,
 * crashing at a random sync point with lost, torn or page-reordered unsynced
 * writes. After recovery the state must equal the model as of the last
 * acknowledged commit, or that plus the one group in flight (a batch is
 * atomic): nothing acknowledged lost, nothing removed back, nothing invented.
 * Seed from Q4D_SEED (printed on failure).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem, type TornMode } from "../../src/io/fault_fs.ts";
import { openStore } from "../../src/storage/store.ts";
import type { Store, TableRows } from "../../src/storage/types.ts";
import { prng, testSeed } from "../_random.ts";
import { at } from "../_at.ts";

const caseCount = 1000;
const tableNames = ["a", "b"];

interface TableModel {
  live: Map<number, string>;
  marks: number[];
  nextRowId: number;
}
type Model = Map<string, TableModel>;

function cloneModel(model: Model): Model {
  const out: Model = new Map();
  for (const [name, t] of model) {
    out.set(name, { live: new Map(t.live), marks: [...t.marks], nextRowId: t.nextRowId });
  }
  return out;
}

/** The store's state in the model's shape. */
function observe(store: Store): Model {
  const out: Model = new Map();
  for (const name of tableNames) {
    const rows = store.tables().get(name) as TableRows;
    const live = new Map<number, string>();
    for (let id = rows.nextLive(0); id !== 0; id = rows.nextLive(id)) {
      live.set(id, new TextDecoder().decode(rows.readRow(id)));
    }
    const counters = rows.counters();
    assert.equal(counters.rowsRemoved, counters.rowsWritten - live.size, "rowsRemoved derives");
    out.set(name, { live, marks: [...rows.sourceMarks()], nextRowId: counters.rowsWritten + 1 });
  }
  return out;
}

function sameModel(a: Model, b: Model): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

async function runCase(seed: number): Promise<void> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => at(items, Math.floor(random() * items.length));
  const fs = new FaultFileSystem();
  const store = await openStore("/db", {
    fs,
    segmentBytes: 64 * 1024,
    autoCompact: random() < 0.5,
    commitIo: random() < 0.5 ? "blocking" : "async",
  });
  let model: Model = new Map();
  for (const name of tableNames) {
    await store.createTable(name, { name });
    model.set(name, { live: new Map(), marks: new Array(64).fill(0), nextRowId: 1 });
  }
  fs.crashAtSync(1 + Math.floor(random() * 40));
  const groupCount = 5 + Math.floor(random() * 30);
  let inFlight: Model | null = null;
  for (let g = 0; g < groupCount && inFlight === null; g++) {
    const after = cloneModel(model);
    const promises: Promise<void>[] = [];
    const opCount = 1 + Math.floor(random() * 4);
    if (random() < 0.08) {
      promises.push(store.compact());
    } else {
      for (let o = 0; o < opCount; o++) {
        const name = pick(tableNames);
        const rows = store.tables().get(name) as TableRows;
        const t = after.get(name) as TableModel;
        const roll = random();
        if (roll < 0.55) {
          const count = 1 + Math.floor(random() * 3);
          const payloads: string[] = [];
          for (let i = 0; i < count; i++) {
            payloads.push(`${name}${t.nextRowId + i}:${"x".repeat(Math.floor(random() * 900))}`);
          }
          const mark = random() < 0.2
            ? { source: Math.floor(random() * 64), rowId: 1 + Math.floor(random() * 1e6) }
            : undefined;
          const { firstRowId, durable } = rows.append(
            payloads.map((p) => new TextEncoder().encode(p)),
            mark,
          );
          assert.equal(firstRowId, t.nextRowId);
          payloads.forEach((p, i) => t.live.set(firstRowId + i, p));
          t.nextRowId += count;
          if (mark) t.marks[mark.source] = mark.rowId;
          promises.push(durable);
        } else if (roll < 0.92) {
          const candidates = [...(model.get(name) as TableModel).live.keys()];
          const victims = candidates.filter(() => random() < 0.4);
          for (const id of victims) t.live.delete(id);
          promises.push(rows.remove(victims));
        } else {
          t.live.clear();
          promises.push(rows.truncate());
        }
      }
    }
    const results = await Promise.allSettled(promises);
    if (results.every((r) => r.status === "fulfilled")) model = after;
    else inFlight = after;
  }
  let survivor: FaultFileSystem;
  if (inFlight === null) {
    await store.close();
    survivor = fs.crash();
  } else {
    assert.ok(fs.crashed, "only an injected crash fails a commit here");
    const torn: TornMode = pick(["none", "prefix", "pages"] as const);
    survivor = fs.crash({ torn, random });
  }
  const reopened = await openStore("/db", { fs: survivor, segmentBytes: 64 * 1024 });
  const seen = observe(reopened);
  const matches = sameModel(seen, model) || (inFlight !== null && sameModel(seen, inFlight));
  if (!matches) assert.deepEqual(seen, model, "recovered state is the acknowledged one");
  // The recovered log takes more writes and survives another reopen.
  const rows = reopened.tables().get("a") as TableRows;
  await rows.append([new TextEncoder().encode("after")]).durable;
  await reopened.close();
  const third = await openStore("/db", { fs: survivor });
  const again = observe(third);
  assert.equal(again.get("a")?.live.size, (seen.get("a")?.live.size ?? 0) + 1);
  await third.close();
}

test("after a crash at any sync point the log holds exactly the acknowledged state", async () => {
  const baseSeed = testSeed();
  for (let i = 0; i < caseCount; i++) {
    const seed = (baseSeed + i) >>> 0;
    try {
      await runCase(seed);
    } catch (error) {
      console.error(`crash property failed: replay with Q4D_SEED=${seed}`);
      throw error;
    }
  }
});
