/**
 * IF, IFNULL, COALESCE and CASE type their result as MySQL does when their
 * possible results are numbers and one is a DECIMAL: a DECIMAL at the
 * largest scale among them, so an integer or a shorter decimal shows that
 * scale (`COALESCE(price, 0)` is 0.00), and arithmetic on the result
 * (division's scale + 4) follows. Expected values are MariaDB 10.11's.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openTemp } from "./_helpers.ts";

describe("control functions over DECIMAL", () => {
  test("the result has the aggregated DECIMAL scale", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE c (id INT NOT NULL, p DECIMAL(10,2), f DOUBLE) ENGINE=QUEUE`;
    await db.sql`INSERT INTO c VALUES (1, 9.99, 0.5), (4, NULL, NULL)`;
    const column = async (expr: string) =>
      (await db.sql.unsafe(`SELECT ${expr} AS v FROM c ORDER BY id`)).map((r) =>
        r.v === null ? null : String(r.v)
      );
    assert.deepEqual(await column("COALESCE(p, 0)"), ["9.99", "0.00"]);
    assert.deepEqual(await column("IFNULL(p, 1.5)"), ["9.99", "1.50"]);
    assert.deepEqual(await column("(IFNULL(p, 1.5) % 3) / 7"), ["0.141429", "0.214286"]);
    assert.deepEqual(await column("COALESCE(id, 2.25)"), ["1.00", "4.00"]);
    assert.deepEqual(await column("IF(id > 2, p, 1)"), ["1.00", null]);
    assert.deepEqual(await column("CASE WHEN id > 1 THEN p ELSE 7 END"), ["7.00", null]);
    assert.deepEqual(await column("IFNULL(p * 2, 1)"), ["19.98", "1.00"]);
    assert.deepEqual(await column("IFNULL(100 % 3, 1.5) / id"), ["1.00000", "0.25000"]);
    assert.deepEqual(await column("IFNULL(p / 0.5, id / 3) % 3"), ["1.980000", "1.333333"]);
    // A quotient shown at a wider scale shows the digits it holds (MySQL's 9-digit words).
    assert.deepEqual(await column("COALESCE(100 / p, GREATEST(0.25 / p, 0.25))"), [
      "10.010010",
      null,
    ]);
    assert.deepEqual(await column("COALESCE(id, LEAST(p, id))"), ["1.00", "4.00"]);
    assert.deepEqual(await column("IFNULL(ROUND(p, 5), 1)"), ["9.99000", "1.00000"]);
    // CEIL and FLOOR of a DECIMAL are BIGINTs when they fit (MariaDB).
    assert.deepEqual(await column("ROUND(CEIL(p), 2) / p"), ["1.0010", null]);
    assert.deepEqual(await column("FLOOR(p)"), ["9", null]);
    // A double among them, or no DECIMAL: as before.
    assert.deepEqual(await column("IFNULL(f, p)"), ["0.5", null]);
    assert.deepEqual(await column("COALESCE(id, 2)"), ["1", "4"]);
    await db.close();
  });
});
