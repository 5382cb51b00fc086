/**
 * Backups that real tools make (issue 11): `mysqldump` against a served
 * database, the dump loaded with the `mariadb` CLI into a fresh server, and
 * every row and every SHOW CREATE TABLE compared. Skipped visibly when
 * mysqldump or the mariadb CLI is not installed.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mariadbMissing, type Served, skipUnless, startServer } from "./_helpers.ts";

const toolsMissing: string | null = (() => {
  if (mariadbMissing !== null) return mariadbMissing;
  const probe = spawnSync("mysqldump", ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? null : "mysqldump not installed";
})();

/** Runs `program` without blocking the event loop (the server runs in this process). */
function run(
  program: string,
  args: string[],
  input = "",
): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, args);
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(input);
  });
}

const connectArgs = (served: Served) => [
  "--no-defaults",
  "-h",
  "127.0.0.1",
  "-P",
  String(served.port),
  "-u",
  "root",
  "-psecret",
];

/** Every table's SHOW CREATE TABLE and rows, in a comparable form. */
async function snapshot(served: Served, database = "q4d"): Promise<unknown> {
  const connection = await served.connect({ database });
  try {
    const [tables] = await connection.query({ sql: "SHOW TABLES", rowsAsArray: true });
    const out: Record<string, unknown> = {};
    for (const [name = ""] of tables as string[][]) {
      const [create] = await connection.query({
        sql: `SHOW CREATE TABLE \`${name}\``,
        rowsAsArray: true,
      });
      const [rows] = await connection.query({
        sql: `SELECT * FROM \`${name}\``,
        rowsAsArray: true,
      });
      out[name] = { create, rows };
    }
    return out;
  } finally {
    await connection.end();
  }
}

async function seed(served: Served): Promise<void> {
  const connection = await served.connect({ database: "q4d" });
  try {
    await connection.query(
      "CREATE TABLE jobs (id INT NOT NULL, prio TINYINT NOT NULL, body TEXT, bin BLOB, " +
        "doc JSON, amount DECIMAL(10,2), at DATETIME) ENGINE=QUEUE",
    );
    await connection.query("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?)", [
      1,
      0,
      'it\'s a "quote" \\ back\nslash\r\ttab \0 nul, é ☃ 😀',
      Buffer.from([0, 0xff, 0x0a, 0x27, 0x5c, 0x22, 0x0d, 0x1a, 0x80]),
      '{"a": [1, "x\'y"], "b": null}',
      "12.34",
      "2024-01-02 03:04:05",
    ]);
    await connection.query("INSERT INTO jobs VALUES (2, 1, NULL, NULL, NULL, NULL, NULL)");
    await connection.query(
      "INSERT INTO jobs VALUES (3, 2, '', X'', '[]', -0.5, '1999-12-31 23:59:59')",
    );
    await connection.query("CREATE TABLE other (k INT NOT NULL, v TEXT) ENGINE=QUEUE");
    await connection.query("CREATE TABLE empty (k BIGINT NOT NULL) ENGINE=QUEUE");
    // Over 1 MB, so that mysqldump splits them over INSERTs (its net_buffer_length).
    await connection.query("CREATE TABLE many (n INT NOT NULL, s VARCHAR(1000)) ENGINE=QUEUE");
    const tuples = Array.from(
      { length: 2000 },
      (_, i) => `(${i}, 'row ${i} \\\\ \\'q\\' ${"x".repeat(600)}')`,
    );
    await connection.query(`INSERT INTO many VALUES ${tuples.slice(0, 1000).join(", ")}`);
    await connection.query(`INSERT INTO many VALUES ${tuples.slice(1000).join(", ")}`);
    for (let i = 0; i < 50; i++) {
      await connection.query("INSERT INTO other VALUES (?, ?)", [i, `row ${i} ${"x".repeat(i)}`]);
    }
  } finally {
    await connection.end();
  }
}

const optionSets = [
  [],
  ["--hex-blob"],
  ["--databases"],
  ["--single-transaction", "--routines", "--events", "--triggers", "--flush-logs"],
  ["--skip-opt", "--lock-all-tables", "--complete-insert", "--order-by-primary"],
];

