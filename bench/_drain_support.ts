/**
 * Shared by the drain scripts (jobs_drain.ts, txn_move.ts): the `--rows`
 * option and filling a one-column queue table with 0..rows-1.
 *
 * @module
 */

import process from "node:process";
import type { Database } from "../mod.ts";

/** The `--rows N` option (default 4000). */
export function rowsOption(): number {
  const args = process.argv.slice(2);
  const rowsIndex = args.indexOf("--rows");
  const rows = rowsIndex >= 0 ? Number(args[rowsIndex + 1]) : 4000;
  if (!Number.isInteger(rows) || rows < 1) throw new Error("--rows takes N ≥ 1");
  return rows;
}

/** Inserts 0..rows-1 into `table`'s column v, 100 rows per INSERT. */
export async function fillTable(db: Database, table: string, rows: number): Promise<void> {
  const batch = 100;
  for (let i = 0; i < rows; i += batch) {
    const values = Array.from({ length: Math.min(batch, rows - i) }, (_, k) => `(${i + k})`);
    await db.sql.unsafe(`INSERT INTO ${table} (v) VALUES ${values.join(", ")}`);
  }
}
