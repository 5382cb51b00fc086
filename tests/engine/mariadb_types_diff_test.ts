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
import { prng, testSeed } from "../_random.ts";
import { intervalUnits } from "../../src/sql/temporal.ts";

const seed = testSeed();
const expressionCount = 600;

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

/**
 * Random expressions over the typed columns in the select list: DECIMAL
 * arithmetic and rounding, temporal values through the date functions, in
 * text and numeric context, ENUM/SET/BIT as numbers and text, wrapped in
 * the control and string functions. Each expression's value for every row
 * is compared as MariaDB prints it. Left out, on purpose (README): a
 * control function (IF, COALESCE, IFNULL, CASE) mixing a DATE or TIME with
 * another temporal type (MySQL types the result as the aggregated
 * DATETIME; q4d keeps each row's own type), TIME beside DATE (MySQL uses
 * today's date), and zero dates.
 */
class ColumnExpressions {
  constructor(private readonly next: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return at(items, Math.floor(this.next() * items.length));
  }

  decimal(depth: number): string {
    if (depth <= 0 || this.next() < 0.3) {
      // No ENUM/SET/BIT/YEAR numbers here: they are UNSIGNED in MySQL, and q4d knows
      // UNSIGNED only from size (README), so a negative difference of two differs.
      return this.pick(["p", "p", "id", "1.5", "0.25", "-3", "100"]);
    }
    const a = this.decimal(depth - 1);
    const b = this.decimal(depth - 1);
    const roll = Math.floor(this.next() * 10);
    switch (roll) {
      case 0:
        return `(${a} + ${b})`;
      case 1:
        return `(${a} - ${b})`;
      case 2:
        return `(${a} * ${b})`;
      case 3:
        return `(${a} / ${this.pick(["3", "7", "p", "0.5", "id"])})`;
      case 7:
        return `${this.pick(["GREATEST", "LEAST"])}(${a}, ${b})`;
      case 8:
        return `${this.pick(["COALESCE", "IFNULL"])}(${a}, ${b})`;
      case 4:
        // Not `% p`: -3 % -0.5 is MariaDB's negative zero DECIMAL, which compares below 0.
        return `(${a} % ${this.pick(["3", "0.7"])})`;
      case 5:
        return `${this.pick(["ROUND", "TRUNCATE"])}(${a}, ${this.pick(["0", "1", "2", "-1"])})`;
      case 6:
        return `${this.pick(["FLOOR", "CEIL", "ABS", "SIGN"])}(${a})`;
      default:
        return `(${a} DIV ${this.pick(["2", "3", "p"])})`;
    }
  }

  /** A DATE- or DATETIME-valued expression (no TIME: see above); `columns`: no string literal. */
  date(depth: number, columns = false): string {
    if (depth <= 0 || this.next() < 0.35) {
      // No date strings: MariaDB types DATE_ADD of a string as a DATETIME(6), MySQL (and
      // q4d) as a string, which then compares and adds as text.
      return this.pick(
        columns ? ["d", "dt", "DATE(dt)"] : ["d", "dt", "DATE(dt)", "DATE('2024-02-29')"],
      );
    }
    const a = this.date(depth - 1, columns);
    // Small steps forward: past 2038 MariaDB 10.11's UNIX_TIMESTAMP is NULL, MySQL 8's (and
    // q4d's) a number (README).
    const amount = this.pick(["1", "-1", "-13", "0", "1.5", "id", "'2'"]);
    const unit = this.pick([...intervalUnits]);
    switch (Math.floor(this.next() * 6)) {
      case 0:
        return `DATE_ADD(${a}, INTERVAL ${amount} ${unit})`;
      case 1:
        return `DATE_SUB(${a}, INTERVAL ${amount} ${unit})`;
      case 2:
        return `(${a} + INTERVAL ${amount} ${unit})`;
      case 3:
        return `FROM_UNIXTIME(UNIX_TIMESTAMP(${a}))`;
      case 4:
        return `${this.pick(["GREATEST", "LEAST"])}(${a}, ${this.date(depth - 1, columns)})`;
      default:
        // One temporal type on both sides: d with d, dt with dt.
        return this.pick([
          "IF(id > 2, d, DATE(dt))",
          "COALESCE(dt, dt + INTERVAL 1 DAY)",
          "IFNULL(d, DATE('2024-01-01'))",
        ]);
    }
  }

