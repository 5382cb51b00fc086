/**
 * Table-qualified names (`jobs.id`, `jobs.*`) in SELECT, WHERE, ORDER BY,
 * DELETE and queue_wait conditions: they resolve against the statement's
 * table, and another qualifier is an error that changes nothing.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openTemp, plain, rejectsCode } from "./_helpers.ts";

describe("qualified names", () => {
  test("table.column and table.* resolve against the FROM table", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE jobs (id INT NOT NULL, prio INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO jobs VALUES (${1}, ${0}), (${2}, ${1}), (${3}, ${1})`;
    assert.deepEqual(
      plain(await db.sql`SELECT jobs.id FROM jobs WHERE jobs.prio = 1 ORDER BY jobs.id DESC`),
      [{ id: 3 }, { id: 2 }],
    );
    assert.deepEqual(plain(await db.sql`SELECT jobs.* FROM jobs LIMIT 1`), [{ id: 1, prio: 0 }]);
    const deleted = await db.sql`DELETE FROM jobs WHERE jobs.id = ${2}`;
    assert.equal(deleted.affectedRows, 1);
    const s = db.session();
    const [w] = await s.sql`SELECT queue_wait('jobs:jobs.prio = 1', 0) AS got`;
    assert.ok(w !== undefined);
    assert.equal(w.got, 1);
    assert.deepEqual(plain(await s.sql`SELECT jobs.id FROM jobs`), [{ id: 3 }]);
    await s.close();
    await db.close();
  });

  test("another table's qualifier is ER_BAD_FIELD_ERROR / ER_NO_SUCH_TABLE and changes nothing", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE jobs (id INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO jobs VALUES (${1})`;
    await rejectsCode(db.sql`SELECT other.id FROM jobs`, "ER_BAD_FIELD_ERROR");
    await rejectsCode(db.sql`SELECT other.* FROM jobs`, "ER_NO_SUCH_TABLE");
    await rejectsCode(db.sql`DELETE FROM jobs WHERE other.id = 1`, "ER_BAD_FIELD_ERROR");
    const s = db.session();
    await rejectsCode(s.sql`SELECT queue_wait('jobs:other.id = 1', 0)`, "ER_BAD_FIELD_ERROR");
    assert.deepEqual(plain(await db.sql`SELECT id FROM jobs`), [{ id: 1 }]);
    await s.close();
    await db.close();
  });
});
