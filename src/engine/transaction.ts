/**
 * Multi-statement transactions (q4d's extension; Q4M has none): between
 * BEGIN and COMMIT a session's INSERTs are buffered and the rows it consumes
 * (queue_end, queue_wait's implicit end, DELETE) are held, hidden from every
 * session; COMMIT writes all of it as one log batch, so after a crash either
 * all of it happened or none. ROLLBACK (also a failed COMMIT, a closed
 * session) puts everything back as it was at BEGIN.
 *
 * Session → Transaction → Store.atomically (one batch)
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import { batchBytesMax, rowOverheadBytesMax } from "../limits.ts";
import type { Store } from "../storage/types.ts";
import type { SessionState } from "./session_state.ts";
import type { Owner, QueueTable } from "./table.ts";

/** An INSERT run inside the transaction, written at COMMIT. */
interface BufferedInsert {
  readonly table: QueueTable;
  readonly payloads: Uint8Array[];
  /** The relay mark it writes (reserved in the table's marks at the INSERT). */
  readonly mark: { source: number; rowId: number } | undefined;
  /** The table's mark before this INSERT reserved it (restored by ROLLBACK). */
  readonly previousMark: number;
  /** Wall-clock ms before which its rows are not delivered (queue_set_delay); 0 = at once. */
  readonly visibleAt: number;
}

/** Record bytes a REMOVE record adds per row id it names (u64). */
const removeIdBytes = 16;

/** The open transaction of one session. */
export class Transaction implements Owner {
  readonly session: SessionState;
  /** Owner mode and owned row at BEGIN: what ROLLBACK gives back. */
  readonly #ownerModeAtBegin: boolean;
  readonly #ownedAtBegin: { table: QueueTable; rowId: number } | null;
  readonly #inserts: BufferedInsert[] = [];
  /** Rows consumed inside the transaction, owned by it (hidden from all) until it ends. */
  readonly #held: Map<QueueTable, Set<number>> = new Map();
  /** Rows consumed with queue_fail(), counted as failed at COMMIT. */
  readonly #failed: Map<QueueTable, number> = new Map();
  /** Record bytes COMMIT would write, at most (bounded by batchBytesMax). */
  #bytes = 0;
  /** Changes made so far; a savepoint remembers the count (ROLLBACK TO needs no undo if equal). */
  #changeCount = 0;
  readonly #savepoints: Map<string, number> = new Map();
  /** "open" until COMMIT starts; "done" once committed or rolled back. */
  #state: "open" | "committing" | "done" = "open";

  constructor(session: SessionState) {
    this.session = session;
    this.#ownerModeAtBegin = session.ownerMode;
    this.#ownedAtBegin = session.owned === null ? null : { ...session.owned };
  }

  get sessionId(): number {
    return this.session.sessionId;
  }

  /** True while the transaction holds `rowId` of `table` (a row it consumed). */
  claims(table: QueueTable, rowId: number): boolean {
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
    this.#changeCount++;
  }

  /**
   * Buffers an INSERT's encoded rows (and reserves its relay mark in the
   * table's marks, so a second relay of the same row is dropped as it is
   * outside a transaction). ER_TRANS_CACHE_FULL when it does not fit.
   */
  insert(
    table: QueueTable,
    payloads: Uint8Array[],
    mark: { source: number; rowId: number } | undefined,
    visibleAt: number,
  ): void {
    let bytes = mark === undefined ? 0 : rowOverheadBytesMax;
    for (const payload of payloads) bytes += payload.length + rowOverheadBytesMax;
    this.#reserve(bytes);
    const previousMark = mark === undefined
      ? 0
      : defined(table.sourceMarks[mark.source], "a relay source is below relaySourceCount");
    if (mark !== undefined) table.sourceMarks[mark.source] = mark.rowId;
    this.#inserts.push({ table, payloads, mark, previousMark, visibleAt });
  }

  /**
   * Consumes rows inside the transaction: they are owned by it (no session
   * sees or takes them) until COMMIT removes them or ROLLBACK gives them
   * back. Rows not live are skipped. ER_TRANS_CACHE_FULL when they do not fit.
   */
  hold(table: QueueTable, rowIds: readonly number[], failed = false): void {
    const rows = table.entry.rows;
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

  /** A change that writes nothing (a claim by queue_wait) still counts against savepoints. */
  noteChange(): void {
    this.#changeCount++;
  }

  savepoint(name: string): void {
    this.#savepoints.set(name.toLowerCase(), this.#changeCount);
  }

  releaseSavepoint(name: string): void {
    if (!this.#savepoints.delete(name.toLowerCase())) throw noSuchSavepoint(name);
  }

  /**
   * ROLLBACK TO SAVEPOINT: accepted when nothing changed since the savepoint
   * (what mysqldump --single-transaction does); undoing part of a
   * transaction is not supported.
   */
  rollbackToSavepoint(name: string): void {
    const count = this.#savepoints.get(name.toLowerCase());
    if (count === undefined) throw noSuchSavepoint(name);
    if (count !== this.#changeCount) {
      throw new QueueError(
        "ER_NOT_SUPPORTED_YET",
        `ROLLBACK TO SAVEPOINT ${name} after changes is not supported by q4d: ROLLBACK the whole transaction`,
      );
    }
  }

  /**
   * Writes everything as one batch. Resolves once it is durable; on a
   * failure (disk full, a table dropped meanwhile) rejects with that error,
   * and the transaction is rolled back: nothing of it happened.
   */
  async commit(store: Store): Promise<void> {
    this.#state = "committing";
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
    const removals: { table: QueueTable; rowIds: number[] }[] = [];
    try {
      store.atomically(() => {
        for (const insert of this.#inserts) {
          const { table, payloads, mark, visibleAt } = insert;
          const { firstRowId, durable } = table.entry.rows.append(payloads, mark, visibleAt);
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
          const done = table.entry.rows.remove(rowIds);
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

  /**
   * Undoes everything: buffered rows are dropped, reserved relay marks
   * restored, the row owned at BEGIN is owned again (if the session is still
   * open), and every other row the transaction took (consumed, or claimed
   * and still owned) goes back to its queue at its place, as queue_abort
   * does. Idempotent.
   */
  rollback(): void {
    if (this.#state === "done") return;
    this.#state = "done";
    const session = this.session;
    for (const { table, mark, previousMark } of this.#inserts.toReversed()) {
      if (mark !== undefined && table.sourceMarks[mark.source] === mark.rowId) {
        table.sourceMarks[mark.source] = previousMark;
      }
    }
    const atBegin = session.closed ? null : this.#ownedAtBegin;
    // A row claimed inside the transaction and still owned goes back.
    const owned = session.owned;
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
        if (table.dropped || !table.entry.rows.isLive(rowId)) continue;
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
    if (!session.closed) {
      session.ownerMode = this.#ownerModeAtBegin;
      session.owned = atBegin;
    }
  }
}

function noSuchSavepoint(name: string): QueueError {
  return new QueueError("ER_SP_DOES_NOT_EXIST", `SAVEPOINT ${name} does not exist`);
}