  time(): string {
    return this.pick([
      "tm",
      "GREATEST(tm, '09:00')",
      "LEAST(tm, 0)",
    ]);
  }

  text(depth: number): string {
    if (depth <= 0 || this.next() < 0.3) {
      return this.pick(["e", "s", "CONCAT(d)", "CONCAT(dt)", "CONCAT(p)", "'x'", "HEX(b)"]);
    }
    const a = this.text(depth - 1);
    switch (Math.floor(this.next() * 7)) {
      case 0:
        return `CONCAT(${a}, '|', ${this.any(depth - 1)})`;
      case 1:
        return `${this.pick(["UPPER", "LOWER", "REVERSE", "TRIM"])}(${a})`;
      case 2:
        return `SUBSTRING(${a}, ${this.pick(["1", "2", "-3", "id"])}, ${this.pick(["2", "5"])})`;
      case 3:
        return `REPLACE(${a}, ${this.pick(["'-'", "'0'", "'a'"])}, '_')`;
      case 4:
        return `LPAD(${a}, ${this.pick(["3", "12"])}, '*')`;
      case 5:
        return `IF(${this.predicate(depth - 1)}, ${a}, ${this.text(depth - 1)})`;
      default:
        return `CONCAT_WS(',', ${a}, ${this.text(depth - 1)})`;
    }
  }

  number(depth: number): string {
    switch (Math.floor(this.next() * 8)) {
      case 0:
        return `UNIX_TIMESTAMP(${this.date(depth - 1)})`;
      case 1:
        return `(${this.date(depth - 1, true)} + 0)`;
      case 2:
        return `(${this.time()} + 0)`;
      case 3:
        return `${this.pick(["LENGTH", "CHAR_LENGTH"])}(${this.text(depth - 1)})`;
      case 4:
        return `(${this.pick(["b", "s", "e"])} ${this.pick(["|", "&", "^"])} ${
          this.pick(["1", "2", "8", "id"])
        })`;
      default:
        return this.decimal(depth);
    }
  }

  predicate(depth: number): string {
    switch (Math.floor(this.next() * 5)) {
      case 0:
        return `(${this.decimal(depth - 1)} ${this.pick(["=", "<", ">=", "<=>"])} ${
          this.decimal(depth - 1)
        })`;
      case 1:
        return `(${this.date(depth - 1)} ${this.pick(["=", "<", ">"])} ${
          this.pick(["'2024-03-01'", "20240101", "d", "dt", "'2000-01-01 12:00:00'"])
        })`;
      case 2:
        return `(${this.pick(["e", "s"])} ${this.pick(["=", "<>"])} ${
          this.pick(["'new'", "'a'", "'a,b'", "1", "3"])
        })`;
      case 3:
        return `(${this.time()} ${this.pick(["<", ">="])} ${
          this.pick(["'09:00'", "0", "'100:00:00'"])
        })`;
      default:
        return `(${this.any(depth - 1)} IS ${this.pick(["", "NOT "])}NULL)`;
    }
  }

  any(depth: number): string {
    const roll = this.next();
    if (roll < 0.3) return this.decimal(depth);
    if (roll < 0.5) return this.date(depth);
    if (roll < 0.55) return this.time();
    if (roll < 0.75) return this.text(depth);
    if (roll < 0.9) return this.number(depth);
    return this.predicate(depth);
  }
}

