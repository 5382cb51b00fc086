/**
 * Per-table index of row ids → state and log location, in typed arrays (no
 * object per row), held in chunks of {@linkcode rowIndexChunkIds} ids. A
 * chunk is freed once every id in it is dead (removed, or absent outside
 * recovery), so memory follows the rows still alive, not the span of ids
 * since the oldest one: one row left at the head costs one chunk, not 13 B
 * for every id written after it. The only per-span cost left is one array
 * slot per chunk between the head and the tail (8 B per 1024 ids). A head
 * skips dead ids so FIFO walks stay O(1). Storage (store.ts, recovery.ts)
 * drives its state changes; it holds no bytes.
 *
 * @module
 */

import { assert, AssertionError } from "../errors.ts";

/** The state of one row id. */
export const RowState = {
  /** No ROW record (never written, its append failed, or its segment was deleted). */
  absent: 0,
  /** Appended; its batch is not durable yet. */
  pending: 1,
  /** Durable and not removed. */
  live: 2,
  /** Removed in memory; the removal is not durable yet (a failed write reverts it). */
  removing: 3,
  /** Removed durably. Final: a later copy of the id must not resurrect it. */
  removed: 4,
  /** Truncated while its append was still pending. */
  pendingRemoved: 5,
} as const;

/** log2 of the ids per chunk. */
const chunkShift = 10;
/** Ids per chunk: the unit in which index memory is taken and given back. */
export const rowIndexChunkIds: number = 1 << chunkShift;
/** Bytes per slot: state u8, segment u32, offset u32, record length u32. */
const slotBytes = 13;
/** Bytes of one slot of the chunk table (a pointer). */
const chunkPointerBytes = 8;
/** Largest value a u32 slot holds. */
const u32Max = 0xffff_ffff;

/** Ids of one chunk: states, locations, and how many are alive or removed. */
class Chunk {
  readonly state = new Uint8Array(rowIndexChunkIds);
  readonly segment = new Uint32Array(rowIndexChunkIds);
  readonly offset = new Uint32Array(rowIndexChunkIds);
  readonly length = new Uint32Array(rowIndexChunkIds);
  /** Ids in state pending, live, removing or pendingRemoved. */
  alive = 0;
  /** Ids in state removed. */
  removed = 0;

  reset(): void {
    this.state.fill(RowState.absent);
    this.alive = 0;
    this.removed = 0;
  }
}

/** Chunk number of an id: a shift while ids fit 31 bits, division beyond. */
function chunkNumberOf(rowId: number): number {
  return rowId <= 0x7fff_ffff ? rowId >> chunkShift : Math.floor(rowId / rowIndexChunkIds);
}

// Reads of a chunk's arrays. Slots are `rowId % rowIndexChunkIds`, always
// inside the arrays, so the fallback runs only on a bug here. One function
// per array type keeps each call site monomorphic (the hot path).

/** The state at `slot` of a chunk. */
function stateAt(state: Uint8Array, slot: number): number {
  return state[slot] ?? slotOutside(slot);
}

/** A location field (segment, offset, length) at `slot` of a chunk. */
function locationAt(field: Uint32Array, slot: number): number {
  return field[slot] ?? slotOutside(slot);
}

function slotOutside(slot: number): never {
  throw new AssertionError(`row index slot ${slot} outside its chunk`);
}

function isAlive(state: number): boolean {
  return state !== RowState.absent && state !== RowState.removed;
}

/**
 * Index of one table's row ids.
 *
 * In the chunk table, `null` is a freed chunk (every id in it removed or
 * dead) and `undefined` one never needed (its ids absent).
 *
 * @example
 * ```ts
 * const index = new RowIndex(1);
 * const first = index.allocate(2); // ids 1, 2 pending
 * index.setState(first, RowState.live);
 * index.nextLive(0); // 1
 * ```
 */
export class RowIndex {
  /** Ids below this are dead (removed or absent). */
  #headId: number;
  /** Next id to issue; ids at or above it are absent. */
  #endId: number;
  /** No id below this is live (lowered whenever an id becomes live). */
  #scanHintId: number;
  /** Chunks by chunk number − #chunkBase, from #chunkStart on. */
  #chunks: Array<Chunk | null | undefined> = [];
  /** Chunk number of #chunks[0]. */
  #chunkBase: number;
  /** Entries of #chunks before this are dropped (below the head). */
  #chunkStart = 0;
  /** Chunks allocated (not freed). */
  #chunkCount = 0;
  /** One freed chunk kept for reuse: a steady FIFO allocates nothing. */
  #spare: Chunk | null = null;
  #liveCount = 0;
  #pendingCount = 0;
  #recovering = false;

