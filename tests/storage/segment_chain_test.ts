/**
 * The chain of segments (FORMAT.md, format 2): segment creation under a
 * temporary name, the log head, the chain check at open, and checkpoint
 * retention by compaction. Damage that loses rows is ER_CORRUPT at open;
 * crashes, kills and disk-full around creating or deleting segments never
 * make the database unopenable nor lose an acknowledged row.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { crc32c } from "../../src/storage/crc32c.ts";
import { openStore } from "../../src/storage/store.ts";
import type { Store, TableRows } from "../../src/storage/types.ts";
import { QueueError } from "../../src/errors.ts";
import { at } from "../_at.ts";

const dir = "/db";
const logDir = `${dir}/log`;
const segmentBytes = 64 * 1024;
const payload = new Uint8Array(1000).fill(7);
/** First byte of a batch header (the magic "Q4DB" little-endian). */
const batchMagicByte0 = 0x51;

function rowsOf(store: Store, name = "t"): TableRows {
  const entry = store.tables().get(name);
  assert.ok(entry, `table ${name} exists`);
  return entry;
}

function liveIds(rows: TableRows): number[] {
  const ids: number[] = [];
  for (let id = rows.nextLive(0); id !== 0; id = rows.nextLive(id)) ids.push(id);
  return ids;
}

async function segmentPaths(fs: FaultFileSystem): Promise<string[]> {
  return (await fs.list(logDir)).filter((name) => /^\d{16}\.q4l$/.test(name)).map((name) =>
    `${logDir}/${name}`
  );
}

const isCode = (code: string) => (e: unknown) => e instanceof QueueError && e.code === code;

/** Appends `count` rows of 1000 bytes, one batch each, with relay mark (5, 1000 + id). */
async function fill(rows: TableRows, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const nextId = rows.counters().rowsWritten + 1;
    const appended = rows.append([payload], { source: 5, rowId: 1000 + nextId });
    await appended.durable;
    ids.push(appended.firstRowId);
  }
  return ids;
}

/** Offsets of the batches of a segment file, from its header on. */
function batchStarts(content: Uint8Array): number[] {
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const starts: number[] = [];
  for (let at = 64; at + 16 <= content.length && view.getUint32(at, true) !== 0;) {
    starts.push(at);
    at += 16 + view.getUint32(at + 4, true);
  }
  return starts;
}

describe("segment chain", () => {
  test("ENOSPC on a new segment's first batch: compaction keeps the last checkpoint, so ids, marks and counters survive", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs, segmentBytes });
    const rows = await store.createTable("t", null);
    const ids = await fill(rows, 50);
    await rows.remove(ids);
    assert.equal((await segmentPaths(fs)).length, 1);
    fs.failWriteWhen((path, position, data) =>
      path.includes(".q4l") && position === 64 && data[0] === batchMagicByte0
    );
    const failed = rows.append([new Uint8Array(16 * 1024)]);
    await assert.rejects(failed.durable, isCode("ER_DISK_FULL"));
    await store.close();
    const again = await openStore(dir, { fs, segmentBytes });
    const reopened = rowsOf(again);
    assert.equal(reopened.counters().rowsWritten, 50, "rows_written kept");
    assert.equal(reopened.sourceMarks()[5], 1050, "relay mark kept");
    const next = reopened.append([payload]);
    assert.equal(next.firstRowId, 51, "row ids continue");
    await next.durable;
    await again.close();
  });

  test("ENOSPC while creating a segment leaves the database openable with every row", async () => {
    const failures: Array<[string, (path: string, at: number, data: Uint8Array) => boolean]> = [
      ["the header", (path, at) => path.includes(".q4l") && at === 0],
      ["the preallocation", (path, at, data) => path.includes(".q4l") && at === 64 && !data[0]],
      ["the log head", (path) => path.endsWith("head.tmp")],
    ];
    for (const [name, when] of failures) {
      const fs = new FaultFileSystem();
      const store = await openStore(dir, { fs, segmentBytes });
      const rows = await store.createTable("t", null);
      const ids = await fill(rows, 50);
      fs.failWriteWhen(when);
      await assert.rejects(
        rows.append([new Uint8Array(16 * 1024)]).durable,
        isCode("ER_DISK_FULL"),
        name,
      );
      // A small row would fit the old segment, but that one is sealed: it goes to the new one.
      const small = rows.append([payload]);
      await small.durable;
      ids.push(small.firstRowId);
      assert.equal((await segmentPaths(fs)).length, 2, name);
      await store.close();
      const again = await openStore(dir, { fs, segmentBytes });
      assert.deepEqual(liveIds(rowsOf(again)), ids, name);
      await rowsOf(again).append([new Uint8Array(16 * 1024)]).durable;
      await again.close();
      await (await openStore(dir, { fs, segmentBytes })).close();
    }
  });

  test("ENOSPC while creating a segment, then a close: the leftover is removed at open", async () => {
    for (const position of [0, 64]) {
      const fs = new FaultFileSystem();
      const store = await openStore(dir, { fs, segmentBytes });
      const rows = await store.createTable("t", null);
      const ids = await fill(rows, 50);
      fs.failWriteWhen((path, at, data) =>
        path.includes(".q4l") && at === position && (position === 0 || data[0] === 0)
      );
      await assert.rejects(
        rows.append([new Uint8Array(16 * 1024)]).durable,
        isCode("ER_DISK_FULL"),
      );
      await store.close();
      const again = await openStore(dir, { fs, segmentBytes });
      assert.deepEqual(liveIds(rowsOf(again)), ids);
      await rowsOf(again).append([new Uint8Array(16 * 1024)]).durable;
      assert.equal((await segmentPaths(fs)).length, 2);
      await again.close();
      await (await openStore(dir, { fs, segmentBytes })).close();
    }
  });
});

