/**
 * A transaction of one local-backend session (BEGIN … COMMIT, q4d's
 * extension; Q4M has none): its inserts are buffered and the rows it
 * consumes (end, remove) are held, hidden from every session; commit writes
 * all of it as one log batch (Store.atomically), so after a crash either
 * all of it happened or none. Rollback (also a failed commit, a closed
 * session) puts everything back as it was at begin. Savepoints and implicit
 * commits are the engine's.
 *
 * State owned here: the buffered inserts, the held rows, the relay marks
 * reserved in its tables (`LocalTable.reserveMark`), and the owned row at begin.
 *
 * LocalSession → LocalTransaction → Store.atomically (one batch)
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import { batchBytesMax, rowOverheadBytesMax } from "../limits.ts";
import type { Store } from "../storage/mod.ts";
import type { LocalTable, Owner, Reserver } from "./local_table.ts";

/** What a transaction needs of its session. */
export interface TransactionSession extends Owner {
  /** True once the session is closed (rows then go back to their queues, none to it). */
  readonly closed: boolean;
  /** The session's owned row, read and replaced by rollback. */
  ownedRow: { table: LocalTable; rowId: number } | null;
  /** Returns the owned row to its queue (see LocalSession); true when a row went back. */
  release(): boolean;
}

/** An insert run inside the transaction, written at commit. */
interface BufferedInsert {
  readonly table: LocalTable;
  readonly payloads: readonly Uint8Array[];
  /** The relay mark it writes (reserved in its table, LocalTable.reserveMark, at the insert). */
  readonly mark: { source: number; rowId: number } | undefined;
  /** Wall-clock ms before which its rows are not delivered (queue_set_delay); 0 = at once. */
  readonly visibleAt: number;
}

/** Record bytes a REMOVE record adds per row id it names (u64). */
const removeIdBytes = 16;

/** The open transaction of one session. */
export class LocalTransaction implements Owner, Reserver {
  readonly #session: TransactionSession;
  /** The owned row at begin: what rollback gives back. */
  readonly #ownedAtBegin: { table: LocalTable; rowId: number } | null;
  readonly #inserts: BufferedInsert[] = [];
  /** Rows consumed inside the transaction, owned by it (hidden from all) until it ends. */
  readonly #held: Map<LocalTable, Set<number>> = new Map();
  /** Rows consumed as failed (end(true)), counted in rowsFailed at commit. */
  readonly #failed: Map<LocalTable, number> = new Map();
  /** Record bytes commit would write, at most (bounded by batchBytesMax). */
  #bytes = 0;
  /** "open" until commit starts; "done" once committed or rolled back. */
  #state: "open" | "committing" | "done" = "open";
  /** Settles once the transaction committed or rolled back (relays waiting on its marks go on). */
  readonly ended: Promise<void>;
  #end!: () => void;

  constructor(session: TransactionSession) {
    this.#session = session;
    this.#ownedAtBegin = session.ownedRow === null ? null : { ...session.ownedRow };
    this.ended = new Promise((resolve) => this.#end = resolve);
  }

  get sessionId(): number {
    return this.#session.sessionId;
  }

  /** True while the transaction holds `rowId` of `table` (a row it consumed). */
  claims(table: LocalTable, rowId: number): boolean {
    return this.#state !== "done" && (this.#held.get(table)?.has(rowId) ?? false);
  }

  /** Throws ER_TRANS_CACHE_FULL when `bytes` more would not fit one batch; changes nothing. */
  #reserve(bytes: number): void {
    if (this.#bytes + bytes > batchBytesMax) {
      throw new QueueError(
        "ER_TRANS_CACHE_FULL",
        `This transaction would write ${
          this.#bytes + bytes
        } bytes; one transaction holds at most ${batchBytesMax} (it commits as one log batch). The statement changed nothing: COMMIT what is done, then continue in a new transaction`,
      );
    }
    this.#bytes += bytes;
  }

