/**
 * One table of the local backend: its catalog entry (as the backend hands
 * it out), its storage rows, which session owns which row, the compiled
 * queue_wait conditions with their scan cursors, the sessions blocked on
 * it, the delayed rows and the in-memory wait counters.
 *
 * State owned here (and nowhere else): row ownership (`owners`,
 * `removingOwners`), blocked waiters, condition cursors, delayed-row timers
 * and the wait counters. Rows, row meta and relay watermarks are storage's
 * (`TableRows`); the schema is the engine's (opaque `meta`).
 *
 * LocalBackend → LocalTable → storage TableRows
 *
 * @module
 */

import type { TableRows } from "../storage/mod.ts";
import { assert, defined, QueueError } from "../errors.ts";
import { conditionCacheBytesMax, conditionCacheEntriesMax } from "../limits.ts";
import type { CompiledCondition, ConditionCompiler, TableInfo } from "./types.ts";

/** A row owner: the session, seen only through what the table needs of it. */
export interface Owner {
  readonly sessionId: number;
  /** True while the owner still claims that row (open, and it is its owned row). */
  claims(table: LocalTable, rowId: number): boolean;
}

/** An open transaction reserving relay marks: `ended` settles once it commits or rolls back. */
export interface Reserver {
  readonly ended: Promise<void>;
}

/**
 * A compiled queue_wait condition over one table, with its cursor.
 *
 * Cursor invariant: every live row with id ≤ `cursorRowId` is either owned
 * or does not match. A search starts after the cursor, so FIFO consumption
 * costs O(1) per row however deep the queue; when a row ≤ cursor becomes
 * available again (abort, session close, failed removal) the cursor rewinds.
 */
export interface Condition {
  /** The engine's compiled condition. */
  readonly compiled: CompiledCondition;
  /**
   * The catalog entry it was compiled for (column positions are that
   * meta's). A condition that reads the clock (NOW() …) may match later
   * through time alone, so every search starts from the oldest row (the
   * cursor invariant does not hold) and a blocked wait rechecks on a timer.
   */
  readonly info: TableInfo;
  cursorRowId: number;
  /** Blocked waiters holding it; a held condition is never evicted (its cursor must rewind). */
  holders: number;
}

/** One argument of a blocked queue_wait: its table and the condition it holds there. */
export interface WaitArg {
  readonly table: LocalTable;
  /** Replaced when ALTER TABLE recompiles it. */
  condition: Condition;
}

/** One blocked queue_wait call. */
export interface Waiter {
  readonly owner: Owner;
  /** The call's arguments, in priority order. */
  readonly args: readonly WaitArg[];
  /** Settles the call: the 1-based argument index, or 0 on timeout. */
  settle(argIndex: number, table: LocalTable | null, rowId: number): void;
  /** Ends the call with an error (its condition failed to evaluate or to recompile; closing). */
  fail(error: QueueError): void;
}

/** The owner of a row whose removal is in flight. */
export interface RemovingOwner {
  readonly owner: Owner;
  /** Settles when the removal does (never rejects). */
  readonly settled: Promise<void>;
  /**
   * The owner finished the row meanwhile (queue_end): if the removal fails,
   * the row stays with it until its queue_end removes the row itself.
   */
  ended: boolean;
}

/** Counters kept in memory for the table's lifetime in this process (as Q4M). */
export interface WaitCounters {
  waitImmediate: number;
  waitDelayed: number;
  waitTimeout: number;
  restoredByAbort: number;
  restoredByClose: number;
  /** Rows consumed as failed (queue_fail), counted once the removal is durable. */
  rowsFailed: number;
}

/** Counters at zero, for a table opened or created in this process (every backend). */
export function newWaitCounters(): WaitCounters {
  return {
    waitImmediate: 0,
    waitDelayed: 0,
    waitTimeout: 0,
    restoredByAbort: 0,
    restoredByClose: 0,
    rowsFailed: 0,
  };
}

