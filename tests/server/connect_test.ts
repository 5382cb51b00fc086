/**
 * connect(url): the same sql API as open(dir), over the wire to a served
 * database — binary-protocol parameters, results typed like the engine's,
 * QueueError codes, sessions as connections.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { ident, QueueError } from "../../mod.ts";
import { connect, RemoteDatabase, RemoteSession } from "../../src/server/mod.ts";
import { startServer, until } from "./_helpers.ts";

test("connect() runs the README example with the same results as open()", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}/q4d`);
  try {
    await db
      .sql`CREATE TABLE jobs (id INT NOT NULL, prio TINYINT NOT NULL, body TEXT, data BLOB, big BIGINT UNSIGNED, j JSON, d DOUBLE) ENGINE=QUEUE`;
    const inserted = await db.sql`INSERT INTO jobs VALUES (${1}, ${0}, ${"hello"}, ${new Uint8Array(
      [0, 255],
    )}, ${18446744073709551615n}, ${{ a: [1, 2] }}, ${2.5})`;
    assert.equal(inserted.affectedRows, 1);
    assert.equal(inserted.insertId, 1);
    const s = db.session();
    const [w] = await s.sql`SELECT queue_wait('jobs:prio=0', 'jobs', 5) AS got`;
    assert.ok(w !== undefined);
    assert.equal(w.got, 1);
    const rows = await s.sql`SELECT * FROM ${ident("jobs")}`;
    assert.deepEqual(rows, [{
      id: 1,
      prio: 0,
      body: "hello",
      data: new Uint8Array([0, 255]),
      big: 18446744073709551615n,
      j: { a: [1, 2] },
      d: 2.5,
    }]);
    const [ended] = await s.sql`SELECT queue_end() AS e`;
    assert.ok(ended !== undefined);
    assert.equal(ended.e, 1);
    const [count] = await db.sql.unsafe("SELECT COUNT(*) AS n FROM jobs WHERE id = ?", [1]);
    assert.ok(count !== undefined);
    assert.equal(count.n, 0);
    await s.close();
    await assert.rejects(
      s.sql`SELECT 1`,
      (e: unknown) => e instanceof QueueError && e.code === "ER_CLOSED",
    );
  } finally {
    await db.close();
    await served.close();
  }
});

test("connect() reports errors as QueueError codes and closing a session gives its row back", async () => {
  const served = await startServer();
  const db = await connect(
    `mysql://root:secret@localhost/q4d?socket=${encodeURIComponent(served.socket)}`,
  );
  try {
    await assert.rejects(
      db.sql`SELECT * FROM missing`,
      (e: unknown) => e instanceof QueueError && e.code === "ER_NO_SUCH_TABLE",
    );
    await db.sql`CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE`;
    await assert.rejects(
      db.sql`INSERT INTO q VALUES (${null})`,
      (e: unknown) => e instanceof QueueError && e.code === "ER_BAD_NULL_ERROR",
    );
    await db.sql`INSERT INTO q VALUES (${1})`;
    const s = db.session();
    const [w] = await s.sql`SELECT queue_wait('q', 0) AS got`;
    assert.ok(w !== undefined);
    assert.equal(w.got, 1);
    await s.close();
    await until(() => served.db.stats("q").restoredByClose === 1, "restored_by_close");
  } finally {
    await db.close();
    await served.close();
  }
  await assert.rejects(
    connect(`mysql://root:wrong@127.0.0.1:${served.port}`),
    (e: unknown) => e instanceof QueueError,
  );
});

test("connect() with a wrong password rejects with ER_ACCESS_DENIED_ERROR", async () => {
  const served = await startServer();
  try {
    await assert.rejects(
      connect(`mysql://root:wrong@127.0.0.1:${served.port}`),
      (e: unknown) => e instanceof QueueError && e.code === "ER_ACCESS_DENIED_ERROR",
    );
  } finally {
    await served.close();
  }
});

test("RemoteDatabase and RemoteSession cannot be constructed directly, only by connect()", () => {
  const constructors = [RemoteDatabase, RemoteSession] as unknown as (new () => unknown)[];
  for (const Made of constructors) {
    assert.throws(
      () => new Made(),
      (error) => error instanceof QueueError && error.code === "ER_WRONG_ARGUMENTS",
    );
  }
});