/** A q4d value as the mysql CLI prints it (--raw, -B). */
function printed(value: unknown): string {
  if (value === null) return "NULL";
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return String(value);
}

/**
 * Whether two printed values agree: exactly, or as doubles within rounding.
 * MariaDB's negative zero DECIMAL (`-0.00`, README) reads as zero.
 */
function agree(ours: string, theirs: string): boolean {
  const zero = (text: string) => text.replace(/-0(\.0+)?(?!\.?\d)/g, "0$1");
  if (ours === theirs || zero(ours) === zero(theirs)) return true;
  const a = Number(ours);
  const b = Number(theirs);
  if (ours === "" || theirs === "" || Number.isNaN(a) || Number.isNaN(b)) return false;
  if (!/[eE]/.test(ours + theirs) && !/\./.test(ours + theirs)) return false;
  return Math.abs(a - b) <= Math.max(1e-9, 1e-12 * Math.abs(b));
}

test(`expressions over the typed columns agree with MariaDB (seed ${seed})`, async (t) => {
  const generator = new ColumnExpressions(prng(seed));
  const expressions = Array.from(
    { length: expressionCount },
    () => generator.any(1 + Math.floor(generator["next"]() * 3)),
  );
  const statements = [
    "CREATE DATABASE IF NOT EXISTS q4d_types_diff3;",
    "USE q4d_types_diff3;",
    "SET time_zone = '+00:00';",
    "SET NAMES utf8mb4 COLLATE utf8mb4_bin;",
    "SET sql_mode = '';",
    "DROP TABLE IF EXISTS c;",
    `${conditionTable} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;`,
    `INSERT INTO c VALUES ${conditionRows.join(", ")};`,
  ];
  expressions.forEach((expression, i) => {
    statements.push(`SELECT '@@${i}';`, `SELECT ${expression} FROM c ORDER BY id;`);
  });
  statements.push("DROP DATABASE q4d_types_diff3;");
  const output = mariadb(statements);
  if (output === null) {
    t.skip("no MariaDB reachable through `mysql -uroot`; nothing compared");
    return;
  }
  // Each SELECT gives one line per row (an empty string is an empty line); a refused one none.
  const theirs = new Map<number, string[]>();
  let current: string[] | null = null;
  for (const line of output.slice(0, output.at(-1) === "" ? -1 : undefined)) {
    const marker = /^@@(\d+)$/.exec(line);
    if (marker !== null) {
      current = [];
      theirs.set(Number(marker[1]), current);
    } else current?.push(line);
  }
  const { db } = await openTemp();
  await db.sql.unsafe(`${conditionTable} ENGINE=QUEUE`);
  await db.sql.unsafe(`INSERT INTO c VALUES ${conditionRows.join(", ")}`);
  const mismatches: string[] = [];
  let compared = 0;
  for (let i = 0; i < expressions.length; i++) {
    let ours: string[];
    try {
      const rows = await db.sql.unsafe(`SELECT ${expressions[i]} AS v FROM c ORDER BY id`);
      ours = rows.map((row) => printed(row.v));
    } catch (error) {
      if (!(error instanceof QueueError)) throw error;
      ours = [`error ${error.code}`];
    }
    const expected = theirs.get(i) ?? [];
    // MariaDB refused it (an error leaves no rows): q4d must refuse it too.
    const same = expected.length === 0
      ? ours[0]?.startsWith("error ")
      : ours.length === expected.length && ours.every((v, r) => agree(v, at(expected, r)));
    if (!same) {
      mismatches.push(
        `${expressions[i]}\n  q4d:     ${ours.join(" ~ ")}\n  MariaDB: ${expected.join(" ~ ")}`,
      );
    } else compared++;
  }
  await db.close();
  assert.equal(
    mismatches.length,
    0,
    `seed ${seed}: ${mismatches.length} of ${expressions.length} differ:\n${
      mismatches.slice(0, 15).join("\n")
    }`,
  );
  assert.ok(compared > 0);
});
