/**
 * Shared by the drain scripts (jobs_drain.ts, txn_move.ts,
 * hot_path_compare.ts): the `--rows` option, filling a one-column queue
 * table with 0..rows-1, and the raw-statement drain of table `w`.
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

/**
 * Drains table `w` with `consumers` sessions through raw statements
 * (queue_wait → SELECT → queue_end); returns the rows taken.
 */
export async function drainRaw(db: Database, consumers: number): Promise<number> {
  let taken = 0;
  await Promise.all(Array.from({ length: consumers }, async () => {
    const s = db.session();
    for (;;) {
      const [w] = await s.sql`SELECT queue_wait('w', 0) AS got`;
      if (w?.got !== 1) break;
      await s.sql`SELECT * FROM w`;
      await s.sql`SELECT queue_end()`;
      taken++;
    }
    await s.close();
  }));
  return taken;
}

/** Inserts 0..rows-1 into `table`'s column v, 100 rows per INSERT. */
export async function fillTable(db: Database, table: string, rows: number): Promise<void> {
  const batch = 100;
  for (let i = 0; i < rows; i += batch) {
    const values = Array.from({ length: Math.min(batch, rows - i) }, (_, k) => `(${i + k})`);
    await db.sql.unsafe(`INSERT INTO ${table} (v) VALUES ${values.join(", ")}`);
  }
}
