/**
 * Q4M's first subscription form, `SELECT … FROM t WHERE queue_wait('t')`
 * (its tutorial's "easiest way", its crawler example's rescheduler): the
 * wait is the whole condition, then the SELECT shows the owned row.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openTemp, plain, rejectsCode } from "./_helpers.ts";

describe("WHERE queue_wait(…)", () => {
  test("takes a row and shows it; a timeout shows nothing; other conditions stay refused", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q (id INT NOT NULL, prio INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q VALUES (1, 0), (2, 1), (3, 1)`;
    const s = db.session();
    assert.deepEqual(plain(await s.sql`SELECT id FROM q WHERE queue_wait('q')`), [{ id: 1 }]);
    // The next call consumes the previous row, as queue_wait does.
    assert.deepEqual(
      plain(await s.sql`SELECT * FROM q WHERE queue_wait(${"q:prio=1"}, ${5})`),
      [{ id: 2, prio: 1 }],
    );
    assert.deepEqual(plain(await db.sql`SELECT id FROM q`), [{ id: 3 }]);
    await s.sql`SELECT queue_end()`;
    assert.deepEqual(plain(await s.sql`SELECT * FROM q WHERE queue_wait('q:prio=7', 0)`), []);
    await rejectsCode(
      s.sql`SELECT * FROM q WHERE queue_wait('q') AND id = 3`,
      "ER_NOT_SUPPORTED_YET",
    );
    await rejectsCode(s.sql`SELECT * FROM nosuch WHERE queue_wait('q')`, "ER_NO_SUCH_TABLE");
    assert.deepEqual(plain(await db.sql`SELECT id FROM q`), [{ id: 3 }]);
    await s.close();
    await db.close();
  });
});
