/**
 * The engine's state for one session (one "connection"): owner mode, the
 * armed relay mark and delay, whether a queue_wait is in progress, and the
 * session's handle on the backend.
 *
 * State owned here: the SQL-visible session modes (owner mode, armed mark,
 * armed delay). The owned row and a blocked wait are the backend session's
 * (`backend`): the engine asks it, never keeps a copy.
 *
 * Session (public) → SessionState → BackendSession
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { BackendSession } from "../backend/mod.ts";
import { defaultDatabase } from "../sql/mod.ts";

/** A relay mark armed by queue_set_srcid for the session's next INSERT. */
export interface ArmedMark {
  source: number;
  mode: "a" | "w";
  rowId: number;
}

/** One session's state; the Database owns every SessionState it hands out. */
export class SessionState {
  readonly sessionId: number;
  /** The backend's side of the session: its owned row and blocked wait. */
  readonly backend: BackendSession;
  /** Owner mode: entered by queue_wait, left by queue_end / queue_abort. */
  ownerMode = false;
  /**
   * The object whose collection closes this session (what its `sql` and
   * `sql.unsafe` reference), weakly: a pending wait holds it strongly.
   */
  anchor: WeakRef<object> | null = null;
  /** True from the moment queue_wait is called until it returns or fails. */
  waitCalled = false;
  armed: ArmedMark | null = null;
  /** A delay (ms) armed by queue_set_delay for the session's next INSERT; 0 = none. */
  armedDelayMs = 0;
  /** The current database (USE): unqualified table names resolve in it. */
  database: string = defaultDatabase;
  /**
   * Savepoints of the open transaction: name → `changeCount` when it was
   * set; null when none (then nothing is counted). ROLLBACK TO one is
   * accepted only when no statement ran since.
   */
  savepoints: Map<string, number> | null = null;
  /** Owner mode when the open transaction began: ROLLBACK restores it. */
  ownerModeAtBegin = false;
  /** Statements run while a savepoint exists. */
  changeCount = 0;
  closed = false;

  constructor(sessionId: number, backend: BackendSession) {
    this.sessionId = sessionId;
    this.backend = backend;
  }

  /** Throws ER_CLOSED once closed. */
  checkOpen(): void {
    if (this.closed) throw new QueueError("ER_CLOSED", "Session is closed");
  }
}
