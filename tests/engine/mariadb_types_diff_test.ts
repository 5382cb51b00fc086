// Differential test of the column types against MariaDB: the same literal
// stored into a column of the same type, one INSERT each, in q4d and in
// MariaDB (strict mode, UTC) through the mysql CLI; both must accept or
// refuse it alike and read back the same text. Skipped when no server is
// reachable through `mysql -uroot`.
//
// Known, deliberate differences kept out of the lists (README):
// - zero dates ('0000-00-00', a zero month or day): MariaDB accepts them,
//   q4d refuses them (MySQL 8's NO_ZERO_DATE);
// - extra fraction digits of a time: MariaDB truncates, q4d rounds (MySQL).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { QueueError } from "../../mod.ts";
import { openTemp } from "./_helpers.ts";
import { at } from "../_at.ts";

const columns: [string, string, string[]][] = [
  ["DECIMAL(5,2)", "c", [
    "1.005",
    "-1.005",
    "999.994",
    "999.995",
    "-999.99",
    "'12.5'",
    "'1e2'",
    "' 3 '",
    "'abc'",
    "0.001",
    "12345",
    "1e2",
    "TRUE",
    "1/3",
    "2/3",
  ]],
  ["DECIMAL(65,30) UNSIGNED", "c", ["-1", "0", "1/7", "'99999999999999999999999999999999999'"]],
  ["DATE", "c", [
    "'2024-02-29'",
    "'2023-02-29'",
    "'2024-1-2'",
    "'2024/01/02'",
    "'20240102'",
    "'240102'",
    "20240102",
    "'2024-01-02 10:11:12'",
    "'2024-13-01'",
    "''",
    "'abc'",
    "'9999-12-31'",
    "'1000-01-01'",
  ]],
  ["DATETIME", "c", [
    "'2024-01-02 03:04:05'",
    "'2024-01-02T03:04:05'",
    "'2024-01-02 3:4:5'",
    "'2024-01-02'",
    "20240102030405",
    "'2024-01-02 24:00:00'",
    "'2024-01-02 23:60:00'",
    "'99-12-31 23:59:59'",
    "'2024-01-02 03:04'",
  ]],
  ["DATETIME(6)", "c", ["'2024-01-02 03:04:05.123456'", "'2024-01-02 03:04:05.5'"]],
  ["TIMESTAMP NULL", "c", [
    "'1970-01-01 00:00:01'",
    "'1970-01-01 00:00:00'",
    "'2038-01-19 03:14:07'",
    "'2038-01-19 03:14:08'",
    "'2024-06-01 12:00:00'",
  ]],
  ["TIME", "c", [
    "'10:00'",
    "'-10:00:01'",
    "'838:59:59'",
    "'839:00:00'",
    "'1 10:00:00'",
    "123",
    "'123'",
    "101010",
    "'10:60:00'",
    "'abc'",
  ]],
  // YEAR is a number in q4d (0, not the text protocol's '0000').
  ["YEAR", "c+0", [
    "2024",
    "'2024'",
    "0",
    "'0'",
    "'00'",
    "1",
    "69",
    "70",
    "99",
    "1901",
    "2155",
    "1900",
    "2156",
    "'abc'",
  ]],
  ["ENUM('new','retry')", "c", ["'new'", "'RETRY'", "'retry '", "1", "2", "0", "3", "'x'", "''"]],
  ["SET('a','b','c')", "c", ["'a'", "'c,a'", "'a,a'", "''", "5", "7", "8", "'x'", "'A,B'"]],
  ["BIT(8)", "c+0", ["0", "255", "256", "b'101'", "0x41", "'5'", "-1", "'ab'"]],
];

/** Runs statements through the mysql CLI; one output line per marker, or null when unreachable. */
function mariadb(statements: string[]): string[] | null {
  const result = spawnSync("mysql", ["-uroot", "--force", "-N", "-B", "--raw"], {
    input: statements.join("\n") + "\n",
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
    timeout: 120_000,
  });
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  if (result.error !== undefined || (result.status !== 0 && stdout.trim() === "")) return null;
  return stdout.split("\n");
}

test("column types store and refuse values as MariaDB does", async (t) => {
  const cases = columns.flatMap(([type, read, values]) =>
    values.map((value) => ({ type, read, value }))
  );
  const statements = [
    "CREATE DATABASE IF NOT EXISTS q4d_types_diff;",
    "USE q4d_types_diff;",
    "SET time_zone = '+00:00';",
    "SET sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO';",
  ];
  cases.forEach(({ type, read, value }, i) => {
    statements.push(
      `DROP TABLE IF EXISTS t${i};`,
      `CREATE TABLE t${i} (c ${type});`,
      `INSERT INTO t${i} VALUES (${value});`,
      `SELECT '@@${i}';`,
      `SELECT ${read} FROM t${i};`,
      `DROP TABLE t${i};`,
    );
  });
  statements.push("DROP DATABASE q4d_types_diff;");
  const output = mariadb(statements);
  if (output === null) {
    t.skip("no MariaDB reachable through `mysql -uroot`; nothing compared");
    return;
  }
  const theirs = new Map<number, string>();
  for (let i = 0; i < output.length; i++) {
    const marker = /^@@(\d+)$/.exec(at(output, i));
    if (marker === null) continue;
    const next = output[i + 1];
    theirs.set(Number(marker[1]), next !== undefined && !next.startsWith("@@") ? next : "");
  }
  const { db } = await openTemp();
  const mismatches: string[] = [];
  for (let i = 0; i < cases.length; i++) {
    const { type, read, value } = at(cases, i);
    await db.sql.unsafe(`CREATE TABLE t${i} (c ${type}) ENGINE=QUEUE`);
    let ours: string;
    try {
      await db.sql.unsafe(`INSERT INTO t${i} VALUES (${value})`);
      const rows = await db.sql.unsafe(`SELECT ${read} AS v FROM t${i}`);
      ours = rows[0]?.v === null ? "NULL" : String(rows[0]?.v);
    } catch (error) {
      if (!(error instanceof QueueError)) throw error;
      ours = "";
    }
    // An empty line: MariaDB refused the INSERT (the SELECT found no row).
    const expected = theirs.get(i) ?? "";
    if (ours !== expected) {
      mismatches.push(`${type} ← ${value}: q4d '${ours}', MariaDB '${expected}'`);
    }
    await db.sql.unsafe(`DROP TABLE t${i}`);
  }
  await db.close();
  assert.deepEqual(mismatches, []);
});

