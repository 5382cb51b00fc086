/**
 * Issue 14's benchmark: W1 (16 producers inserting) and W2 (16 consumers
 * draining: wait → read → end) on a 3-node JetStream cluster started here,
 * for q4d's NATS backend beside the plain JetStream client doing the same
 * work (publish on PubAck; pull one, ack confirmed by the server) and
 * beside q4d's whole SQL layer on the same backend (INSERT; queue_wait,
 * SELECT, queue_end), in one run; then the backend's W1/W2 spread over 1,
 * 2 and 4 tables (streams, each with its own Raft leader). W3 (16
 * producers and 16 consumers at once, latency from before the publish to
 * after the confirmed end, p50/p99) for the backend beside the plain
 * client, on one stream each. Every drain checks exactly-once delivery.
 *
 * Beside each W1/W2 rate it prints this process's CPU per message (user +
 * system, µs): the client side's cost, which the cluster's speed on a
 * shared 2-core machine does not blur the way it blurs the rates. The q4d
 * layer's cost over the plain client is the difference of those columns.
 * `--repeat N` runs the whole sequence N times on the same cluster, so the
 * systems alternate and their figures can be compared round by round.
 *
 * deno run -A bench/nats/run.ts [--rows N] [--quick] [--repeat N] [--json]
 *
 * @module
 */

import process from "node:process";
import { Cluster, natsMissing, natsServerVersion } from "../../tests/nats/_cluster.ts";
import { type NatsBackend, openNatsBackend } from "../../src/nats/backend.ts";
import { jetstream } from "../../src/nats/client.ts";
import { open as openNats } from "../../src/nats/mod.ts";
import type { TableInfo } from "../../src/backend/mod.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const rowsArg = args.indexOf("--rows");
const rows = rowsArg >= 0 ? Number(args[rowsArg + 1]) : quick ? 400 : 4000;
const repeatArg = args.indexOf("--repeat");
const repeat = repeatArg >= 0 ? Number(args[repeatArg + 1]) : 1;
const concurrency = 16;
const encoder = new TextEncoder();
const body = (i: number) => encoder.encode(`message ${i} `.padEnd(96, "x"));

interface Figures {
  system: string;
  streams: number;
  w1PerSecond: number;
  w2PerSecond: number;
  /** This process's CPU (user + system) per message, µs, during W1 and W2. */
  w1CpuUs: number;
  w2CpuUs: number;
  /** W3, where measured: messages/s with producers and consumers at once, and latency in ms. */
  w3?: { perSecond: number; p50Ms: number; p99Ms: number };
}

/**
 * W3: `rows` messages, 16 producers and 16 consumers at once. A payload
 * carries its send time; latency runs from before the publish to after the
 * consumer's confirmed end. `consume` returns the payload text, or null
 * when it found none (it waited).
 */
async function w3(
  what: string,
  produce: (i: number, payload: Uint8Array) => Promise<void>,
  consume: (worker: number) => Promise<string | null>,
): Promise<{ perSecond: number; p50Ms: number; p99Ms: number }> {
  const latencies: number[] = [];
  const seen = new Map<string, number>();
  let next = 0;
  const started = performance.now();
  const producing = timed(rows, concurrency, async () => {
    const i = next++;
    if (i >= rows) return null;
    await produce(i, encoder.encode(`${i} ${performance.now()} `.padEnd(96, "x")));
    return true;
  });
  const consuming = timed(rows, concurrency, async (w) => {
    const text = await consume(w);
    if (text === null) return false;
    const [id, sentAt] = text.split(" ");
    latencies.push(performance.now() - Number(sentAt));
    seen.set(id!, (seen.get(id!) ?? 0) + 1);
    return true;
  });
  await Promise.all([producing, consuming]);
  const perSecond = Math.round(rows / ((performance.now() - started) / 1000));
  check(seen, rows, `W3 ${what}`);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) /
    10;
  return { perSecond, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** Messages per second, and this process's CPU per message in µs. */
interface Rate {
  perSecond: number;
  cpuUs: number;
}

/**
 * Runs `count` jobs over `workers` concurrent loops. A job returns true
 * when it moved a message, false when it found none (it waited), null when
 * there is no more work for its loop.
 */
async function timed(
  count: number,
  workers: number,
  job: (worker: number) => Promise<boolean | null>,
): Promise<Rate> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let done = 0;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    while (done < count) {
      const moved = await job(w);
      if (moved === null) return;
      if (moved) done++;
    }
  }));
  const used = process.cpuUsage(cpu);
  return {
    perSecond: Math.round(count / ((performance.now() - started) / 1000)),
    cpuUs: Math.round((used.user + used.system) / count),
  };
}

/** The W1/W2 fields of Figures from two rates. */
function rates(w1: Rate, w2: Rate) {
  return {
    w1PerSecond: w1.perSecond,
    w2PerSecond: w2.perSecond,
    w1CpuUs: w1.cpuUs,
    w2CpuUs: w2.cpuUs,
  };
}

function check(seen: Map<string, number>, count: number, what: string): void {
  const twice = [...seen.values()].filter((n) => n > 1).length;
  if (seen.size !== count || twice > 0) {
    throw new Error(`${what}: ${seen.size} distinct of ${count}, ${twice} delivered twice`);
  }
}

