/**
 * Tests of the storage limits (src/limits.ts) where storage enforces them:
 * batch size per commit round, u32 fields on write, rows larger than a
 * segment, and one append larger than a batch.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { openStore } from "../../src/storage/store.ts";
import {
  BatchEncoder,
  batchHeaderBytes,
  decodeBatchHeader,
  type RecordVisitor,
  segmentHeaderBytes,
  verifyBatchBody,
} from "../../src/storage/record_codec.ts";
import { RowIndex, RowState } from "../../src/storage/row_index.ts";
import { segmentFileName } from "../../src/storage/segments.ts";
import { batchBytesMax, rowBytesMax, segmentBytesMin } from "../../src/limits.ts";
import { QueueError } from "../../src/errors.ts";
import { at } from "../_at.ts";

const dir = "/db";

async function segmentSizes(fs: FaultFileSystem): Promise<number[]> {
  const sizes: number[] = [];
  for (const name of await fs.list(`${dir}/log`)) {
    if (!name.endsWith(".q4l")) continue;
    const handle = await fs.open(`${dir}/log/${name}`);
    sizes.push(await handle.size());
    await handle.close();
  }
  return sizes;
}

describe("storage limits", () => {
  test("appends queued together are split into batches that fit the segment size", async () => {
    const fs = new FaultFileSystem();
    const segmentBytes = segmentBytesMin;
    const store = await openStore(dir, { fs, segmentBytes, autoCompact: false });
    const rows = await store.createTable("t", null);
    // 100 × 2 KiB queued in one tick: 200 KiB, three segments' worth.
    const payload = new Uint8Array(2048).fill(1);
    const appends = Array.from({ length: 100 }, () => rows.append([payload]));
    await Promise.all(appends.map((a) => a.durable));
    const sizes = await segmentSizes(fs);
    assert.ok(sizes.length >= 4, `${sizes.length} segments`);
    for (const size of sizes) assert.ok(size <= segmentBytes, `a segment of ${size} bytes`);
    await store.close();
    const again = await openStore(dir, { fs, segmentBytes });
    assert.equal(again.tables().get("t")!.liveCount, 100);
    await again.close();
  });

  test("a row larger than the segment size gets a segment of its own", async () => {
    const fs = new FaultFileSystem();
    const segmentBytes = segmentBytesMin;
    const store = await openStore(dir, { fs, segmentBytes, autoCompact: false });
    const rows = await store.createTable("t", null);
    await rows.append([new Uint8Array(100).fill(1)]).durable;
    const big = new Uint8Array(8 * segmentBytes).fill(2);
    const [a, b, c] = [
      rows.append([big]),
      rows.append([new Uint8Array(100).fill(3)]),
      rows.append([new Uint8Array(100).fill(4)]),
    ];
    await Promise.all([a.durable, b.durable, c.durable]);
    await store.close();
    const sizes = await segmentSizes(fs);
    assert.equal(sizes.length, 3, `segments ${sizes}`);
    const [first = 0, middle = 0, last = 0] = sizes;
    assert.ok(first <= segmentBytes && last <= segmentBytes, `segments ${sizes}`);
    assert.ok(middle >= big.length, `segments ${sizes}`);
    const again = await openStore(dir, { fs, segmentBytes });
    const t = again.tables().get("t")!;
    assert.equal(t.liveCount, 4);
    assert.deepEqual(t.readRow(2), big);
    assert.equal(fs.durableContent(`${dir}/log/${segmentFileName(3)}`).length, sizes[2]);
    await again.close();
  });

  test("an append whose rows exceed batchBytesMax rejects with a QueueError and changes nothing", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs, autoCompact: false });
    const rows = await store.createTable("t", null);
    const big = new Uint8Array(rowBytesMax);
    const count = Math.floor(batchBytesMax / rowBytesMax) + 1;
    const attempt = rows.append(Array.from({ length: count }, () => big), {
      source: 1,
      rowId: 9,
    });
    await assert.rejects(attempt.durable, (e) => {
      assert.ok(e instanceof QueueError, String(e));
      assert.equal(e.code, "ER_DATA_TOO_LONG");
      assert.match(e.message, /batch/);
      return true;
    });
    assert.equal(rows.sourceMarks()[1], 0);
    assert.equal(rows.counters().rowsWritten, 0);
    const next = rows.append([new Uint8Array([1])]);
    assert.equal(next.firstRowId, 1);
    await next.durable;
    await store.close();
  });

  test("a checkpoint written while appends stay queued records only the marks of its own batch", async () => {
    const fs = new FaultFileSystem();
    const segmentBytes = segmentBytesMin;
    const store = await openStore(dir, { fs, segmentBytes, autoCompact: false });
    const rows = await store.createTable("t", null);
    const payload = new Uint8Array(40 * 1024);
    await rows.append([payload]).durable;
    // A fills segment 2 (with its checkpoint); B, queued with it, needs segment 3.
    const a = rows.append([payload], { source: 0, rowId: 100 });
    const b = rows.append([payload], { source: 1, rowId: 200 });
    await Promise.all([a.durable, b.durable]);
    await store.close();
    const marksBySegment: number[][] = [];
    for (const segmentNumber of [2, 3]) {
      const bytes = fs.durableContent(`${dir}/log/${segmentFileName(segmentNumber)}`);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const header = decodeBatchHeader(view, segmentHeaderBytes);
      assert.ok(header !== null);
      const start = segmentHeaderBytes + batchHeaderBytes;
      let marks: number[] = [];
      const visitor: RecordVisitor = {
        row() {},
        remove() {},
        sourceMark() {},
        truncate() {},
        checkpoint(entries) {
          marks = at(entries, 0).sourceMarks.slice(0, 2);
        },
      };
      verifyBatchBody(bytes, start, start + header.bodyBytes, header.recordCount, visitor);
      marksBySegment.push(marks);
    }
    // Segment 2's checkpoint describes the state after A only: B's mark is not durable there.
    assert.deepEqual(marksBySegment, [[100, 0], [100, 200]]);
  });

  test("a crash at any sync while a queue is split over rounds never leaves a mark ahead of its row", async () => {
    const payload = new Uint8Array(40 * 1024);
    let sawCrash = false;
    for (let crashAt = 1; crashAt <= 40; crashAt++) {
      const fs = new FaultFileSystem();
      const store = await openStore(dir, { fs, segmentBytes: segmentBytesMin });
      const rows = await store.createTable("t", null);
      const first = rows.append([payload]);
      await first.durable;
      await rows.remove([first.firstRowId]);
      fs.crashAtSync(crashAt);
      // A and B do not fit one segment: two rounds, two segments; the first
      // one's checkpoint is written while B is queued, and the consumed
      // first segment may be deleted by compaction in between.
      const a = rows.append([payload], { source: 0, rowId: 100 });
      const b = rows.append([payload], { source: 1, rowId: 200 });
      const [aDone, bDone] = await Promise.allSettled([a.durable, b.durable]);
      await store.close().catch(() => {});
      if (!fs.crashed) break;
      sawCrash = true;
      const reopened = await openStore(dir, { fs: fs.crash({ torn: "pages", random: () => 0.5 }) });
      const t = reopened.tables().get("t")!;
      const label = `crash at sync ${crashAt}`;
      const marks = t.sourceMarks();
      if (aDone.status === "fulfilled") assert.ok(t.isLive(a.firstRowId), label);
      if (bDone.status === "fulfilled") assert.ok(t.isLive(b.firstRowId), label);
      if (marks[0] === 100) assert.ok(t.isLive(a.firstRowId), `${label}: mark 0 without its row`);
      if (marks[1] === 200) assert.ok(t.isLive(b.firstRowId), `${label}: mark 1 without its row`);
      assert.equal(t.isLive(first.firstRowId), false, label);
      await reopened.close();
    }
    assert.ok(sawCrash);
  });

  test("u32 fields are checked on write: an id or count that does not fit is a bug, not a wrap", () => {
    const encoder = new BatchEncoder();
    assert.throws(() => encoder.addRow(2 ** 32, 1, new Uint8Array(1)), /assertion/);
    assert.throws(() => encoder.addTruncate(2 ** 32 + 5, 1), /assertion/);
    assert.throws(() => encoder.addSourceMark(-1, 0, 1), /assertion/);
    const index = new RowIndex(1);
    index.allocate(1);
    index.setState(1, RowState.live);
    assert.throws(() => index.setLocation(1, 1, 2 ** 32 - 10, 20), /assertion/);
    assert.throws(() => index.setLocation(1, 2 ** 32, segmentHeaderBytes, 20), /assertion/);
  });
});
