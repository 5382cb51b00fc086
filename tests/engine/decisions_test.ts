/**
 * The public contract of DESIGN.md and its 14 decisions "Where q4d
 * deliberately differs from Q4M", one behaviour per test. Crash-related
 * decisions (7: relay marks survive a crash, 8: torn tail / corruption) are
 * in crash_test.ts.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ident, open, QueueError } from "../../mod.ts";
import {
  assertWaitedBlocked,
  freshDirectory,
  nextTurn,
  notOnNats,
  openTemp,
  plain,
  rejectsCode,
  wait,
} from "./_helpers.ts";

async function jobs() {
  const { db, directory } = await openTemp();
  await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
  return { db, directory };
}

describe("decision 1: COUNT(*)", () => {
  test("COUNT(*) excludes rows owned by other sessions", async () => {
    const { db } = await jobs();
    await db.sql`INSERT INTO t (v) VALUES (1), (2), (3)`;
    const owner = db.session();
    assert.equal(await wait(owner, ["t"], 0), 1);
    const [normal] = await db.sql`SELECT COUNT(*) AS n FROM t`;
    assert.ok(normal !== undefined);
    assert.equal(normal.n, 2);
    const [own] = await owner.sql`SELECT COUNT(*) AS n FROM t`;
    assert.ok(own !== undefined);
    assert.equal(own.n, 1);
    const [filtered] = await db.sql`SELECT COUNT(*) AS n FROM t WHERE v >= 1`;
    assert.ok(filtered !== undefined);
    assert.equal(filtered.n, 2);
    await db.close();
  });
});

describe("decision 2: only a numeric last argument is a timeout", () => {
  test("queue_wait('a','b') waits on two tables", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE a (v INT) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE b (v INT) ENGINE=QUEUE`;
    const s = db.session();
    const waiting = s.sql`SELECT queue_wait('a', 'b') AS got`;
    await nextTurn();
    await db.sql`INSERT INTO b (v) VALUES (5)`;
    const [row] = await waiting;
    assert.ok(row !== undefined);
    assert.equal(row.got, 2);
    assert.deepEqual(plain(await s.sql`SELECT * FROM b`), [{ v: 5 }]);
    assertWaitedBlocked(db, "b");
    await db.close();
  });
});

describe("decision 3: conditions follow MySQL", () => {
  async function matches(
    columns: string,
    insert: string,
    condition: string,
  ): Promise<number | null> {
    const { db } = await openTemp();
    await db.sql.unsafe(`CREATE TABLE c (${columns}) ENGINE=QUEUE`);
    await db.sql.unsafe(`INSERT INTO c VALUES ${insert}`);
    const s = db.session();
    try {
      return await wait(s, [`c:${condition}`], 0);
    } finally {
      await db.close();
    }
  }

  test("010 in a condition is ten", async () => {
    assert.equal(await matches("v INT", "(10)", "v = 010"), 1);
    assert.equal(await matches("v INT", "(8)", "v = 010"), 0);
  });

  test("NULL AND 1 is NULL in a condition", async () => {
    assert.equal(await matches("n INT", "(NULL)", "NOT (n AND 1)"), 0);
    assert.equal(await matches("n INT", "(NULL)", "(n AND 1) IS NULL"), 1);
    assert.equal(await matches("n INT", "(NULL)", "NULL AND 1"), 0);
  });

  test("keywords and function names are case-insensitive; <> works; NOT repeats", async () => {
    assert.equal(await matches("v INT", "(2)", "v <> 1 And NOT NOT v = 2 oR v Mod 2 = 1"), 1);
    assert.equal(await matches("v INT", "(2)", "POW(v, 3) = 8"), 1);
    assert.equal(await matches("v INT", "(8)", "v DIV 3 = 2 AND v = 0x8"), 1);
  });

  test("back-quoted names match exactly and column names are case-insensitive", async () => {
    assert.equal(await matches("Prio INT, prio2 INT", "(1, 2)", "`prio2` = 2 AND PRIO = 1"), 1);
    assert.equal(await matches("`and` INT", "(3)", "`and` = 3"), 1);
  });

  test("UNSIGNED values read correctly", async () => {
    assert.equal(await matches("v INT UNSIGNED", "(4294967295)", "v = 4294967295"), 1);
    assert.equal(await matches("v BIGINT UNSIGNED", "(18446744073709551615)", "v > 0"), 1);
  });

  test("every column type is usable: text, float, blob", async () => {
    assert.equal(
      await matches("s VARCHAR(10), f DOUBLE", "('abc', 1.5)", "s = 'abc' AND f > 1.25"),
      1,
    );
    assert.equal(await matches("s TEXT", "('hello')", "s LIKE 'he%'"), 1);
    assert.equal(await matches("s TEXT", "('hello')", "s IN ('x', 'y')"), 0);
  });

  test("a bad condition is a statement error; a missing table gives NULL", async () => {
    const { db } = await jobs();
    const s = db.session();
    await rejectsCode(wait(s, ["t:v ="], 0), "ER_PARSE_ERROR");
    await rejectsCode(wait(s, ["t:nosuch = 1"], 0), "ER_BAD_FIELD_ERROR");
    assert.equal(await wait(s, ["missing:v = 1"], 0), null);
    await db.close();
  });
});

describe("decision 4: queue_end, queue_abort and queue_rowid in every mode", () => {
  test("queue_end() and queue_abort() return 1 outside owner mode", async () => {
    const { db } = await jobs();
    const rows = await db.sql`SELECT queue_end() AS e, queue_abort() AS a`;
    assert.deepEqual(plain(rows), [{ e: 1, a: 1 }]);
    await db.close();
  });

  test("queue_rowid is ER_NOT_OWNER outside owner mode", async () => {
    const { db } = await jobs();
    await rejectsCode(db.sql`SELECT queue_rowid()`, "ER_NOT_OWNER");
    await db.close();
  });

  test("queue_rowid is NULL in owner mode with no row", async () => {
    const { db } = await jobs();
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 0);
    const [row] = await s.sql`SELECT queue_rowid() AS id`;
    assert.ok(row !== undefined);
    assert.equal(row.id, null);
    await db.close();
  });
});

describe("decision 5: queue_wait finishes the previous row first", () => {
  test("the implicit end happens even when the wait fails", async () => {
    const { db } = await jobs();
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    await rejectsCode(wait(s, ["t:nosuch = 1"], 0), "ER_BAD_FIELD_ERROR");
    assert.deepEqual(plain(await db.sql`SELECT * FROM t`), []);
    assert.equal(db.stats("t").rowsRemoved, 1);
    await db.close();
  });

  test("the implicit end happens even when the table is missing (NULL)", async () => {
    const { db } = await jobs();
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    assert.equal(await wait(s, ["missing"], 0), null);
    assert.deepEqual(plain(await s.sql`SELECT * FROM t`), [], "session is in normal mode");
    assert.equal(db.stats("t").rowsRemoved, 1);
    await db.close();
  });
});

describe("decision 6: removal is idempotent", () => {
  test("an owner's DELETE followed by queue_end removes the row once and counts it once", async () => {
    const { db } = await jobs();
    await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    assert.equal((await s.sql`DELETE FROM t`).affectedRows, 1);
    await s.sql`SELECT queue_end()`;
    const stats = db.stats("t");
    assert.equal(stats.rowsRemoved, 1);
    assert.equal(stats.rowsWritten, 2);
    const [count] = await db.sql`SELECT COUNT(*) AS n FROM t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, 1);
    await db.close();
  });
});

describe("decision 9: ALTER keeps owned rows, TRUNCATE removes them, ids never restart", () => {
  test("ALTER TABLE keeps an owned row, its id and its ownership", async () => {
    const { db } = await jobs();
    await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    await db.sql`ALTER TABLE t ADD COLUMN w INT DEFAULT 7`;
    assert.deepEqual(plain(await s.sql`SELECT * FROM t`), [{ v: 1, w: 7 }]);
    assert.deepEqual(plain(await db.sql`SELECT * FROM t`), [{ v: 2, w: 7 }]);
    const [id] = await s.sql`SELECT queue_rowid() AS id`;
    assert.ok(id !== undefined);
    assert.equal(id.id, 1);
    await s.sql`SELECT queue_end()`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM t`), [{ v: 2, w: 7 }]);
    await db.close();
  });

  test("TRUNCATE removes owned rows and row ids never restart", async () => {
    const { db } = await jobs();
    await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    await db.sql`TRUNCATE t`;
    assert.deepEqual(plain(await s.sql`SELECT * FROM t`), []);
    const [end] = await s.sql`SELECT queue_end() AS r`;
    assert.ok(end !== undefined);
    assert.equal(end.r, 1);
    const inserted = await db.sql`INSERT INTO t (v) VALUES (3)`;
    assert.equal(inserted.insertId, 3);
    assert.equal(await wait(s, ["t"], 0), 1);
    const [id] = await s.sql`SELECT queue_rowid() AS id`;
    assert.ok(id !== undefined);
    assert.equal(id.id, 3);
    const stats = db.stats("t");
    assert.equal(stats.rowsWritten, 3);
    assert.equal(stats.rowsRemoved, 2);
    await db.close();
  });
});

describe("decision 10: counters are exact and persisted", () => {
  test("rows_written and rows_removed survive a reopen", async () => {
    const directory = freshDirectory();
    let db = await open(directory, { sync: "none" });
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO t (v) VALUES (1), (2), (3), (4)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    await s.sql`SELECT queue_end()`;
    await db.sql`DELETE FROM t WHERE v = 2`;
    await db.close();
    db = await open(directory, { sync: "none" });
    const stats = db.stats("t");
    assert.equal(stats.rowsWritten, 4);
    assert.equal(stats.rowsRemoved, 2);
    const [text] = await db.sql`SELECT queue_stats('t') AS s`;
    assert.ok(text !== undefined);
    assert.match(text.s, /^rows_written: 4\nrows_removed: 2\n/);
    await db.close();
  });

  test("queue_stats has Q4M's nine lines in order, then q4d's four", async () => {
    const { db } = await jobs();
    const [text] = await db.sql`SELECT queue_stats('t') AS s`;
    assert.ok(text !== undefined);
    const names = (text.s as string).trimEnd().split("\n").map((line) => line.split(": ")[0]);
    assert.deepEqual(names, [
      "rows_written",
      "rows_removed",
      "wait_immediate",
      "wait_delayed",
      "wait_timeout",
      "restored_by_abort",
      "restored_by_close",
      "bytes_total",
      "bytes_removed",
      "rows_delayed",
      "rows_failed",
      "rows_live",
      "compaction_errors",
    ]);
    await db.close();
  });

  test("wait_timeout counts once per call, however many arguments name the table", async () => {
    const { db } = await jobs();
    const s = db.session();
    assert.equal(await wait(s, ["t:v=1", "t:v=2", "t"], 0), 0);
    assert.equal(db.stats("t").waitTimeout, 1);
    await db.close();
  });

  test(
    "byte counters are right after compaction",
    notOnNats("capabilities.compaction is false: the file store compacts itself"),
    async () => {
      const { db } = await jobs();
      await db.sql`INSERT INTO t (v) VALUES (1), (2), (3), (4)`;
      await db.sql`DELETE FROM t WHERE v <= 3`;
      const before = db.stats("t");
      assert.ok(before.bytesRemoved > 0 && before.bytesRemoved < before.bytesTotal);
      await db.sql`SELECT queue_compact('t')`;
      const after = db.stats("t");
      assert.equal(after.bytesRemoved, 0);
      assert.equal(after.bytesTotal, before.bytesTotal - before.bytesRemoved);
      await db.close();
    },
  );
});

describe("decision 11: closing a session", () => {
  test("session close rejects a pending wait with ER_CLOSED at once", async () => {
    const { db } = await jobs();
    const s = db.session();
    const waiting = wait(s, ["t"], 60);
    await nextTurn();
    await s.close();
    await rejectsCode(waiting, "ER_CLOSED");
    assert.equal(s.closed, true);
    await db.close();
  });

  test("session close returns the owned row to the queue", async () => {
    const { db } = await jobs();
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 1);
    await s.close();
    assert.deepEqual(plain(await db.sql`SELECT * FROM t`), [{ v: 1 }]);
    assert.equal(db.stats("t").restoredByClose, 1);
    await db.close();
  });
});

describe("decision 12: bounds", () => {
  test("timeout 0 polls without waiting", async () => {
    const { db } = await jobs();
    const s = db.session();
    assert.equal(await wait(s, ["t"], 0), 0);
    await db.sql`INSERT INTO t (v) VALUES (1)`;
    assert.equal(await wait(s, ["t"], 0), 1);
    await db.close();
  });

  test("a negative, NULL or non-numeric timeout is ER_WRONG_ARGUMENTS", async () => {
    const { db } = await jobs();
    const s = db.session();
    await rejectsCode(s.sql`SELECT queue_wait('t', -1)`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_wait('t', ${-0.5})`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_wait('t', NULL)`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_wait('t', ${null})`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_wait('t', ${new Uint8Array([1])})`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_wait('t', 1e12)`, "ER_WRONG_ARGUMENTS");
    await db.close();
  });

  test("a NULL or empty table argument is ER_WRONG_ARGUMENTS", async () => {
    const { db } = await jobs();
    const s = db.session();
    await rejectsCode(s.sql`SELECT queue_wait(NULL)`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_wait('')`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_wait(':v=1', 0)`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_wait(${null}, 't', 0)`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_stats(NULL)`, "ER_WRONG_ARGUMENTS");
    await rejectsCode(s.sql`SELECT queue_compact('')`, "ER_WRONG_ARGUMENTS");
    await db.close();
  });

  test("queue_set_srcid with a source outside 0..63, a bad mode or a negative row id is NULL", async () => {
    const { db } = await jobs();
    const cases: [unknown, unknown, unknown][] = [
      [-1, "a", 1],
      [64, "a", 1],
      [0, "A", 1],
      [0, "x", 1],
      [0, "aw", 1],
      [0, "a", -1],
      [null, "a", 1],
      [0, null, 1],
      [0, "a", null],
    ];
    for (const [source, mode, rowId] of cases) {
      const [row] = await db.sql`SELECT queue_set_srcid(${source}, ${mode}, ${rowId}) AS r`;
      assert.ok(row !== undefined);
      assert.equal(row.r, null, `queue_set_srcid(${source}, ${mode}, ${rowId})`);
    }
    const [ok] = await db.sql`SELECT queue_set_srcid(63, 'w', 0) AS r`;
    assert.ok(ok !== undefined);
    assert.equal(ok.r, 1);
    await db.close();
  });
});

describe("decision 13: a multi-row INSERT is atomic", () => {
  test("a bad value in row 3 of 3 inserts nothing", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (v TINYINT NOT NULL) ENGINE=QUEUE`;
    await rejectsCode(
      db.sql`INSERT INTO t (v) VALUES (${1}), (${2}), (${1000})`,
      "ER_WARN_DATA_OUT_OF_RANGE",
    );
    await rejectsCode(db.sql`INSERT INTO t (v) VALUES (1), (2), (NULL)`, "ER_BAD_NULL_ERROR");
    const [count] = await db.sql`SELECT COUNT(*) AS n FROM t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, 0);
    assert.equal(db.stats("t").rowsWritten, 0);
    const inserted = await db.sql`INSERT INTO t (v) VALUES (1)`;
    assert.equal(inserted.insertId, 1, "no row id was used by the failed INSERTs");
    await db.close();
  });
});

describe("decision 14: relay duplicates", () => {
  test("an INSERT dropped as a relay duplicate reports affectedRows 0", async () => {
    const { db } = await jobs();
    await db.sql`SELECT queue_set_srcid(3, 'a', 10)`;
    assert.equal((await db.sql`INSERT INTO t (v) VALUES (1), (2)`).affectedRows, 2);
    await db.sql`SELECT queue_set_srcid(3, 'a', 10)`;
    const duplicate = await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    assert.equal(duplicate.affectedRows, 0);
    assert.equal(db.stats("t").rowsWritten, 2);
    const next = await db.sql`INSERT INTO t (v) VALUES (3)`;
    assert.equal(next.insertId, 3, "a dropped duplicate uses no row id");
    await db.close();
  });
});

describe("the public contract", () => {
  test("row ids start at 1 and rise by one per inserted row", async () => {
    const { db } = await jobs();
    const first = await db.sql`INSERT INTO t (v) VALUES (1), (2)`;
    assert.equal(first.insertId, 1);
    assert.equal(first.affectedRows, 2);
    const second = await db.sql`INSERT INTO t (v) VALUES (3)`;
    assert.equal(second.insertId, 3);
    await db.close();
  });

  test("result rows are plain objects keyed in select order with typed values", async () => {
    const { db } = await openTemp();
    await db
      .sql`CREATE TABLE r (i INT, b BIGINT, u BIGINT UNSIGNED, s TEXT, d BLOB, j JSON, n INT) ENGINE=QUEUE`;
    const big = 2n ** 60n + 1n;
    await db.sql`INSERT INTO r VALUES (${7}, ${big}, ${2n ** 64n - 1n}, ${"é"}, ${new Uint8Array([
      1,
      2,
    ])}, ${{
      a: [1, "x"],
    }}, NULL)`;
    const rows = await db.sql`SELECT n, s, i, b, u, d, j, i + 1, i AS alias FROM r`;
    assert.equal(rows.length, 1);
    const row = rows[0];
    assert.ok(row !== undefined);
    assert.deepEqual(Object.keys(row), ["n", "s", "i", "b", "u", "d", "j", "i + 1", "alias"]);
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.equal(row.n, null);
    assert.equal(row.s, "é");
    assert.equal(row.i, 7);
    assert.equal(row.b, big);
    assert.equal(row.u, 2n ** 64n - 1n);
    assert.ok(row.d instanceof Uint8Array);
    assert.deepEqual([...row.d], [1, 2]);
    assert.deepEqual(row.j, { a: [1, "x"] });
    assert.equal(row["i + 1"], 8);
    assert.equal(row.alias, 7);
    assert.equal(typeof row.b, "bigint");
    await db.close();
  });

  test("a BIGINT within 2^53 comes back as a number", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE r (b BIGINT) ENGINE=QUEUE`;
    await db.sql`INSERT INTO r VALUES (${2 ** 53 - 1})`;
    const [row] = await db.sql`SELECT b FROM r`;
    assert.ok(row !== undefined);
    assert.equal(row.b, 2 ** 53 - 1);
    await db.close();
  });

  test("a queue function without AS is named by its text as written", async () => {
    const { db } = await jobs();
    const s = db.session();
    const [row] = await s.sql`SELECT queue_wait('t', 0)`;
    assert.ok(row !== undefined);
    assert.deepEqual(Object.keys(row), ["queue_wait('t', 0)"]);
    assert.equal(row["queue_wait('t', 0)"], 0);
    await db.close();
  });

  test("statements without rows resolve to [] with affectedRows (and insertId for INSERT)", async () => {
    const { db } = await jobs();
    const created = await db.sql`CREATE TABLE IF NOT EXISTS u (v INT) ENGINE=QUEUE`;
    assert.equal(created.length, 0);
    assert.equal(created.affectedRows, 0);
    const inserted = await db.sql`INSERT INTO t (v) VALUES (1)`;
    assert.equal(inserted.length, 0);
    assert.equal(inserted.insertId, 1);
    const deleted = await db.sql`DELETE FROM t`;
    assert.equal(deleted.length, 0);
    assert.equal(deleted.affectedRows, 1);
    await db.close();
  });

  test(
    "a second open of the same directory is ER_DB_LOCKED while the first is open",
    notOnNats("the directory lock of the local backend"),
    async () => {
      const { db, directory } = await jobs();
      await rejectsCode(open(directory), "ER_DB_LOCKED");
      await db.close();
      const again = await open(directory, { sync: "none" });
      await again.close();
    },
  );

  test("a closed database and a closed session reject with ER_CLOSED; close is idempotent", async () => {
    const { db } = await jobs();
    const s = db.session();
    await s.close();
    await s.close();
    await rejectsCode(s.sql`SELECT 1`, "ER_CLOSED");
    const live = db.session();
    await db.close();
    await db.close();
    assert.equal(db.closed, true);
    await rejectsCode(db.sql`SELECT 1`, "ER_CLOSED");
    await rejectsCode(live.sql`SELECT * FROM t`, "ER_CLOSED");
    assert.throws(() => db.session(), (e) => e instanceof QueueError && e.code === "ER_CLOSED");
  });

  test(
    "database close returns owned rows to the queue on disk",
    notOnNats("reopens the local directory"),
    async () => {
      const { db, directory } = await jobs();
      await db.sql`INSERT INTO t (v) VALUES (1)`;
      const s = db.session();
      assert.equal(await wait(s, ["t"], 0), 1);
      await db.close();
      const again = await open(directory, { sync: "none" });
      assert.deepEqual(plain(await again.sql`SELECT * FROM t`), [{ v: 1 }]);
      await again.close();
    },
  );

  test("sql.unsafe binds ? placeholders in order", async () => {
    const { db } = await jobs();
    await db.sql.unsafe("INSERT INTO t (v) VALUES (?), (?)", [5, 6]);
    const rows = await db.sql.unsafe("SELECT v FROM t WHERE v > ? AND v < ?", [4, 6]);
    assert.deepEqual(plain(rows), [{ v: 5 }]);
    await db.close();
  });

  test("sql.unsafe with a parameter count mismatch is ER_WRONG_PARAMCOUNT and changes nothing", async () => {
    const { db } = await jobs();
    await rejectsCode(db.sql.unsafe("INSERT INTO t (v) VALUES (?)", []), "ER_WRONG_PARAMCOUNT");
    await rejectsCode(db.sql.unsafe("INSERT INTO t (v) VALUES (?)", [1, 2]), "ER_WRONG_PARAMCOUNT");
    await rejectsCode(db.sql.unsafe("INSERT INTO t (v) VALUES (1)", [1]), "ER_WRONG_PARAMCOUNT");
    const [count] = await db.sql`SELECT COUNT(*) AS n FROM t`;
    assert.ok(count !== undefined);
    assert.equal(count.n, 0);
    await db.close();
  });

  test("template values are parameters, never SQL text", async () => {
    const { db } = await jobs();
    await db.sql`CREATE TABLE s (v TEXT) ENGINE=QUEUE`;
    const evil = "x'); DROP TABLE t; --";
    await db.sql`INSERT INTO s (v) VALUES (${evil})`;
    assert.deepEqual(plain(await db.sql`SELECT v FROM s`), [{ v: evil }]);
    assert.deepEqual(plain(await db.sql`SHOW TABLES`), [{ Tables_in_q4d: "s" }, {
      Tables_in_q4d: "t",
    }]);
    await db.close();
  });

  test("ident() names a table dynamically", async () => {
    const { db } = await openTemp();
    const name = "dynamic table";
    await db.sql`CREATE TABLE ${ident(name)} (v INT) ENGINE=QUEUE`;
    await db.sql`INSERT INTO ${ident(name)} (v) VALUES (${1})`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM ${ident(name)}`), [{ v: 1 }]);
    const s = db.session();
    assert.equal(await wait(s, [name], 0), 1);
    await db.close();
  });

  test("open() creates a missing directory", async () => {
    const directory = freshDirectory() + "/nested/deeper";
    const db = await open(directory, { sync: "none" });
    await db.sql`CREATE TABLE t (v INT) ENGINE=QUEUE`;
    await db.close();
    const again = await open(directory, { sync: "none" });
    assert.deepEqual(plain(await again.sql`SHOW TABLES`), [{ Tables_in_q4d: "t" }]);
    await again.close();
  });
});
