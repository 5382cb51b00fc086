/**
 * The row index's hot paths, timed with `deno bench`: a FIFO queue's
 * allocate → live → nextLive → remove cycle, and state() lookups; plus, as
 * figures printed once (not timed), index bytes for 2M rows written behind
 * one unconsumed head row, and rebuilt the same way.
 *
 *   deno bench -A bench/row_index_bench.ts
 *
 * @module
 */

import { RowIndex, RowState } from "../src/storage/row_index.ts";

/** Rows per bench iteration of the queue cycle. */
const cycleRows = 4096;

function queueCycle(index: RowIndex, cursor: { id: number }): void {
  const first = index.allocate(cycleRows);
  for (let id = first; id < first + cycleRows; id++) {
    index.setLocation(id, 1, id & 0xffff, 30);
    index.setState(id, RowState.live);
  }
  for (let i = 0; i < cycleRows; i++) {
    const id = index.nextLive(cursor.id);
    index.setState(id, RowState.removing);
    index.setState(id, RowState.removed);
  }
}

for (const [label, Index] of [["row index", RowIndex]] as const) {
  {
    const index = new Index(1) as RowIndex;
    const cursor = { id: 0 };
    Deno.bench({
      name: `${label}: queue cycle: 4096 rows allocate, live, nextLive, remove`,
      group: "cycle",
      fn: () => queueCycle(index, cursor),
    });
  }
  {
    // The same with one live row stuck at the head (owned and never finished).
    const index = new Index(1) as RowIndex;
    index.allocate(1);
    index.setState(1, RowState.live);
    const cursor = { id: 1 };
    Deno.bench({
      name: `${label}: queue cycle behind one unconsumed head row`,
      group: "cycle",
      fn: () => queueCycle(index, cursor),
    });
  }
  {
    // One-row appends, as single INSERTs make them: allocate(1), then durable.
    const index = new Index(1) as RowIndex;
    Deno.bench({
      name: `${label}: 4096 one-row appends made live`,
      group: "append",
      fn: () => {
        for (let i = 0; i < cycleRows; i++) {
          const id = index.allocate(1);
          index.setLocation(id, 1, id & 0xffff, 30);
          index.setState(id, RowState.live);
        }
      },
    });
  }
  {
    const index = new Index(1) as RowIndex;
    const count = 1 << 20;
    index.allocate(count);
    for (let id = 1; id <= count; id++) index.setState(id, RowState.live);
    let sum = 0;
    Deno.bench({
      name: `${label}: state() of 1M live rows`,
      group: "lookup",
      fn: () => {
        for (let id = 1; id <= count; id++) sum += index.state(id);
      },
    });
    if (sum < 0) console.log(sum);
  }

  // Memory figure (printed, never asserted): 2M rows written and consumed
  // behind one unconsumed row at the head, then the same rebuilt as on open.
  {
    const rowCount = 2_000_000;
    const index = new Index(1) as RowIndex;
    index.allocate(1);
    index.setState(1, RowState.live);
    for (let done = 0; done < rowCount; done += 1000) {
      const first = index.allocate(1000);
      for (let id = first; id < first + 1000; id++) {
        index.setState(id, RowState.live);
        index.setState(id, RowState.removing);
        index.setState(id, RowState.removed);
      }
    }
    const rebuilt = new Index(1) as RowIndex;
    rebuilt.recovering = true;
    rebuilt.extendTo(2);
    rebuilt.setState(1, RowState.live);
    for (let id = 2; id <= rowCount + 1; id++) {
      rebuilt.extendTo(id + 1);
      rebuilt.setState(id, RowState.live);
      rebuilt.setState(id, RowState.removed);
    }
    rebuilt.recovering = false;
    console.log(
      `${label} after ${rowCount} rows behind one unconsumed head row: ` +
        `${index.indexBytes} bytes live, ${rebuilt.indexBytes} bytes rebuilt on open`,
    );
  }
}
