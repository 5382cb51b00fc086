/**
 * One session of the local backend: the row it owns, its blocked wait, and
 * the operations on them (queue_wait's search and blocking, queue_end,
 * queue_abort, release on close), plus what the session sees of a table.
 *
 * State owned here: the session's owned row and pending wait. Which row a
 * table has handed to whom is the table's (`LocalTable.owners`); both are
 * set together when a wait is served.
 *
 * Engine session → LocalSession → LocalTable → storage TableRows
 *
 * @module
 */

import { assert, defined, QueueError } from "../errors.ts";
import type { Store } from "../storage/mod.ts";
import type { LocalTable, Owner, WaitArg as TableWaitArg, Waiter } from "./local_table.ts";
import { LocalTransaction } from "./local_transaction.ts";
import type { BackendSession, OwnedRow, WaitArg, WaitResult } from "./types.ts";

/** What a session needs of its backend. */
export interface SessionHost {
  /** The live table by id, or undefined once dropped. */
  table(tableId: number): LocalTable | undefined;
  /** The session closed: forget it. */
  sessionClosed(session: LocalSession): void;
  /** The store, whose atomically() makes a commit one batch. */
  readonly store: Store;
}

/** A pending wait: the waiter and what the call holds. */
interface PendingWait {
  readonly waiter: Waiter;
  /** Held strongly while the wait is pending (the engine's session anchor). */
  readonly keepAlive: object | undefined;
}

/**
 * How often a blocked queue_wait whose condition reads the clock (NOW() …)
 * searches again for rows that came due through time alone; rows that
 * arrive or are given back are found at once, as for any condition.
 */
const clockConditionRecheckMs = 1000;

const notWaiting: WaitResult = { argIndex: 0, rowId: 0 };

/** One session of the local backend. */
export class LocalSession implements BackendSession, Owner {
  readonly sessionId: number;
  readonly #host: SessionHost;
  /** The owned row, if any. Its table may have lost it since (DELETE, TRUNCATE, DROP). */
  #owned: { table: LocalTable; rowId: number } | null = null;
  #pendingWait: PendingWait | null = null;
  #closed = false;
  /** The open transaction, if any. */
  #transaction: LocalTransaction | null = null;

  constructor(sessionId: number, host: SessionHost) {
    this.sessionId = sessionId;
    this.#host = host;
  }

  get owned(): OwnedRow | null {
    const owned = this.#owned;
    return owned === null ? null : { tableId: owned.table.tableId, rowId: owned.rowId };
  }

  ownedRowIn(tableId: number): number {
    const owned = this.#owned;
    if (owned === null || owned.table.tableId !== tableId || owned.table.dropped) return 0;
    // Not once its own transaction consumed it (the transaction owns it then).
    if (owned.table.owners.get(owned.rowId) !== this) return 0;
    return owned.table.rows.isLive(owned.rowId) ? owned.rowId : 0;
  }

  get waitingOn(): readonly number[] | null {
    const pending = this.#pendingWait;
    if (pending === null) return null;
    return [...new Set(pending.waiter.args.map((arg) => arg.table.tableId))];
  }

  /** True while this open session's owned row is `rowId` of `table`. */
  claims(table: LocalTable, rowId: number): boolean {
    const owned = this.#owned;
    return !this.#closed && owned !== null && owned.table === table && owned.rowId === rowId;
  }