/** The local backend's state for one table. */
export class LocalTable {
  /** The catalog entry; replaced by ALTER TABLE (same table id). */
  info: TableInfo;
  /** The storage rows (one object for the table's lifetime). */
  readonly rows: TableRows;
  readonly #compile: ConditionCompiler;
  /** Live rows owned by a session: row id → owner. Rows leave it when consumed or removed. */
  readonly owners: Map<number, Owner> = new Map();
  /**
   * Owned rows whose removal (TRUNCATE, the owner's DELETE) is in flight.
   * If the removal fails, the owner gets its row back before anyone else
   * can be handed it ({@linkcode restoreOwners}).
   */
  readonly removingOwners: Map<number, RemovingOwner> = new Map();
  /** Sessions blocked on this table, in the order they began waiting. */
  readonly waiters: Set<Waiter> = new Set();
  readonly counters: WaitCounters = newWaitCounters();
  dropped = false;
  /**
   * The backend closed (its store is closing): bookkeeping after a write
   * settles reads no rows then (storage refuses reads once closed, and a
   * durable write must not be reported as failed for it).
   */
  closed = false;
  /**
   * Relay marks reserved by inserts buffered in open transactions: source →
   * the reserving transaction → the mark its last such insert sets. An insert's
   * duplicate check reads them beside storage's watermarks, so a row relayed
   * in a transaction is not relayed again before that transaction ends; a
   * reservation goes when its transaction ends (commit: storage holds the
   * mark then; rollback: the row was not relayed).
   */
  readonly #reservations: Map<number, Map<Reserver, number>> = new Map();
  /**
   * Compiled conditions by text, for the current schema; the oldest are
   * evicted past `conditionCacheEntriesMax` entries or
   * `conditionCacheBytesMax` of text.
   */
  #conditions: Map<string, Condition> = new Map();
  /** Text length of the conditions in #conditions. */
  #conditionBytes = 0;
  /** Conditions held by blocked waiters, by text: found and rewound even once evicted. */
  #held: Map<string, Condition> = new Map();
  /**
   * Rows not delivered before their time (q4d's delayed visibility): row id
   * → wall-clock ms. An entry leaves when due; entries of rows removed
   * meanwhile are harmless (only live rows are searched) and leave then too.
   */
  readonly delayed: Map<number, number> = new Map();
  /** Min-heap of [visibleAt, rowId] over `delayed` (stale pairs are skipped). */
  #dueHeap: Array<[number, number]> = [];
  /** One timer for the earliest due row; its due time. */
  #dueTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #dueTimerAt = 0;

  constructor(info: TableInfo, rows: TableRows, compile: ConditionCompiler) {
    this.info = info;
    this.rows = rows;
    this.#compile = compile;
    const now = Date.now();
    for (const [rowId, visibleAt] of rows.delayedRows()) {
      if (visibleAt > now) this.delay(rowId, visibleAt);
    }
  }

  /** Live rows whose time has not come yet (queue_stats' rows_delayed). */
  get delayedCount(): number {
    let count = 0;
    const rows = this.rows;
    for (const rowId of this.delayed.keys()) if (rows.isLive(rowId)) count++;
    return count;
  }

