/** Tests of CRC32C and the record codec. */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { at } from "../_at.ts";
import { crc32c } from "../../src/storage/crc32c.ts";
import {
  BatchEncoder,
  type CheckpointEntry,
  checkSegmentHeader,
  decodeBatchHeader,
  decodeRowRecord,
  encodeSegmentHeader,
  type RecordVisitor,
  verifyBatchBody,
} from "../../src/storage/record_codec.ts";

describe("crc32c", () => {
  test("matches the known vectors", () => {
    assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });

  test("continues across chunks", () => {
    const bytes = new TextEncoder().encode("the quick brown fox jumps over the lazy dog");
    assert.equal(crc32c(bytes, 10, bytes.length, crc32c(bytes, 0, 10)), crc32c(bytes));
  });
});

describe("record codec", () => {
  test("a batch round-trips every record type", () => {
    const encoder = new BatchEncoder();
    const marks = new Array(64).fill(0);
    marks[3] = 2 ** 40;
    encoder.addCheckpoint([{
      tableId: 7,
      nextRowId: 2 ** 50,
      lowLiveRowId: 5,
      sourceMarks: marks,
    }]);
    const rowAt = encoder.addRow(7, 2 ** 50, new Uint8Array([1, 2, 3]));
    encoder.addRemove(7, [1, 3, 4, 5, 9]);
    encoder.addSourceMark(7, 63, 12);
    encoder.addTruncate(7, 99);
    const batch = encoder.finish();
    const header = decodeBatchHeader(new DataView(batch.buffer, batch.byteOffset), 0);
    assert.deepEqual(header, { bodyBytes: batch.length - 16, recordCount: 5 });
    const seen: unknown[] = [];
    const visitor: RecordVisitor = {
      row: (t, id, offset, length) => seen.push(["row", t, id, offset, length]),
      remove: (t, singles, ranges) => seen.push(["remove", t, [...singles], [...ranges]]),
      sourceMark: (t, s, id) => seen.push(["mark", t, s, id]),
      truncate: (t, below) => seen.push(["truncate", t, below]),
      checkpoint: (entries: CheckpointEntry[]) => seen.push(["checkpoint", entries]),
    };
    assert.equal(verifyBatchBody(batch, 16, batch.length, 5, visitor), -1);
    assert.deepEqual(seen, [
      ["checkpoint", [{ tableId: 7, nextRowId: 2 ** 50, lowLiveRowId: 5, sourceMarks: marks }]],
      ["row", 7, 2 ** 50, rowAt, 24],
      ["remove", 7, [1, 9], [3, 5]],
      ["mark", 7, 63, 12],
      ["truncate", 7, 99],
    ]);
    assert.deepEqual(decodeRowRecord(batch, rowAt, 24), new Uint8Array([1, 2, 3]));
  });

  test("a ROW_META record round-trips; a wrong payload length fails verification", () => {
    const encoder = new BatchEncoder();
    encoder.addRowMeta(4, 2 ** 50, 1_790_000_000_123, 0xffff_ffff);
    encoder.addRowMeta(4, 1, 0, 0);
    const batch = encoder.finish().slice();
    const seen: unknown[] = [];
    const visitor: RecordVisitor = {
      row: () => seen.push("row"),
      remove: () => seen.push("remove"),
      sourceMark: () => seen.push("mark"),
      truncate: () => seen.push("truncate"),
      checkpoint: () => seen.push("checkpoint"),
      rowMeta: (t, id, at, attempts) => seen.push(["meta", t, id, at, attempts]),
    };
    assert.equal(verifyBatchBody(batch, 16, batch.length, 2, visitor), -1);
    assert.deepEqual(seen, [
      ["meta", 4, 2 ** 50, 1_790_000_000_123, 0xffff_ffff],
      ["meta", 4, 1, 0, 0],
    ]);
    // A visitor without rowMeta (a reader that ignores it) still verifies the batch.
    const { rowMeta: _ignored, ...withoutMeta } = visitor;
    assert.equal(
      verifyBatchBody(batch, 16, batch.length, 2, { ...withoutMeta }),
      -1,
    );
    const view = new DataView(batch.buffer);
    view.setUint32(16 + 4, 23, true); // payload length 23: the record no longer verifies
    assert.equal(verifyBatchBody(batch, 16, batch.length, 2, null), 16);
  });

  test("segment headers of format 2 are still read; 1 and 4 are refused", () => {
    const header = encodeSegmentHeader(3, { previousEnd: 0, previousLastBatchCrc: 0 });
    assert.equal(new DataView(header.buffer).getUint32(8, true), 3);
    assert.equal(checkSegmentHeader(header, 3), null);
    for (const [version, ok] of [[2, true], [1, false], [4, false]] as const) {
      const bytes = header.slice();
      const view = new DataView(bytes.buffer);
      view.setUint32(8, version, true);
      view.setUint32(60, crc32c(bytes, 0, 60), true);
      const reason = checkSegmentHeader(bytes, 3);
      if (ok) assert.equal(reason, null);
      else assert.match(reason ?? "", new RegExp(`unsupported format version ${version}`));
    }
  });

  test("any flipped bit in a batch body fails verification", () => {
    const encoder = new BatchEncoder();
    encoder.addRow(1, 1, new Uint8Array([5, 6]));
    encoder.addRemove(1, [1]);
    const batch = encoder.finish().slice();
    for (let at = 16; at < batch.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        flipBit(batch, at, bit);
        assert.notEqual(
          verifyBatchBody(batch, 16, batch.length, 2, null),
          -1,
          `byte ${at} bit ${bit}`,
        );
        flipBit(batch, at, bit);
      }
    }
    assert.equal(verifyBatchBody(batch, 16, batch.length, 2, null), -1);
  });
});

/** Flips one bit of `bytes` in place (twice restores it). */
function flipBit(bytes: Uint8Array, offset: number, bit: number): void {
  bytes.set([at(bytes, offset) ^ (1 << bit)], offset);
}
