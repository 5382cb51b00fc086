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

test("a session's close() resolves once the server has given its row back", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q VALUES (${4})`;
    const child = db.session();
    const [w] = await child.sql`SELECT queue_wait('q', 0) AS got`;
    assert.ok(w !== undefined);
    assert.equal(w.got, 1);
    assert.deepEqual([...await db.sql`SELECT * FROM q`], []);
    await child.close();
    // As open()'s Session.close(): the row is back when the promise resolves.
    assert.deepEqual([...await db.sql`SELECT * FROM q`], [{ v: 4 }]);
  } finally {
    await db.close();
    await served.close();
  }
});

test("connect() reads DECIMAL, dates, times and BIT as open() does and binds a Date", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    await db.sql`CREATE TABLE t (id INT NOT NULL, price DECIMAL(5,2), d DATE, dt DATETIME(6),
      ts TIMESTAMP(3) NULL, tm TIME(1), flags BIT(10), y YEAR) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t VALUES (${1}, ${"9.99"}, ${"2024-02-29"},
      ${new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))}, ${"2024-01-02 03:04:05.5"},
      ${"-838:59:59"}, ${1023}, ${2024})`;
    const expected = {
      id: 1,
      price: "9.99",
      d: "2024-02-29",
      dt: "2024-01-02 03:04:05.678000",
      ts: "2024-01-02 03:04:05.500",
      tm: "-838:59:59.0",
      flags: 1023,
      y: 2024,
    };
    assert.deepEqual([...await served.db.sql`SELECT * FROM t`], [expected]);
    assert.deepEqual([...await db.sql`SELECT * FROM t`], [expected]);
  } finally {
    await db.close();
    await served.close();
  }
});

test("connect() refuses what open() refuses, with open()'s codes", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  const code = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      return error instanceof QueueError ? error.code : String(error);
    }
    return "resolved";
  };
  try {
    await db.sql`CREATE TABLE t (id INT NOT NULL, name VARCHAR(8)) ENGINE=QUEUE`;
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const trapping = new Proxy({}, {
      getPrototypeOf() {
        throw new Error("trap");
      },
    });
    const refused = {
      revoked: await code(db.sql`INSERT INTO t VALUES (${proxy}, 'a')`),
      trapping: await code(db.sql`INSERT INTO t VALUES (${trapping}, 'a')`),
      unsafeRevoked: await code(db.sql.unsafe("INSERT INTO t VALUES (?, 'a')", proxy as [])),
      undefined: await code(db.sql`INSERT INTO t VALUES (${undefined}, 'a')`),
      function: await code(db.sql`INSERT INTO t VALUES (${() => 1}, 'a')`),
      beyond64: await code(db.sql`INSERT INTO t VALUES (${2n ** 64n}, 'a')`),
      badDate: await code(db.sql`INSERT INTO t VALUES (${new Date(NaN)}, 'a')`),
      surrogate: await code(db.sql`INSERT INTO t VALUES (1, ${"a\ud800"})`),
    };
    assert.deepEqual(refused, {
      revoked: "ER_WRONG_ARGUMENTS",
      trapping: "ER_WRONG_ARGUMENTS",
      unsafeRevoked: "ER_WRONG_ARGUMENTS",
      undefined: "ER_WRONG_ARGUMENTS",
      function: "ER_WRONG_ARGUMENTS",
      beyond64: "ER_WRONG_ARGUMENTS",
      badDate: "ER_WRONG_ARGUMENTS",
      surrogate: "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
    });
    assert.equal(served.db.stats("t").rowsWritten, 0);
    const parse = await db.sql.unsafe("SELECT 1,\n  2 FORM t").catch((e) => e);
    assert.ok(parse instanceof QueueError && parse.code === "ER_PARSE_ERROR");
    assert.equal(parse.position, 19, "the position open() gives");
  } finally {
    await db.close();
    await served.close();
  }
});

test("connect(): a second queue_wait in a session is refused; close() fails a pending one", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t VALUES (${1})`;
    const owner = db.session();
    const [w] = await owner.sql`SELECT queue_wait('t', 0) AS got`;
    assert.ok(w !== undefined);
    assert.equal(w.got, 1);
    const s = db.session();
    const first = s.sql`SELECT queue_wait('t', 60) AS got`;
    await assert.rejects(
      s.sql`SELECT queue_wait('t', 0) AS got`,
      (e: unknown) => e instanceof QueueError && e.code === "ER_WRONG_ARGUMENTS",
    );
    await until(() => served.server.connectionCount === 3, "three connections");
    // Closing both at once: the owner's row goes back, the waiter still fails.
    await Promise.all([owner.close(), s.close()]);
    await assert.rejects(first, (e: unknown) => e instanceof QueueError && e.code === "ER_CLOSED");
    await until(() => served.server.connectionCount === 1, "both closed");
    assert.deepEqual([...await db.sql`SELECT * FROM t`], [{ v: 1 }]);
  } finally {
    await db.close();
    await served.close();
  }
});

