/**
 * Child of session_lifetime_test.ts, run with the GC exposed. Two modes
 * (first argument):
 * - `forget`: a session takes a row and becomes unreachable; after garbage
 *   collection the row must be back in the queue. Prints RELEASED (exit 0)
 *   or STILL OWNED (exit 1).
 * - `keep-sql` / `keep-unsafe`: only the session's `sql` (or `sql.unsafe`)
 *   is kept; the Session object itself is dropped. Through forced
 *   collections and allocation the row must stay owned and `queue_end()`
 *   must then succeed. Prints KEPT (exit 0) or CLOSED (exit 1).
 * - `pending-wait`: a blocked `queue_wait` is the only thing that refers to
 *   its session (`db.session().sql\`SELECT queue_wait(…)\``). Through
 *   forced collections the wait must stay pending and then take the row a
 *   producer inserts. Prints TAKEN (exit 0) or a reason (exit 1).
 */

import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { type Database, open, type Row } from "../../mod.ts";

const gcAttemptsMax = 200;
const keepRounds = 30;
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) {
  console.log("NO GC");
  process.exit(2);
}
const mode = process.argv[2] ?? "forget";

async function takeAndForget(db: Database): Promise<void> {
  const s = db.session();
  const [w] = await s.sql`SELECT queue_wait('q', 0) AS got`;
  if (w?.got !== 1) throw new Error("no row to take");
}

/** Collects garbage and allocates a little between rounds, as a worker "working" would. */
async function churn(rounds: number): Promise<void> {
  let keep: unknown[] = [];
  for (let round = 0; round < rounds; round++) {
    keep = Array.from({ length: 10_000 }, (_, i) => ({ i, text: `garbage ${i}` }));
    collect!();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (keep.length === 0) throw new Error("unreachable");
}

/** Only the session's `sql` stays reachable (through the returned closure). */
function keepSql(db: Database): (text: string) => Promise<Row[]> {
  const { sql } = db.session();
  return (text) => sql.unsafe(text);
}

/** Only the session's `sql.unsafe` stays reachable. */
function keepUnsafe(db: Database): (text: string) => Promise<Row[]> {
  return db.session().sql.unsafe;
}

async function ownedCount(db: Database): Promise<number> {
  const [count] = await db.sql`SELECT COUNT(*) AS n FROM q`;
  return count?.n === 0 ? 1 : 0;
}

const directory = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-gc-child-"));
const db = await open(directory, { sync: "none" });
await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
await db.sql`INSERT INTO q VALUES (${1})`;
let verdict: string;
let ok: boolean;
if (mode === "pending-wait") {
  await db.sql`DELETE FROM q`;
  const wait = db.session().sql`SELECT queue_wait('q', 30) AS got`.then(
    ([w]) => `got ${w?.got}`,
    (error) => `failed ${String(error)}`,
  );
  await churn(keepRounds);
  await db.sql`INSERT INTO q VALUES (${2})`;
  const outcome = await wait;
  ok = outcome === "got 1";
  verdict = ok ? "TAKEN" : `WAIT ${outcome}`;
} else if (mode === "forget") {
  await takeAndForget(db);
  if (await ownedCount(db) !== 1) throw new Error("the row should be owned");
  let released = false;
  for (let attempt = 0; attempt < gcAttemptsMax && !released; attempt++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 5));
    released = await ownedCount(db) === 0;
  }
  const stats = db.stats("q");
  verdict = released ? `RELEASED ${stats.restoredByClose}` : "STILL OWNED";
  ok = released;
} else {
  const run = mode === "keep-unsafe" ? keepUnsafe(db) : keepSql(db);
  const [w] = await run("SELECT queue_wait('q', 0) AS got");
  if (w?.got !== 1) throw new Error("no row to take");
  await churn(keepRounds);
  const stillOwned = await ownedCount(db) === 1 && db.stats("q").restoredByClose === 0;
  let ended = false;
  try {
    await run("SELECT queue_end()");
    ended = true;
  } catch (error) {
    console.error(String(error));
  }
  ok = stillOwned && ended && db.stats("q").rowsRemoved === 1;
  verdict = ok ? "KEPT" : `CLOSED owned=${stillOwned} ended=${ended}`;
}
await db.close();
nodeFs.rmSync(directory, { recursive: true, force: true });
console.log(verdict);
process.exit(ok ? 0 : 1);