/** What a crash of `fs` leaves: a power cut (lost, torn) or a process kill. */
function survivorsOf(fs: FaultFileSystem): Array<[string, FaultFileSystem]> {
  return [
    ["power cut", fs.crash()],
    ["torn power cut", fs.crash({ torn: "pages", random: () => 0.5 })],
    ["kill", fs.kill()],
  ];
}

describe("segment chain: a crash at every sync point", () => {
  test("of a rollover: the database opens with every acknowledged row", async () => {
    for (let k = 1, done = false; !done; k++) {
      assert.ok(k < 30, "the rollover ends within 30 syncs");
      const fs = new FaultFileSystem();
      const store = await openStore(dir, { fs, segmentBytes, autoCompact: false });
      const rows = await store.createTable("t", null);
      const ids = await fill(rows, 50);
      fs.crashAtSync(k);
      const big = rows.append([new Uint8Array(16 * 1024)]);
      done = await big.durable.then(() => true, () => false);
      if (done) ids.push(big.firstRowId);
      for (const [how, survivor] of survivorsOf(fs)) {
        const where = `crash at sync ${k} of the rollover, ${how}`;
        const again = await openStore(dir, { fs: survivor, segmentBytes });
        const live = liveIds(rowsOf(again));
        assert.deepEqual(live.slice(0, ids.length), ids, where);
        assert.ok(live.length <= ids.length + 1, where);
        assert.equal(rowsOf(again).sourceMarks()[5], 1050, where);
        await rowsOf(again).append([new Uint8Array(16 * 1024)]).durable;
        await again.close();
        await (await openStore(dir, { fs: survivor, segmentBytes })).close();
      }
    }
  });

  test("of a compaction that deletes segments: the database opens with exactly the live rows", async () => {
    for (let k = 1, done = false; !done; k++) {
      assert.ok(k < 200, "the compaction ends within 200 syncs");
      const { fs, ids } = await chainOf();
      const store = await openStore(dir, { fs, segmentBytes, autoCompact: false });
      await rowsOf(store).remove(ids.slice(0, 100));
      fs.crashAtSync(k);
      done = await store.compact().then(() => true, () => false);
      for (const [how, survivor] of survivorsOf(fs)) {
        const where = `crash at sync ${k} of the compaction, ${how}`;
        const again = await openStore(dir, { fs: survivor, segmentBytes });
        const rows = rowsOf(again);
        assert.deepEqual(liveIds(rows), ids.slice(100), where);
        assert.equal(rows.sourceMarks()[5], 1150, where);
        assert.equal(rows.counters().rowsWritten, 150, where);
        await rows.append([payload]).durable;
        await again.close();
        await (await openStore(dir, { fs: survivor, segmentBytes })).close();
      }
    }
  });
});

