/**
 * Per-table index of row ids → state and log location, in typed arrays (no
 * object per row). Covers ids from the lowest possibly-live one up to the
 * next id to issue; a head skips dead ids so FIFO walks stay O(1). Storage
 * (store.ts, recovery.ts) drives its state changes; it holds no bytes.
 *
 * @module
 */

import { assert } from "../errors.ts";

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

/** Slots allocated for a new, empty table. */
const initialCapacity = 64;
/** Bytes per slot: state u8, segment u32, offset u32, record length u32. */
const slotBytes = 13;

/**
 * Index of one table's row ids.
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
  /** Row id held in slot 0. */
  #baseId: number;
  /** Ids below this are dead (removed or absent) even if still in the arrays. */
  #headId: number;
  /** Next id to issue; slots cover [baseId, endId). */
  #endId: number;
  /** No id below this is live (lowered whenever an id becomes live). */
  #scanHintId: number;
  #state: Uint8Array;
  #segment: Uint32Array;
  #offset: Uint32Array;
  #length: Uint32Array;
  #liveCount = 0;
  #pendingCount = 0;
  /** During recovery absent ids may still receive a ROW record, so they are kept. */
  recovering = false;

  /** An index whose first id is `firstRowId` (ids below it are removed). */
  constructor(firstRowId: number) {
    this.#baseId = firstRowId;
    this.#headId = firstRowId;
    this.#endId = firstRowId;
    this.#scanHintId = firstRowId;
    this.#state = new Uint8Array(initialCapacity);
    this.#segment = new Uint32Array(initialCapacity);
    this.#offset = new Uint32Array(initialCapacity);
    this.#length = new Uint32Array(initialCapacity);
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

  /** Lowest id that has a slot; everything below is removed. */
  get firstRowId(): number {
    return this.#headId;
  }

  /** Bytes of typed arrays held. */
  get indexBytes(): number {
    return this.#state.length * slotBytes;
  }

  /** State of `rowId` (ids below the head count as removed; ids not issued, absent). */
  state(rowId: number): number {
    if (rowId < this.#headId) return RowState.removed;
    if (rowId >= this.#endId) return RowState.absent;
    return this.#state[rowId - this.#baseId];
  }

  /** Sets the state of an issued id at or above the head, keeping counts. */
  setState(rowId: number, state: number): void {
    assert(rowId >= this.#headId && rowId < this.#endId, `row id ${rowId} outside the index`);
    const slot = rowId - this.#baseId;
    const old = this.#state[slot];
    if (old === state) return;
    if (old === RowState.live) this.#liveCount--;
    else if (old === RowState.pending) this.#pendingCount--;
    if (state === RowState.live) {
      this.#liveCount++;
      if (rowId < this.#scanHintId) this.#scanHintId = rowId;
    } else if (state === RowState.pending) this.#pendingCount++;
    this.#state[slot] = state;
  }

  /** Segment number of a slotted id's current record. */
  segmentOf(rowId: number): number {
    return this.#segment[rowId - this.#baseId];
  }

  /** Offset of a slotted id's current record in its segment. */
  offsetOf(rowId: number): number {
    return this.#offset[rowId - this.#baseId];
  }

  /** Length of a slotted id's current record. */
  lengthOf(rowId: number): number {
    return this.#length[rowId - this.#baseId];
  }

  /** Records where a slotted id's record lives. */
  setLocation(rowId: number, segment: number, offset: number, recordBytes: number): void {
    assert(rowId >= this.#headId && rowId < this.#endId, `row id ${rowId} outside the index`);
    const slot = rowId - this.#baseId;
    this.#segment[slot] = segment;
    this.#offset[slot] = offset;
    this.#length[slot] = recordBytes;
  }

  /** Issues `count` new ids in state pending; returns the first. */
  allocate(count: number): number {
    const first = this.#endId;
    this.#ensureSlots(first + count);
    this.#state.fill(RowState.pending, first - this.#baseId, first + count - this.#baseId);
    this.#endId = first + count;
    this.#pendingCount += count;
    return first;
  }

  /** Gives back ids from `rowId` up (their appends failed); they must be absent by now. */
  rollbackTo(rowId: number): void {
    assert(rowId >= this.#headId && rowId <= this.#endId, `cannot roll back to ${rowId}`);
    for (let id = rowId; id < this.#endId; id++) {
      assert(this.#state[id - this.#baseId] === RowState.absent, "rolled back id still in use");
    }
    this.#endId = rowId;
  }

  /** Recovery: makes ids up to `endRowId` (exclusive) exist, absent. */
  extendTo(endRowId: number): void {
    if (endRowId <= this.#endId) return;
    this.#ensureSlots(endRowId);
    this.#state.fill(RowState.absent, this.#endId - this.#baseId, endRowId - this.#baseId);
    this.#endId = endRowId;
  }

  /** Recovery: every id below `rowId` is removed (from a checkpoint). */
  discardBelow(rowId: number): void {
    if (rowId <= this.#headId) return;
    if (this.#headId === this.#endId) {
      // Empty: move the window instead of filling slots.
      this.#baseId = rowId;
      this.#headId = rowId;
      this.#endId = rowId;
      this.#scanHintId = rowId;
      return;
    }
    this.extendTo(rowId);
    for (let id = this.#headId; id < rowId; id++) this.setState(id, RowState.removed);
    this.#headId = rowId;
    if (this.#scanHintId < rowId) this.#scanHintId = rowId;
  }

  /** The smallest live id greater than `afterId`, or 0. Amortised O(1) walking forward. */
  nextLive(afterId: number): number {
    const hint = this.#scanHintId;
    let id = afterId + 1 > hint ? afterId + 1 : hint;
    const state = this.#state;
    const base = this.#baseId;
    const end = this.#endId;
    while (id < end && state[id - base] !== RowState.live) id++;
    // Everything in [hint, id) is not live, when the walk started at the hint.
    if (afterId + 1 <= hint) this.#scanHintId = id;
    return id < end ? id : 0;
  }

  /** Lowest id that is live or pending (what a checkpoint must keep), or nextRowId. */
  lowLiveRowId(): number {
    const state = this.#state;
    for (let id = this.#headId; id < this.#endId; id++) {
      const s = state[id - this.#baseId];
      if (s === RowState.live || s === RowState.pending) return id;
    }
    return this.#endId;
  }

  #advanceHead(): void {
    const state = this.#state;
    const keepAbsent = this.recovering;
    let head = this.#headId;
    while (head < this.#endId) {
      const s = state[head - this.#baseId];
      if (s === RowState.removed || (s === RowState.absent && !keepAbsent)) head++;
      else break;
    }
    this.#headId = head;
    if (this.#scanHintId < head) this.#scanHintId = head;
  }

  #ensureSlots(endRowId: number): void {
    const capacity = this.#state.length;
    if (endRowId - this.#baseId <= capacity) return;
    this.#advanceHead();
    const dead = this.#headId - this.#baseId;
    const used = this.#endId - this.#headId;
    const need = endRowId - this.#headId;
    if (need <= capacity && dead >= capacity / 2) {
      // Slide down: the ids dropped pay for the copy.
      this.#state.copyWithin(0, dead, dead + used);
      this.#segment.copyWithin(0, dead, dead + used);
      this.#offset.copyWithin(0, dead, dead + used);
      this.#length.copyWithin(0, dead, dead + used);
    } else {
      let size = capacity;
      while (size < need) size *= 2;
      if (size === capacity) size *= 2;
      const state = new Uint8Array(size);
      const segment = new Uint32Array(size);
      const offset = new Uint32Array(size);
      const length = new Uint32Array(size);
      state.set(this.#state.subarray(dead, dead + used));
      segment.set(this.#segment.subarray(dead, dead + used));
      offset.set(this.#offset.subarray(dead, dead + used));
      length.set(this.#length.subarray(dead, dead + used));
      this.#state = state;
      this.#segment = segment;
      this.#offset = offset;
      this.#length = length;
    }
    this.#baseId = this.#headId;
  }
}
