/**
 * A child process for txn_crash_test.ts: moves rows from `src` to `dst` in
 * transactions, or runs a job loop, with default (fdatasync) durability,
 * printing one line per acknowledged step so the parent, after SIGKILLing
 * it, knows what must have survived.
 *
 * Usage: `_txn_child.ts <directory> <mode> <rowCount>`. Modes:
 *   pipeline  inserts 1..rowCount into src, then per row: queue_wait,
 *             BEGIN, INSERT INTO dst, queue_end(), COMMIT, until src is empty
 *   pause     the same, but stops after the first INSERT inside the
 *             transaction (before queue_end and COMMIT) and waits
 *   jobs      inserts 1 and 2 into t; a job loop retries row 1 with a delay
 *             of an hour, then takes row 2 and waits in the middle of it
 * Lines (each printed only after the statement resolved):
 *   READY          the rows are inserted
 *   MID <v>        inside a transaction, dst's INSERT of v ran
 *   DONE <v>       the COMMIT that moved v is on disk
 *   RETRIED <v>    (jobs) row v was retried with its delay
 *   WORKING <v> <attempts>  (jobs) the loop holds row v, delivery count durable
 *
 * @module
 */

import process from "node:process";
import { open } from "../../mod.ts";

const [directory, mode, rowCountText] = process.argv.slice(2);
if (directory === undefined) throw new Error("usage: _txn_child.ts DIRECTORY MODE ROWS");
const rowCount = Number(rowCountText);

function say(line: string): void {
  process.stdout.write(line + "\n");
}

function hang(): Promise<never> {
  setInterval(() => {}, 1000);
  return new Promise(() => {});
}

const db = await open(directory);

if (mode === "jobs") {
  await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
  await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
  say("READY");
  const s = db.session();
  for await (const job of s.jobs<{ v: number }>("t", { timeout: 1 })) {
    if (job.row.v === 1) {
      await job.retry({ delay: 3600 });
      say(`RETRIED ${job.row.v}`);
      continue;
    }
    // Long enough for the deferred delivery-count record to be written on its own.
    await new Promise((resolve) => setTimeout(resolve, 500));
    say(`WORKING ${job.row.v} ${job.attempts}`);
    await hang();
  }
}

await db.sql`CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE`;
await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
const values = Array.from({ length: rowCount }, (_, i) => i + 1);
await db.sql.unsafe(`INSERT INTO src (v) VALUES ${values.map(() => "(?)").join(", ")}`, values);
say("READY");
const s = db.session();
for (;;) {
  const [w] = await s.sql`SELECT queue_wait('src', 0) AS got`;
  if (w?.got !== 1) break;
  const [row] = await s.sql`SELECT v FROM src`;
  const v = row?.v;
  await s.sql`BEGIN`;
  await s.sql`INSERT INTO dst (v) VALUES (${v})`;
  say(`MID ${v}`);
  if (mode === "pause") await hang();
  await s.sql`SELECT queue_end()`;
  await s.sql`COMMIT`;
  say(`DONE ${v}`);
}
say("ALLDONE");
await hang();
