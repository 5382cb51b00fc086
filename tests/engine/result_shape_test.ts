/**
 * The shape of a result when select-list names repeat: a row object keeps
 * the later column's value under the shared name (as mysql2 and
 * postgres.js), `columns` lists every column, and `rowArrays` has every
 * value by position. Runs embedded and, with Q4D_TEST_BACKEND=served,
 * through connect() — the same rule both ways.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openTemp, plain, testBackend } from "./_helpers.ts";
import { skipUnless } from "../_skip.ts";

describe("result shape", () => {
  test("repeated names: the later value keys the object; columns and rowArrays keep each", async () => {
    const { db } = await openTemp();
    const constants = await db.sql`SELECT 1 AS a, 'x' AS a, 3 AS b`;
    assert.deepEqual(plain(constants), [{ a: "x", b: 3 }]);
    assert.deepEqual(constants.columns?.map((column) => column.name), ["a", "a", "b"]);
    assert.deepEqual(constants.rowArrays, [[1, "x", 3]]);

    const params = await db.sql`SELECT ${1}, ${"two"}`;
    assert.deepEqual(plain(params), [{ "?": "two" }]);
    assert.deepEqual(params.rowArrays, [[1, "two"]]);

    await db.sql`CREATE TABLE t (id INT NOT NULL, name VARCHAR(8)) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t VALUES (${1}, ${"one"}), (${2}, ${"two"})`;
    const rows = await db.sql`SELECT id, name AS id, id AS c FROM t`;
    assert.deepEqual(plain(rows), [{ id: "one", c: 1 }, { id: "two", c: 2 }]);
    assert.deepEqual(rows.rowArrays, [[1, "one", 1], [2, "two", 2]]);
    assert.deepEqual(
      rows.columns?.map(({ name, table, notNull }) => ({ name, table, notNull })),
      [
        { name: "id", table: "t", notNull: true },
        { name: "id", table: "t", notNull: false },
        { name: "c", table: "t", notNull: true },
      ],
    );

    const counted = await db.sql`SELECT COUNT(*) AS n, 5 AS n FROM t`;
    assert.deepEqual(counted.rowArrays, [[2, 5]]);
    await db.close();
  });

  test("rowArrays follows the select list for any SELECT, also an empty one", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (id INT NOT NULL, name VARCHAR(8)) ENGINE=QUEUE`;
    const empty = await db.sql`SELECT * FROM t`;
    assert.deepEqual(empty.rowArrays, []);
    assert.deepEqual(empty.columns?.map((column) => column.name), ["id", "name"]);
    await db.sql`INSERT INTO t VALUES (${7}, ${null})`;
    const rows = await db.sql`SELECT name, id FROM t`;
    assert.deepEqual(plain(rows), [{ name: null, id: 7 }]);
    assert.deepEqual(rows.rowArrays, [[null, 7]]);
    const inserted = await db.sql`INSERT INTO t VALUES (${8}, ${"x"})`;
    assert.equal(inserted.rowArrays, undefined, "not a SELECT");
    await db.close();
  });

  test(
    "results share one rowArrays getter, so shaping a result adds no hidden class",
    skipUnless(
      testBackend === "served" ? "connect() builds rowArrays from the wire, eagerly" : null,
    ),
    async () => {
      // A getter made per result gave each result a V8 hidden class of its
      // own: W2 and W3 of bench/queue_workload.ts lost 10–15% and W3's p99
      // rose ~60% (docs/performance.md).
      const { db } = await openTemp();
      await db.sql`CREATE TABLE t (id INT NOT NULL, name VARCHAR(8)) ENGINE=QUEUE`;
      await db.sql`INSERT INTO t VALUES (${1}, ${"one"})`;
      const results = [
        await db.sql`SELECT id, name FROM t`,
        await db.sql`SELECT id, name FROM t`,
        await db.sql`SELECT COUNT(*) AS n FROM t`,
        await db.sql`SELECT 1 AS a, ${2} AS b`,
        await db.sql`SELECT queue_end()`,
      ];
      const getters = results.map((result) =>
        Object.getOwnPropertyDescriptor(result, "rowArrays")?.get
      );
      assert.equal(typeof getters[0], "function");
      for (const getter of getters) assert.equal(getter, getters[0]);
      assert.deepEqual(results.map((result) => result.rowArrays), [
        [[1, "one"]],
        [[1, "one"]],
        [[1]],
        [[1, 2]],
        [[1]],
      ]);
      for (const result of results) {
        assert.deepEqual(Object.keys(result), ["0"], "columns and rowArrays stay non-enumerable");
        assert.equal(Object.getOwnPropertyDescriptor(result, "rowArrays")?.get, undefined);
      }
      await db.close();
    },
  );
});
