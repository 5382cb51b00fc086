/**
 * What connect() gives beyond `sql`: the members of open()'s Database and
 * Session that make sense over the wire — `db.stats()`, `db.capabilities`,
 * `db.recovery`, `session.id` — equal to the served database's own, and
 * the q4d status variables they are read from.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import { open, QueueError } from "../../mod.ts";
import { connect, serve } from "../../src/server/mod.ts";
import { q4dStatus, statusViews } from "../../src/server/status.ts";
import { startServer } from "./_helpers.ts";

const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-remote-surface-"));
after(() => nodeFs.rmSync(root, { recursive: true, force: true }));

test("db.stats() over the wire equals the served database's own, field for field", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}/q4d`);
  try {
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t VALUES (1), (2), (3), (4)`;
    const s = db.session();
    await s.sql`SELECT queue_wait('t', 0)`;
    await s.sql`SELECT queue_end()`;
    await s.sql`SELECT queue_wait('t', 0)`;
    await s.sql`SELECT queue_abort()`;
    await s.sql`SELECT queue_wait('t', 0)`; // owned: live, not visible
    const w = db.session();
    await w.sql`SELECT queue_set_delay(60)`;
    await w.sql`INSERT INTO t VALUES (5)`; // delayed
    await w.sql`SELECT queue_wait('t:v=99', 0.01)`; // times out
    const remote = await db.stats("t");
    const local = served.db.stats("t");
    assert.deepEqual(remote, local);
    assert.deepEqual(Object.keys(remote).sort(), Object.keys(local).sort());
    for (const [key, value] of Object.entries(local)) {
      assert.equal(typeof (remote as unknown as Record<string, unknown>)[key], typeof value, key);
    }
    assert.equal(remote.rowsLive, 4);
    assert.equal(remote.restoredByAbort, 1);
    assert.equal(remote.rowsDelayed, 1);
    assert.equal(remote.waitTimeout, 1);
    // The contract both share: `await db.stats(t)`.
    assert.deepEqual(await served.db.stats("t"), await db.stats("t"));
    await assert.rejects(
      db.stats("missing"),
      (e: unknown) => e instanceof QueueError && e.code === "ER_NO_SUCH_TABLE",
    );
    await s.close();
    await w.close();
  } finally {
    await db.close();
    await served.close();
  }
});

test("db.capabilities and db.recovery over the wire equal the served database's", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    assert.deepEqual(db.capabilities, served.db.capabilities);
    assert.equal(db.capabilities.name, "local");
    assert.deepEqual(db.recovery, served.db.recovery);
    assert.equal(db.recovery.tornTail, null);
    // Copies: changing one changes nothing the next read shows.
    (db.capabilities as { transactions: boolean }).transactions = false;
    assert.equal(db.capabilities.transactions, true);
    // What they are read from: MySQL's place for a server's state.
    const status = await db.sql`SHOW GLOBAL STATUS LIKE 'q4d%'`;
    const byName = new Map(status.map((r) => [r.Variable_name, r.Value]));
    assert.equal(byName.get("Q4d_backend"), "local");
    assert.equal(byName.get("Q4d_capability_ownership_is_lease"), "OFF");
    assert.equal(byName.get("Q4d_capability_durability"), "memory"); // sync: "none"
    assert.equal(byName.get("Q4d_recovery_torn_tail_path"), "");
    assert.equal(typeof byName.get("Q4d_recovery_segment_count"), "string");
  } finally {
    await db.close();
    await served.close();
  }
});

test("db.recovery over the wire shows the torn tail recovery cut when the served database opened", async () => {
  const directory = path.join(root, "torn");
  const first = await open(directory, { sync: "none" });
  await first.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
  await first.sql`INSERT INTO q VALUES (1), (2)`;
  await first.close();
  // An unacknowledged write's bytes after the last batch: what a crash mid-write leaves.
  const segment = path.join(directory, "log", `${"1".padStart(16, "0")}.q4l`);
  const bytes = nodeFs.readFileSync(segment);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const handle = nodeFs.openSync(segment, "r+");
  nodeFs.writeSync(handle, Buffer.alloc(10, 0xab), 0, 10, end + 4);
  nodeFs.closeSync(handle);
  const reopened = await open(directory, { sync: "none" });
  const server = await serve(reopened, { port: 0, log: () => {} });
  const db = await connect(`mysql://root@127.0.0.1:${server.port}`);
  try {
    assert.notEqual(reopened.recovery.tornTail, null);
    assert.deepEqual(db.recovery, reopened.recovery);
    assert.ok(db.recovery.tornTail!.bytesDropped > 0);
    assert.ok(db.recovery.tornTail!.path.endsWith(".q4l"));
    assert.equal((await db.stats("q")).rowsWritten, 2);
  } finally {
    await db.close();
    await server.close();
    await reopened.close();
  }
});

test("session.id is its connection's id: CONNECTION_ID(), SHOW PROCESSLIST's Id, KILL's", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    assert.equal(s.id, 0, "0 until the session's connection is open");
    const [row] = await s.sql`SELECT CONNECTION_ID() AS id`;
    assert.ok(s.id > 0);
    assert.equal(row?.id, s.id);
    const other = db.session();
    await other.sql`DO 1`;
    assert.notEqual(other.id, s.id);
    const listed = await db.sql`SHOW PROCESSLIST`;
    assert.ok(listed.some((p) => p.Id === s.id && p.Command === "Sleep"));
    // KILL QUERY by that id ends the session's wait; KILL closes its connection.
    const waiting = s.sql`SELECT queue_wait('q', 60) AS got`;
    await new Promise((r) => setTimeout(r, 100));
    await db.sql.unsafe(`KILL QUERY ${s.id}`);
    await assert.rejects(
      waiting,
      (e: unknown) => e instanceof QueueError && e.code === "ER_QUERY_INTERRUPTED",
    );
    await db.sql.unsafe(`KILL ${s.id}`);
    await assert.rejects(
      s.sql`DO 1`,
      (e: unknown) => e instanceof QueueError && e.code === "ER_CLOSED",
    );
    assert.ok(!(await db.sql`SHOW PROCESSLIST`).some((p) => p.Id === s.id));
    await s.close();
    await other.close();
  } finally {
    await db.close();
    await served.close();
  }
});

test("the q4d status rows read back to the views they were made from; other rows to none", () => {
  const views = {
    capabilities: {
      name: "nats",
      transactions: false,
      ownershipIsLease: true,
      synchronousReads: false,
      serverSideConditions: "routing" as const,
      clientSideConditions: true,
      exactRelayMarks: false,
      delayedRows: true,
      strictPriorityAcrossTables: false,
      compaction: false,
      durability: "quorum" as const,
    },
    recovery: {
      segmentCount: 3,
      batchCount: 12,
      bytesScanned: 4096,
      tornTail: { path: "/d/log/0000000000000003.q4l", offset: 2000, bytesDropped: 96 },
      durationMs: 1.5,
    },
  };
  const rows = q4dStatus(views).map(([Variable_name, Value]) => ({ Variable_name, Value }));
  assert.ok(rows.every((r) => r.Variable_name.startsWith("Q4d_")));
  assert.deepEqual(statusViews(rows), views);
  assert.equal(statusViews([{ Variable_name: "Uptime", Value: "5" }]), null);
});