  /**
   * Buffers an insert's rows, reserving its relay mark in the table (so a
   * second relay of the same row is dropped as it is outside a
   * transaction). ER_TRANS_CACHE_FULL when it does not fit.
   */
  insert(
    table: LocalTable,
    payloads: readonly Uint8Array[],
    mark: { source: number; rowId: number } | undefined,
    visibleAt: number,
  ): void {
    let bytes = mark === undefined ? 0 : rowOverheadBytesMax;
    for (const payload of payloads) bytes += payload.length + rowOverheadBytesMax;
    this.#reserve(bytes);
    if (mark !== undefined) table.reserveMark(this, mark.source, mark.rowId);
    this.#inserts.push({ table, payloads, mark, visibleAt });
  }

  /**
   * Consumes rows inside the transaction: they are owned by it (no session
   * sees or takes them) until commit removes them or rollback gives them
   * back. Rows not live are skipped. ER_TRANS_CACHE_FULL when they do not fit.
   */
  hold(table: LocalTable, rowIds: readonly number[], failed = false): void {
    const rows = table.rows;
    const live = rowIds.filter((rowId) => !table.dropped && rows.isLive(rowId));
    if (live.length === 0) return;
    let held = this.#held.get(table);
    this.#reserve((held === undefined ? rowOverheadBytesMax : 0) + removeIdBytes * live.length);
    if (held === undefined) this.#held.set(table, held = new Set());
    for (const rowId of live) {
      held.add(rowId);
      table.owners.set(rowId, this);
    }
    if (failed) this.#failed.set(table, (this.#failed.get(table) ?? 0) + live.length);
  }

  /**
   * Consumes a row whose removal by another session (TRUNCATE) is in flight:
   * the transaction steps in as the owner waiting aside, so a failed removal
   * gives the row back to it (commit then removes it, rollback returns it).
   */
  holdRemoving(table: LocalTable, rowId: number, failed: boolean): void {
    const removing = table.removingOwners.get(rowId);
    if (removing === undefined) return;
    let held = this.#held.get(table);
    this.#reserve((held === undefined ? rowOverheadBytesMax : 0) + removeIdBytes);
    if (held === undefined) this.#held.set(table, held = new Set());
    held.add(rowId);
    table.removingOwners.set(rowId, { ...removing, owner: this });
    if (failed) this.#failed.set(table, (this.#failed.get(table) ?? 0) + 1);
  }

  /**
   * Writes everything as one batch. Resolves once it is durable; on a
   * failure (disk full, a table dropped meanwhile) rejects with that error,
   * and the transaction is rolled back: nothing of it happened.
   */
  async commit(store: Store): Promise<void> {
    this.#state = "committing";
    // A held row whose removal by another session (TRUNCATE) is in flight:
    // if that removal fails the row is live again and given back to this
    // transaction (it claims the row while committing), so wait for it and
    // remove what is still ours below; else a consumed row would come back.
    const inFlight: Promise<void>[] = [];
    for (const [table, held] of this.#held) {
      for (const rowId of held) {
        const removing = table.removingOwners.get(rowId);
        if (removing !== undefined && removing.owner === this) inFlight.push(removing.settled);
      }
    }
    if (inFlight.length > 0) await Promise.all(inFlight);
    for (const insert of this.#inserts) {
      if (insert.table.dropped) {
        this.rollback();
        throw new QueueError(
          "ER_NO_SUCH_TABLE",
          `Table '${insert.table.name}' was dropped during the transaction; nothing of it was committed`,
        );
      }
    }
    const parts: Promise<void>[] = [];
    const appended: { insert: BufferedInsert; firstRowId: number }[] = [];
    const removals: { table: LocalTable; rowIds: number[] }[] = [];
    try {
      store.atomically(() => {
        for (const insert of this.#inserts) {
          const { table, payloads, mark, visibleAt } = insert;
          const { firstRowId, durable } = table.rows.append(
            payloads as Uint8Array[],
            mark,
            visibleAt,
          );
          parts.push(durable);
          appended.push({ insert, firstRowId });
          // Delayed before the rows become live, so no waiter is handed one early.
          if (visibleAt > 0) {
            for (let i = 0; i < payloads.length; i++) table.delay(firstRowId + i, visibleAt);
          }
        }
        for (const [table, held] of this.#held) {
          if (table.dropped) continue;
          const rowIds = [...held].filter((rowId) => table.owners.get(rowId) === this);
          if (rowIds.length === 0) continue;
          const done = table.rows.remove(rowIds);
          parts.push(done);
          table.beginRemoval(rowIds, done);
          removals.push({ table, rowIds });
        }
      });
    } catch (error) {
      // Nothing was written; the store undid the calls' effects.
      for (const part of parts) part.catch(() => {});
      this.#undoAppends(appended);
      for (const { table, rowIds } of removals) table.endRemoval(rowIds);
      this.rollback();
      throw error;
    }
    const settled = await Promise.allSettled(parts);
    for (const { table, rowIds } of removals) table.endRemoval(rowIds);
    const failure = settled.find((result) => result.status === "rejected");
    if (failure !== undefined) {
      this.#undoAppends(appended);
      this.rollback();
      throw failure.reason;
    }
    this.#releaseReservations();
    for (const [table, count] of this.#failed) table.counters.rowsFailed += count;
    this.#state = "done";
  }

  /** Appends that were not written: their ids are issued again, so they must not stay delayed. */
  #undoAppends(appended: readonly { insert: BufferedInsert; firstRowId: number }[]): void {
    for (const { insert, firstRowId } of appended) {
      if (insert.visibleAt === 0) continue;
      for (let i = 0; i < insert.payloads.length; i++) {
        if (insert.table.delayed.get(firstRowId + i) === insert.visibleAt) {
          insert.table.delayed.delete(firstRowId + i);
        }
      }
    }
  }

