/**
 * The same statements through open() (embedded) and through connect() to a
 * served database must give the same rows, counts and error codes: the wire
 * keeps types (integers, bigint, floats, text, bytes, JSON, NULL).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { open, QueueError } from "../../mod.ts";
import { connect } from "../../src/server/mod.ts";
import { startServer } from "./_helpers.ts";
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";

const statements: [string, unknown[]][] = [
  [
    "CREATE TABLE t (id INT NOT NULL, u INT UNSIGNED, tiny TINYINT, big BIGINT, ubig BIGINT UNSIGNED, f FLOAT, d DOUBLE, c CHAR(4), v VARCHAR(20), tx TEXT, bn BINARY(3), vb VARBINARY(8), bl BLOB, j JSON) ENGINE=QUEUE",
    [],
  ],
  [
    "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [
      1,
      4294967295,
      -128,
      -9223372036854775808n,
      18446744073709551615n,
      1.5,
      -2.25,
      "ab",
      "héllo",
      "long text ✓",
      new Uint8Array([1, 2, 3]),
      new Uint8Array([0, 255]),
      new Uint8Array([9, 8, 7]),
      { k: [1, "x", null] },
    ],
  ],
  ["INSERT INTO t (id) VALUES (?), (?)", [2, 3]],
  ["SELECT * FROM t ORDER BY id", []],
  [
    "SELECT id, big + 1 AS b1, d * 2 AS d2, v LIKE 'h%' AS l, id / 2 AS half FROM t ORDER BY id DESC",
    [],
  ],
  ["SELECT COUNT(*) AS n, 1 + 1 AS two FROM t WHERE id > ?", [1]],
  ["SELECT * FROM t WHERE id = ?", [99]],
  ["SELECT 1 AS one, 'x' AS s, NULL AS n, 2.5 AS f, 9007199254740993 AS big", []],
  ["SELECT queue_wait('t', 0) AS got", []],
  ["SELECT id, tx FROM t", []],
  ["SELECT queue_rowid() AS r", []],
  ["SELECT queue_abort() AS a", []],
  ["DELETE FROM t WHERE id = ?", [3]],
  ["SHOW TABLES", []],
  ["SHOW TABLES LIKE 'zz%'", []],
  ["SELECT queue_stats('t') AS s", []],
  ["SELECT * FROM missing", []],
  ["INSERT INTO t (id) VALUES (NULL)", []],
  ["INSERT INTO t (id, tiny) VALUES (5, 300)", []],
  ["SELECT nope FROM t", []],
  ["SELEC 1", []],
  ["SELECT ? AS p", [1]],
  ["SELECT queue_end() AS e, queue_end() AS f", []],
  ["TRUNCATE TABLE t", []],
  ["DROP TABLE t", []],
  // DECIMAL, temporal, ENUM/SET/BIT columns and the functions over them keep their values and
  // types over the wire (DECIMAL and temporal values as MySQL's text, as embedded).
  [
    "CREATE TABLE ty (id INT NOT NULL, p DECIMAL(10,2), d DATE, dt DATETIME(3), ts TIMESTAMP(6) NULL, tm TIME, y YEAR, e ENUM('new','retry'), s SET('a','b'), b BIT(4)) ENGINE=QUEUE",
    [],
  ],
  [
    "INSERT INTO ty VALUES (1, 9.99, '2024-01-01', '2024-01-01 10:00:00.5', '2024-01-01 10:00:00.123456', '10:00', 2024, 'new', 'a', 1), (2, -0.5, '1999-12-31', '1999-12-31 23:59:59.999', NULL, '-838:59:59', 1999, 'retry', 'a,b', 15)",
    [],
  ],
  ["INSERT INTO ty (id, p, d, dt, e, s) VALUES (?, ?, ?, ?, ?, ?)", [
    3,
    "12.5",
    "2024-02-29",
    "2024-02-29 23:59:59.9995",
    "retry",
    "b",
  ]],
  ["INSERT INTO ty (id, p) VALUES (?, ?)", [4, "1e20"]],
  ["SELECT * FROM ty ORDER BY id", []],
  [
    "SELECT id, p / 3 AS q, p * p AS sq, COALESCE(p, 0) AS c, ROUND(p, 1) AS r, p DIV 2 AS dv, -p AS n FROM ty ORDER BY id",
    [],
  ],
  [
    "SELECT id, d + INTERVAL 1 MONTH AS m, DATE_SUB(dt, INTERVAL 1 SECOND) AS s1, UNIX_TIMESTAMP(dt) AS u, FROM_UNIXTIME(UNIX_TIMESTAMP(dt)) AS f, GREATEST(d, '2024-03-01') AS g, d + 0 AS dn, tm + 0 AS tn, CONCAT(dt) AS ct FROM ty ORDER BY id",
    [],
  ],
  [
    "SELECT id, e + 0 AS en, s + 0 AS sn, b + 0 AS bn, HEX(b) AS hb, CONCAT(e, '/', s) AS es, y + 1 AS y1, IF(p > 0, p, 'neg') AS i FROM ty ORDER BY id",
    [],
  ],
  ["SELECT id FROM ty WHERE p > ? AND d < ? ORDER BY id", ["1.5", "2024-02-01"]],
  ["SELECT ? + 0.5 AS x, 1/3 AS third, 0.1 + 0.2 = 0.3 AS exact", ["1.25"]],
  ["SELECT queue_wait('ty:e = \"retry\"', 0) AS w", []],
  ["SELECT * FROM ty", []],
  ["SELECT queue_end() AS e", []],
  ["INSERT INTO ty (id, d) VALUES (5, '2024-02-30')", []],
  ["INSERT INTO ty (id, e) VALUES (6, 'nope')", []],
  ["DROP TABLE ty", []],
];

type Outcome =
  | { rows: unknown[]; affectedRows: number | undefined; insertId: number | undefined }
  | { code: string };

async function runAll(sql: { unsafe(text: string, params: unknown[]): Promise<unknown> }) {
  const outcomes: Outcome[] = [];
  for (const [text, params] of statements) {
    try {
      const result = (await sql.unsafe(text, params)) as Record<string, unknown>[] & {
        affectedRows?: number;
        insertId?: number;
      };
      outcomes.push({
        rows: result.map((row) => ({ ...row })),
        affectedRows: result.affectedRows,
        insertId: result.insertId,
      });
    } catch (error) {
      if (!(error instanceof QueueError)) throw error;
      outcomes.push({ code: error.code });
    }
  }
  return outcomes;
}

test("statements give the same rows, counts and error codes embedded and over the wire", async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "q4d-diff-"));
  const embedded = await open(directory, { sync: "none" });
  const served = await startServer();
  const remote = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
  try {
    // Hold the sessions: a Session object that becomes garbage is closed by its finalizer.
    const localSession = embedded.session();
    const remoteSession = remote.session();
    const local = await runAll(localSession.sql);
    const wire = await runAll(remoteSession.sql);
    await localSession.close();
    await remoteSession.close();
    if (process.env.Q4D_DIFF_PRINT) console.log(local);
    for (let i = 0; i < statements.length; i++) {
      assert.deepEqual(wire[i], local[i], `statement ${i}: ${statements[i]?.[0]}`);
    }
  } finally {
    await remote.close();
    await served.close();
    await embedded.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
});
