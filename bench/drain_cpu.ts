/**
 * CPU per drained message of W2's loop (16 consumers: queue_wait → SELECT
 * → queue_end), steadier than a rate on a shared disk: the process's user +
 * system CPU over a drain divided by the rows drained. Fills and drains
 * `--repeat` times in one process and prints the minimum and median.
 * `--module` drives another checkout's mod.ts, so two commits can be
 * compared in alternation from one script.
 *
 *   deno run -A bench/drain_cpu.ts [--rows N] [--repeat N] [--sync fdatasync|none]
 *     [--module path/to/mod.ts]
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
  session(): Db & { close(): Promise<void> };
  close(): Promise<void>;
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
    `${modulePath}: CPU per drained message min ${(cpuPerRow[0] ?? 0).toFixed(2)} µs, ` +
      `median ${median.toFixed(2)} µs (${repeat} drains of ${rows} rows, sync ${sync})`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
