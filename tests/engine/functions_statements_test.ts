/**
 * Issue 11, functions and statements through the engine: INSERT … SET, the
 * DEFAULT keyword and DEFAULT(col), INSERT IGNORE, REPLACE (an INSERT, as
 * Q4M), INSERT values that call functions, and queue_wait conditions that
 * use functions and JSON access.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { nextTurn, notOnNats, openTemp, plain, rejectsCode, wait } from "./_helpers.ts";

describe("INSERT forms", () => {
  test("INSERT … SET names its columns; unnamed columns take their defaults", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (id INT NOT NULL, v VARCHAR(8) DEFAULT 'x', w INT)`;
    const result = await db.sql`INSERT INTO j SET id = 3, w = 1 + 1`;
    assert.equal(result.affectedRows, 1);
    assert.deepEqual(plain(await db.sql`SELECT * FROM j`), [{ id: 3, v: "x", w: 2 }]);
    await rejectsCode(db.sql`INSERT INTO j SET id = 1, id = 2`, "ER_FIELD_SPECIFIED_TWICE");
    await rejectsCode(db.sql`INSERT INTO j SET v = 'a'`, "ER_NO_DEFAULT_FOR_FIELD");
    await rejectsCode(db.sql`INSERT INTO j SET nope = 1`, "ER_BAD_FIELD_ERROR");
    assert.equal(plain(await db.sql`SELECT * FROM j`).length, 1);
    await db.close();
  });

  test("DEFAULT and DEFAULT(col) in VALUES and SET", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (id INT NOT NULL, v VARCHAR(8) DEFAULT 'x', w INT)`;
    await db.sql`INSERT INTO j VALUES (1, DEFAULT, DEFAULT), (2, 'y', 5)`;
    await rejectsCode(
      db.sql`INSERT INTO j (id, w) VALUES (3, DEFAULT(v))`,
      "ER_TRUNCATED_WRONG_VALUE",
    );
    await db.sql`INSERT INTO j SET id = 4, v = DEFAULT`;
    await db.sql`INSERT INTO j (id, v) VALUES (5, DEFAULT(v))`;
    assert.deepEqual(plain(await db.sql`SELECT id, v, w FROM j `), [
      { id: 1, v: "x", w: null },
      { id: 2, v: "y", w: 5 },
      { id: 4, v: "x", w: null },
      { id: 5, v: "x", w: null },
    ]);
    await rejectsCode(db.sql`INSERT INTO j VALUES (DEFAULT, 'a', 1)`, "ER_NO_DEFAULT_FOR_FIELD");
    await rejectsCode(db.sql`INSERT INTO j (id) VALUES (DEFAULT(nope))`, "ER_BAD_FIELD_ERROR");
    await rejectsCode(db.sql`INSERT INTO j (id) VALUES (DEFAULT + 1)`, "ER_PARSE_ERROR");
    await rejectsCode(db.sql`SELECT DEFAULT(id) FROM j`, "ER_NOT_SUPPORTED_YET");
    await db.close();
  });

  test("REPLACE runs as an INSERT (queue tables have no keys to replace by)", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (id INT NOT NULL)`;
    await db.sql`REPLACE INTO j VALUES (1)`;
    const result = await db.sql`REPLACE j (id) VALUES (1), (2)`;
    assert.equal(result.affectedRows, 2);
    await db.sql`REPLACE INTO j SET id = 3`;
    assert.deepEqual(plain(await db.sql`SELECT id FROM j`), [{ id: 1 }, { id: 1 }, { id: 2 }, {
      id: 3,
    }]);
    await rejectsCode(db.sql`REPLACE IGNORE INTO j VALUES (1)`, "ER_PARSE_ERROR");
    await db.close();
  });

  test("INSERT IGNORE skips the rows a column refuses and counts only the inserted", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (a TINYINT NOT NULL, b VARCHAR(3), c JSON)`;
    const result = await db.sql`INSERT IGNORE INTO j VALUES
      (1, 'ok', '[1]'), (300, 'x', NULL), (2, 'toolong', NULL), (NULL, 'x', NULL),
      (3, 'x', '{'), (4, NULL, NULL)`;
    assert.equal(result.affectedRows, 2);
    assert.deepEqual(plain(await db.sql`SELECT a, b FROM j`), [{ a: 1, b: "ok" }, {
      a: 4,
      b: null,
    }]);
    const none = await db.sql`INSERT IGNORE INTO j VALUES (999, 'x', NULL)`;
    assert.equal(none.affectedRows, 0);
    // Without IGNORE one bad row fails the whole statement: nothing is written.
    await rejectsCode(
      db.sql`INSERT INTO j VALUES (5, 'x', NULL), (300, 'x', NULL)`,
      "ER_WARN_DATA_OUT_OF_RANGE",
    );
    assert.equal(plain(await db.sql`SELECT a FROM j`).length, 2);
    await db.close();
  });

  test("an INSERT IGNORE that skips every row leaves a queue_set_srcid mark armed", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (a TINYINT NOT NULL)`;
    const s = db.session();
    await s.sql`SELECT queue_set_srcid(1, 'a', 5)`;
    assert.equal((await s.sql`INSERT IGNORE INTO j VALUES (999)`).affectedRows, 0);
    // The mark is still armed: this INSERT records row 5 of source 1...
    assert.equal((await s.sql`INSERT INTO j VALUES (1)`).affectedRows, 1);
    // ...so row 5 relayed again is a duplicate and is dropped.
    await s.sql`SELECT queue_set_srcid(1, 'a', 5)`;
    assert.equal((await s.sql`INSERT INTO j VALUES (2)`).affectedRows, 0);
    assert.deepEqual(plain(await db.sql`SELECT a FROM j`), [{ a: 1 }]);
    await db.close();
  });

  test("INSERT values may call functions (constant expressions)", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (id INT NOT NULL, name VARCHAR(32), body JSON)`;
    await db.sql`INSERT INTO j VALUES
      (ABS(-2), CONCAT('job-', LPAD(7, 3, '0')), '{"region": "eu", "n": [1, 2]}'),
      (ROUND(2.4e0), UPPER(${"x"}), JSON_EXTRACT('{"a": {"b": 1}}', '$.a'))`;
    assert.deepEqual(plain(await db.sql`SELECT id, name, body FROM j`), [
      { id: 2, name: "job-007", body: { region: "eu", n: [1, 2] } },
      { id: 2, name: "X", body: { b: 1 } },
    ]);
    await rejectsCode(
      db.sql`INSERT INTO j VALUES (CONCAT(), 'a', NULL)`,
      "ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT",
    );
    await rejectsCode(db.sql`INSERT INTO j VALUES (1, id, NULL)`, "ER_BAD_FIELD_ERROR");
    await db.close();
  });
});

test("COALESCE over a BLOB column gives bytes also for its default (MySQL: VARBINARY)", async () => {
  const { db } = await openTemp();
  await db.sql`CREATE TABLE j (id INT NOT NULL, payload BLOB)`;
  await db.sql`INSERT INTO j VALUES (1, NULL), (2, 'ab')`;
  const rows = await db.sql`SELECT COALESCE(payload, '') AS p FROM j`;
  assert.deepEqual(rows.map((row) => row.p), [new Uint8Array(0), new TextEncoder().encode("ab")]);
  await db.close();
});

describe("queue_wait conditions with functions and JSON", () => {
  test(
    "a JSON body field selects the row: body->>'$.region'",
    notOnNats(
      "a row a client-side condition turned down stays hidden from every wait for filterDelayMs (README)",
    ),
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE jobs (id INT NOT NULL, body JSON)`;
      await db.sql`INSERT INTO jobs VALUES (1, '{"region": "us"}'), (2, '{"region": "eu"}')`;
      const s = db.session();
      assert.equal(await wait(s, ['jobs:body->>"$.region" = "eu"'], 0), 1);
      assert.deepEqual(plain(await s.sql`SELECT id FROM jobs`), [{ id: 2 }]);
      await s.sql`SELECT queue_end()`;
      // The spelling, as SQL text: the condition is a string literal holding double quotes.
      const [taken] = await s.sql.unsafe(
        `SELECT queue_wait('jobs:body->>"$.region" = "us"', 0) AS got`,
      );
      assert.ok(taken !== undefined);
      assert.equal(taken.got, 1);
      assert.deepEqual(plain(await s.sql`SELECT id FROM jobs`), [{ id: 1 }]);
      await s.sql`SELECT queue_abort()`;
      assert.equal(await wait(s, ["jobs:body->'$.region' = '\"us\"'"], 0), 1);
      assert.deepEqual(plain(await s.sql`SELECT id FROM jobs`), [{ id: 1 }]);
      await s.sql`SELECT queue_abort()`;
      await db.close();
    },
  );

  test("a blocked waiter is woken only by a row whose JSON field matches", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE jobs (id INT NOT NULL, body JSON)`;
    const s = db.session();
    const waiting = wait(s, ['jobs:body->>"$.region" = "eu" AND JSON_LENGTH(body, "$.n") > 1'], 30);
    await nextTurn();
    await db.sql`INSERT INTO jobs VALUES (1, '{"region": "us", "n": [1, 2]}')`;
    await db.sql`INSERT INTO jobs VALUES (2, '{"region": "eu", "n": [1]}')`;
    await db.sql`INSERT INTO jobs VALUES (3, '{"region": "eu", "n": [1, 2]}')`;
    assert.equal(await waiting, 1);
    assert.deepEqual(plain(await s.sql`SELECT id FROM jobs`), [{ id: 3 }]);
    await s.sql`SELECT queue_end()`;
    assert.deepEqual(plain(await db.sql`SELECT id FROM jobs`), [{ id: 1 }, { id: 2 }]);
    await db.close();
  });

  test(
    "string functions and CASE in a condition",
    notOnNats(
      "a row a client-side condition turned down stays hidden from every wait for filterDelayMs (README)",
    ),
    async () => {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE jobs (id INT NOT NULL, name VARCHAR(32))`;
      await db.sql`INSERT INTO jobs VALUES (1, 'Mail:Send'), (2, 'mail:retry'), (3, NULL)`;
      const s = db.session();
      await rejectsCode(wait(s, ["jobs:LOWER(nope) = 'a'"], 0), "ER_BAD_FIELD_ERROR");
      assert.equal(
        await wait(s, [
          "jobs:LEFT(LOWER(name), 5) = 'mail:' AND CASE WHEN LOCATE('retry', name) > 0 THEN 1 ELSE 0 END",
        ], 0),
        1,
      );
      assert.deepEqual(plain(await s.sql`SELECT id FROM jobs`), [{ id: 2 }]);
      await s.sql`SELECT queue_abort()`;
      assert.equal(await wait(s, ["jobs:COALESCE(name, 'none') = 'none'"], 0), 1);
      assert.deepEqual(plain(await s.sql`SELECT id FROM jobs`), [{ id: 3 }]);
      await s.sql`SELECT queue_abort()`;
      // A VARCHAR beside a number makes COALESCE a string: '0' = 'abc' is false (MySQL).
      assert.equal(await wait(s, ["jobs:COALESCE(name, 0) = 'abc'"], 0), 0);
      await rejectsCode(wait(s, ["jobs:CONCAT() = 1"], 0), "ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT");
      await rejectsCode(wait(s, ["jobs:JSON_EXTRACT(name, 'x') = 1"], 0), "ER_INVALID_JSON_PATH");
      await db.close();
    },
  );
});