  /** An index whose first id is `firstRowId` (ids below it are removed). */
  constructor(firstRowId: number) {
    this.#headId = firstRowId;
    this.#endId = firstRowId;
    this.#scanHintId = firstRowId;
    this.#chunkBase = Math.floor(firstRowId / rowIndexChunkIds);
  }

  /**
   * During recovery absent ids may still receive a ROW record, so chunks
   * holding absent ids are kept; setting it back to false frees every chunk
   * that holds no alive id.
   */
  get recovering(): boolean {
    return this.#recovering;
  }

  set recovering(value: boolean) {
    this.#recovering = value;
    if (value) return;
    const chunks = this.#chunks;
    for (let i = this.#chunkStart; i < chunks.length; i++) {
      const chunk = chunks[i];
      if (chunk !== null && chunk !== undefined && chunk.alive === 0) {
        if ((this.#chunkBase + i + 1) * rowIndexChunkIds <= this.#endId) this.#free(i);
      }
    }
    this.#advanceHead();
  }

  /** Next row id to issue. */
  get nextRowId(): number {
    return this.#endId;
  }

  /** Rows in state live. */
  get liveCount(): number {
    return this.#liveCount;
  }

  /** Rows in state pending. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Lowest id that may be alive; everything below is removed. */
  get firstRowId(): number {
    return this.#headId;
  }

  /** Bytes of typed arrays and chunk table held. */
  get indexBytes(): number {
    const spare = this.#spare === null ? 0 : 1;
    return (this.#chunkCount + spare) * rowIndexChunkIds * slotBytes +
      (this.#chunks.length - this.#chunkStart) * chunkPointerBytes;
  }

  /** Chunks of ids held (each {@linkcode rowIndexChunkIds} ids). */
  get chunkCount(): number {
    return this.#chunkCount;
  }

  #chunkAt(rowId: number): Chunk | null | undefined {
    return this.#chunks[chunkNumberOf(rowId) - this.#chunkBase];
  }

  /** The chunk of an id at or above the head, created when missing. */
  #chunkFor(rowId: number): Chunk {
    const number = chunkNumberOf(rowId);
    const at = number - this.#chunkBase;
    let chunk = this.#chunks[at];
    if (chunk === null || chunk === undefined) {
      assert(chunk === undefined, `row id ${rowId} is in a freed part of the index`);
      chunk = this.#spare ?? new Chunk();
      this.#spare = null;
      while (this.#chunks.length < at) this.#chunks.push(undefined);
      this.#chunks[at] = chunk;
      this.#chunkCount++;
    }
    return chunk;
  }

  #free(at: number): void {
    const chunk = this.#chunks[at];
    if (chunk === null || chunk === undefined) return;
    this.#chunks[at] = null;
    this.#chunkCount--;
    if (this.#spare === null) {
      chunk.reset();
      this.#spare = chunk;
    }
  }

  /** State of `rowId` (ids below the head count as removed; ids not issued, absent). */
  state(rowId: number): number {
    if (rowId < this.#headId) return RowState.removed;
    if (rowId >= this.#endId) return RowState.absent;
    const number = chunkNumberOf(rowId);
    const chunk = this.#chunks[number - this.#chunkBase];
    if (chunk === null) return RowState.removed;
    if (chunk === undefined) return RowState.absent;
    return stateAt(chunk.state, rowId - number * rowIndexChunkIds);
  }

  /** Sets the state of an issued id at or above the head, keeping counts. */
  setState(rowId: number, state: number): void {
    // Checked before building the message: this is the hot path.
    if (rowId < this.#headId || rowId >= this.#endId) {
      assert(false, `row id ${rowId} outside the index`);
    }
    const number = chunkNumberOf(rowId);
    let chunk = this.#chunks[number - this.#chunkBase];
    const slot = rowId - number * rowIndexChunkIds;
    const old = chunk === null
      ? RowState.removed
      : chunk === undefined
      ? RowState.absent
      : stateAt(chunk.state, slot);
    if (old === state) return;
    if (chunk === null || chunk === undefined) chunk = this.#chunkFor(rowId);
    if (old === RowState.live) this.#liveCount--;
    else if (old === RowState.pending) this.#pendingCount--;
    if (state === RowState.live) {
      this.#liveCount++;
      if (rowId < this.#scanHintId) this.#scanHintId = rowId;
    } else if (state === RowState.pending) this.#pendingCount++;
    chunk.state[slot] = state;
    if (isAlive(old)) chunk.alive--;
    else if (old === RowState.removed) chunk.removed--;
    if (isAlive(state)) chunk.alive++;
    else if (state === RowState.removed) {
      chunk.removed++;
      if (chunk.alive === 0) this.#freeIfDead(rowId, chunk);
    }
  }

  /** Frees the chunk of `rowId` when all its ids are issued and dead. */
  #freeIfDead(rowId: number, chunk: Chunk): void {
    const number = chunkNumberOf(rowId);
    if ((number + 1) * rowIndexChunkIds > this.#endId) return;
    if (this.#recovering && chunk.removed !== rowIndexChunkIds) return;
    this.#free(number - this.#chunkBase);
    if (number * rowIndexChunkIds <= this.#headId) this.#advanceHead();
  }

  #heldChunk(rowId: number): Chunk {
    const chunk = this.#chunkAt(rowId);
    assert(chunk !== null && chunk !== undefined, `row id ${rowId} has no slot`);
    return chunk;
  }

  /** Segment number of a slotted id's current record. */
  segmentOf(rowId: number): number {
    return locationAt(this.#heldChunk(rowId).segment, rowId % rowIndexChunkIds);
  }

  /** Offset of a slotted id's current record in its segment. */
  offsetOf(rowId: number): number {
    return locationAt(this.#heldChunk(rowId).offset, rowId % rowIndexChunkIds);
  }

  /** Length of a slotted id's current record. */
  lengthOf(rowId: number): number {
    return locationAt(this.#heldChunk(rowId).length, rowId % rowIndexChunkIds);
  }

  /** Records where a slotted id's record lives. */
  setLocation(rowId: number, segment: number, offset: number, recordBytes: number): void {
    if (rowId < this.#headId || rowId >= this.#endId) {
      assert(false, `row id ${rowId} outside the index`);
    }
    // The slots are u32: a wider value would be stored truncated, pointing elsewhere.
    if (
      !(segment >= 0 && segment <= u32Max && offset >= 0 && recordBytes >= 0 &&
        offset + recordBytes <= u32Max && Number.isInteger(segment + offset + recordBytes))
    ) {
      assert(false, `row ${rowId} location ${segment}:${offset}+${recordBytes} does not fit u32`);
    }
    const number = chunkNumberOf(rowId);
    const chunk = this.#chunks[number - this.#chunkBase] ?? this.#chunkFor(rowId);
    const slot = rowId - number * rowIndexChunkIds;
    chunk.segment[slot] = segment;
    chunk.offset[slot] = offset;
    chunk.length[slot] = recordBytes;
  }

  /** Issues `count` new ids in state pending; returns the first. */
  allocate(count: number): number {
    assert(Number.isInteger(count) && count >= 0, "allocate a whole number of ids");
    const first = this.#endId;
    const end = first + count;
    assert(end <= Number.MAX_SAFE_INTEGER, "row ids stay exact doubles");
    let created = false;
    for (let id = first; id < end;) {
      const chunkEnd = Math.min(end, (chunkNumberOf(id) + 1) * rowIndexChunkIds);
      const before = this.#chunkCount;
      const chunk = this.#chunkFor(id);
      created ||= this.#chunkCount > before;
      chunk.state.fill(
        RowState.pending,
        id % rowIndexChunkIds,
        id % rowIndexChunkIds + chunkEnd - id,
      );
      chunk.alive += chunkEnd - id;
      id = chunkEnd;
    }
    this.#endId = end;
    this.#pendingCount += count;
    assert(this.#headId <= this.#endId, "the head never passes the end");
    // A new chunk is the moment to drop what the head has passed (amortised O(1)).
    if (created) this.#advanceHead();
    return first;
  }

  /** Gives back ids from `rowId` up (their appends failed); they must be absent by now. */
  rollbackTo(rowId: number): void {
    assert(rowId >= this.#headId && rowId <= this.#endId, `cannot roll back to ${rowId}`);
    for (let id = rowId; id < this.#endId; id++) {
      assert(this.state(id) === RowState.absent, "rolled back id still in use");
    }
    this.#endId = rowId;
  }

  /** Recovery: makes ids up to `endRowId` (exclusive) exist, absent (no memory until used). */
  extendTo(endRowId: number): void {
    if (endRowId <= this.#endId) return;
    this.#endId = endRowId;
  }

  /** Recovery: every id below `rowId` is removed (from a checkpoint). */
  discardBelow(rowId: number): void {
    if (rowId <= this.#headId) return;
    if (this.#headId === this.#endId && this.#chunkCount === 0) {
      // Empty: move the window instead of filling slots.
      this.#headId = rowId;
      this.#endId = rowId;
      this.#scanHintId = rowId;
      this.#chunks = [];
      this.#chunkStart = 0;
      this.#chunkBase = chunkNumberOf(rowId);
      return;
    }
    this.extendTo(rowId);
    for (let id = this.#headId; id < rowId; id++) {
      const chunk = this.#chunkAt(id);
      if (chunk === null || chunk === undefined) {
        id = (chunkNumberOf(id) + 1) * rowIndexChunkIds - 1;
        continue;
      }
      // Freeing a chunk may move the head past ids still to visit.
      if (this.state(id) !== RowState.removed) this.setState(id, RowState.removed);
    }
    assert(this.#headId <= rowId && rowId <= this.#endId, "discarding keeps the head inside");
    this.#headId = rowId;
    if (this.#scanHintId < rowId) this.#scanHintId = rowId;
    this.#dropBelowHead();
  }

  /** The smallest live id greater than `afterId`, or 0. Amortised O(1) walking forward. */
  nextLive(afterId: number): number {
    const hint = this.#scanHintId;
    let id = afterId + 1 > hint ? afterId + 1 : hint;
    const end = this.#endId;
    while (id < end) {
      const chunk = this.#chunkAt(id);
      const chunkEnd = (chunkNumberOf(id) + 1) * rowIndexChunkIds;
      if (chunk === null || chunk === undefined || chunk.alive === 0) {
        id = chunkEnd;
        continue;
      }
      const state = chunk.state;
      const stop = (chunkEnd < end ? chunkEnd : end) - id;
      let slot = id % rowIndexChunkIds;
      const slotEnd = slot + stop;
      while (slot < slotEnd && state[slot] !== RowState.live) slot++;
      if (slot < slotEnd) {
        id += slot - id % rowIndexChunkIds;
        break;
      }
      id = chunkEnd;
    }
    if (id > end) id = end;
    // Everything in [hint, id) is not live, when the walk started at the hint.
    if (afterId + 1 <= hint) this.#scanHintId = id;
    return id < end ? id : 0;
  }

  /**
   * Lowest id whose removal is not durable (live, pending, removing or
   * pendingRemoved), or nextRowId: what a checkpoint must keep. Removals in
   * flight count as alive, as a checkpoint may be written before them.
   */
  lowLiveRowId(): number {
    const end = this.#endId;
    for (let id = this.#headId; id < end;) {
      const chunk = this.#chunkAt(id);
      const chunkEnd = (chunkNumberOf(id) + 1) * rowIndexChunkIds;
      if (chunk !== null && chunk !== undefined && chunk.alive > 0) {
        const stop = Math.min(chunkEnd, end);
        for (; id < stop; id++) {
          if (isAlive(stateAt(chunk.state, id % rowIndexChunkIds))) return id;
        }
      }
      id = chunkEnd;
    }
    return end;
  }

  #advanceHead(): void {
    const keepAbsent = this.#recovering;
    let head = this.#headId;
    const end = this.#endId;
    while (head < end) {
      const chunk = this.#chunkAt(head);
      if (chunk === null || (chunk === undefined && !keepAbsent)) {
        head = (chunkNumberOf(head) + 1) * rowIndexChunkIds;
        continue;
      }
      if (chunk === undefined) break;
      const s = stateAt(chunk.state, head % rowIndexChunkIds);
      if (s === RowState.removed || (s === RowState.absent && !keepAbsent)) head++;
      else break;
    }
    if (head > end) head = end;
    this.#headId = head;
    if (this.#scanHintId < head) this.#scanHintId = head;
    this.#dropBelowHead();
  }

  /** Frees the chunks wholly below the head and trims the chunk table. */
  #dropBelowHead(): void {
    const headChunk = chunkNumberOf(this.#headId) - this.#chunkBase;
    const chunks = this.#chunks;
    let start = this.#chunkStart;
    while (start < headChunk && start < chunks.length) {
      this.#free(start);
      start++;
    }
    assert(this.#chunkCount >= 0, "no chunk is freed twice");
    this.#chunkStart = start;
    if (start > 64 && start * 2 > chunks.length) {
      this.#chunks = chunks.slice(start);
      this.#chunkBase += start;
      this.#chunkStart = 0;
    }
  }
}