for (const options of optionSets) {
  const databases = options.includes("--databases");
  test(
    `mysqldump ${
      options.join(" ") || "(default options)"
    } loads into a fresh server with every row equal`,
    skipUnless(toolsMissing),
    async () => {
      const a = await startServer();
      const b = await startServer();
      try {
        await seed(a);
        const dump = await run("mysqldump", [...connectArgs(a), ...options, "q4d"]);
        assert.equal(dump.status, 0, dump.stderr);
        const text = dump.stdout.toString("latin1");
        if (!options.includes("--skip-opt")) {
          assert.match(text, /\/\*!40101 SET NAMES utf8mb4 \*\//);
          assert.match(text, /LOCK TABLES `jobs` WRITE;/);
          assert.match(text, /ALTER TABLE `jobs` DISABLE KEYS/);
        }
        if (!options.includes("--skip-opt")) {
          assert.ok((text.match(/^INSERT INTO `many`/gm) ?? []).length > 1, "many INSERTs");
        }
        if (options.includes("--hex-blob")) assert.match(text, /0x00FF0A275C220D1A80/);
        if (databases) assert.match(text, /CREATE DATABASE \/\*!32312 IF NOT EXISTS\*\/ `q4d`/);
        const load = await run(
          "mariadb",
          [...connectArgs(b), ...(databases ? [] : ["q4d"])],
          dump.stdout as never,
        );
        assert.equal(load.status, 0, load.stderr);
        assert.deepEqual(await snapshot(b), await snapshot(a));
        // Queue semantics after the load: the loaded rows are served in order.
        const connection = await b.connect({ database: "q4d" });
        try {
          const [got] = await connection.query({
            sql: "SELECT queue_wait('jobs', 1) AS got",
            rowsAsArray: true,
          });
          assert.deepEqual(got, [[1]]);
          const [row] = await connection.query({ sql: "SELECT id FROM jobs", rowsAsArray: true });
          assert.deepEqual(row, [[1]]);
          await connection.query("SELECT queue_end()");
          const [left] = await connection.query({
            sql: "SELECT COUNT(*) FROM jobs",
            rowsAsArray: true,
          });
          assert.deepEqual(left, [[2]]);
        } finally {
          await connection.end();
        }
      } finally {
        await a.close();
        await b.close();
      }
    },
  );
}

test(
  "CREATE DATABASE: IF NOT EXISTS q4d is a no-op, q4d exists, others are created",
  async () => {
    const served = await startServer();
    const connection = await served.connect();
    try {
      await connection.query(
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `q4d` /*!40100 DEFAULT CHARACTER SET utf8mb4 */",
      );
      await assert.rejects(connection.query("CREATE DATABASE q4d"), { errno: 1007 });
      await connection.query("CREATE SCHEMA other");
      await assert.rejects(connection.query("CREATE SCHEMA other"), { errno: 1007 });
      const [rows] = await connection.query({
        sql: "SHOW CREATE DATABASE IF NOT EXISTS q4d",
        rowsAsArray: true,
      });
      assert.deepEqual(rows, [[
        "q4d",
        "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `q4d` /*!40100 DEFAULT CHARACTER SET utf8mb4 */",
      ]]);
      for (
        const sql of [
          "LOCK TABLES `x` READ /*!32311 LOCAL */",
          "UNLOCK TABLES",
          "FLUSH /*!40101 LOCAL */ TABLES",
          "SET @a = @@UNIQUE_CHECKS, UNIQUE_CHECKS=0, FOREIGN_KEY_CHECKS = 0",
          "SET SQL_MODE=concat(@@sql_mode, _utf8 ',NO_KEY_OPTIONS')",
        ]
      ) {
        await connection.query(sql);
      }
      const [empty] = await connection.query(
        "SELECT DISTINCT TABLESPACE_NAME FROM INFORMATION_SCHEMA.FILES WHERE x IN (SELECT 1)",
      );
      assert.deepEqual(empty, []);
    } finally {
      await connection.end();
      await served.close();
    }
  },
);

test(
  "mysqldump --databases of several databases loads into a fresh server, each table in its own",
  skipUnless(toolsMissing),
  async () => {
    const a = await startServer();
    const b = await startServer();
    try {
      await seed(a);
      const connection = await a.connect();
      try {
        await connection.query("CREATE DATABASE eu");
        await connection.query("CREATE DATABASE us");
        // The same table name in two databases, and a table only in one.
        await connection.query("CREATE TABLE eu.jobs (id INT NOT NULL, r TEXT) ENGINE=QUEUE");
        await connection.query("CREATE TABLE us.jobs (id INT NOT NULL, n BIGINT) ENGINE=QUEUE");
        await connection.query("CREATE TABLE us.only (v VARCHAR(10)) ENGINE=QUEUE");
        await connection.query("INSERT INTO eu.jobs VALUES (10, 'eu'), (11, 'eu 2')");
        await connection.query("INSERT INTO us.jobs VALUES (20, 9007199254740993)");
        await connection.query("INSERT INTO us.only VALUES ('x'), (NULL)");
      } finally {
        await connection.end();
      }
      const dump = await run("mysqldump", [...connectArgs(a), "--databases", "q4d", "eu", "us"]);
      assert.equal(dump.status, 0, dump.stderr);
      const text = dump.stdout.toString("latin1");
      for (const name of ["q4d", "eu", "us"]) {
        assert.match(text, new RegExp(`CREATE DATABASE /\\*!32312 IF NOT EXISTS\\*/ \`${name}\``));
        assert.match(text, new RegExp(`^USE \`${name}\`;`, "m"));
      }
      const load = await run("mariadb", connectArgs(b), dump.stdout as never);
      assert.equal(load.status, 0, load.stderr);
      for (const name of ["q4d", "eu", "us"]) {
        assert.deepEqual(await snapshot(b, name), await snapshot(a, name), name);
      }
      const [eu] = (await (await b.connect()).query({
        sql: "SELECT id FROM eu.jobs",
        rowsAsArray: true,
      })) as unknown as [unknown[][]];
      assert.deepEqual(eu, [[10], [11]]);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

test("USE, COM_INIT_DB and connecting with a database go through the engine's databases", async () => {
  const served = await startServer();
  try {
    const c = await served.connect();
    try {
      await c.query("CREATE DATABASE d");
      await c.query("CREATE TABLE d.t (x INT) ENGINE=QUEUE");
      await c.query("INSERT INTO d.t VALUES (1)");
      await c.query("USE d"); // COM_QUERY
      const [[row]] = (await c.query("SELECT DATABASE() AS d")) as unknown as [
        Record<string, unknown>[],
      ];
      assert.equal(row?.d, "d");
      const [rows] = await c.query({ sql: "SELECT x FROM t", rowsAsArray: true });
      assert.deepEqual(rows, [[1]]);
      await c.changeUser({ database: "q4d" }); // COM_CHANGE_USER with a database
      const [[back]] = (await c.query("SELECT DATABASE() AS d")) as unknown as [
        Record<string, unknown>[],
      ];
      assert.equal(back?.d, "q4d");
      await assert.rejects(c.query("USE nosuch"), { errno: 1049 });
    } finally {
      await c.end();
    }
    const inD = await served.connect({ database: "d" }); // connect with a database
    try {
      const [rows] = await inD.query({ sql: "SHOW TABLES", rowsAsArray: true });
      assert.deepEqual(rows, [["t"]]);
    } finally {
      await inD.end();
    }
    await assert.rejects(served.connect({ database: "nosuch" }), { errno: 1049 });
  } finally {
    await served.close();
  }
});

test(
  "the mariadb CLI's `use db` (COM_INIT_DB) and DATABASE() agree",
  skipUnless(toolsMissing),
  async () => {
    const served = await startServer();
    try {
      const out = await run(
        "mariadb",
        [...connectArgs(served), "-N", "-B"],
        "CREATE DATABASE cli;\nuse cli\nSELECT DATABASE();\nCREATE TABLE t (x INT) ENGINE=QUEUE;\nSHOW TABLES FROM cli;\nuse nosuch\n",
      );
      assert.equal(out.stdout.toString(), "cli\nt\n");
      assert.match(out.stderr, /ERROR 1049 .*Unknown database 'nosuch'/);
    } finally {
      await served.close();
    }
  },
);

test(
  "a dump with INSERTs far over 1 MiB (--net-buffer-length 16M) loads with every row equal",
  skipUnless(toolsMissing),
  async () => {
    const a = await startServer();
    const b = await startServer();
    try {
      const connection = await a.connect({ database: "q4d" });
      try {
        await connection.query(
          "CREATE TABLE big (n INT NOT NULL, s VARCHAR(2000), d DECIMAL(12,3), b MEDIUMBLOB) ENGINE=QUEUE",
        );
        // ~6 MB of small rows (one INSERT of ~6 MB in the dump, over 65536 rows) and rows with
        // 3 MB BLOBs (one row alone is over the embedded 1 MiB statement limit).
        for (let chunk = 0; chunk < 10; chunk++) {
          const tuples = Array.from({ length: 8000 }, (_, i) => {
            const n = chunk * 8000 + i;
            return `(${n}, 'r${n} \\'q\\' \\\\ é', ${n}.5, NULL)`;
          });
          await connection.query(`INSERT INTO big VALUES ${tuples.join(", ")}`);
        }
        for (let i = 0; i < 2; i++) {
          await connection.execute("INSERT INTO big VALUES (?, NULL, NULL, ?)", [
            -1 - i,
            Buffer.alloc(3 * 1024 * 1024, 0x27 + i),
          ]);
        }
      } finally {
        await connection.end();
      }
      for (const options of [[], ["--hex-blob"]]) {
        const dump = await run("mysqldump", [
          ...connectArgs(a),
          "--net-buffer-length=16M",
          "--max-allowed-packet=64M",
          ...options,
          "q4d",
          "big",
        ]);
        assert.equal(dump.status, 0, dump.stderr);
        // MariaDB's mysqldump puts each row of an INSERT on its own line: split on `;`.
        const inserts = dump.stdout.toString("latin1").split(";\n").filter((statement) =>
          statement.startsWith("INSERT INTO `big`")
        );
        assert.ok(
          inserts.some((line) => line.length > 2 * 1024 * 1024),
          `an INSERT over 2 MiB: ${inserts.map((l) => l.length)}`,
        );
        const load = await run(
          "mariadb",
          [...connectArgs(b), "--max-allowed-packet=64M", "q4d"],
          dump.stdout as never,
        );
        assert.equal(load.status, 0, load.stderr);
        assert.deepEqual(await snapshot(b), await snapshot(a));
        const c = await b.connect({ database: "q4d" });
        await c.query("DROP TABLE big");
        await c.end();
      }
    } finally {
      await a.close();
      await b.close();
    }
  },
);