  /** Gives up the relay marks reserved by the inserts (storage holds them once written). */
  #releaseReservations(): void {
    for (const { table, mark } of this.#inserts) {
      if (mark !== undefined) table.releaseMarks(this);
    }
    this.#end();
  }

  /**
   * Undoes everything: buffered rows are dropped, reserved relay marks
   * released, the row owned at begin is owned again (if the session is still
   * open), and every other row the transaction took (consumed, or claimed
   * and still owned) goes back to its queue at its place, as queue_abort
   * does. Idempotent.
   */
  rollback(): void {
    if (this.#state === "done") return;
    this.#state = "done";
    this.#releaseReservations();
    const session = this.#session;
    const atBegin = session.closed ? null : this.#ownedAtBegin;
    // A row claimed inside the transaction and still owned goes back.
    const owned = session.ownedRow;
    if (
      owned !== null &&
      (atBegin === null || owned.table !== atBegin.table || owned.rowId !== atBegin.rowId)
    ) {
      if (session.release()) {
        if (session.closed) owned.table.counters.restoredByClose++;
        else owned.table.counters.restoredByAbort++;
      }
    }
    for (const [table, held] of this.#held) {
      let firstBack = 0;
      for (const rowId of held) {
        if (table.owners.get(rowId) !== this) continue;
        table.owners.delete(rowId);
        if (table.dropped || !table.rows.isLive(rowId)) continue;
        if (atBegin !== null && atBegin.table === table && atBegin.rowId === rowId) {
          table.owners.set(rowId, session);
          continue;
        }
        if (session.closed) table.counters.restoredByClose++;
        else table.counters.restoredByAbort++;
        if (firstBack === 0 || rowId < firstBack) firstBack = rowId;
      }
      if (firstBack !== 0 && !table.dropped) {
        table.rewindCursors(firstBack);
        table.serveWaiters();
      }
    }
    if (session.closed) return;
    // The row owned at begin, unless another session owns it now (it left
    // this session some other way); a row removed meanwhile stays "owned"
    // and shows nothing, as after TRUNCATE.
    const stillOurs = atBegin === null || atBegin.table.owners.get(atBegin.rowId) === session ||
      !atBegin.table.rows.isLive(atBegin.rowId) || atBegin.table.dropped;
    session.ownedRow = stillOurs ? atBegin : null;
  }
}