async function q4dRun(db: NatsBackend, streams: number, label: string): Promise<Figures> {
  const tables: TableInfo[] = [];
  for (let i = 0; i < streams; i++) tables.push(await db.createTable(`${label}${i}`, {}));
  let next = 0;
  const w1 = await timed(rows, concurrency, async (w) => {
    const i = next++;
    if (i >= rows) return null;
    await db.insert(tables[w % streams]!.tableId, [body(i)], [[]]);
    return true;
  });
  const sessions = Array.from({ length: concurrency }, (_, i) => db.openSession(i + 1));
  const seen = new Map<string, number>();
  const decoder = new TextDecoder();
  const w2 = await timed(rows, concurrency, async (w) => {
    const s = sessions[w]!;
    const table = tables[w % streams]!;
    const got = await s.wait([{ tableId: table.tableId, text: "" }], 500);
    if (got.rowId === 0) return false;
    const text = decoder.decode(s.ownedPayload!);
    await s.end();
    seen.set(text, (seen.get(text) ?? 0) + 1);
    return true;
  });
  check(seen, rows, `q4d ${streams} streams`);
  const figures: Figures = { system: "q4d NATS backend", streams, ...rates(w1, w2) };
  if (streams === 1) {
    const table = tables[0]!;
    figures.w3 = await w3("q4d", async (_i, payload) => {
      await db.insert(table.tableId, [payload], [[]]);
    }, async (w) => {
      const s = sessions[w]!;
      const got = await s.wait([{ tableId: table.tableId, text: "" }], 500);
      if (got.rowId === 0) return null;
      const text = decoder.decode(s.ownedPayload!);
      await s.end();
      return text;
    });
  }
  for (const s of sessions) s.close();
  return figures;
}

/** The same work through q4d's SQL (the whole layer users see): INSERT; queue_wait, SELECT, queue_end. */
async function sqlRun(url: string, round: number): Promise<Figures> {
  const db = await openNats(url, { namespace: `benchsql${round}` });
  try {
    await db.sql`CREATE TABLE jobs (id INT NOT NULL, body VARCHAR(96)) ENGINE=QUEUE`;
    const text = new TextDecoder();
    let next = 0;
    const w1 = await timed(rows, concurrency, async () => {
      const i = next++;
      if (i >= rows) return null;
      await db.sql`INSERT INTO jobs (id, body) VALUES (${i}, ${text.decode(body(i))})`;
      return true;
    });
    const sessions = Array.from({ length: concurrency }, () => db.session());
    const seen = new Map<string, number>();
    const w2 = await timed(rows, concurrency, async (w) => {
      const s = sessions[w]!;
      const [got] = await s.sql`SELECT queue_wait('jobs', 0.5) AS got`;
      if (got?.got !== 1) return false;
      const [row] = await s.sql`SELECT id FROM jobs`;
      await s.sql`SELECT queue_end()`;
      const id = String(row?.id);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return true;
    });
    for (const s of sessions) await s.close();
    check(seen, rows, "q4d SQL");
    return { system: "q4d SQL on NATS", streams: 1, ...rates(w1, w2) };
  } finally {
    await db.close();
  }
}

async function plainRun(db: NatsBackend, label: string): Promise<Figures> {
  // The same stream and consumer configuration, made through q4d, used through the plain client.
  const table = await db.createTable(label, {});
  const stream = db.streamOf(table.tableId);
  const js = jetstream(db.nc);
  const subject = `${db.namespace}.t${table.tableId}.r`;
  let next = 0;
  const w1 = await timed(rows, concurrency, async () => {
    const i = next++;
    if (i >= rows) return null;
    await js.publish(subject, body(i), { msgID: crypto.randomUUID() });
    return true;
  });
  const consumer = await js.consumers.get(stream, "q4d");
  const seen = new Map<string, number>();
  const w2 = await timed(rows, concurrency, async () => {
    const msg = await consumer.next({ expires: 1000 });
    if (msg === null) return false;
    const text = msg.string();
    await msg.ackAck();
    seen.set(text, (seen.get(text) ?? 0) + 1);
    return true;
  });
  check(seen, rows, "plain client");
  const w3Figures = await w3("plain client", async (_i, payload) => {
    await js.publish(subject, payload, { msgID: crypto.randomUUID() });
  }, async () => {
    const msg = await consumer.next({ expires: 1000 });
    if (msg === null) return null;
    const text = msg.string();
    await msg.ackAck();
    return text;
  });
  return { system: "plain JetStream client", streams: 1, ...rates(w1, w2), w3: w3Figures };
}

if (natsMissing !== null) {
  console.log(`skipped: ${natsMissing}`);
  process.exit(0);
}
const cluster = await Cluster.start();
const results: Figures[] = [];
try {
  const db = await openNatsBackend(cluster.url, {
    namespace: "bench",
    compileCondition: () => {
      throw new Error("no conditions in the benchmark");
    },
  });
  try {
    for (let round = 1; round <= repeat; round++) {
      results.push(await plainRun(db, `plain${round}_`));
      results.push(await sqlRun(cluster.url, round));
      for (const streams of [1, 2, 4]) {
        results.push(await q4dRun(db, streams, `s${streams}_${round}_`));
      }
    }
  } finally {
    await db.close();
  }
} finally {
  await cluster.stop();
}
if (args.includes("--json")) {
  console.log(JSON.stringify({ server: natsServerVersion(), rows, concurrency, results }));
} else {
  console.log(
    `${natsServerVersion()}, 3 nodes on loopback, R3 file streams; ${rows} rows of 96 B, ` +
      `${concurrency} producers / ${concurrency} consumers`,
  );
  console.log(
    "| system | streams | W1 inserts/s | W1 CPU µs/msg | W2 drained/s | W2 CPU µs/msg " +
      "| W3 msgs/s | W3 p50 ms | W3 p99 ms |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    const w = r.w3;
    console.log(
      `| ${r.system} | ${r.streams} | ${r.w1PerSecond} | ${r.w1CpuUs} | ${r.w2PerSecond} | ` +
        `${r.w2CpuUs} | ` +
        (w === undefined ? "– | – | – |" : `${w.perSecond} | ${w.p50Ms} | ${w.p99Ms} |`),
    );
  }
}
