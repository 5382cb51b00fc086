/**
 * Tests of the durable log behind openStore, over the fault-injecting file
 * system: clean recovery, torn tails, corruption, failures, compaction.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { openStore } from "../../src/storage/store.ts";
import { writeSyncBytesMax } from "../../src/storage/group_commit.ts";
import type { Store, TableRows } from "../../src/storage/types.ts";
import { QueueError } from "../../src/errors.ts";

const dir = "/db";
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

function liveIds(rows: TableRows): number[] {
  const ids: number[] = [];
  for (let id = rows.nextLive(0); id !== 0; id = rows.nextLive(id)) ids.push(id);
  return ids;
}

function rowsOf(store: Store, name: string): TableRows {
  const entry = store.tables().get(name);
  assert.ok(entry, `table ${name} exists`);
  return entry;
}

describe("store", () => {
  test("appended rows survive a clean reopen with ids, payloads and counters", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs });
    const jobs = await store.createTable("jobs", { columns: 1 });
    const first = jobs.append([bytes("a"), bytes("b"), bytes("c")], { source: 3, rowId: 77 });
    assert.equal(first.firstRowId, 1);
    await first.durable;
    await jobs.remove([2]);
    await store.close();

    const again = await openStore(dir, { fs });
    const rows = rowsOf(again, "jobs");
    assert.deepEqual(liveIds(rows), [1, 3]);
    assert.equal(text(rows.readRow(3)), "c");
    assert.equal(rows.sourceMarks()[3], 77);
    const counters = rows.counters();
    assert.equal(counters.rowsWritten, 3);
    assert.equal(counters.rowsRemoved, 1);
    assert.equal(counters.bytesTotal, 3 * 22);
    assert.equal(counters.bytesRemoved, 22);
    assert.deepEqual(again.tables().get("jobs")?.meta, { columns: 1 });
    assert.equal(again.recovery.tornTail, null);
    const next = rows.append([bytes("d")]);
    assert.equal(next.firstRowId, 4);
    await next.durable;
    await again.close();
  });

  test("a second open of the same directory is ER_DB_LOCKED", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs });
    await assert.rejects(
      openStore(dir, { fs }),
      (e) => e instanceof QueueError && e.code === "ER_DB_LOCKED",
    );
    await store.close();
    const reopened = await openStore(dir, { fs });
    await reopened.close();
  });

  test("methods after close reject with ER_CLOSED", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs });
    const rows = await store.createTable("t", null);
    await store.close();
    await store.close();
    await assert.rejects(
      store.createTable("u", null),
      (e) => e instanceof QueueError && e.code === "ER_CLOSED",
    );
    assert.throws(
      () => rows.append([bytes("x")]),
      (e) => e instanceof QueueError && e.code === "ER_CLOSED",
    );
    await assert.rejects(
      rows.remove([1]),
      (e) => e instanceof QueueError && e.code === "ER_CLOSED",
    );
  });

  test("truncate removes every row and ids keep rising across restart", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs });
    const rows = await store.createTable("t", null);
    await rows.append([bytes("1"), bytes("2")]).durable;
    await rows.truncate();
    assert.equal(rows.liveCount, 0);
    await store.close();
    const again = await openStore(dir, { fs });
    const reopened = rowsOf(again, "t");
    assert.equal(reopened.liveCount, 0);
    assert.equal(reopened.append([bytes("3")]).firstRowId, 3);
    assert.equal(reopened.counters().rowsRemoved, 2);
    await again.close();
  });

  test("a dropped table's rows are gone and its name can be reused with new ids", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs });
    const rows = await store.createTable("t", 1);
    await rows.append([bytes("old")]).durable;
    await store.dropTable("t");
    const fresh = await store.createTable("t", 2);
    assert.notEqual(fresh.tableId, 1);
    await store.close();
    const again = await openStore(dir, { fs });
    const entry = again.tables().get("t");
    assert.equal(entry?.meta, 2);
    assert.equal(entry?.liveCount, 0);
    await again.close();
  });

  test("a torn last batch is cut off at every byte and nothing acknowledged is lost", async () => {
    // Build a log, then tear its last (unsynced) batch at each byte of it.
    const base = new FaultFileSystem();
    const store = await openStore(dir, { fs: base });
    const rows = await store.createTable("t", null);
    await rows.append([bytes("acknowledged")]).durable;
    const segmentPath = `${dir}/log/0000000000000001.q4l`;
    base.crashAtSync(1);
    await assert.rejects(rows.append([bytes("torn-away-1"), bytes("torn-away-2")]).durable);
    // Cut the unsynced batch at 101 points: finer than one byte of its ~90 bytes.
    let lastPhase = 0;
    const seen = new Set<number>();
    for (let step = 0; step <= 100; step++) {
      const survivor = base.crash({ torn: "prefix", random: () => step / 101 });
      const reopened = await openStore(dir, { fs: survivor });
      const t = rowsOf(reopened, "t");
      const ids = liveIds(t);
      assert.equal(ids[0], 1, `cut ${step}`);
      assert.equal(text(t.readRow(1)), "acknowledged");
      assert.ok(ids.length === 1 || ids.length === 3, `batch is atomic at cut ${step}`);
      const torn = reopened.recovery.tornTail;
      // Phases as the cut moves right: nothing persisted, a torn batch cut off, the whole batch.
      const phase = ids.length === 3 ? 2 : torn === null ? 0 : 1;
      assert.ok(phase >= lastPhase, `cut ${step}: phase ${phase} after ${lastPhase}`);
      lastPhase = phase;
      seen.add(phase);
      if (torn !== null) {
        assert.equal(torn.path, segmentPath);
        assert.ok(torn.bytesDropped > 0);
      }
      await reopened.close();
      const third = await openStore(dir, { fs: survivor });
      assert.deepEqual(liveIds(rowsOf(third, "t")), ids);
      assert.equal(third.recovery.tornTail, null, "the cut is not reported twice");
      await third.close();
    }
    assert.deepEqual([...seen].sort(), [0, 1, 2]);
  });

  test("a flipped bit in an early batch is ER_CORRUPT naming file and offset", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs });
    const rows = await store.createTable("t", null);
    await rows.append([bytes("first")]).durable;
    await rows.append([bytes("second")]).durable;
    await store.close();
    const path = `${dir}/log/0000000000000001.q4l`;
    // First batch starts at 64 (checkpoint, then the row); flip a byte of its row payload.
    const content = fs.durableContent(path);
    const at = content.indexOf("f".charCodeAt(0), 64);
    fs.flipBit(path, at, 1);
    await assert.rejects(openStore(dir, { fs }), (e) => {
      assert.ok(e instanceof QueueError);
      assert.equal(e.code, "ER_CORRUPT");
      assert.equal(e.path, path);
      assert.ok(typeof e.position === "number" && e.position >= 64 && e.position <= at);
      return true;
    });
  });

  test("a new database directory survives a power cut right after its first durable append", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore("/fresh/nested/db", { fs });
    const rows = await store.createTable("t", null);
    await rows.append([bytes("first")]).durable;
    const survivor = fs.crash();
    const again = await openStore("/fresh/nested/db", { fs: survivor });
    assert.deepEqual(liveIds(rowsOf(again, "t")), [1]);
    assert.equal(text(rowsOf(again, "t").readRow(1)), "first");
    await again.close();
  });

  test("ENOSPC rejects the failing append with ER_DISK_FULL; earlier data stays and the log reopens", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs });
    const rows = await store.createTable("t", null);
    await rows.append([bytes("kept")]).durable;
    fs.failNextWrite("ENOSPC");
    const failing = rows.append([bytes("lost")]);
    await assert.rejects(
      failing.durable,
      (e) => e instanceof QueueError && e.code === "ER_DISK_FULL",
    );
    assert.equal(rows.isLive(failing.firstRowId), false);
    assert.equal(text(rows.readRow(1)), "kept");
    const later = rows.append([bytes("later")]);
    await later.durable;
    assert.equal(later.firstRowId, 2, "a failed append's ids are given back");
    await store.close();
    const again = await openStore(dir, { fs });
    const t = rowsOf(again, "t");
    assert.deepEqual(liveIds(t), [1, 2]);
    assert.equal(text(t.readRow(2)), "later");
    await again.close();
  });

  test("operations queued behind a failing batch are undone and rejected with it", async () => {
    const fs = new FaultFileSystem();
    // Async commit rounds, and writes held at a gate: later operations queue
    // behind the batch whose write is in flight, built on its effects.
    const store = await openStore(dir, { fs, commitIo: "async" });
    const rows = await store.createTable("t", null);
    await rows.append([bytes("kept-1"), bytes("kept-2")]).durable;
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const open = fs.open.bind(fs);
    fs.open = async (path, options) => {
      const handle = await open(path, options);
      const write = handle.write.bind(handle);
      handle.write = async (data, position) => {
        await gate;
        return write(data, position);
      };
      return handle;
    };
    await store.close();
    const gated = await openStore(dir, { fs, commitIo: "async" });
    const t = rowsOf(gated, "t");
    fs.failNextWrite("ENOSPC");
    // Larger than writeSyncBytesMax: an async round writes a smaller batch
    // with a blocking call, which would fail before anything queued behind.
    const failing = t.append([bytes("lost".padEnd(writeSyncBytesMax + 1, "."))]);
    const failingRemoval = t.remove([1]);
    const settled: Promise<PromiseSettledResult<void>[]>[] = [
      Promise.allSettled([failing.durable, failingRemoval]),
    ];
    await new Promise((resolve) => setImmediate(resolve)); // the round is now waiting at the gate
    const behind = t.append([bytes("behind")]);
    const behindRemoval = t.remove([2]);
    settled.push(Promise.allSettled([behind.durable, behindRemoval]));
    assert.equal(t.liveCount, 0, "removals take effect in memory at once");
    openGate();
    for (const outcome of (await Promise.all(settled)).flat()) {
      assert.equal(outcome.status, "rejected");
      const reason = (outcome as PromiseRejectedResult).reason;
      assert.ok(reason instanceof QueueError && reason.code === "ER_DISK_FULL", String(reason));
    }
    assert.deepEqual(liveIds(t), [1, 2], "both removals undone, neither append live");
    const after = t.append([bytes("after")]);
    await after.durable;
    assert.equal(after.firstRowId, 3, "the failed appends' ids are given back");
    await gated.close();
    const again = await openStore(dir, { fs });
    const reopened = rowsOf(again, "t");
    assert.deepEqual(liveIds(reopened), [1, 2, 3]);
    assert.deepEqual(
      [1, 2, 3].map((id) => text(reopened.readRow(id))),
      ["kept-1", "kept-2", "after"],
    );
    await again.close();
  });

  test("a failed sync (EIO) rejects with ER_ERROR_ON_WRITE and a failed removal makes rows live again", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs });
    const rows = await store.createTable("t", null);
    await rows.append([bytes("a"), bytes("b")]).durable;
    const relived: number[] = [];
    store.onRowsLive = (_table, first, count) => relived.push(first, count);
    fs.failNextSync("EIO");
    const removal = rows.remove([1, 2]);
    assert.equal(rows.liveCount, 0);
    await assert.rejects(removal, (e) => e instanceof QueueError && e.code === "ER_ERROR_ON_WRITE");
    assert.equal(rows.liveCount, 2);
    assert.deepEqual(relived, [1, 2]);
    await rows.remove([1]);
    await store.close();
    const again = await openStore(dir, { fs });
    assert.deepEqual(liveIds(rowsOf(again, "t")), [2]);
    await again.close();
  });

  test("compaction keeps live rows, ids, marks and counters, and deletes old segments", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs, segmentBytes: 64 * 1024, autoCompact: false });
    const rows = await store.createTable("t", null);
    const payload = new Uint8Array(1000).fill(7);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      pending.push(rows.append([payload], i === 299 ? { source: 5, rowId: 9 } : undefined).durable);
    }
    await Promise.all(pending);
    const keep = [10, 150, 299];
    await rows.remove(
      Array.from({ length: 300 }, (_, i) => i + 1).filter((id) => !keep.includes(id)),
    );
    const segmentsBefore = (await fs.list(`${dir}/log`)).length;
    const before = rows.counters();
    await store.compact();
    const segmentsAfter = (await fs.list(`${dir}/log`)).length;
    assert.ok(segmentsAfter < segmentsBefore, `${segmentsAfter} < ${segmentsBefore}`);
    assert.deepEqual(liveIds(rows), keep);
    const after = rows.counters();
    assert.equal(after.rowsWritten, before.rowsWritten);
    assert.equal(after.rowsRemoved, before.rowsRemoved);
    assert.equal(after.bytesTotal - after.bytesRemoved, 3 * 1021);
    await store.close();
    const again = await openStore(dir, { fs });
    const t = rowsOf(again, "t");
    assert.deepEqual(liveIds(t), keep);
    assert.deepEqual(t.readRow(150), payload);
    assert.equal(t.sourceMarks()[5], 9);
    assert.deepEqual(t.counters(), after);
    assert.equal(t.append([payload]).firstRowId, 301);
    await again.close();
  });
});
