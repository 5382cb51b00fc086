/**
 * Routing columns on the NATS backend (issue 14): a table declared with
 * `PARTITION BY KEY (region)` publishes each row on its value's subject,
 * with one filtered consumer per value, and a queue_wait condition over
 * routing columns pulls only the matching consumers — the server delivers
 * no other row (measured below from the consumers' delivery counters).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Database, QueueError } from "../../mod.ts";
import { open } from "../../src/nats/mod.ts";
import { connect, type ConsumerInfo, jetstreamManager } from "../../src/nats/client.ts";
import { skipUnless } from "../_skip.ts";
import { natsMissing, useCluster } from "./_helpers.ts";

const cluster = useCluster();
let namespaceCount = 0;

const routed = "CREATE TABLE jobs (id INT NOT NULL, region VARCHAR(40), body TEXT) " +
  "ENGINE=QUEUE PARTITION BY KEY (region)";

function code(error: unknown): string {
  return error instanceof QueueError ? error.code : String(error);
}

/** A database in a fresh namespace (or `namespace`: a second client of it). */
async function openDb(
  options: { namespace?: string; clientSideConditions?: boolean; maxRoutingValues?: number } = {},
): Promise<{ db: Database; namespace: string }> {
  const namespace = options.namespace ?? `rt${process.pid}n${++namespaceCount}`;
  const db = await open(cluster().url, { leaseMs: 2_000, ...options, namespace });
  return { db, namespace };
}

/** The consumers of a table's stream, read by a plain client. */
async function consumersOf(stream: string): Promise<ConsumerInfo[]> {
  const nc = await connect({ servers: cluster().url.slice("nats://".length).split(",") });
  try {
    const jsm = await jetstreamManager(nc);
    const all: ConsumerInfo[] = [];
    for await (const c of await jsm.consumers.list(stream)) all.push(c);
    return all;
  } catch (error) {
    if (/stream not found/i.test(String(error))) return [];
    throw error;
  } finally {
    await nc.close();
  }
}

/** Deliveries the server made over all the consumers (each counts once per delivery). */
async function deliveries(stream: string): Promise<number> {
  return (await consumersOf(stream)).reduce((sum, c) => sum + c.delivered.consumer_seq, 0);
}

/**
 * Takes, reads and ends one row matching `condition`; its id or 0. With
 * `once`, asserts the row was delivered once (no client-side rejection).
 */
async function take(db: Database, condition: string, timeout = 0, once = true): Promise<number> {
  const s = db.session();
  try {
    const [row] = await s.sql`SELECT queue_wait(${condition}, ${timeout}) AS got`;
    if (row!.got === 0) return 0;
    const [job] = await s.sql`SELECT id FROM jobs`;
    const [attempts] = await s.sql`SELECT queue_attempts() AS n`;
    if (once) assert.equal(attempts!.n, 1, "a routed row is delivered once");
    await s.sql`SELECT queue_end()`;
    return job!.id as number;
  } finally {
    await s.close();
  }
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`not within 5 s: ${what}`);
}

/** Waits until `db`'s catalog watch has brought `table` (another client made it). */
function seesTable(db: Database, table: string): Promise<void> {
  return until(`the other client sees ${table}`, async () => {
    try {
      await db.sql.unsafe(`SELECT 1 FROM ${table} LIMIT 0`);
      return true;
    } catch {
      return false;
    }
  });
}

