/**
 * Child of session_lifetime_test.ts, run with the GC exposed: a session
 * takes a row and becomes unreachable; after garbage collection the row
 * must be back in the queue. Prints RELEASED (exit 0) or STILL OWNED (exit 1).
 */

import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { type Database, open } from "../../mod.ts";

const gcAttemptsMax = 200;
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) {
  console.log("NO GC");
  process.exit(2);
}

async function takeAndForget(db: Database): Promise<void> {
  const s = db.session();
  const [w] = await s.sql`SELECT queue_wait('q', 0) AS got`;
  if (w.got !== 1) throw new Error("no row to take");
}

const directory = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-gc-child-"));
const db = await open(directory, { sync: "none" });
await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
await db.sql`INSERT INTO q VALUES (${1})`;
await takeAndForget(db);
const [owned] = await db.sql`SELECT COUNT(*) AS n FROM q`;
if (owned.n !== 0) throw new Error("the row should be owned");
let released = false;
for (let attempt = 0; attempt < gcAttemptsMax && !released; attempt++) {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const [count] = await db.sql`SELECT COUNT(*) AS n FROM q`;
  released = count.n === 1;
}
const stats = db.stats("q");
await db.close();
nodeFs.rmSync(directory, { recursive: true, force: true });
console.log(released ? `RELEASED ${stats.restoredByClose}` : "STILL OWNED");
process.exit(released ? 0 : 1);