  /** The result itself when a row is there or `timeoutMs` is 0; a promise when it blocks. */
  wait(
    args: readonly WaitArg[],
    timeoutMs: number,
    keepAlive?: object,
  ): WaitResult | Promise<WaitResult> {
    this.#checkOpen();
    assert(this.#pendingWait === null, "a second wait in one session");
    // Every table resolved and every condition compiled before any row is
    // taken: a bad condition anywhere fails the call with nothing owned.
    const waitArgs: TableWaitArg[] = new Array(args.length);
    for (let i = 0; i < args.length; i++) {
      const arg = defined(args[i], "i < length");
      const table = this.#host.table(arg.tableId);
      if (table === undefined) return notWaiting;
      waitArgs[i] = { table, condition: table.condition(arg.text) };
    }
    for (let i = 0; i < waitArgs.length; i++) {
      const { table, condition } = defined(waitArgs[i], "i < length");
      const rowId = table.findRow(condition);
      if (rowId !== 0) {
        table.deliver(rowId, this);
        table.counters.waitImmediate++;
        this.#owned = { table, rowId };
        return { argIndex: i + 1, rowId };
      }
    }
    const tables = waitArgs.map((arg) => arg.table);
    if (timeoutMs === 0) {
      countTimeout(tables);
      this.#owned = null;
      return notWaiting;
    }
    return this.#block(waitArgs, tables, timeoutMs, keepAlive);
  }

  #block(
    args: readonly TableWaitArg[],
    tables: readonly LocalTable[],
    timeoutMs: number,
    keepAlive: object | undefined,
  ): Promise<WaitResult> {
    return new Promise<WaitResult>((resolve, reject) => {
      const distinct = [...new Set(tables)];
      let done = false;
      const finish = () => {
        done = true;
        clearTimeout(timer);
        if (recheck !== undefined) clearInterval(recheck);
        for (const table of distinct) table.waiters.delete(waiter);
        for (const arg of args) arg.table.unhold(arg.condition);
        this.#pendingWait = null;
      };
      const waiter: Waiter = {
        owner: this,
        args,
        settle: (argIndex, table, rowId) => {
          assert(!done, "a queue_wait settled twice");
          finish();
          if (argIndex === 0) countTimeout(distinct);
          this.#owned = table === null ? null : { table, rowId };
          resolve(argIndex === 0 ? notWaiting : { argIndex, rowId });
        },
        fail(error) {
          assert(!done, "a queue_wait settled twice");
          finish();
          reject(error);
        },
      };
      const timer = setTimeout(() => waiter.settle(0, null, 0), timeoutMs);
      const recheck = args.some((arg) => arg.condition.compiled.readsClock)
        ? setInterval(() => {
          for (const table of distinct) {
            if (!done) table.serveWaiters();
          }
        }, clockConditionRecheckMs)
        : undefined;
      this.#pendingWait = { waiter, keepAlive };
      // Held conditions stay compiled and rewound while this call waits.
      for (const arg of args) arg.table.hold(arg.condition);
      for (const table of distinct) table.waiters.add(waiter);
    });
  }

  cancelWait(error: Error): boolean {
    const pending = this.#pendingWait;
    if (pending === null) return false;
    pending.waiter.fail(
      error instanceof QueueError ? error : new QueueError("ER_QUERY_INTERRUPTED", error.message),
    );
    return true;
  }

  attempts(): number | null {
    const owned = this.#owned;
    if (owned === null || this.ownedRowIn(owned.table.tableId) === 0) return null;
    return owned.table.rows.rowMeta(owned.rowId).attempts;
  }

  async end(failed = false): Promise<void> {
    const owned = this.#owned;
    const transaction = this.#transaction;
    if (transaction !== null) {
      // Held first: a transaction too large fails here and the row stays owned.
      if (owned !== null && owned.table.owners.get(owned.rowId) === this) {
        transaction.hold(owned.table, [owned.rowId], failed);
      } else if (owned?.table.removingOwners.get(owned.rowId)?.owner === this) {
        // A TRUNCATE of it is in flight: if that fails, the row is the transaction's.
        transaction.holdRemoving(owned.table, owned.rowId, failed);
      }
      this.#owned = null;
      return;
    }
    this.#owned = null;
    if (owned === null) return;
    const { table, rowId } = owned;
    const removing = table.removingOwners.get(rowId);
    if (removing !== undefined && removing.owner === this) {
      // A TRUNCATE or DELETE of the row is in flight: the row is finished once
      // that is durable; if it fails, the row stays ours and we remove it.
      removing.ended = true;
      await removing.settled;
    }
    if (table.owners.get(rowId) === this) table.owners.delete(rowId);
    if (table.dropped || !table.rows.isLive(rowId)) return;
    await table.rows.remove([rowId]);
    if (failed) table.counters.rowsFailed++;
  }

  /** `undefined` when done at once (no delay, or no live owned row); a promise when a due time is written. */
  abort(delayMs: number): void | Promise<void> {
    if (this.#transaction !== null) {
      throw new QueueError(
        "ER_CANT_DO_THIS_DURING_AN_TRANSACTION",
        "abort inside a transaction: rollback gives back the rows the transaction took",
      );
    }
    const owned = this.#owned;
    if (
      delayMs > 0 && owned !== null && this.ownedRowIn(owned.table.tableId) !== 0 &&
      owned.table.owners.get(owned.rowId) === this
    ) {
      return this.#abortDelayed(owned.table, owned.rowId, delayMs);
    }
    this.#abortNow();
  }

