/**
 * Single-operation costs of the engine, through the public API: one INSERT,
 * one consume cycle (queue_wait → SELECT → queue_end), a conditional wait
 * over a deep queue, COUNT(*). With sync "none" these measure CPU cost per
 * statement; durable throughput is measured by bench/queue_workload.ts.
 *
 *   deno bench -A bench/engine_bench.ts
 *
 * @module
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "../mod.ts";

const body = "b".repeat(96);

const db = await open(mkdtempSync(join(tmpdir(), "q4d-bench-")), { sync: "none" });
await db
  .sql`CREATE TABLE jobs (id INT NOT NULL, prio TINYINT NOT NULL, body VARCHAR(96)) ENGINE=QUEUE`;
await db
  .sql`CREATE TABLE deep (id INT NOT NULL, prio TINYINT NOT NULL, body VARCHAR(96)) ENGINE=QUEUE`;
// A deep queue where only every 1000th row matches prio=1.
for (let i = 0; i < 100; i++) {
  const rows = Array.from({ length: 1000 }, (_, j) => i * 1000 + j);
  await db.sql.unsafe(
    `INSERT INTO deep (id, prio, body) VALUES ${rows.map(() => "(?, ?, ?)").join(", ")}`,
    rows.flatMap((id) => [id, id % 1000 === 999 ? 1 : 0, body]),
  );
}
const session = db.session();
let nextId = 0;

Deno.bench("INSERT one row (sync none)", { group: "insert", baseline: true }, async () => {
  await db.sql`INSERT INTO jobs (id, prio, body) VALUES (${nextId++}, ${0}, ${body})`;
});

Deno.bench("INSERT 16 concurrent rows (sync none)", { group: "insert" }, async () => {
  const inserts = [];
  for (let i = 0; i < 16; i++) {
    inserts.push(db.sql`INSERT INTO jobs (id, prio, body) VALUES (${nextId++}, ${0}, ${body})`);
  }
  await Promise.all(inserts);
});

Deno.bench(
  "consume: queue_wait → SELECT → queue_end (sync none)",
  { group: "consume" },
  async () => {
    await db.sql`INSERT INTO jobs (id, prio, body) VALUES (${nextId++}, ${0}, ${body})`;
    const [w] = await session.sql`SELECT queue_wait('jobs', 1) AS got`;
    if (w?.got !== 1) throw new Error("no row");
    const [row] = await session.sql`SELECT id, body FROM jobs`;
    if (row === undefined) throw new Error("owned row invisible");
    await session.sql`SELECT queue_end()`;
  },
);

Deno.bench(
  "conditional queue_wait over a deep queue + queue_abort",
  { group: "consume" },
  async () => {
    const [w] = await session.sql`SELECT queue_wait('deep:prio=1', 0) AS got`;
    if (w?.got !== 1) throw new Error("no row");
    await session.sql`SELECT queue_abort()`;
  },
);

Deno.bench("SELECT COUNT(*) over 100k rows", { group: "count" }, async () => {
  await db.sql`SELECT COUNT(*) AS n FROM deep`;
});
