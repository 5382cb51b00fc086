/**
 * The engine's state for one session (one "connection"): owner mode, the
 * owned row, a pending queue_wait, and an armed relay mark.
 *
 * Session (public) → SessionState → QueueTable
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import { defaultDatabase } from "../sql/names.ts";
import type { Owner, QueueTable, Waiter } from "./table.ts";

/** A relay mark armed by queue_set_srcid for the session's next INSERT. */
export interface ArmedMark {
  source: number;
  mode: "a" | "w";
  rowId: number;
}

/** A pending queue_wait: the waiter and how to end it early. */
export interface PendingWait {
  readonly waiter: Waiter;
  /** Ends the wait with an error (session or database closing). */
  cancel(error: QueueError): void;
  /**
   * The session's anchor (see {@linkcode SessionState.anchor}), held while the
   * wait is pending: a blocked queue_wait can still take a row for its
   * caller, so its session must not be collected and closed under it.
   */
  readonly keepAlive: object | undefined;
}

/** One session's state; the Database owns every SessionState it hands out. */
export class SessionState implements Owner {
  readonly sessionId: number;
  /** Owner mode: entered by queue_wait, left by queue_end / queue_abort. */
  ownerMode = false;
  /** The owned row, if any. Its table may have lost it since (DELETE, TRUNCATE, DROP). */
  owned: { table: QueueTable; rowId: number } | null = null;
  /**
   * The object whose collection closes this session (what its `sql` and
   * `sql.unsafe` reference), weakly: a pending wait holds it strongly.
   */
  anchor: WeakRef<object> | null = null;
  /** A blocked queue_wait (set while it is blocked on tables). */
  pendingWait: PendingWait | null = null;
  /** True from the moment queue_wait is called until it returns or fails. */
  waitCalled = false;
  armed: ArmedMark | null = null;
  /** A delay (ms) armed by queue_set_delay for the session's next INSERT; 0 = none. */
  armedDelayMs = 0;
  /** The current database (USE): unqualified table names resolve in it. */
  database: string = defaultDatabase;
  closed = false;

  constructor(sessionId: number) {
    this.sessionId = sessionId;
  }

  /** The owned row id in `table` if this session owns a live row there, else 0. */
  ownedRowIn(table: QueueTable): number {
    const owned = this.owned;
    if (owned === null || owned.table !== table || table.dropped) return 0;
    return table.entry.rows.isLive(owned.rowId) ? owned.rowId : 0;
  }

  /** True while this open session's owned row is `rowId` of `table`. */
  claims(table: QueueTable, rowId: number): boolean {
    const owned = this.owned;
    return !this.closed && owned !== null && owned.table === table && owned.rowId === rowId;
  }

  /** Takes the owned row (after a successful queue_wait). */
  own(table: QueueTable | null, rowId: number): void {
    this.ownerMode = true;
    this.owned = table === null ? null : { table, rowId };
  }

  /**
   * Leaves owner mode, returning the owned row to its queue when it is still
   * live, and wakes waiters. Returns true when a row went back.
   */
  release(): boolean {
    const owned = this.owned;
    this.ownerMode = false;
    this.owned = null;
    if (owned === null) return false;
    const { table, rowId } = owned;
    if (table.owners.get(rowId) !== this) return false;
    table.owners.delete(rowId);
    if (table.dropped || !table.entry.rows.isLive(rowId)) return false;
    table.rewindCursors(rowId);
    table.serveWaiters();
    return true;
  }

  /** Throws ER_CLOSED once closed. */
  checkOpen(): void {
    if (this.closed) throw new QueueError("ER_CLOSED", "Session is closed");
  }
}