/** A closed database of three or more segments, rows 1..n all live. */
async function chainOf(autoCompact = false): Promise<{ fs: FaultFileSystem; ids: number[] }> {
  const fs = new FaultFileSystem();
  const store = await openStore(dir, { fs, segmentBytes, autoCompact });
  const rows = await store.createTable("t", null);
  const ids = await fill(rows, 150);
  await store.close();
  assert.ok((await segmentPaths(fs)).length >= 3, "three segments or more");
  return { fs, ids };
}

describe("segment chain: damage is ER_CORRUPT at open", () => {
  const cases: Array<[string, (fs: FaultFileSystem, paths: string[]) => Promise<void>]> = [
    ["the first segment deleted", async (fs, paths) => {
      await fs.remove(at(paths, 0));
    }],
    ["the last segment deleted", async (fs, paths) => {
      await fs.remove(at(paths, -1));
    }],
    ["a middle segment deleted", async (fs, paths) => {
      await fs.remove(at(paths, 1));
    }],
    ["every segment deleted", async (fs, paths) => {
      for (const path of paths) await fs.remove(path);
    }],
    ["a middle segment truncated at its second batch", async (fs, paths) => {
      const offset = at(batchStarts(await fs.readFile(at(paths, 1))), 1);
      const handle = await fs.open(at(paths, 1));
      await handle.truncate(offset);
      await handle.close();
    }],
    ["a middle segment truncated at its last batch", async (fs, paths) => {
      const offset = at(batchStarts(await fs.readFile(at(paths, 1))), -1);
      const handle = await fs.open(at(paths, 1));
      await handle.truncate(offset);
      await handle.close();
    }],
    ["a middle segment zeroed from its second batch", async (fs, paths) => {
      const content = await fs.readFile(at(paths, 1));
      const offset = at(batchStarts(content), 1);
      const handle = await fs.open(at(paths, 1));
      await handle.write(new Uint8Array(content.length - offset), offset);
      await handle.close();
    }],
    ["the first segment truncated after its header", async (fs, paths) => {
      const handle = await fs.open(at(paths, 0));
      await handle.truncate(64);
      await handle.close();
    }],
    ["the log head deleted", async (fs) => {
      await fs.remove(`${logDir}/head`);
    }],
    ["the log head damaged", (fs) => {
      fs.flipBit(`${logDir}/head`, 13);
      return Promise.resolve();
    }],
    ["a segment from before format 2", async (fs, paths) => {
      const content = await fs.readFile(at(paths, 0));
      const view = new DataView(content.buffer, content.byteOffset);
      view.setUint32(8, 1, true);
      view.setUint32(60, crc32c(content, 0, 60), true);
      const handle = await fs.open(at(paths, 0));
      await handle.write(content.subarray(0, 64), 0);
      await handle.close();
    }],
  ];
  for (const [name, damage] of cases) {
    test(name, async () => {
      const { fs } = await chainOf();
      await damage(fs, await segmentPaths(fs));
      await assert.rejects(openStore(dir, { fs, segmentBytes }), isCode("ER_CORRUPT"));
    });
  }

  test("segments deleted by compaction do not count as missing", async () => {
    const { fs, ids } = await chainOf();
    const store = await openStore(dir, { fs, segmentBytes, autoCompact: false });
    const rows = rowsOf(store);
    const gone = ids.slice(0, 100);
    await rows.remove(gone);
    const before = (await segmentPaths(fs)).length;
    await store.compact();
    assert.ok((await segmentPaths(fs)).length < before, "compaction deleted segments");
    await store.close();
    const again = await openStore(dir, { fs, segmentBytes });
    assert.deepEqual(liveIds(rowsOf(again)), ids.slice(100));
    assert.equal(rowsOf(again).sourceMarks()[5], 1150);
    assert.equal(again.recovery.tornTail, null);
    assert.equal(rowsOf(again).append([payload]).firstRowId, 151);
    await again.close();
  });
});
