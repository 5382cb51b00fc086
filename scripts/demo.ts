/**
 * The main job: an embedded queue at work. Opens `./data` (or the directory
 * given as the first argument), creates two queues if missing, runs
 * producers and consumer sessions — a conditional, prioritised, multi-queue
 * queue_wait — with live progress on the terminal, and ends with
 * queue_stats for each table. Rows left in the queues survive to the next run.
 *
 *   deno task demo [dir] [--seconds N]
 *
 * @module
 */

import { open } from "../mod.ts";

let directory = "./data";
let durationSeconds = 5;
for (let i = 0; i < Deno.args.length; i++) {
  const arg = Deno.args[i] ?? "";
  if (arg === "--seconds") durationSeconds = Number(Deno.args[++i]);
  else directory = arg;
}
if (!(durationSeconds > 0)) throw new Error("--seconds takes a positive number");
const producerCount = 8;
const consumerCount = 8;
const bodyText = "x".repeat(80);

const db = await open(directory);
await db.sql`CREATE TABLE IF NOT EXISTS jobs (
  id BIGINT NOT NULL, prio TINYINT NOT NULL, body VARCHAR(96)) ENGINE=QUEUE`;
await db.sql`CREATE TABLE IF NOT EXISTS alerts (
  id BIGINT NOT NULL, body VARCHAR(96)) ENGINE=QUEUE`;

const { queued } = first(await db.sql`SELECT COUNT(*) AS queued FROM jobs`);
const { alertsQueued } = first(await db.sql`SELECT COUNT(*) AS alertsQueued FROM alerts`);
const written = db.stats("jobs").rowsWritten + db.stats("alerts").rowsWritten;
console.log(
  `q4d demo: ${directory} — recovered in ${db.recovery.durationMs.toFixed(1)} ms; ` +
    `${written} rows written by earlier runs, ${queued + alertsQueued} still queued`,
);

let produced = 0;
let consumed = 0;
let fromAlerts = 0;
let fromUrgent = 0;
let fromJobs = 0;
let aborted = 0;
let producing = true;
const retried = new Set<number>();
const started = performance.now();

async function producer(index: number): Promise<void> {
  let n = 0;
  while (producing) {
    const id = index * 1_000_000_000 + n++;
    if (n % 50 === 0) {
      await db.sql`INSERT INTO alerts (id, body) VALUES (${id}, ${"alert " + bodyText})`;
    } else {
      await db.sql`INSERT INTO jobs (id, prio, body) VALUES (${id}, ${
        n % 4 === 0 ? 0 : 1
      }, ${bodyText})`;
    }
    produced++;
  }
}

async function consumer(): Promise<void> {
  const s = db.session();
  while (producing) {
    // Alerts first, then urgent jobs (prio 0), then any job; wait up to 0.5 s.
    const w = first(await s.sql`SELECT queue_wait('alerts', 'jobs:prio=0', 'jobs', 0.5) AS got`);
    if (w.got === 0) continue;
    const table = w.got === 1 ? "alerts" : "jobs";
    const [row] = table === "alerts"
      ? await s.sql`SELECT id, body FROM alerts`
      : await s.sql`SELECT id, prio, body FROM jobs`;
    if (row === undefined) throw new Error("owned row not visible");
    // Every 7th job fails once and is handed back; its retry succeeds.
    if (row.id % 7 === 3 && !retried.has(row.id)) {
      retried.add(row.id);
      await s.sql`SELECT queue_abort()`;
      aborted++;
      continue;
    }
    await s.sql`SELECT queue_end()`;
    consumed++;
    if (w.got === 1) fromAlerts++;
    else if (w.got === 2) fromUrgent++;
    else fromJobs++;
  }
  await s.close();
}

const isTerminal = Deno.stdout.isTerminal();
let lastConsumed = 0;
let lastProduced = 0;
let lastTime = started;
const progress = setInterval(() => {
  const now = performance.now();
  const seconds = (now - lastTime) / 1000;
  const line = `  produced ${produced} (${Math.round((produced - lastProduced) / seconds)}/s)` +
    `  consumed ${consumed} (${Math.round((consumed - lastConsumed) / seconds)}/s)` +
    `  alerts ${fromAlerts}  urgent ${fromUrgent}  other ${fromJobs}  retried ${aborted}`;
  lastConsumed = consumed;
  lastProduced = produced;
  lastTime = now;
  if (isTerminal) Deno.stdout.writeSync(new TextEncoder().encode(`\r${line}   `));
  else console.log(line);
}, 500);

const workers = [
  ...Array.from(
    { length: producerCount },
    (_, i) => producer(i + Math.floor(Math.random() * 1000)),
  ),
  ...Array.from({ length: consumerCount }, () => consumer()),
];
await new Promise((resolve) => setTimeout(resolve, durationSeconds * 1000));
producing = false;
await Promise.all(workers);
clearInterval(progress);
const elapsed = (performance.now() - started) / 1000;
if (isTerminal) console.log();
console.log(
  `done in ${elapsed.toFixed(1)} s: produced ${produced} (${Math.round(produced / elapsed)}/s), ` +
    `consumed ${consumed} (${Math.round(consumed / elapsed)}/s), every one durable`,
);
for (const table of ["jobs", "alerts"]) {
  const { stats } = first(await db.sql`SELECT queue_stats(${table}) AS stats`);
  console.log(`\nqueue_stats('${table}'):\n${stats.trimEnd().replace(/^/gm, "  ")}`);
}
const { left } = first(await db.sql`SELECT COUNT(*) AS left FROM jobs`);
console.log(`\n${left} jobs left queued in ${directory}; run again to see them survive.`);
await db.close();

/** The one row a COUNT(*) or queue function SELECT returns. */
function first<T>(rows: readonly T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error("a SELECT without GROUP BY returned no row");
  return row;
}