const conditionTable = `CREATE TABLE c (id INT NOT NULL, p DECIMAL(10,2), d DATE, dt DATETIME(3),
  tm TIME, y YEAR, e ENUM('new','retry'), s SET('a','b'), b BIT(4))`;
const conditionRows = [
  "(1, 9.99, '2024-01-01', '2024-01-01 10:00:00.5', '10:00', 2024, 'new', 'a', 1)",
  "(2, 10.00, '2024-06-01', '2024-06-01 00:00:00', '-01:00', 1999, 'retry', 'a,b', 2)",
  "(3, -0.5, '1999-12-31', '1999-12-31 23:59:59.999', '838:59:59', 2000, NULL, '', 15)",
  "(4, NULL, NULL, NULL, NULL, NULL, 'new', NULL, NULL)",
];
const conditions = [
  "p = 9.99",
  "p = '9.99'",
  "p = 9.99e0",
  "p > 9.991",
  "p < 0",
  "p BETWEEN 9 AND 10",
  "p IN (10, -0.50)",
  "p * 3 = 29.97",
  "p / 3 > 3.33",
  "d = '2024-01-01'",
  "d = 20240101",
  "d < '2024-02-01'",
  "d > '1999-12-31 12:00:00'",
  "d BETWEEN '2024-01-01' AND '2024-12-31'",
  "dt BETWEEN '2024-01-01' AND 20240201",
  "dt BETWEEN 20240101 AND '2024-02-01'",
  "d BETWEEN 20240101 AND '2024-12-31'",
  "dt > 20240101",
  "dt = 20240101100000.5",
  "dt IN (20240601, 1)",
  "tm > 95959",
  "dt < 2",
  "d >= 240101",
  "e = 1",
  "e > 'new'",
  "s = 3",
  "e + 0 = 2",
  "s & 2",
  "p = '9.990'",
  "p > '9.99x'",
  "p <=> NULL",
  "p IN ('10', 9.99)",
  "d = '2024-01-01 00:00:00'",
  "d IN ('2024-01-01', '2024-06-01')",
  "dt >= d",
  "tm BETWEEN '-02:00' AND '11:00'",
  "y BETWEEN 1999 AND '2000'",
  "b IN (1, 15)",
  "d LIKE '2024%'",
  "dt LIKE '%.500'",
  "p LIKE '9.9%'",
  "d + INTERVAL 5 MONTH = '2024-06-01'",
  "dt > '2024-06-01'",
  "dt = '2024-01-01 10:00:00.5'",
  "dt < DATE_ADD('2000-01-01', INTERVAL 1 SECOND)",
  "DATE(dt) = d",
  "UNIX_TIMESTAMP(dt) > 946684799",
  "tm < '00:00:00'",
  "tm > '100:00:00'",
  "tm = 100000",
  "y = 2024",
  "y < 2000",
  "e = 'retry'",
  "e = 'RETRY'",
  "e IN ('new')",
  "s = 'a,b'",
  "s LIKE '%b%'",
  "s = ''",
  "b = 2",
  "b & 1",
  "b > 3",
];

test("conditions over the column types select the rows MariaDB selects", async (t) => {
  const statements = [
    "CREATE DATABASE IF NOT EXISTS q4d_types_diff2;",
    "USE q4d_types_diff2;",
    "SET time_zone = '+00:00';",
    "SET NAMES utf8mb4 COLLATE utf8mb4_bin;",
    "DROP TABLE IF EXISTS c;",
    `${conditionTable} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;`,
    `INSERT INTO c VALUES ${conditionRows.join(", ")};`,
  ];
  conditions.forEach((condition, i) => {
    statements.push(
      `SELECT '@@${i}';`,
      `SELECT IFNULL(GROUP_CONCAT(id ORDER BY id), '') FROM c WHERE ${condition};`,
    );
  });
  statements.push("DROP DATABASE q4d_types_diff2;");
  const output = mariadb(statements);
  if (output === null) {
    t.skip("no MariaDB reachable through `mysql -uroot`; nothing compared");
    return;
  }
  const theirs = new Map<number, string>();
  for (let i = 0; i < output.length; i++) {
    const marker = /^@@(\d+)$/.exec(at(output, i));
    if (marker !== null) theirs.set(Number(marker[1]), output[i + 1] ?? "");
  }
  const { db } = await openTemp();
  await db.sql.unsafe(`${conditionTable} ENGINE=QUEUE`);
  await db.sql.unsafe(`INSERT INTO c VALUES ${conditionRows.join(", ")}`);
  const mismatches: string[] = [];
  for (let i = 0; i < conditions.length; i++) {
    const rows = await db.sql.unsafe(`SELECT id FROM c WHERE ${conditions[i]} ORDER BY id`);
    const ours = rows.map((row) => row.id).join(",");
    if (ours !== theirs.get(i)) {
      mismatches.push(`${conditions[i]}: q4d '${ours}', MariaDB '${theirs.get(i)}'`);
    }
  }
  await db.close();
  assert.deepEqual(mismatches, []);
});
