/**
 * Tests of the row index (src/storage/row_index.ts): its memory follows the
 * rows still alive, live and after a rebuild on open, and its answers match
 * a plain model under random operations.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RowIndex, RowState } from "../../src/storage/row_index.ts";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { openStore } from "../../src/storage/store.ts";
import type { TableState } from "../../src/storage/table_rows.ts";
import { prng, testSeed } from "../_random.ts";

/** Index bytes allowed for a handful of alive rows, whatever was written around them. */
const smallIndexBytesMax = 64 * 1024;

describe("row index", () => {
  test("one unconsumed head row keeps index memory bounded while rows behind it are consumed", () => {
    const index = new RowIndex(1);
    index.allocate(1);
    index.setState(1, RowState.live);
    for (let round = 0; round < 200; round++) {
      const first = index.allocate(1000);
      for (let id = first; id < first + 1000; id++) {
        index.setLocation(id, 1, 64, 30);
        index.setState(id, RowState.live);
      }
      for (let id = first; id < first + 1000; id++) {
        index.setState(id, RowState.removing);
        index.setState(id, RowState.removed);
      }
    }
    assert.equal(index.nextLive(0), 1);
    assert.equal(index.nextLive(1), 0);
    assert.equal(index.liveCount, 1);
    assert.equal(index.nextRowId, 200_002);
    assert.ok(
      index.indexBytes <= smallIndexBytesMax,
      `${index.indexBytes} index bytes for 1 live row behind 200000 consumed ones`,
    );
  });

  test("the index rebuilt on open behind one unconsumed head row stays small", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore("/db", { fs, sync: "none", autoCompact: false });
    const rows = await store.createTable("t", null);
    await rows.append([new Uint8Array([0])]).durable;
    const payloads = Array.from({ length: 1000 }, () => new Uint8Array([1]));
    for (let round = 0; round < 60; round++) {
      const { firstRowId, durable } = rows.append(payloads);
      await durable;
      await rows.remove(Array.from({ length: 1000 }, (_, i) => firstRowId + i));
    }
    await store.close();
    const again = await openStore("/db", { fs, sync: "none", autoCompact: false });
    const table = again.tables().get("t")! as TableState;
    assert.equal(table.nextLive(0), 1);
    assert.equal(table.nextLive(1), 0);
    assert.equal(table.index.nextRowId, 60_002);
    assert.ok(
      table.index.indexBytes <= smallIndexBytesMax,
      `${table.index.indexBytes} index bytes rebuilt for 1 live row`,
    );
    await again.close();
  });

  test("random operations agree with a plain model", () => {
    const seed = testSeed();
    const random = prng(seed);
    const index = new RowIndex(1);
    const model = new Map<number, number>();
    const stateOf = (id: number) => model.get(id) ?? RowState.absent;
    for (let step = 0; step < 6000; step++) {
      const roll = random();
      const end = index.nextRowId;
      if (roll < 0.3) {
        const count = 1 + Math.floor(random() * 80);
        const first = index.allocate(count);
        assert.equal(first, end, `seed ${seed}`);
        for (let id = first; id < first + count; id++) model.set(id, RowState.pending);
      } else if (roll < 0.33 && end > 1) {
        // Roll back a pending tail (a failed append).
        let from = end;
        while (from > 1 && stateOf(from - 1) === RowState.pending && random() < 0.9) from--;
        for (let id = end - 1; id >= from; id--) {
          index.setState(id, RowState.absent);
          model.set(id, RowState.absent);
        }
        index.rollbackTo(from);
        for (let id = from; id < end; id++) model.delete(id);
      } else if (end > 1) {
        // Move a random id one step along its life.
        const id = Math.max(index.firstRowId, end - 1 - Math.floor(random() * random() * 3000));
        if (id >= end) continue;
        const now = stateOf(id);
        const next = now === RowState.pending
          ? (random() < 0.9 ? RowState.live : RowState.pendingRemoved)
          : now === RowState.live
          ? RowState.removing
          : now === RowState.removing
          ? (random() < 0.9 ? RowState.removed : RowState.live)
          : now === RowState.pendingRemoved
          ? RowState.removing
          : null;
        if (next === null) continue;
        if (next === RowState.live) index.setLocation(id, 7, id % 5000, 21);
        index.setState(id, next);
        model.set(id, next);
      }
      if (step % 211 === 0 || step === 5999) {
        let live = 0;
        let pending = 0;
        let lowLive = index.nextRowId;
        for (let id = 1; id < index.nextRowId; id++) {
          const expected = stateOf(id);
          const dead = expected === RowState.absent || expected === RowState.removed;
          const got = index.state(id);
          if (dead) {
            assert.ok(
              got === RowState.absent || got === RowState.removed,
              `seed ${seed} step ${step} id ${id}: ${got} for dead`,
            );
          } else assert.equal(got, expected, `seed ${seed} step ${step} id ${id}`);
          if (expected === RowState.live) {
            live++;
            assert.equal(index.offsetOf(id), id % 5000, `seed ${seed}`);
          }
          if (expected === RowState.pending) pending++;
          if (!dead && lowLive > id) {
            lowLive = id;
          }
        }
        assert.equal(index.liveCount, live, `seed ${seed} step ${step}`);
        assert.equal(index.pendingCount, pending, `seed ${seed} step ${step}`);
        assert.equal(index.lowLiveRowId(), lowLive, `seed ${seed} step ${step}`);
        const walked: number[] = [];
        for (let id = index.nextLive(0); id !== 0; id = index.nextLive(id)) walked.push(id);
        const expectedLive = [...model].filter(([, s]) => s === RowState.live).map(([id]) => id)
          .sort((a, b) => a - b);
        assert.deepEqual(walked, expectedLive, `seed ${seed} step ${step}`);
      }
    }
  });

  test("ids beyond 2^31 get slots and states like small ones", () => {
    const firstRowId = 2 ** 31 + 5;
    const index = new RowIndex(firstRowId);
    const first = index.allocate(3);
    index.setState(first + 1, RowState.live);
    assert.equal(first, firstRowId);
    assert.equal(index.state(first + 1), RowState.live);
    assert.equal(index.nextLive(0), first + 1);
  });
});
