/**
 * Where the function library meets DECIMAL and the temporal types (two
 * branches built side by side): numeric functions compute on decimals
 * exactly, string functions read decimals and dates by their text, and the
 * DEFAULT keyword of a `DEFAULT CURRENT_TIMESTAMP` column is the statement's
 * time. Expected values are MariaDB 10.11's, checked by hand.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openTemp, plain } from "./_helpers.ts";

const cases: [string, unknown][] = [
  ["ROUND(2.5)", "3"],
  ["ROUND(1.2345, 2)", "1.23"],
  ["TRUNCATE(1.299, 1)", "1.2"],
  ["ABS(-1.50)", "1.50"],
  // An integer (MariaDB types CEIL/FLOOR of a DECIMAL as INT when it fits, DECIMAL(21,0) beyond).
  ["CEIL(1.2)", 2],
  ["FLOOR(-1.2)", -2],
  ["CEIL(12345678901234567890.5)", "12345678901234567891"],
  ["GREATEST(1.5, 2)", "2.0"],
  ["LEAST(1.5, 2, 0.25)", "0.25"],
  ["HEX(2.5)", "3"],
  ["SUBSTRING('abcdef', 2.5)", "cdef"],
  ["CONCAT(1.50, 'x')", "1.50x"],
  ["LENGTH(DATE '2024-01-02')", 10],
  ["HEX(DATE '2024-01-02')", "323032342D30312D3032"],
  ["GREATEST(DATE '2024-01-02', DATE '2023-05-06')", "2024-01-02"],
  ["ROUND(DATE '2024-01-02')", 20240102],
  ["IF(1, 1.5, 2)", "1.5"],
  ["COALESCE(NULL, 2.50)", "2.50"],
  ["SIGN(-0.5)", -1],
];

describe("functions over DECIMAL and dates", () => {
  for (const [expression, expected] of cases) {
    test(`${expression} is ${JSON.stringify(expected)}`, async () => {
      const { db } = await openTemp();
      const [row] = await db.sql.unsafe(`SELECT ${expression} AS v`);
      assert.ok(row !== undefined);
      assert.deepEqual(row.v, expected);
      await db.close();
    });
  }

  test("DEFAULT for a DEFAULT CURRENT_TIMESTAMP column is the statement's time", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (id INT NOT NULL,
      at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=QUEUE`;
    const before = Math.floor(Date.now() / 1000);
    await db.sql`INSERT INTO j (id, at) VALUES (1, DEFAULT)`;
    await db.sql`INSERT INTO j SET id = 2, at = DEFAULT(at)`;
    const after = Math.ceil(Date.now() / 1000);
    const rows = plain(await db.sql`SELECT id, UNIX_TIMESTAMP(at) AS t FROM j ORDER BY id`);
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.ok(
        Number(row.t) >= before && Number(row.t) <= after,
        `at ${row.t} in the statement's second`,
      );
    }
    await db.close();
  });
});
