/**
 * Connections coming and going: an owned row given back when a client drops,
 * KILL QUERY / KILL CONNECTION, SHOW PROCESSLIST, max_connections,
 * max_allowed_packet, malformed packets, graceful close.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { QueueError } from "../../mod.ts";
import { serve } from "../../src/server/mod.ts";
import { packet, rawClient, rawSocket, startServer, until } from "./_helpers.ts";
import { u16At } from "../_at.ts";

test("a client dropping while owning a row gives it back at once (restored_by_close)", async () => {
  const served = await startServer();
  try {
    const c = await served.connect();
    await c.query("CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE");
    await c.query("INSERT INTO q VALUES (1)");
    const [[w]] = (await c.query("SELECT queue_wait('q', 0) AS got")) as unknown as [
      { got: number }[],
    ];
    assert.ok(w !== undefined);
    assert.equal(w.got, 1);
    c.destroy(); // the socket goes away without COM_QUIT
    await until(() => served.db.stats("q").restoredByClose === 1, "restored_by_close");
    const other = await served.connect();
    const [[again]] = (await other.query("SELECT queue_wait('q', 0) AS got")) as unknown as [
      { got: number }[],
    ];
    assert.ok(again !== undefined);
    assert.equal(again.got, 1);
    await other.end();
  } finally {
    await served.close();
  }
});

test("KILL QUERY ends a blocked queue_wait with 1317 (70100) and leaves the connection usable", async () => {
  const served = await startServer();
  try {
    const waiter = await served.connect();
    const killer = await served.connect();
    await killer.query("CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE");
    const [[connection]] = (await waiter.query("SELECT CONNECTION_ID() AS id")) as unknown as [
      { id: number }[],
    ];
    assert.ok(connection !== undefined);
    const { id } = connection;
    const blocked = waiter.query("SELECT queue_wait('q', 60)");
    await until(
      () => served.server.connectionCount === 2,
      "two connections",
    );
    let processList: Record<string, unknown>[] = [];
    const waiting = () => processList.some((p) => p.State === "queue_wait(q)");
    for (let i = 0; i < 1000 && !waiting(); i++) {
      processList = ((await killer.query("SHOW PROCESSLIST")) as unknown as [
        Record<string, unknown>[],
      ])[0];
    }
    const row = processList.find((p) => p.Id === id);
    assert.ok(row !== undefined, "the waiting connection is listed");
    assert.equal(row.State, "queue_wait(q)");
    await killer.query(`KILL QUERY ${id}`);
    await assert.rejects(blocked, { errno: 1317, sqlState: "70100" });
    const [[after]] = (await waiter.query("SELECT 1 AS one")) as unknown as [{ one: number }[]];
    assert.ok(after !== undefined);
    assert.equal(after.one, 1);
    await assert.rejects(killer.query("KILL QUERY 99999"), { errno: 1094 });
    await killer.query(`KILL ${id}`);
    await until(() => served.server.connectionCount === 1, "killed connection gone");
    await assert.rejects(waiter.query("SELECT 1"));
    waiter.destroy();
    await killer.end();
  } finally {
    await served.close();
  }
});

test("the connection past max_connections gets ERR 1040", async () => {
  const served = await startServer({ maxConnections: 2 });
  try {
    const a = await served.connect();
    const b = await served.connect();
    await assert.rejects(served.connect(), { errno: 1040 });
    await a.end();
    await until(() => served.server.connectionCount === 1, "a closed");
    const c = await served.connect();
    await c.ping();
    await b.end();
    await c.end();
  } finally {
    await served.close();
  }
});

test("a packet over max_allowed_packet is ERR 1153 and closes only that connection", async () => {
  const served = await startServer({ maxAllowedPacketBytes: 64 * 1024 });
  try {
    const big = await served.connect();
    const small = await served.connect();
    await assert.rejects(big.query("SELECT '" + "x".repeat(100 * 1024) + "'"), { errno: 1153 });
    const [[row]] = (await small.query("SELECT 2 AS two")) as unknown as [{ two: number }[]];
    assert.ok(row !== undefined);
    assert.equal(row.two, 2);
    big.destroy();
    await small.end();
  } finally {
    await served.close();
  }
});

test("malformed input (random bytes, truncated packets, lying lengths) closes only that connection", async () => {
  const served = await startServer({ maxAllowedPacketBytes: 1024 * 1024 });
  try {
    const healthy = await served.connect();
    const inputs: Uint8Array[] = [
      // random bytes as a handshake response
      packet(1, new Uint8Array(64).map((_, i) => (i * 97 + 13) & 0xff)),
      // a truncated handshake response (protocol 41 set, then nothing)
      packet(1, new Uint8Array([0x00, 0x02, 0x00, 0x00, 1, 2])),
      // a length header claiming more than max_allowed_packet
      new Uint8Array([0xff, 0xff, 0xff, 0x01, 1, 2, 3]),
    ];
    for (const input of inputs) {
      const raw = await rawSocket(served.port);
      raw.socket.write(input);
      await raw.closed;
      assert.ok(raw.received().length > 0, "the handshake was sent");
    }
    // A lying length that is within limits never completes: the client gives up.
    const lying = await rawSocket(served.port);
    lying.socket.write(new Uint8Array([0x00, 0x10, 0x00, 0x01, 1, 2, 3]));
    lying.socket.destroy();
    await lying.closed;
    const [[row]] = (await healthy.query("SELECT 3 AS three")) as unknown as [{ three: number }[]];
    assert.ok(row !== undefined);
    assert.equal(row.three, 3);
    await healthy.end();
  } finally {
    await served.close();
  }
});

test("an unknown command is ERR 1047 and the connection stays usable", async () => {
  const served = await startServer({ password: "", authPlugin: "mysql_native_password" });
  try {
    const client = await rawClient(served.port);
    const [error] = await client.command(new Uint8Array([0x0f]), 1); // COM_TIME: long gone
    assert.ok(error !== undefined);
    assert.equal(error[0], 0xff);
    assert.equal(u16At(error, 1), 1047);
    const [pong] = await client.command(new Uint8Array([0x0e]), 1); // COM_PING
    assert.ok(pong !== undefined);
    assert.equal(pong[0], 0x00);
    client.close();
  } finally {
    await served.close();
  }
});

test("server close ends waits, gives owned rows back and refuses new connections", async () => {
  const served = await startServer();
  const c = await served.connect();
  await c.query("CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE");
  await c.query("INSERT INTO q VALUES (1)");
  await c.query("SELECT queue_wait('q', 0)");
  const w = await served.connect();
  const blocked = w.query("SELECT queue_wait('q', 60)").catch((error) => error);
  await until(() => served.server.connectionCount === 2, "two connections");
  await served.server.close({ graceMs: 2000 });
  assert.equal(served.server.connectionCount, 0);
  assert.equal(served.db.stats("q").restoredByClose, 1);
  assert.ok((await blocked) instanceof Error);
  await served.db.close();
  c.destroy();
  w.destroy();
});

test("wait_timeout closes an idle connection but never fires during a queue_wait", async () => {
  const served = await startServer({ waitTimeoutSeconds: 0.2 });
  try {
    const c = await served.connect();
    await c.query("CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE");
    // A wait five times longer than wait_timeout ends by its own timeout, on a live connection.
    const [[w]] = (await c.query("SELECT queue_wait('q', 1) AS got")) as unknown as [
      { got: number }[],
    ];
    assert.ok(w !== undefined);
    assert.equal(w.got, 0);
    const [[one]] = (await c.query("SELECT 1 AS one")) as unknown as [{ one: number }[]];
    assert.ok(one !== undefined);
    assert.equal(one.one, 1);
    const closed = new Promise<void>((resolve) => c.on("error", () => resolve()));
    await closed;
    assert.ok(served.log.some((line) => line.includes("idle past its timeout")));
  } finally {
    await served.close();
  }
});

test("a second server refuses a socket path a live server listens on", async () => {
  const served = await startServer();
  try {
    await assert.rejects(
      serve(served.db, { port: 0, socket: served.socket }),
      (e: unknown) => e instanceof QueueError && e.code === "ER_CANT_OPEN_FILE",
    );
    const c = await served.connect();
    await c.ping();
    await c.end();
  } finally {
    await served.close();
  }
});