  /**
   * Keeps row `rowId` from queue_wait until `visibleAt` (wall-clock ms). A
   * timer for the earliest due row makes it available then and serves
   * waiters; nothing polls the table.
   */
  delay(rowId: number, visibleAt: number): void {
    this.delayed.set(rowId, visibleAt);
    heapPush(this.#dueHeap, [visibleAt, rowId]);
    this.#armDueTimer();
  }

  #armDueTimer(): void {
    const top = this.#dueHeap[0];
    if (top === undefined || this.dropped) return;
    if (this.#dueTimer !== undefined) {
      if (this.#dueTimerAt <= top[0]) return;
      clearTimeout(this.#dueTimer);
    }
    this.#dueTimerAt = top[0];
    // setTimeout runs on a monotonic clock, the due times on the wall clock:
    // when it fires, rows are due by Date.now(); a clock set back re-arms.
    const wait = Math.min(Math.max(top[0] - Date.now(), 0), 2_147_483_647);
    this.#dueTimer = setTimeout(() => this.#onDue(), wait);
    unrefTimer(this.#dueTimer);
  }

  #onDue(): void {
    this.#dueTimer = undefined;
    if (this.dropped) return;
    const now = Date.now();
    const heap = this.#dueHeap;
    let firstDue = 0;
    for (let head = heap[0]; head !== undefined && head[0] <= now; head = heap[0]) {
      const [visibleAt, rowId] = heapPop(heap);
      if (this.delayed.get(rowId) !== visibleAt) continue;
      this.delayed.delete(rowId);
      if (firstDue === 0 || rowId < firstDue) firstDue = rowId;
    }
    this.#armDueTimer();
    if (firstDue !== 0) {
      this.rewindCursors(firstDue);
      this.serveWaiters();
    }
  }

  /** Stops the due timer (drop, close). */
  stopDueTimer(): void {
    if (this.#dueTimer !== undefined) clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
  }

  /**
   * Hands row `rowId` to `owner` and counts the delivery. The count rides
   * with the next commit (queue_end's removal, another session's insert) or
   * gets its own round after metaDeferMs, so queue_wait adds no sync of its
   * own; a round that removes the row (its queue_end) needs no count.
   */
  deliver(rowId: number, owner: Owner): void {
    this.owners.set(rowId, owner);
    this.rows.countDelivery(rowId);
  }

  /**
   * Reserves relay mark `rowId` of `source` for the open transaction
   * `reserver`. Its last insert's mark wins, as its commit writes them in
   * order (a 'w' may move the mark back).
   */
  reserveMark(reserver: Reserver, source: number, rowId: number): void {
    let bySource = this.#reservations.get(source);
    if (bySource === undefined) this.#reservations.set(source, bySource = new Map());
    bySource.set(reserver, rowId);
  }

  /** The transaction `reserver` ended: its reservations go. */
  releaseMarks(reserver: Reserver): void {
    for (const [source, bySource] of this.#reservations) {
      if (bySource.delete(reserver) && bySource.size === 0) this.#reservations.delete(source);
    }
  }

  /**
   * The open transactions that reserved relay mark `rowId` (or a later one)
   * of `source`: `own` when `reserver` itself did (a duplicate in it), else
   * the others, whose end decides whether the row is a duplicate.
   */
  reservers(source: number, rowId: number, reserver: Reserver | null): "own" | Reserver[] {
    const others: Reserver[] = [];
    for (const [holder, reserved] of this.#reservations.get(source) ?? []) {
      if (reserved < rowId) continue;
      if (holder === reserver) return "own";
      others.push(holder);
    }
    return others;
  }

  get name(): string {
    return this.info.name;
  }

  /** The table's stable id (never reused; kept across ALTER TABLE). */
  get tableId(): number {
    return this.info.tableId;
  }

  /** Live rows not owned by anyone. */
  get availableCount(): number {
    return this.rows.liveCount - this.owners.size;
  }

  /**
   * Replaces the catalog entry (ALTER TABLE). Compiled conditions are
   * dropped; those blocked waiters hold are recompiled for the new column
   * positions, with fresh cursors. A waiter whose condition no longer
   * compiles (a dropped column) fails with that error, as the same
   * queue_wait issued now would.
   */
  setInfo(info: TableInfo): void {
    assert(info.tableId === this.tableId, "ALTER TABLE changed the table id");
    this.info = info;
    this.#conditions = new Map();
    this.#conditionBytes = 0;
    this.#held = new Map();
    for (const waiter of [...this.waiters]) {
      for (const arg of waiter.args) {
        if (arg.table !== this) continue;
        let fresh: Condition;
        try {
          fresh = this.condition(arg.condition.compiled.text);
        } catch (error) {
          if (!(error instanceof QueueError)) throw error;
          waiter.fail(error);
          break;
        }
        this.hold(fresh);
        this.unhold(arg.condition);
        arg.condition = fresh;
      }
    }
  }

  /** A blocked waiter holds `condition`. */
  hold(condition: Condition): void {
    if (condition.holders++ === 0) this.#held.set(condition.compiled.text, condition);
  }

  /** A blocked waiter lets go of `condition`. */
  unhold(condition: Condition): void {
    const text = condition.compiled.text;
    assert(condition.holders > 0, `condition '${text}' released more than held`);
    if (--condition.holders === 0 && this.#held.get(text) === condition) {
      this.#held.delete(text);
    }
  }

  /** Text length of the cached compiled conditions (held ones evicted from the cache excluded). */
  get conditionCacheBytes(): number {
    return this.#conditionBytes;
  }

  /**
   * The compiled condition for `text` (cached; the oldest is evicted past the limit).
   * ER_PARSE_ERROR / ER_BAD_FIELD_ERROR when it does not compile.
   */
  condition(text: string): Condition {
    // Oldest-first eviction; a hit does not reorder (that would cost a
    // delete + set on every queue_wait).
    const cached = this.#conditions.get(text) ?? this.#held.get(text);
    if (cached !== undefined) return cached;
    const condition: Condition = {
      compiled: this.#compile(this.info, text),
      info: this.info,
      cursorRowId: 0,
      holders: 0,
    };
    this.#conditions.set(text, condition);
    this.#conditionBytes += text.length;
    // An evicted condition that waiters hold lives on in #held. The newest
    // stays even when it alone is over the byte bound.
    while (
      this.#conditions.size > 1 &&
      (this.#conditions.size > conditionCacheEntriesMax ||
        this.#conditionBytes > conditionCacheBytesMax)
    ) {
      const oldest = this.#conditions.keys().next().value as string;
      this.#conditions.delete(oldest);
      this.#conditionBytes -= oldest.length;
    }
    assert(this.#conditionBytes >= text.length, "condition cache bytes counted");
    return condition;
  }

  /**
   * The oldest available row matching the condition, or 0. Advances its
   * cursor. Throws the QueueError of a condition that fails on a row (the
   * cursor stays before that row).
   */
  findRow(condition: Condition): number {
    assert(
      condition.info === this.info,
      `condition '${condition.compiled.text}' compiled for an older schema`,
    );
    if (this.availableCount <= 0) return 0;
    const { matches, readsClock } = condition.compiled;
    if (readsClock) condition.cursorRowId = 0;
    const rows = this.rows;
    for (let id = rows.nextLive(condition.cursorRowId); id !== 0; id = rows.nextLive(id)) {
      if (
        !this.owners.has(id) && (this.delayed.size === 0 || !this.delayed.has(id)) &&
        (matches === null || matches(rows.readRow(id)))
      ) {
        condition.cursorRowId = id;
        return id;
      }
      condition.cursorRowId = id;
    }
    return 0;
  }

  /** A row at or below the cursors is available again: rewind them so it is found. */
  rewindCursors(rowId: number): void {
    for (const condition of this.#conditions.values()) {
      if (condition.cursorRowId >= rowId) condition.cursorRowId = rowId - 1;
    }
    for (const condition of this.#held.values()) {
      if (condition.cursorRowId >= rowId) condition.cursorRowId = rowId - 1;
    }
  }

  /**
   * Owned rows among `rowIds` are about to be removed: their owners step
   * aside (into removingOwners) until the removal settles.
   */
  beginRemoval(rowIds: Iterable<number>, removal: Promise<void>): void {
    let settled: Promise<void> | null = null;
    for (const rowId of rowIds) {
      const owner = this.owners.get(rowId);
      if (owner === undefined) continue;
      settled ??= removal.then(() => {}, () => {});
      this.owners.delete(rowId);
      this.removingOwners.set(rowId, { owner, settled, ended: false });
    }
  }

  /**
   * Rows at or after `firstRowId` (`count` of them) are live again after a
   * failed removal: owners that still claim them own them again. Runs before
   * waiters are served, so nobody else is handed such a row.
   */
  restoreOwners(firstRowId: number, count: number): void {
    if (this.removingOwners.size === 0) return;
    const endRowId = firstRowId + count;
    for (const [rowId, removing] of this.removingOwners) {
      if (rowId < firstRowId || rowId >= endRowId) continue;
      this.#giveBack(rowId, removing);
    }
  }

  /**
   * The removal begun for `rowIds` settled: forget the owners that stepped
   * aside, giving back any row that is live again.
   */
  endRemoval(rowIds: Iterable<number>): void {
    for (const rowId of rowIds) {
      const removing = this.removingOwners.get(rowId);
      if (removing !== undefined) this.#giveBack(rowId, removing);
    }
  }

  /** The removal of an owned row settled: a row live again goes back to its owner. */
  #giveBack(rowId: number, removing: RemovingOwner): void {
    this.removingOwners.delete(rowId);
    if (this.dropped || this.closed || !this.rows.isLive(rowId)) return;
    if (removing.ended || removing.owner.claims(this, rowId)) {
      this.owners.set(rowId, removing.owner);
    }
  }

  /**
   * Hands available rows to blocked sessions, in the order they began waiting;
   * each tries its arguments on this table in priority order.
   */
  serveWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.availableCount <= 0) return;
      for (let i = 0; i < waiter.args.length; i++) {
        const arg = defined(waiter.args[i], "i < length");
        if (arg.table !== this) continue;
        let rowId: number;
        try {
          rowId = this.findRow(arg.condition);
        } catch (error) {
          // A condition failing on a row (BIGINT overflow, an unreadable row)
          // fails that wait, as the statement would in MySQL; never the caller
          // (a commit round, another session's abort).
          if (!(error instanceof QueueError)) throw error;
          waiter.fail(error);
          break;
        }
        if (rowId !== 0) {
          this.deliver(rowId, waiter.owner);
          this.counters.waitDelayed++;
          waiter.settle(i + 1, this, rowId);
          break;
        }
      }
    }
  }
}

/** Removes a timer from what keeps the process alive (Deno and Node). */
function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  if (typeof timer === "number") deno?.unrefTimer?.(timer);
  else (timer as { unref?(): void }).unref?.();
}

/** The heap's entry at `i`; callers keep `i` below the length. */
function heapAt(heap: Array<[number, number]>, i: number): [number, number] {
  return defined(heap[i], "a heap index below its length");
}

function heapPush(heap: Array<[number, number]>, item: [number, number]): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const parentItem = heapAt(heap, parent);
    if (!lessThan(item, parentItem)) break;
    heap[i] = parentItem;
    heap[parent] = item;
    i = parent;
  }
}

function heapPop(heap: Array<[number, number]>): [number, number] {
  const top = heapAt(heap, 0);
  const last = defined(heap.pop(), "the heap is not empty");
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && lessThan(heapAt(heap, left), heapAt(heap, least))) least = left;
      if (right < heap.length && lessThan(heapAt(heap, right), heapAt(heap, least))) least = right;
      if (least === i) break;
      heap[i] = heapAt(heap, least);
      heap[least] = last;
      i = least;
    }
  }
  return top;
}

function lessThan(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}
