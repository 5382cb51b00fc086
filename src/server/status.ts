/**
 * q4d's status variables: what `db.capabilities` and `db.recovery` say of
 * the served database, as rows of `SHOW GLOBAL STATUS` (`LIKE 'q4d%'`), the
 * place MySQL operators read a server's state. `connect()` reads them once
 * to give a served database the same `capabilities` and `recovery` as an
 * open one: one list of names for both ends.
 *
 * Database → status rows (server) → Variable_name / Value → views (client)
 *
 * @module
 */

import type { BackendCapabilities, RecoveryReportView } from "../engine/mod.ts";
import { QueueError } from "../errors.ts";

/** The status variable naming the backend (`db.capabilities.name`). */
const backendName = "Q4d_backend";
/** Prefix of the other capabilities (`Q4d_capability_ownership_is_lease`). */
const capabilityPrefix = "Q4d_capability_";
/** Prefix of the recovery report's numbers (`Q4d_recovery_segment_count`). */
const recoveryPrefix = "Q4d_recovery_";
/** Prefix of the torn tail recovery cut (`Q4d_recovery_torn_tail_path`, "" when none). */
const tornTailPrefix = "Q4d_recovery_torn_tail_";

/** `ownershipIsLease` → `ownership_is_lease`. */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

/** `ownership_is_lease` → `ownershipIsLease`. */
function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A status value as MySQL shows one: ON / OFF for a boolean. */
function statusValue(value: string | number | boolean): string {
  return typeof value === "boolean" ? (value ? "ON" : "OFF") : String(value);
}

/** What the status rows are made from: a Database's views. */
export interface StatusSource {
  readonly capabilities: BackendCapabilities;
  readonly recovery: RecoveryReportView;
}

/**
 * The q4d status rows of a database: [Variable_name, Value], names in MySQL's capitalization.
 *
 * @example
 * ```ts
 * import { open } from "../../mod.ts";
 * const db = await open(await Deno.makeTempDir());
 * const rows = q4dStatus(db); // [["Q4d_backend", "local"], ["Q4d_capability_transactions", "ON"], …]
 * console.log(rows.find(([name]) => name === "Q4d_recovery_segment_count"));
 * await db.close();
 * ```
 */
export function q4dStatus(db: StatusSource): [string, string][] {
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(db.capabilities)) {
    rows.push([key === "name" ? backendName : capabilityPrefix + snake(key), statusValue(value)]);
  }
  const { tornTail, ...numbers } = db.recovery;
  for (const [key, value] of Object.entries(numbers)) {
    rows.push([recoveryPrefix + snake(key), statusValue(value)]);
  }
  const tail = tornTail ?? { path: "", offset: 0, bytesDropped: 0 };
  for (const [key, value] of Object.entries(tail)) {
    rows.push([tornTailPrefix + snake(key), statusValue(value)]);
  }
  return rows;
}

/** The statement connect() reads the status rows with. */
export const statusQuery = "SHOW GLOBAL STATUS LIKE 'q4d%'";

/**
 * The capabilities and recovery report of q4d status rows (`Variable_name`,
 * `Value`); null when the rows are not q4d's (another MySQL server).
 *
 * @example
 * ```ts
 * import { open } from "../../mod.ts";
 * const db = await open(await Deno.makeTempDir());
 * const rows = q4dStatus(db).map(([Variable_name, Value]) => ({ Variable_name, Value }));
 * console.log(statusViews(rows)?.capabilities.name); // "local", as db.capabilities.name
 * console.log(statusViews([])); // null: not a q4d server
 * await db.close();
 * ```
 */
export function statusViews(
  rows: readonly Record<string, unknown>[],
): { capabilities: BackendCapabilities; recovery: RecoveryReportView } | null {
  const capabilities: Record<string, string | boolean> = {};
  const recovery: Record<string, number> = {};
  const tail: Record<string, string | number> = {};
  for (const row of rows) {
    const name = String(row.Variable_name);
    const value = String(row.Value);
    if (name === backendName) capabilities.name = value;
    else if (name.startsWith(capabilityPrefix)) {
      const key = camel(name.slice(capabilityPrefix.length));
      capabilities[key] = value === "ON" ? true : value === "OFF" ? false : value;
    } else if (name.startsWith(tornTailPrefix)) {
      const key = camel(name.slice(tornTailPrefix.length));
      tail[key] = key === "path" ? value : Number(value);
    } else if (name.startsWith(recoveryPrefix)) {
      recovery[camel(name.slice(recoveryPrefix.length))] = Number(value);
    }
  }
  if (capabilities.name === undefined) return null;
  return {
    capabilities: capabilities as unknown as BackendCapabilities,
    recovery: {
      ...(recovery as unknown as Omit<RecoveryReportView, "tornTail">),
      tornTail: tail.path === undefined || tail.path === ""
        ? null
        : tail as unknown as RecoveryReportView["tornTail"],
    },
  };
}

/** The error of reading a q4d view from a server that did not report it. */
export function noStatusError(what: string): QueueError {
  return new QueueError(
    "ER_NOT_SUPPORTED_YET",
    `The server reports no ${what} (its SHOW GLOBAL STATUS has no q4d variables: not a q4d server)`,
  );
}
