/**
 * Child of open_test.ts: opens a database by a relative path and creates a
 * table, changes the working directory, then writes enough rows to roll
 * over to new segments, and creates a second table. Reopened by its
 * absolute path, every acknowledged row and both tables must be there and
 * nothing may have been written under the new working directory. Prints
 * "ACKED <n> ROWS <n> TABLES <names> STRAY <yes|no>".
 */

import * as nodeFs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { open } from "../../mod.ts";
import { segmentBytesMin } from "../../src/limits.ts";

const rowCount = 1000;
const base = process.argv[2];
if (base === undefined) throw new Error("usage: _chdir_child.ts DIRECTORY");
const elsewhere = path.join(base, "elsewhere");
nodeFs.mkdirSync(elsewhere, { recursive: true });
process.chdir(base);
const db = await open("./data", { sync: "none", segmentBytes: segmentBytesMin });
await db.sql`CREATE TABLE q (v INT NOT NULL, body TEXT) ENGINE=QUEUE`;
process.chdir(elsewhere);
// The same layout under the new working directory, so misplaced writes succeed there.
nodeFs.mkdirSync(path.join(elsewhere, "data", "log"), { recursive: true });
const body = "x".repeat(1000);
let acknowledged = 0;
try {
  for (let i = 0; i < rowCount; i++) {
    await db.sql`INSERT INTO q VALUES (${i}, ${body})`;
    acknowledged++;
  }
  await db.sql`CREATE TABLE r (v INT) ENGINE=QUEUE`;
} finally {
  await db.close();
}
const reopened = await open(path.join(base, "data"), { sync: "none" });
const [count] = await reopened.sql`SELECT COUNT(*) AS n FROM q`;
const tables = (await reopened.sql`SHOW TABLES`).map((row) => row.Tables_in_q4d).join(",");
await reopened.close();
const stray = nodeFs.readdirSync(path.join(elsewhere, "data", "log")).length > 0 ||
  nodeFs.existsSync(path.join(elsewhere, "data", "catalog.json"));
console.log(
  `ACKED ${acknowledged} ROWS ${count?.n} TABLES ${tables} STRAY ${stray ? "yes" : "no"}`,
);
