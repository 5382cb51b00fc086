/**
 * CPU per drained message of W2's loop (16 consumers: queue_wait → SELECT
 * → queue_end), steadier than a rate on a shared disk: the process's user +
 * system CPU over a drain divided by the rows drained. Fills and drains
 * `--repeat` times in one process and prints the minimum and median.
 * `--module` drives another checkout's mod.ts, so two commits can be
 * compared in alternation from one script. `--loop jobs` drains through
 * `session.jobs()` (ack per job) instead of the raw statements, so the job
 * layer's cost over raw SQL is read as CPU, not as a rate.
 *
 *   deno run -A bench/drain_cpu.ts [--rows N] [--repeat N] [--sync fdatasync|none]
 *     [--module path/to/mod.ts] [--loop raw|jobs]
 *
 * @module
 */

import process from "node:process";

const args = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] ?? fallback : fallback;
}
const rows = Number(option("--rows", "20000"));
const repeat = Number(option("--repeat", "6"));
const sync = option("--sync", "none");
const loop = option("--loop", "raw");
if (loop !== "raw" && loop !== "jobs") throw new Error("--loop takes raw or jobs");
const modulePath = option("--module", new URL("../mod.ts", import.meta.url).href);
if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(repeat) || repeat < 1) {
  throw new Error("--rows takes N ≥ 1000, --repeat N ≥ 1");
}
const consumers = 16;

interface Db {
  sql: {
    (strings: TemplateStringsArray, ...values: unknown[]): Promise<Record<string, unknown>[]>;
    unsafe(text: string, params?: unknown[]): Promise<unknown>;
  };
  session(): Db & {
    close(): Promise<void>;
    jobs(table: string, options: object): AsyncIterable<{ ack(): Promise<void> }>;
    stop(): void;
  };
  close(): Promise<void>;
  stop(): void;
}

const url = modulePath.includes("://")
  ? modulePath
  : new URL(modulePath, `file://${process.cwd()}/`).href;
const { open } = await import(url) as { open(dir: string, options: object): Promise<Db> };
const dir = await Deno.makeTempDir({ prefix: "q4d-drain-cpu-" });
try {
  const db = await open(`${dir}/q`, { sync });
  await db.sql`CREATE TABLE jobs (id INT NOT NULL, body VARCHAR(96) NOT NULL) ENGINE=QUEUE`;
  const body = "x".repeat(96);
  const insert = `INSERT INTO jobs (id, body) VALUES ${new Array(1000).fill("(?, ?)").join(", ")}`;
  const cpuPerRow: number[] = [];
  for (let run = 0; run < repeat; run++) {
    for (let first = 0; first + 1000 <= rows; first += 1000) {
      const params: unknown[] = [];
      for (let i = 0; i < 1000; i++) params.push(first + i, body);
      await db.sql.unsafe(insert, params);
    }
    let drained = 0;
    const before = process.cpuUsage();
    await Promise.all(Array.from({ length: consumers }, async () => {
      const s = db.session();
      if (loop === "jobs") {
        for await (const job of s.jobs("jobs", { timeout: 1 })) {
          await job.ack();
          if (++drained === rows) db.stop(); // the table is empty: end every loop
        }
        await s.close();
        return;
      }
      for (;;) {
        const [wait] = await s.sql`SELECT queue_wait('jobs', 0) AS got`;
        if (Number(wait?.got) !== 1) break;
        await s.sql`SELECT id, body FROM jobs`;
        await s.sql`SELECT queue_end()`;
        drained++;
      }
      await s.close();
    }));
    const used = process.cpuUsage(before);
    cpuPerRow.push((used.user + used.system) / drained);
  }
  await db.close();
  cpuPerRow.sort((a, b) => a - b);
  const median = cpuPerRow[cpuPerRow.length >> 1] ?? 0;
  console.log(
    `${modulePath} (${loop}): CPU per drained message min ${(cpuPerRow[0] ?? 0).toFixed(2)} µs, ` +
      `median ${median.toFixed(2)} µs (${repeat} drains of ${rows} rows, sync ${sync})`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