  /**
   * The due time is durable before the row leaves its owner; if writing it
   * fails the row stays owned and nothing changed.
   */
  async #abortDelayed(table: LocalTable, rowId: number, delayMs: number): Promise<void> {
    const rows = table.rows;
    const visibleAt = Date.now() + delayMs;
    await rows.setRowMeta(rowId, { visibleAt, attempts: rows.rowMeta(rowId).attempts });
    // Meanwhile the session may have been closed (its row went back at once).
    if (table.owners.get(rowId) === this && this.claims(table, rowId)) {
      table.delay(rowId, visibleAt);
    }
    this.#abortNow();
  }

  #abortNow(): void {
    const table = this.#owned?.table;
    if (this.#release() && table !== undefined) table.counters.restoredByAbort++;
  }

  /**
   * Forgets the owned row, returning it to its queue when it is still live,
   * and wakes waiters. Returns true when a row went back.
   */
  #release(): boolean {
    return this.release();
  }

  /** #release, for the session's transaction (rollback). */
  release(): boolean {
    const owned = this.#owned;
    this.#owned = null;
    if (owned === null) return false;
    const { table, rowId } = owned;
    if (table.owners.get(rowId) !== this) return false;
    table.owners.delete(rowId);
    if (table.dropped || !table.rows.isLive(rowId)) return false;
    table.rewindCursors(rowId);
    table.serveWaiters();
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pendingWait?.waiter.fail(new QueueError("ER_CLOSED", "Session was closed while waiting"));
    // An open transaction rolls back: what it took goes back to the queues.
    this.#transaction?.rollback();
    this.#transaction = null;
    const table = this.#owned?.table;
    if (this.#release() && table !== undefined) table.counters.restoredByClose++;
    this.#host.sessionClosed(this);
  }

  scan(
    tableId: number,
    ownerMode: boolean,
    visit: (rowId: number, payload: Uint8Array) => boolean,
  ): void {
    const table = this.#requireTable(tableId);
    const rows = table.rows;
    if (ownerMode) {
      const rowId = this.ownedRowIn(tableId);
      if (rowId !== 0) visit(rowId, rows.readRow(rowId));
      return;
    }
    const owners = table.owners;
    for (let id = rows.nextLive(0); id !== 0; id = rows.nextLive(id)) {
      if (owners.has(id)) continue;
      if (!visit(id, rows.readRow(id))) return;
    }
  }

  visibleCount(tableId: number, ownerMode: boolean): number {
    if (ownerMode) return this.ownedRowIn(tableId) === 0 ? 0 : 1;
    return this.#requireTable(tableId).availableCount;
  }

  async remove(tableId: number, rowIds: readonly number[]): Promise<void> {
    const table = this.#requireTable(tableId);
    if (this.#transaction !== null) {
      // Held by the transaction (hidden from everyone) and removed at commit.
      this.#transaction.hold(table, rowIds);
      return;
    }
    // Only the session's own row can be owned here; it is consumed, not
    // returned. If the write fails the row comes back to its owner.
    const done = table.rows.remove(rowIds as number[]);
    table.beginRemoval(rowIds, done);
    try {
      await done;
    } finally {
      table.endRemoval(rowIds);
    }
  }

  begin(): void {
    this.#checkOpen();
    if (this.#transaction !== null) {
      throw new QueueError("ER_WRONG_ARGUMENTS", "this session already has a transaction open");
    }
    this.#transaction = new LocalTransaction(this);
  }

  get inTransaction(): boolean {
    return this.#transaction !== null;
  }

  /** The open transaction (LocalBackend.insert buffers rows in it), or null. */
  get transaction(): LocalTransaction | null {
    return this.#transaction;
  }

  commit(): Promise<void> {
    const transaction = this.#transaction;
    if (transaction === null) return Promise.resolve();
    this.#transaction = null;
    return transaction.commit(this.#host.store);
  }

  rollback(): void {
    const transaction = this.#transaction;
    this.#transaction = null;
    transaction?.rollback();
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The owned row with its table (read and restored by the transaction's rollback). */
  get ownedRow(): { table: LocalTable; rowId: number } | null {
    return this.#owned;
  }

  set ownedRow(owned: { table: LocalTable; rowId: number } | null) {
    this.#owned = owned;
  }

  #requireTable(tableId: number): LocalTable {
    const table = this.#host.table(tableId);
    if (table === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Table with id ${tableId} doesn't exist`);
    }
    return table;
  }

  #checkOpen(): void {
    if (this.#closed) throw new QueueError("ER_CLOSED", "Session is closed");
  }
}

function countTimeout(tables: readonly LocalTable[]): void {
  for (const table of new Set(tables)) table.counters.waitTimeout++;
}
