/**
 * GREATEST / LEAST over temporal values compare them as dates, datetimes
 * or times (strings and numbers read as the temporal type of the
 * arguments), and answer in that type, as MariaDB 10.11 does (checked with
 * the local server: `GREATEST(d, '2024-03-01')` is the date 2024-03-01).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openTemp } from "./_helpers.ts";

describe("GREATEST / LEAST of temporal values", () => {
  test("compare and answer as the arguments' temporal type", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE c (id INT NOT NULL, d DATE, dt DATETIME(3), tm TIME) ENGINE=QUEUE`;
    await db.sql`INSERT INTO c VALUES (1, '2024-01-01', '2024-01-01 10:00:00.5', '10:00'),
      (2, '2024-06-01', '2024-06-01 00:00:00', '-01:00')`;
    const column = async (expr: string) =>
      (await db.sql.unsafe(`SELECT ${expr} AS v FROM c ORDER BY id`)).map((r) => String(r.v));
    // Expected values: MariaDB 10.11's.
    assert.deepEqual(await column("GREATEST(d, '2024-03-01')"), ["2024-03-01", "2024-06-01"]);
    assert.deepEqual(await column("GREATEST(d, '2024-3-1')"), ["2024-03-01", "2024-06-01"]);
    assert.deepEqual(await column("GREATEST(d, 20240301)"), ["2024-03-01", "2024-06-01"]);
    assert.deepEqual(await column("LEAST(d, '1969-07-20 20:17:40')"), ["1969-07-20", "1969-07-20"]);
    assert.deepEqual(await column("LEAST(d, '2024-03-01 10:00:00')"), [
      "2024-01-01",
      "2024-03-01",
    ]);
    assert.deepEqual(await column("GREATEST(d, dt)"), [
      "2024-01-01 10:00:00.500",
      "2024-06-01 00:00:00.000",
    ]);
    assert.deepEqual(await column("GREATEST(dt, '2024-03-01')"), [
      "2024-03-01 00:00:00.000",
      "2024-06-01 00:00:00.000",
    ]);
    assert.deepEqual(await column("LEAST(tm, '09:00')"), ["09:00:00", "-01:00:00"]);
    assert.deepEqual(await column("GREATEST(tm, 120000)"), ["12:00:00", "12:00:00"]);
    assert.deepEqual(await column("GREATEST(d, dt) + 0"), [
      "20240101100000.500",
      "20240601000000.000",
    ]);
    await db.close();
  });
});