test("connect(): `await using` closes a session and the database", async () => {
  const served = await startServer();
  try {
    {
      await using db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
      await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO q VALUES (${1})`;
      {
        await using s = db.session();
        const [w] = await s.sql`SELECT queue_wait('q', 0) AS got`;
        assert.ok(w !== undefined);
        assert.equal(w.got, 1);
      }
      assert.equal(served.db.stats("q").restoredByClose, 1);
    }
    await until(() => served.server.connectionCount === 0, "every connection closed");
  } finally {
    await served.close();
  }
});

test("connect(): jobs() acks rows, stop() ends a blocked loop, cancelWait() interrupts", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q VALUES (${1}), (${2})`;
    const s = db.session();
    const seen: number[] = [];
    for await (const job of s.jobs<{ v: number }>("q", { timeout: 60 })) {
      seen.push(job.row.v);
      await job.ack();
      // The third turn blocks in queue_wait until stop() kills it.
      if (seen.length === 2) setTimeout(() => db.stop(), 50);
    }
    assert.deepEqual(seen, [1, 2]);
    assert.equal(served.db.stats("q").rowsRemoved, 2);
    assert.equal(s.cancelWait(), false, "no wait pending");
    const waiting = s.sql`SELECT queue_wait('q', 60) AS got`;
    assert.equal(s.cancelWait(), true);
    await assert.rejects(
      waiting,
      (e: unknown) => e instanceof QueueError && e.code === "ER_QUERY_INTERRUPTED",
    );
    const [one] = await s.sql`SELECT 1 AS one`;
    assert.ok(one !== undefined);
    assert.equal(one.one, 1, "the session stays usable");
  } finally {
    await db.close();
    await served.close();
  }
});

test("two result columns with one name each reach mysql2 with their own value", async () => {
  const served = await startServer();
  const c = await served.connect({ rowsAsArray: true });
  try {
    const [text] = (await c.query("SELECT 1 AS a, 'x' AS a")) as unknown as [unknown[][]];
    assert.deepEqual(text, [[1, "x"]]);
    const [binary] = (await c.execute("SELECT ? AS a, ? AS a", [2, "y"])) as unknown as [
      unknown[][],
    ];
    assert.deepEqual(binary, [[2, "y"]]);
  } finally {
    await c.end();
    await served.close();
  }
});

test("COM_STMT_PREPARE describes a SELECT's parameters and result columns (mysql2 prepare)", async () => {
  const served = await startServer();
  const c = await served.connect();
  try {
    await c.query("CREATE TABLE t (id INT NOT NULL, name VARCHAR(8)) ENGINE=QUEUE");
    const statement = await c.prepare("SELECT id, name, id + ? AS n FROM t WHERE id = ?");
    // The promise API's PreparedStatementInfo keeps the prepare reply on .statement.
    const info = (statement as unknown as {
      statement: {
        columns: { name: string; columnType: number; flags: number; orgTable: string }[];
        parameters: unknown[];
      };
    }).statement;
    assert.equal(info.parameters.length, 2);
    assert.deepEqual(
      info.columns.map(({ name, columnType, orgTable }) => ({ name, columnType, orgTable })),
      [
        { name: "id", columnType: 3, orgTable: "t" }, // LONG
        { name: "name", columnType: 253, orgTable: "t" }, // VAR_STRING
        { name: "n", columnType: 253, orgTable: "" }, // an expression: typed at execute
      ],
    );
    assert.equal(info.columns[0]!.flags & 1, 1, "NOT NULL");
    statement.close();
    const insert = await c.prepare("INSERT INTO t VALUES (?, ?)");
    assert.equal(
      (insert as unknown as { statement: { columns: unknown[] } }).statement.columns.length,
      0,
    );
    insert.close();
    // A table that does not exist yet: no columns at prepare, the error at execute.
    await assert.rejects(c.execute("SELECT * FROM later"), { errno: 1146 });
  } finally {
    await c.end();
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

test("connect(): a session's inTransaction follows BEGIN, COMMIT and ROLLBACK", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    await db.sql`CREATE TABLE q (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    assert.equal(s.inTransaction, false, "not connected yet");
    await s.sql`BEGIN`;
    assert.equal(s.inTransaction, true);
    await s.sql`INSERT INTO q VALUES (${1})`;
    assert.equal(s.inTransaction, true);
    await s.sql`SELECT * FROM q`;
    assert.equal(s.inTransaction, true, "a result set's closing OK says so too");
    await s.sql`COMMIT`;
    assert.equal(s.inTransaction, false);
    await s.sql`START TRANSACTION`;
    assert.equal(s.inTransaction, true);
    await s.sql`ROLLBACK`;
    assert.equal(s.inTransaction, false);
    await s.close();
  } finally {
    await db.close();
    await served.close();
  }
});

test("connect(): a session's database follows a successful USE", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    await db.sql`CREATE DATABASE ${ident("e`u")}`;
    const s = db.session();
    assert.equal(s.database, "q4d");
    await s.sql`USE ${ident("e`u")}`;
    assert.equal(s.database, "e`u");
    await assert.rejects(s.sql`USE missing`, (e: unknown) => e instanceof QueueError);
    assert.equal(s.database, "e`u", "a refused USE changes nothing");
    const [row] = await s.sql`SELECT DATABASE() AS d`;
    assert.equal(row?.d, "e`u");
    assert.equal(db.session().database, "q4d", "per session");
    await s.close();
  } finally {
    await db.close();
    await served.close();
  }
});
