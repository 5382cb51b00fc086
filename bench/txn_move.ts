/**
 * Moving rows from one queue to another (a pipeline stage) with 16
 * consumers and default durability, three ways in one run: two commits
 * (INSERT into dst, then queue_end: a crash between them duplicates the
 * row), one transaction per row (BEGIN … COMMIT: exactly once), and the
 * plain W2 drain (queue_end only) as the reference.
 *
 *   deno run -A bench/txn_move.ts [--rows N]
 *
 * @module
 */

import { open } from "../mod.ts";
import { fillTable, rowsOption } from "./_drain_support.ts";
import type { Database, Session } from "../mod.ts";

const rows = rowsOption();
const consumers = 16;

const fill = (db: Database) => fillTable(db, "src", rows);

/** Drains src with `consumers` sessions, each row handled by `handle`; returns msgs/s. */
async function drain(db: Database, handle: (s: Session, v: number) => Promise<void>) {
  await fill(db);
  let taken = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: consumers }, async () => {
    const s = db.session();
    for (;;) {
      const [w] = await s.sql`SELECT queue_wait('src', 0) AS got`;
      if (w?.got !== 1) break;
      const [row] = await s.sql`SELECT v FROM src`;
      await handle(s, row?.v as number);
      taken++;
    }
    await s.close();
  }));
  if (taken !== rows) throw new Error(`drained ${taken} of ${rows}`);
  return taken / ((performance.now() - start) / 1000);
}

const ways: [string, (s: Session, v: number) => Promise<void>][] = [
  ["drain only (queue_end)", async (s) => {
    await s.sql`SELECT queue_end()`;
  }],
  ["move, two commits", async (s, v) => {
    await s.sql`INSERT INTO dst (v) VALUES (${v})`;
    await s.sql`SELECT queue_end()`;
  }],
  ["move, one transaction", async (s, v) => {
    await s.sql`BEGIN`;
    await s.sql`INSERT INTO dst (v) VALUES (${v})`;
    await s.sql`SELECT queue_end()`;
    await s.sql`COMMIT`;
  }],
];

const dir = await Deno.makeTempDir({ prefix: "q4d-txn-bench-" });
try {
  const db = await open(dir);
  await db.sql`CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE`;
  await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
  // Two rounds; the first warms the JIT and the caches.
  for (const round of [1, 2]) {
    const rates: string[] = [];
    for (const [name, handle] of ways) {
      rates.push(`${name} ${Math.round(await drain(db, handle))}`);
      await db.sql`DELETE FROM dst`;
    }
    console.log(`round ${round} (msgs/s): ${rates.join(", ")}`);
  }
  await db.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}
