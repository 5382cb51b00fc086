/**
 * The server as mysql2 (npm) sees it: text and binary protocol, parameters of
 * every kind, ping, changeUser, multi-statements, the Unix socket, errors
 * with MySQL's errno and SQLSTATE, and the statements clients send by habit.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./_helpers.ts";

test("mysql2 query returns rows with MySQL column types, also for an empty result", async () => {
  const served = await startServer();
  const c = await served.connect();
  try {
    await c.query(
      "CREATE TABLE jobs (id INT UNSIGNED NOT NULL, prio TINYINT NOT NULL, body TEXT, data BLOB) ENGINE=QUEUE",
    );
    const [empty, emptyFields] = await c.query("SELECT * FROM jobs");
    assert.deepEqual(empty, []);
    assert.deepEqual(
      (emptyFields as { name: string; type: number; characterSet: number }[]).map((f) => [
        f.name,
        f.type,
        f.characterSet,
      ]),
      [["id", 3, 63], ["prio", 1, 63], ["body", 252, 45], ["data", 252, 63]],
    );
    const [ok] = await c.query(
      "INSERT INTO jobs VALUES (1, 0, 'hello', x'00ff'), (2, 1, NULL, NULL)",
    );
    assert.equal((ok as { affectedRows: number }).affectedRows, 2);
    assert.equal((ok as { insertId: number }).insertId, 1);
    const [rows] = await c.query("SELECT id, prio, body, data FROM jobs");
    assert.deepEqual(JSON.parse(JSON.stringify(rows)), [
      { id: 1, prio: 0, body: "hello", data: { type: "Buffer", data: [0, 255] } },
      { id: 2, prio: 1, body: null, data: null },
    ]);
    const [fields] = [(await c.query("SELECT id FROM jobs"))[1]];
    const flags = (fields as { flags: number }[])[0]?.flags;
    assert.ok(flags !== undefined);
    assert.equal(flags & 1, 1, "NOT_NULL");
    assert.equal(flags & 32, 32, "UNSIGNED");
  } finally {
    await c.end();
    await served.close();
  }
});

test("mysql2 execute binds int, bigint, double, string, Buffer, null and Date parameters", async () => {
  const served = await startServer();
  const c = await served.connect({ supportBigNumbers: true, bigNumberStrings: true });
  try {
    await c.query(
      "CREATE TABLE t (i INT, b BIGINT, d DOUBLE, s VARCHAR(40), bin BLOB, n INT, dt VARCHAR(40)) ENGINE=QUEUE",
    );
    const date = new Date(2024, 0, 2, 3, 4, 5);
    await c.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", [
      -7,
      9007199254740993n,
      2.5,
      "héllo ✓",
      Buffer.from([0, 1, 254, 255]),
      null,
      date,
    ]);
    const [rows] = await c.execute("SELECT * FROM t WHERE i = ?", [-7]);
    const row = (rows as Record<string, unknown>[])[0];
    assert.ok(row !== undefined);
    assert.equal(row.i, -7);
    assert.equal(row.b, "9007199254740993");
    assert.equal(row.d, 2.5);
    assert.equal(row.s, "héllo ✓");
    assert.deepEqual([...(row.bin as Uint8Array)], [0, 1, 254, 255]);
    assert.equal(row.n, null);
    assert.equal(row.dt, "2024-01-02 03:04:05");
    const [none] = await c.execute("SELECT * FROM t WHERE i = ?", [8]);
    assert.deepEqual(none, []);
  } finally {
    await c.end();
    await served.close();
  }
});

test("ping and changeUser keep the connection usable and changeUser gives the owned row back", async () => {
  const served = await startServer();
  const c = await served.connect();
  try {
    await c.query("CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE");
    await c.query("INSERT INTO q VALUES (1)");
    await c.ping();
    const [[got]] = (await c.query("SELECT queue_wait('q', 0) AS got")) as unknown as [
      { got: number }[],
    ];
    assert.ok(got !== undefined);
    assert.equal(got.got, 1);
    await c.changeUser({ user: "root", password: "secret" });
    assert.equal(served.db.stats("q").restoredByClose, 1);
    const [[again]] = (await c.query("SELECT queue_wait('q', 0) AS got")) as unknown as [
      { got: number }[],
    ];
    assert.ok(again !== undefined);
    assert.equal(again.got, 1);
    await assert.rejects(c.changeUser({ user: "root", password: "wrong" }), { errno: 1045 });
  } finally {
    c.destroy();
    await served.close();
  }
});

test("multipleStatements returns one result per statement", async () => {
  const served = await startServer();
  const c = await served.connect({ multipleStatements: true });
  try {
    const [results] = await c.query(
      "CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE; INSERT INTO q VALUES (1), (2); SELECT COUNT(*) AS n FROM q; SELECT 'a;b' AS s",
    );
    const list = results as unknown[];
    assert.equal(list.length, 4);
    assert.equal((list[1] as { affectedRows: number }).affectedRows, 2);
    assert.deepEqual(list[2], [{ n: 2 }]);
    assert.deepEqual(list[3], [{ s: "a;b" }]);
    await assert.rejects(c.query("SELECT 1; SELECT * FROM missing; SELECT 2"), {
      errno: 1146,
      sqlState: "42S02",
    });
    const [[after]] = (await c.query("SELECT 3 AS x")) as unknown as [{ x: number }[]];
    assert.ok(after !== undefined);
    assert.equal(after.x, 3);
  } finally {
    await c.end();
    await served.close();
  }
});

test("socketPath connects over the Unix socket (caching_sha2_password full authentication)", async () => {
  const served = await startServer();
  try {
    const c = await (await import("./_helpers.ts")).mysql.createConnection({
      socketPath: served.socket,
      user: "root",
      password: "secret",
    });
    const [[row]] = (await c.query("SELECT USER() AS u")) as unknown as [{ u: string }[]];
    assert.ok(row !== undefined);
    assert.equal(row.u, "root@localhost");
    await c.end();
  } finally {
    await served.close();
  }
});

test("mysql_native_password is accepted when the server asks for it", async () => {
  const served = await startServer({ authPlugin: "mysql_native_password" });
  try {
    const c = await served.connect();
    await c.ping();
    await c.end();
    await assert.rejects(served.connect({ password: "nope" }), { errno: 1045, sqlState: "28000" });
  } finally {
    await served.close();
  }
});

test("a wrong password is ERR 1045 (28000) and is logged", async () => {
  const served = await startServer();
  try {
    await assert.rejects(served.connect({ password: "wrong" }), {
      code: "ER_ACCESS_DENIED_ERROR",
      errno: 1045,
      sqlState: "28000",
    });
    await assert.rejects(served.connect({ user: "nobody" }), { errno: 1045 });
    assert.ok(served.log.some((line) => line.includes("access denied")));
  } finally {
    await served.close();
  }
});

test("engine errors carry MySQL's errno and SQLSTATE", async () => {
  const served = await startServer();
  const c = await served.connect();
  try {
    await assert.rejects(c.query("SELECT * FROM missing"), { errno: 1146, sqlState: "42S02" });
    await assert.rejects(c.query("SELEC 1"), { errno: 1064, sqlState: "42000" });
    await c.query("CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE");
    await assert.rejects(c.query("INSERT INTO q VALUES (NULL)"), {
      errno: 1048,
      sqlState: "23000",
    });
    await assert.rejects(c.execute("SELECT * FROM missing WHERE id = ?", [1]), { errno: 1146 });
  } finally {
    await c.end();
    await served.close();
  }
});

test("what clients send at connect is answered: @@ variables, SET, SHOW VARIABLES, DATABASE(), BEGIN", async () => {
  const served = await startServer();
  const c = await served.connect({ database: "q4d" });
  try {
    const [[v]] = (await c.query(
      "SELECT @@version_comment, @@max_allowed_packet AS m, @@session.autocommit AS a, DATABASE() AS d, VERSION() AS v, CONNECTION_ID() AS id",
    )) as unknown as [Record<string, unknown>[]];
    assert.ok(v !== undefined);
    assert.equal(v["@@version_comment"], "q4d server (MIT)");
    assert.equal(v.m, 64 * 1024 * 1024);
    assert.equal(v.a, 1);
    assert.equal(v.d, "q4d");
    assert.match(String(v.v), /^8\.0\.\d+-q4d-/);
    assert.equal(typeof v.id, "number");
    await c.query("SET NAMES utf8mb4, autocommit = 0, sql_mode = 'STRICT_ALL_TABLES'");
    const [[after]] = (await c.query(
      "SELECT @@autocommit AS a, @@sql_mode AS m, @@character_set_client AS cs",
    )) as unknown as [Record<string, unknown>[]];
    assert.deepEqual(after, { a: 0, m: "STRICT_ALL_TABLES", cs: "utf8mb4" });
    const [vars] = await c.query("SHOW VARIABLES LIKE 'auto%'");
    assert.deepEqual(JSON.parse(JSON.stringify(vars)), [
      { Variable_name: "auto_increment_increment", Value: "1" },
      { Variable_name: "auto_increment_offset", Value: "1" },
      { Variable_name: "autocommit", Value: "OFF" },
    ]);
    await c.query("BEGIN");
    await c.query("CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE");
    await c.query("INSERT INTO q VALUES (5), (6)");
    await c.query("ROLLBACK");
    const [[n]] = (await c.query("SELECT COUNT(*) AS n FROM q")) as unknown as [{ n: number }[]];
    assert.ok(n !== undefined);
    // CREATE TABLE ended the transaction (an implicit commit, as MySQL); SET
    // autocommit = 0 opens none (q4d: only BEGIN does), so the INSERT stays.
    assert.equal(n.n, 2, "the INSERT after DDL committed on its own");
    const [[last]] = (await c.query("SELECT LAST_INSERT_ID() AS l")) as unknown as [
      { l: number }[],
    ];
    assert.ok(last !== undefined);
    assert.equal(last.l, 1);
    await assert.rejects(c.query("SELECT @@no_such_variable"), { errno: 1193 });
    const [warnings] = await c.query("SHOW WARNINGS");
    assert.deepEqual(warnings, []);
    const other = await served.connect();
    const [[fresh]] = (await other.query("SELECT @@autocommit AS a")) as unknown as [
      { a: number }[],
    ];
    assert.ok(fresh !== undefined);
    assert.equal(fresh.a, 1, "session variables are per connection");
    await other.end();
  } finally {
    await c.end();
    await served.close();
  }
});

test("TLS: mysql2 upgrades with SSLRequest; require_secure_transport refuses plain TCP", async () => {
  const { readFileSync } = await import("node:fs");
  const tlsDir = new URL("./_tls/", import.meta.url);
  const served = await startServer({
    tlsCert: readFileSync(new URL("cert.pem", tlsDir), "utf8"),
    tlsKey: readFileSync(new URL("key.pem", tlsDir), "utf8"),
    requireSecureTransport: true,
  });
  try {
    // The first login of a user over TLS is caching_sha2_password's full authentication.
    for (let i = 0; i < 2; i++) {
      const c = await served.connect({ ssl: { rejectUnauthorized: false } });
      const [[row]] = (await c.query("SELECT @@have_ssl AS s")) as unknown as [{ s: string }[]];
      assert.ok(row !== undefined);
      assert.equal(row.s, "YES");
      await c.end();
    }
    await assert.rejects(served.connect(), { errno: 3159 });
    await assert.rejects(served.connect({ ssl: { rejectUnauthorized: false }, password: "x" }), {
      errno: 1045,
    });
  } finally {
    await served.close();
  }
});

test("a mysql2 pool of 16 consumes every row exactly once", async () => {
  const served = await startServer();
  const { mysql } = await import("./_helpers.ts");
  const pool = mysql.createPool({ ...served.options(), connectionLimit: 16 });
  try {
    await pool.query("CREATE TABLE jobs (id INT NOT NULL) ENGINE=QUEUE");
    const rowCount = 400;
    for (let i = 0; i < rowCount; i += 50) {
      const values = Array.from({ length: 50 }, (_, j) => `(${i + j})`).join(", ");
      await pool.query(`INSERT INTO jobs VALUES ${values}`);
    }
    const seen: number[] = [];
    const consumer = async () => {
      const c = await pool.getConnection();
      try {
        for (;;) {
          const [[w]] = (await c.query("SELECT queue_wait('jobs', 0) AS got")) as unknown as [
            { got: number }[],
          ];
          assert.ok(w !== undefined);
          if (w.got === 0) return;
          const [[row]] = (await c.execute("SELECT id FROM jobs")) as unknown as [{ id: number }[]];
          assert.ok(row !== undefined);
          seen.push(row.id);
          await c.query("SELECT queue_end()");
        }
      } finally {
        c.release();
      }
    };
    await Promise.all(Array.from({ length: 16 }, consumer));
    assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: rowCount }, (_, i) => i));
    assert.equal(served.server.connectionCount, 16);
  } finally {
    await pool.end();
    await served.close();
  }
});

test("many connections opened and dropped leave the server serving", async () => {
  const served = await startServer();
  try {
    const { rawSocket } = await import("./_helpers.ts");
    for (let round = 0; round < 10; round++) {
      const sockets = await Promise.all(Array.from({ length: 50 }, () => rawSocket(served.port)));
      for (const raw of sockets) raw.socket.destroy();
      await Promise.all(sockets.map((raw) => raw.closed));
    }
    const c = await served.connect();
    await c.ping();
    await c.end();
  } finally {
    await served.close();
  }
});

test("DESCRIBE and SHOW CREATE TABLE show a table's columns as MariaDB spells them", async () => {
  const served = await startServer();
  const c = await served.connect();
  try {
    await c.query(
      "CREATE TABLE jobs (id INT UNSIGNED NOT NULL, prio TINYINT NOT NULL, body TEXT, tag VARCHAR(16)) ENGINE=QUEUE",
    );
    const [rows] = await c.query("DESCRIBE jobs");
    assert.deepEqual(
      (rows as Record<string, unknown>[]).map((r) => [r.Field, r.Type, r.Null]),
      [
        ["id", "int(10) unsigned", "NO"],
        ["prio", "tinyint(4)", "NO"],
        ["body", "text", "YES"],
        ["tag", "varchar(16)", "YES"],
      ],
    );
    const [[create]] = (await c.query("SHOW CREATE TABLE `jobs`")) as unknown as [
      Record<string, string>[],
    ];
    assert.ok(create !== undefined);
    assert.equal(
      create["Create Table"],
      "CREATE TABLE `jobs` (\n  `id` int(10) unsigned NOT NULL,\n  `prio` tinyint(4) NOT NULL,\n" +
        "  `body` text DEFAULT NULL,\n  `tag` varchar(16) DEFAULT NULL\n) ENGINE=QUEUE DEFAULT CHARSET=utf8mb4",
    );
    await assert.rejects(c.query("DESC missing"), { errno: 1146 });
  } finally {
    await c.end();
    await served.close();
  }
});

test("mysql2 reads DECIMAL, dates and times, YEAR, ENUM, SET and BIT in both protocols", async () => {
  const served = await startServer();
  const c = await served.connect({ dateStrings: true });
  try {
    await c.query(
      "CREATE TABLE ty (p DECIMAL(10,2), d DATE, dt DATETIME(3), ts TIMESTAMP NULL, t TIME, " +
        "y YEAR, e ENUM('new','retry'), s SET('a','b'), b BIT(12)) ENGINE=QUEUE",
    );
    await c.query(
      "INSERT INTO ty VALUES (9.99, '2024-02-29', '2024-01-02 03:04:05.678', " +
        "'2024-01-02 00:00:00', '-27:01:02', 2024, 'retry', 'a,b', b'101000000001')",
    );
    const expected = {
      p: "9.99",
      d: "2024-02-29",
      dt: "2024-01-02 03:04:05.678",
      ts: "2024-01-02 00:00:00",
      t: "-27:01:02",
      y: 2024,
      e: "retry",
      s: "a,b",
      b: { type: "Buffer", data: [0x0a, 0x01] },
    };
    const [queried, fields] = await c.query("SELECT * FROM ty");
    assert.deepEqual(JSON.parse(JSON.stringify(queried)), [expected]);
    assert.deepEqual(
      (fields as { name: string; type: number }[]).map((f) => f.type),
      [246, 10, 12, 7, 11, 13, 254, 254, 16],
    );
    const [executed] = await c.execute("SELECT * FROM ty WHERE p > ?", [1]);
    assert.deepEqual(JSON.parse(JSON.stringify(executed)), [expected]);
  } finally {
    await c.end();
    await served.close();
  }
});

test("SHOW GLOBAL STATUS LIKE 'q4d%' gives mysql2 q4d's backend, capabilities and recovery", async () => {
  const served = await startServer();
  const c = await served.connect();
  try {
    const [rows] = (await c.query("SHOW GLOBAL STATUS LIKE 'q4d%'")) as unknown as [
      { Variable_name: string; Value: string }[],
    ];
    const status = new Map(rows.map((r) => [r.Variable_name, r.Value]));
    assert.equal(status.get("Q4d_backend"), served.db.capabilities.name);
    assert.equal(
      status.get("Q4d_capability_transactions"),
      served.db.capabilities.transactions ? "ON" : "OFF",
    );
    assert.equal(
      status.get("Q4d_recovery_segment_count"),
      String(served.db.recovery.segmentCount),
    );
    assert.equal(status.get("Q4d_recovery_torn_tail_path"), "");
    // LIKE filters as MySQL's does: nothing of q4d's under another pattern.
    const [others] = (await c.query("SHOW STATUS LIKE 'Uptime'")) as unknown as [
      { Variable_name: string }[],
    ];
    assert.ok(others.every((r) => !r.Variable_name.startsWith("Q4d_")));
  } finally {
    c.destroy();
    await served.close();
  }
});
