/**
 * The cost of routing columns on the NATS backend (issue 14), one run on a
 * 3-node cluster started here, all through SQL: the first INSERT of a new
 * routing value (it makes that value's R3 consumer) beside an INSERT of a
 * known value; a conditional queue_wait on one value beside a client-side
 * condition on an unrouted table of the same rows (deliveries per served
 * row, from the consumers' counters); an unconditioned queue_wait(t, 0) on
 * an empty routed table of K values (one pull per value) beside the same on
 * an unrouted table.
 *
 * deno run -A bench/nats/routing.ts [--values K] [--json]
 *
 * @module
 */

import process from "node:process";
import { Cluster, natsMissing, natsServerVersion } from "../../tests/nats/_cluster.ts";
import { connect, jetstreamManager } from "../../src/nats/client.ts";
import { open } from "../../src/nats/mod.ts";

const args = process.argv.slice(2);
const valuesArg = args.indexOf("--values");
const valueCount = valuesArg >= 0 ? Number(args[valuesArg + 1]) : 20;
const rowsPerValue = 10;

if (natsMissing !== null) {
  console.log(`skipped: ${natsMissing}`);
  process.exit(0);
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cluster = await Cluster.start();
const nc = await connect({ servers: cluster.url.slice("nats://".length).split(",") });
const jsm = await jetstreamManager(nc);
async function deliveries(stream: string): Promise<number> {
  let sum = 0;
  for await (const c of await jsm.consumers.list(stream)) sum += c.delivered.consumer_seq;
  return sum;
}
const db = await open(cluster.url, {
  namespace: "routebench",
  clientSideConditions: true,
  filterDelayMs: 1,
});
try {
  await db.sql`CREATE TABLE routed (v INT, body TEXT) ENGINE=QUEUE PARTITION BY KEY (v)`;
  await db.sql`CREATE TABLE plain (v INT, body TEXT) ENGINE=QUEUE`;
  const newValue: number[] = [];
  const knownValue: number[] = [];
  const plainInsert: number[] = [];
  for (let v = 0; v < valueCount; v++) {
    newValue.push(await timed(() => db.sql`INSERT INTO routed VALUES (${v}, 'x')`));
    plainInsert.push(await timed(() => db.sql`INSERT INTO plain VALUES (${v}, 'x')`));
    for (let i = 1; i < rowsPerValue; i++) {
      knownValue.push(await timed(() => db.sql`INSERT INTO routed VALUES (${v}, 'x')`));
      plainInsert.push(await timed(() => db.sql`INSERT INTO plain VALUES (${v}, 'x')`));
    }
  }
  // Drain the rows of one value with a condition: routed (server-side) and plain (client-side).
  const drain = async (table: string) => {
    const stream = `routebench_t${table === "routed" ? 1 : 2}`;
    const before = await deliveries(stream);
    const s = db.session();
    const start = performance.now();
    let served = 0;
    for (;;) {
      const [row] = await s.sql`SELECT queue_wait(${table + ":v = " + (valueCount - 1)}, 0) AS g`;
      if (row!.g === 0) break;
      await s.sql`SELECT queue_end()`;
      served++;
    }
    const ms = performance.now() - start;
    await s.close();
    return {
      served,
      msPerRow: ms / served,
      deliveriesPerRow: (await deliveries(stream) - before) / served,
    };
  };
  const routedDrain = await drain("routed");
  const plainDrain = await drain("plain");
  await db.sql`TRUNCATE TABLE plain`;
  // Empty-table waits: the routed table still has its K values' consumers (minus none: no TRUNCATE).
  await db.sql`DELETE FROM routed`;
  const emptyWait = async (table: string) => {
    const s = db.session();
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      times.push(await timed(() => s.sql`SELECT queue_wait(${table}, 0)`));
    }
    await s.close();
    return median(times);
  };
  const figures = {
    server: natsServerVersion(),
    values: valueCount,
    insertNewValueMs: median(newValue),
    insertKnownValueMs: median(knownValue),
    insertUnroutedMs: median(plainInsert),
    conditionRouted: routedDrain,
    conditionClientSide: plainDrain,
    emptyWaitRoutedMs: await emptyWait("routed"),
    emptyWaitUnroutedMs: await emptyWait("plain"),
  };
  if (args.includes("--json")) console.log(JSON.stringify(figures));
  else {
    const f = (x: number) => x.toFixed(2);
    console.log(
      `nats routing columns (${figures.server}, ${valueCount} values × ${rowsPerValue} rows)`,
    );
    console.log(
      `INSERT median ms: new value ${f(figures.insertNewValueMs)}, known value ${
        f(figures.insertKnownValueMs)
      }, unrouted table ${f(figures.insertUnroutedMs)}`,
    );
    console.log(
      `drain one value with a condition: routed ${routedDrain.served} rows, ${
        f(routedDrain.deliveriesPerRow)
      } deliveries/row, ${f(routedDrain.msPerRow)} ms/row; client-side ${plainDrain.served} rows, ${
        f(plainDrain.deliveriesPerRow)
      } deliveries/row, ${f(plainDrain.msPerRow)} ms/row`,
    );
    console.log(
      `queue_wait(t, 0) on an empty table, median ms: routed (${valueCount} values) ${
        f(figures.emptyWaitRoutedMs)
      }, unrouted ${f(figures.emptyWaitUnroutedMs)}`,
    );
  }
} finally {
  await db.close();
  await nc.close();
  await cluster.stop();
}
