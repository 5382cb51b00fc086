/**
 * A child process for crash_test.ts: works on a database with default
 * (fdatasync) durability and prints one line per acknowledged effect, so
 * the parent, after SIGKILLing it, knows what must have survived.
 *
 * Usage: `_crash_child.ts <directory> <run|hold|churn|delay> <firstValue> [holdAfter] [segmentBytes]`.
 * Lines (each printed only after the statement resolved):
 *   READY                       database open
 *   INS <v> <rowId>             a row with value v is on disk
 *   TAKE <rowId>                the consumer owns that row
 *   END <rowId>                 queue_end of that row is on disk
 *   RELAY <sourceRowId> <n>     relayed INSERT into dst with mark (0,'a',id); affectedRows n
 *   HOLD <rowId>                (hold mode) owns that row and stops working
 *   DCLEAR                      (churn mode) DELETE FROM dst is on disk
 * In "run" mode it loops until killed; in "hold" mode it stops after
 * `holdAfter` values owning one row, and waits to be killed. "churn" mode
 * loops like "run" with ~1 KB rows, consumes a row after every insert and
 * empties dst after every relay, so that with small segments the log rolls
 * over and compaction deletes segments all the time. "delay" mode inserts
 * row 1 delayed an hour and rows 2 and 3, aborts row 2 with an hour's delay,
 * takes row 3 (its second delivery's count made durable by an insert into
 * dst), prints HOLD 3 and waits to be killed.
 *
 * @module
 */

import process from "node:process";
import { open } from "../../mod.ts";

const [directory, mode, firstValueText, holdAfterText, segmentBytesText] = process.argv.slice(2);
if (directory === undefined) throw new Error("usage: _crash_child.ts DIRECTORY MODE …");
const firstValue = Number(firstValueText);
const holdAfter = Number(holdAfterText ?? "0");
const segmentBytes = segmentBytesText === undefined ? undefined : Number(segmentBytesText);
const churn = mode === "churn";
const pad = new Uint8Array(1000).fill(0x70);

function say(line: string): void {
  process.stdout.write(line + "\n");
}

const db = await open(directory, { segmentBytes });
if (churn) await db.sql`CREATE TABLE IF NOT EXISTS q (v INT NOT NULL, pad BLOB) ENGINE=QUEUE`;
await db.sql`CREATE TABLE IF NOT EXISTS q (v INT NOT NULL) ENGINE=QUEUE`;
await db.sql`CREATE TABLE IF NOT EXISTS dst (v INT NOT NULL) ENGINE=QUEUE`;
const consumer = db.session();
const relay = db.session();
say("READY");

if (mode === "delay") {
  await db.sql`SELECT queue_set_delay(3600)`;
  await db.sql`INSERT INTO q (v) VALUES (1)`;
  await db.sql`INSERT INTO q (v) VALUES (2), (3)`;
  await take();
  await consumer.sql`SELECT queue_abort()`;
  await take();
  await consumer.sql`SELECT queue_abort(3600)`;
  const held = await take();
  await relay.sql`INSERT INTO dst (v) VALUES (0)`;
  say(`HOLD ${held}`);
  setInterval(() => {}, 1000);
  await new Promise(() => {});
}

async function take(): Promise<number> {
  const [w] = await consumer.sql`SELECT queue_wait('q', 0) AS got`;
  if (w?.got !== 1) return 0;
  const [owned] = await consumer.sql`SELECT queue_rowid() AS id`;
  const id = owned?.id;
  say(`TAKE ${id}`);
  return id;
}

for (let v = firstValue; mode !== "hold" || v < firstValue + holdAfter; v++) {
  const inserted = churn
    ? await db.sql`INSERT INTO q (v, pad) VALUES (${v}, ${pad})`
    : await db.sql`INSERT INTO q (v) VALUES (${v})`;
  say(`INS ${v} ${inserted.insertId}`);
  if (churn || v % 3 === 0) {
    const id = await take();
    if (id !== 0) {
      await consumer.sql`SELECT queue_end()`;
      say(`END ${id}`);
    }
  }
  if (v % 4 === 0) {
    await relay.sql`SELECT queue_set_srcid(0, 'a', ${v})`;
    const relayed = await relay.sql`INSERT INTO dst (v) VALUES (${v})`;
    say(`RELAY ${v} ${relayed.affectedRows}`);
    if (churn) {
      await relay.sql`DELETE FROM dst`;
      say("DCLEAR");
    }
  }
}
const held = await take();
say(`HOLD ${held}`);
await new Promise(() => {});