describe("routing columns on the NATS backend", skipUnless(natsMissing), () => {
  it("a condition on routing columns pulls only matching values: no other delivery", async () => {
    const { db, namespace } = await openDb();
    const stream = `${namespace}_t1`;
    try {
      assert.equal(db.capabilities.serverSideConditions, "routing");
      await db.sql.unsafe(routed);
      // No unfiltered consumer: one per value, made by the value's first row.
      assert.deepEqual(await consumersOf(stream), []);
      const regions = ["eu", "us", "ap"];
      const values = Array.from({ length: 30 }, (_, i) => [i + 1, regions[i % 3]!, `b${i}`]);
      for (const [id, region, body] of values) {
        await db.sql`INSERT INTO jobs (id, region, body) VALUES (${id}, ${region}, ${body})`;
      }
      const consumers = await consumersOf(stream);
      assert.equal(consumers.length, 3);
      assert.deepEqual(consumers.map((c) => c.num_pending), [10, 10, 10]);
      const before = await deliveries(stream);
      // Conditions with blocking and non-blocking waits, several forms.
      const us: number[] = [];
      for (let id; (id = await take(db, "jobs:region = 'us'", 1)) !== 0;) us.push(id);
      assert.deepEqual(us, values.filter((v) => v[1] === "us").map((v) => v[0]));
      const euAp: number[] = [];
      for (let id; (id = await take(db, "jobs:region IN ('eu', 'ap')")) !== 0;) euAp.push(id);
      assert.equal(euAp.length, 20);
      // Every delivery served a row: the server sent no non-matching row (no nak churn).
      assert.equal(await deliveries(stream) - before, 30);
      for (const c of await consumersOf(stream)) {
        assert.equal(c.num_redelivered, 0);
        assert.equal(c.num_ack_pending, 0);
      }
      assert.deepEqual([...await db.sql`SELECT COUNT(*) AS n FROM jobs`], [{ n: 0 }]);
      // A condition no value matches finds nothing and pulls nothing.
      assert.equal(await take(db, "jobs:region = 'none'", 0), 0);
      assert.equal(await deliveries(stream) - before, 30);
    } finally {
      await db.close();
    }
  });

  it("a wait without a condition takes rows of every value", async () => {
    const { db } = await openDb();
    try {
      await db.sql.unsafe(routed);
      await db.sql`INSERT INTO jobs (id, region) VALUES (1, 'a'), (2, 'b'), (3, NULL), (4, 'a')`;
      const ids: number[] = [];
      for (let id; (id = await take(db, "jobs")) !== 0;) ids.push(id);
      assert.deepEqual(ids.sort(), [1, 2, 3, 4]);
      // Blocked on all values: a row of any value (one new here) ends it.
      const s = db.session();
      const waited = s.sql`SELECT queue_wait('jobs', 10) AS got`;
      await new Promise((r) => setTimeout(r, 200));
      await db.sql`INSERT INTO jobs (id, region) VALUES (5, 'c')`;
      assert.deepEqual([...await waited], [{ got: 1 }]);
      assert.deepEqual([...await s.sql`SELECT id FROM jobs`], [{ id: 5 }]);
      await s.sql`SELECT queue_end()`;
      await s.close();
    } finally {
      await db.close();
    }
  });

  it("a wait started before its value's first row gets it (this client and another)", async () => {
    const { db: a, namespace } = await openDb();
    const { db: b } = await openDb({ namespace });
    try {
      await a.sql.unsafe(routed);
      await seesTable(b, "jobs");
      const here = a.session();
      const elsewhere = b.session();
      const waitHere = here.sql`SELECT queue_wait('jobs:region = "new"', 10) AS got`;
      const waitElsewhere = elsewhere.sql`SELECT queue_wait('jobs:region = "newer"', 10) AS got`;
      await new Promise((r) => setTimeout(r, 300));
      await a.sql`INSERT INTO jobs (id, region) VALUES (1, 'new'), (2, 'newer')`;
      // Another client's new value reaches b through the consumer advisory (or the 1 s listing),
      // well within the waits' 10 s.
      assert.deepEqual([...await waitHere], [{ got: 1 }]);
      assert.deepEqual([...await waitElsewhere], [{ got: 1 }]);
      assert.deepEqual([...await here.sql`SELECT id FROM jobs`], [{ id: 1 }]);
      assert.deepEqual([...await elsewhere.sql`SELECT id FROM jobs`], [{ id: 2 }]);
      await here.sql`SELECT queue_end()`;
      await elsewhere.sql`SELECT queue_end()`;
      await here.close();
      await elsewhere.close();
    } finally {
      await b.close();
      await a.close();
    }
  });

  it("two clients share a routed table", async () => {
    const { db: a, namespace } = await openDb();
    const { db: b } = await openDb({ namespace });
    try {
      await a.sql.unsafe(routed);
      await a.sql`INSERT INTO jobs (id, region) VALUES (1, 'x'), (2, 'y'), (3, 'x')`;
      await seesTable(b, "jobs");
      // b knows no value yet: its wait lists the table's consumers first.
      assert.equal(await take(b, "jobs:region = 'x'"), 1);
      await b.sql`INSERT INTO jobs (id, region) VALUES (4, 'y'), (5, 'z')`;
      assert.equal(await take(a, "jobs:region = 'z'", 5), 5);
      assert.equal(await take(a, "jobs:region = 'x'"), 3);
      assert.deepEqual([...await b.sql`SELECT id FROM jobs`], [{ id: 2 }, { id: 4 }]);
      assert.equal(await take(b, "jobs:region = 'y'"), 2);
      assert.equal(await take(a, "jobs:region = 'y'"), 4);
      await until(
        "both count 0",
        async () =>
          (await a.sql`SELECT COUNT(*) AS n FROM jobs`)[0]?.n === 0 &&
          (await b.sql`SELECT COUNT(*) AS n FROM jobs`)[0]?.n === 0,
      );
    } finally {
      await b.close();
      await a.close();
    }
  });

  it("values that need encoding are routed to themselves only", async () => {
    const { db, namespace } = await openDb();
    try {
      await db.sql.unsafe(routed);
      const odd = ["a.b", "x y", "*", ">", "ünï 😀", "", "a.b.", ".", "_", "NULL"];
      for (const [i, region] of odd.entries()) {
        await db.sql`INSERT INTO jobs (id, region) VALUES (${i + 1}, ${region})`;
      }
      await db.sql`INSERT INTO jobs (id, region) VALUES (${100}, ${null})`;
      assert.equal((await consumersOf(`${namespace}_t1`)).length, odd.length + 1);
      for (const [i, region] of odd.entries()) {
        const quoted = "'" + region.replace(/'/g, "''") + "'";
        assert.equal(await take(db, `jobs:region = ${quoted}`), i + 1, region);
      }
      assert.equal(await take(db, "jobs:region IS NULL"), 100);
      assert.equal(await take(db, "jobs"), 0);
      // Past the subject bound: a clear error, nothing written.
      await db.sql`CREATE TABLE wide (r TEXT) ENGINE=QUEUE PARTITION BY KEY (r)`;
      await assert.rejects(
        db.sql`INSERT INTO wide (r) VALUES ('ok'), (${"é".repeat(400)})`,
        (e: unknown) => code(e) === "ER_DATA_TOO_LONG" && /NATS subject/.test(String(e)),
      );
      assert.deepEqual([...await db.sql`SELECT COUNT(*) AS n FROM wide`], [{ n: 0 }]);
    } finally {
      await db.close();
    }
  });

  it("conditions on other columns: ER_NOT_SUPPORTED_YET, or client-side when opted in", async () => {
    const { db, namespace } = await openDb();
    const { db: filtering } = await openDb({ namespace, clientSideConditions: true });
    try {
      await db.sql.unsafe(routed);
      await db.sql`INSERT INTO jobs (id, region) VALUES (1, 'eu'), (2, 'eu'), (3, 'us')`;
      for (
        const condition of ["jobs:region = 'eu' AND id > 1", "jobs:id = 2", "jobs:region = NOW()"]
      ) {
        await assert.rejects(
          db.session().sql`SELECT queue_wait(${condition}, 0)`,
          (e: unknown) => code(e) === "ER_NOT_SUPPORTED_YET",
        );
      }
      await until("the other client sees jobs", async () => {
        try {
          await filtering.sql`SELECT 1 FROM jobs LIMIT 0`;
          return true;
        } catch {
          return false;
        }
      });
      assert.equal(await take(filtering, "jobs:region = 'eu' AND id > 1", 0, false), 2);
      // Row 3 may have been turned down by the wait before: hidden for filterDelayMs.
      assert.equal(await take(filtering, "jobs:id = 3", 2, false), 3);
      // Row 1, which the client-side condition turned down, is hidden for filterDelayMs.
      assert.equal(await take(db, "jobs:region = 'eu'", 2, false), 1);
    } finally {
      await filtering.close();
      await db.close();
    }
  });

  it("abort, delay and end of a routed row; SELECT, DELETE and stats", async () => {
    const { db } = await openDb();
    try {
      await db.sql.unsafe(routed);
      await db
        .sql`INSERT INTO jobs (id, region, body) VALUES (1, 'eu', 'a'), (2, 'us', 'b'), (3, 'eu', 'c')`;
      assert.deepEqual([...await db.sql`SELECT id, region FROM jobs`], [
        { id: 1, region: "eu" },
        { id: 2, region: "us" },
        { id: 3, region: "eu" },
      ]);
      const s = db.session();
      assert.deepEqual([...await s.sql`SELECT queue_wait('jobs:region = "eu"', 1) AS got`], [
        { got: 1 },
      ]);
      assert.deepEqual([...await s.sql`SELECT id FROM jobs`], [{ id: 1 }]);
      await s.sql`SELECT queue_abort()`;
      assert.deepEqual([...await s.sql`SELECT queue_wait('jobs:region = "eu"', 1) AS got`], [
        { got: 1 },
      ]);
      assert.deepEqual([...await s.sql`SELECT id FROM jobs`], [{ id: 1 }]);
      assert.deepEqual([...await s.sql`SELECT queue_attempts() AS n`], [{ n: 2 }]);
      await s.sql`SELECT queue_abort(1)`; // hidden 1 s
      assert.deepEqual([...await s.sql`SELECT queue_wait('jobs:region = "eu"', 1) AS got`], [
        { got: 1 },
      ]);
      assert.deepEqual([...await s.sql`SELECT id FROM jobs`], [{ id: 3 }]);
      await s.sql`SELECT queue_end()`;
      await db.sql`DELETE FROM jobs WHERE id = 2`;
      assert.deepEqual([...await db.sql`SELECT id FROM jobs`], [{ id: 1 }]);
      const [stats] = await db.sql`SELECT queue_stats('jobs') AS s`;
      assert.match(stats!.s, /rows_written: 3\n/);
      assert.match(stats!.s, /restored_by_abort: 2\n/);
      assert.deepEqual([...await s.sql`SELECT queue_wait('jobs:region = "eu"', 3) AS got`], [
        { got: 1 },
      ]);
      await s.sql`SELECT queue_end()`;
      assert.deepEqual([...await db.sql`SELECT COUNT(*) AS n FROM jobs`], [{ n: 0 }]);
      // A relayed row sent twice is written once, whatever its value.
      for (let i = 0; i < 2; i++) {
        await s.sql`SELECT queue_set_srcid(3, 'a', ${9})`;
        const result = await s.sql`INSERT INTO jobs (id, region) VALUES (9, ${
          i === 0 ? "eu" : "us"
        })`;
        assert.equal(result.affectedRows, i === 0 ? 1 : 0);
      }
      assert.equal(await take(db, "jobs:region = 'us'"), 0);
      assert.equal(await take(db, "jobs:region = 'eu'"), 9);
      // queue_set_delay holds a routed row back from a conditional wait.
      await s.sql`SELECT queue_set_delay(1)`;
      await s.sql`INSERT INTO jobs (id, region) VALUES (10, 'eu')`;
      assert.equal(await take(db, "jobs:region = 'eu'"), 0);
      assert.equal(await take(db, "jobs:region = 'eu'", 3, false), 10);
      await s.close();
    } finally {
      await db.close();
    }
  });

  it("TRUNCATE and DROP remove every per-value consumer; the bound on values", async () => {
    const { db, namespace } = await openDb({ maxRoutingValues: 3 });
    const stream = `${namespace}_t1`;
    try {
      await db.sql.unsafe(routed);
      await db.sql`INSERT INTO jobs (id, region) VALUES (1, 'a'), (2, 'b'), (3, 'c')`;
      assert.equal((await consumersOf(stream)).length, 3);
      // A fourth value is refused, and nothing of its INSERT is written.
      await assert.rejects(
        db.sql`INSERT INTO jobs (id, region) VALUES (4, 'a'), (5, 'd')`,
        (e: unknown) => code(e) === "ER_NOT_SUPPORTED_YET" && /maxRoutingValues/.test(String(e)),
      );
      assert.deepEqual([...await db.sql`SELECT COUNT(*) AS n FROM jobs`], [{ n: 3 }]);
      // A wait blocked across the TRUNCATE gets a row inserted after it.
      const s = db.session();
      const waited = s.sql`SELECT queue_wait('jobs:region = "e"', 10) AS got`;
      await new Promise((r) => setTimeout(r, 200));
      await db.sql`TRUNCATE TABLE jobs`;
      assert.deepEqual(await consumersOf(stream), []);
      assert.deepEqual([...await db.sql`SELECT COUNT(*) AS n FROM jobs`], [{ n: 0 }]);
      // The count starts again; rows go on being routed and served.
      await db.sql`INSERT INTO jobs (id, region) VALUES (6, 'd'), (7, 'e'), (8, 'a')`;
      assert.equal((await consumersOf(stream)).length, 3);
      assert.deepEqual([...await waited], [{ got: 1 }]);
      assert.deepEqual([...await s.sql`SELECT id FROM jobs`], [{ id: 7 }]);
      await s.sql`SELECT queue_end()`;
      await s.close();
      assert.equal(await take(db, "jobs:region = 'a'"), 8);
      await db.sql`DROP TABLE jobs`;
      assert.deepEqual(await consumersOf(stream), []);
    } finally {
      await db.close();
    }
  });
});
