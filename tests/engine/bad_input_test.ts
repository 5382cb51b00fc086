/**
 * Bad input to every statement and queue function: wrong argument counts
 * and types, unknown tables and columns, oversize values, bad SQL and bad
 * parameters. Each must reject with its documented QueueError code and
 * change nothing: the rows, COUNT(*), the counters, the table list and the
 * session's owned row are compared before and after every case.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Database, type ErrorCode, ident, QueueError, Session } from "../../mod.ts";
import { rowBytesMax, statementBytesMax } from "../../src/limits.ts";
import { openTemp, plain, rejectsCode, wait } from "./_helpers.ts";

/** A bad statement: how to run it in a session, and the code it must fail with. */
type Case = [string, (s: Session) => Promise<unknown>, ErrorCode];

function text(sql: string, code: ErrorCode): Case {
  return [sql.length > 80 ? `${sql.slice(0, 77)}...` : sql, (s) => s.sql.unsafe(sql), code];
}

const queueFunctionCases: Case[] = [
  text("SELECT queue_wait()", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_wait(1)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_wait('t', -1)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_wait('t', 'u', NULL)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_wait('t:id ==', 0)", "ER_PARSE_ERROR"),
  text("SELECT queue_wait('t:', 0)", "ER_PARSE_ERROR"),
  text("SELECT queue_wait('t:   ', 0)", "ER_PARSE_ERROR"),
  text("SELECT queue_wait('t:nosuch = 1', 0)", "ER_BAD_FIELD_ERROR"),
  text("SELECT queue_wait('t:id < 1e999', 0)", "ER_ILLEGAL_VALUE_FOR_TYPE"),
  text("SELECT queue_wait('t') FROM t", "ER_NOT_SUPPORTED_YET"),
  text("SELECT 1 + queue_wait('t', 0)", "ER_NOT_SUPPORTED_YET"),
  // `WHERE queue_wait(…)` alone is Q4M's first form (where_queue_wait_test.ts); mixed, refused.
  text("SELECT * FROM t WHERE queue_wait('t', 0) AND 1", "ER_NOT_SUPPORTED_YET"),
  text("SELECT queue_end(1)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_abort(1, 2)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_abort(-1)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_abort('soon')", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_abort(NULL)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_abort(1e12)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_set_delay()", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_set_delay(-5)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_set_delay('x')", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_attempts(1)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_rowid(1)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_set_srcid(1, 'a')", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_set_srcid(1, 'a', 1, 1)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_compact()", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_compact('t', 't')", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_compact(1)", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_stats()", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_stats('t', 't')", "ER_WRONG_ARGUMENTS"),
  text("SELECT queue_stats(NULL)", "ER_WRONG_ARGUMENTS"),
];

/** A Proxy revoked before use: every operation on it throws a TypeError. */
function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
  revoke();
  return proxy;
}

/** A Proxy whose every trap throws a plain Error. */
function throwingProxy(): object {
  const trap = () => {
    throw new Error("trap");
  };
  return new Proxy({ a: 1 }, { get: trap, getPrototypeOf: trap, ownKeys: trap, has: trap });
}

const selectCases: Case[] = [
  text("SELEC * FROM t", "ER_PARSE_ERROR"),
  text("SELECT * FROM", "ER_PARSE_ERROR"),
  text("SELECT * FROM t; SELECT 1", "ER_PARSE_ERROR"),
  text("", "ER_PARSE_ERROR"),
  text("SELECT * FROM nosuch", "ER_NO_SUCH_TABLE"),
  text("SELECT nosuch FROM t", "ER_BAD_FIELD_ERROR"),
  text("SELECT * FROM t WHERE nosuch = 1", "ER_BAD_FIELD_ERROR"),
  text("SELECT * FROM t ORDER BY nosuch", "ER_BAD_FIELD_ERROR"),
  text("SELECT COUNT(*), * FROM t", "ER_NOT_SUPPORTED_YET"),
  text("SELECT *", "ER_NO_TABLES_USED"),
  ["SELECT * FROM t LIMIT ${-1}", (s) => s.sql`SELECT * FROM t LIMIT ${-1}`, "ER_WRONG_ARGUMENTS"],
  [
    "SELECT * FROM t LIMIT ${'x'}",
    (s) => s.sql`SELECT * FROM t LIMIT ${"x"}`,
    "ER_WRONG_ARGUMENTS",
  ],
  text(`SELECT ${"(".repeat(10_000)}1${")".repeat(10_000)}`, "ER_PARSE_ERROR"),
  text(`SELECT '${"x".repeat(statementBytesMax)}'`, "ER_PARSE_ERROR"),
];

const insertCases: Case[] = [
  text("INSERT INTO nosuch VALUES (1)", "ER_NO_SUCH_TABLE"),
  text("INSERT INTO t (nosuch) VALUES (1)", "ER_BAD_FIELD_ERROR"),
  text("INSERT INTO t (id) VALUES (1, 2)", "ER_WRONG_VALUE_COUNT_ON_ROW"),
  text("INSERT INTO t VALUES (1)", "ER_WRONG_VALUE_COUNT_ON_ROW"),
  text("INSERT INTO t (id) VALUES (1), (2, 3)", "ER_WRONG_VALUE_COUNT_ON_ROW"),
  text("INSERT INTO t (id, id) VALUES (1, 2)", "ER_FIELD_SPECIFIED_TWICE"),
  text("INSERT INTO t (name) VALUES ('x')", "ER_NO_DEFAULT_FOR_FIELD"),
  text("INSERT INTO t (id) VALUES (NULL)", "ER_BAD_NULL_ERROR"),
  text("INSERT INTO t (id) VALUES ('abc')", "ER_TRUNCATED_WRONG_VALUE"),
  text("INSERT INTO t (id) VALUES (99999999999)", "ER_WARN_DATA_OUT_OF_RANGE"),
  text("INSERT INTO t (id) VALUES (1), (2), (99999999999)", "ER_WARN_DATA_OUT_OF_RANGE"),
  text("INSERT INTO t (id, name) VALUES (1, '123456789')", "ER_DATA_TOO_LONG"),
  text("INSERT INTO t (id, j) VALUES (1, '{oops')", "ER_INVALID_JSON_TEXT"),
  text("INSERT INTO t (id) VALUES (nosuch)", "ER_BAD_FIELD_ERROR"),
  [
    "INSERT … data = 65536-byte BLOB",
    (s) => s.sql`INSERT INTO t (id, data) VALUES (${1}, ${new Uint8Array(65_536)})`,
    "ER_DATA_TOO_LONG",
  ],
  [
    "INSERT … big = a row over rowBytesMax",
    (s) => s.sql`INSERT INTO t (id, big) VALUES (${1}, ${new Uint8Array(rowBytesMax + 1)})`,
    "ER_DATA_TOO_LONG",
  ],
  ["INSERT … ${NaN}", (s) => s.sql`INSERT INTO t (id) VALUES (${NaN})`, "ER_WRONG_ARGUMENTS"],
  [
    "INSERT … ${revoked Proxy}",
    (s) => s.sql`INSERT INTO t (id, j) VALUES (${1}, ${revokedProxy()})`,
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "INSERT … ${Proxy whose traps throw}",
    (s) => s.sql`INSERT INTO t (id, j) VALUES (${1}, ${throwingProxy()})`,
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "sql.unsafe(INSERT …, revoked Proxy)",
    (s) => s.sql.unsafe("INSERT INTO t (id) VALUES (?)", revokedProxy() as unknown[]),
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "INSERT … name = a lone surrogate",
    (s) => s.sql`INSERT INTO t (id, name) VALUES (${1}, ${"a\ud800"})`,
    "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
  ],
  [
    "INSERT … j = JSON text with a lone surrogate",
    (s) => s.sql`INSERT INTO t (id, j) VALUES (${1}, ${'["\udc00"]'})`,
    "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
  ],
  [
    "INSERT … j = an object holding a lone surrogate (JSON text escapes it)",
    (s) => s.sql`INSERT INTO t (id, j) VALUES (${1}, ${{ k: "\ud83d" }})`,
    "ER_INVALID_JSON_TEXT",
  ],
  text("INSERT INTO t (id) VALUES (1e999)", "ER_ILLEGAL_VALUE_FOR_TYPE"),
  text(`INSERT INTO t (id) VALUES (${"9".repeat(5000)})`, "ER_ILLEGAL_VALUE_FOR_TYPE"),
  text("INSERT INTO `t ` (id) VALUES (1)", "ER_WRONG_TABLE_NAME"),
  [
    "INSERT … ${2n ** 64n}",
    (s) => s.sql`INSERT INTO t (id) VALUES (${2n ** 64n})`,
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "INSERT … ${new Date(NaN)}",
    (s) => s.sql`INSERT INTO t (id) VALUES (${new Date(Number.NaN)})`,
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "INSERT … ${() => 1}",
    (s) => s.sql`INSERT INTO t (id) VALUES (${() => 1})`,
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "INSERT … ${undefined}",
    (s) => s.sql`INSERT INTO t (id) VALUES (${undefined})`,
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "INSERT … ? in a template",
    (s) => s.sql`INSERT INTO t (id) VALUES (?)`,
    "ER_WRONG_PARAMCOUNT",
  ],
  [
    "sql.unsafe(INSERT … ?, [])",
    (s) => s.sql.unsafe("INSERT INTO t (id) VALUES (?)", []),
    "ER_WRONG_PARAMCOUNT",
  ],
  [
    "sql.unsafe(non-string)",
    (s) => s.sql.unsafe(123 as unknown as string),
    "ER_WRONG_ARGUMENTS",
  ],
];

const otherStatementCases: Case[] = [
  [
    "sql called as a function, not a tag",
    (s) => (s.sql as unknown as (text: string) => Promise<unknown>)("DELETE FROM t"),
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "sql.unsafe with parameters that are not an array",
    (s) =>
      (s.sql.unsafe as unknown as (t: string, p: unknown) => Promise<unknown>)(
        "DELETE FROM t WHERE id = ?",
        "1",
      ),
    "ER_WRONG_ARGUMENTS",
  ],
  [
    "sql.unsafe with text that is not a string",
    (s) => (s.sql.unsafe as unknown as (t: unknown) => Promise<unknown>)(42),
    "ER_WRONG_ARGUMENTS",
  ],
  text("DELETE FROM nosuch", "ER_NO_SUCH_TABLE"),
  text("DELETE FROM t WHERE nosuch = 1", "ER_BAD_FIELD_ERROR"),
  text("DELETE FROM t ORDER BY nosuch LIMIT 1", "ER_BAD_FIELD_ERROR"),
  text("CREATE TABLE t (a INT) ENGINE=QUEUE", "ER_TABLE_EXISTS_ERROR"),
  text("CREATE TABLE x (a INT, A INT) ENGINE=QUEUE", "ER_DUP_FIELDNAME"),
  text("CREATE TABLE x (a FOO) ENGINE=QUEUE", "ER_PARSE_ERROR"),
  text("CREATE TABLE x () ENGINE=QUEUE", "ER_PARSE_ERROR"),
  text("CREATE TABLE x (a VARCHAR(100000)) ENGINE=QUEUE", "ER_TOO_BIG_FIELDLENGTH"),
  text("CREATE TABLE x (a TINYINT DEFAULT 1000) ENGINE=QUEUE", "ER_INVALID_DEFAULT"),
  text("CREATE TABLE x (a INT NOT NULL DEFAULT NULL) ENGINE=QUEUE", "ER_INVALID_DEFAULT"),
  text("CREATE TABLE `tt ` (a INT) ENGINE=QUEUE", "ER_WRONG_TABLE_NAME"),
  text("CREATE TABLE `  ` (a INT) ENGINE=QUEUE", "ER_WRONG_TABLE_NAME"),
  text(`CREATE TABLE ${"x".repeat(65)} (a INT) ENGINE=QUEUE`, "ER_TOO_LONG_IDENT"),
  text("CREATE TABLE x (`a ` INT) ENGINE=QUEUE", "ER_WRONG_COLUMN_NAME"),
  text(`CREATE TABLE x (${"a".repeat(65)} INT) ENGINE=QUEUE`, "ER_TOO_LONG_IDENT"),
  text("ALTER TABLE t ADD `x ` INT", "ER_WRONG_COLUMN_NAME"),
  [
    "CREATE TABLE ${ident('tt ')}",
    (s) => s.sql`CREATE TABLE ${ident("tt ")} (a INT) ENGINE=QUEUE`,
    "ER_WRONG_TABLE_NAME",
  ],
  text("CREATE TABLE x (a DOUBLE DEFAULT 1e999) ENGINE=QUEUE", "ER_ILLEGAL_VALUE_FOR_TYPE"),
  text("DELETE FROM t WHERE id < 1e999", "ER_ILLEGAL_VALUE_FOR_TYPE"),
  text("DROP TABLE nosuch", "ER_NO_SUCH_TABLE"),
  text("DROP TABLE t, nosuch", "ER_NO_SUCH_TABLE"),
  text("TRUNCATE nosuch", "ER_NO_SUCH_TABLE"),
  text("ALTER TABLE nosuch ADD x INT", "ER_NO_SUCH_TABLE"),
  text("ALTER TABLE t DROP nosuch", "ER_BAD_FIELD_ERROR"),
  text("ALTER TABLE t ADD id INT", "ER_DUP_FIELDNAME"),
  text("ALTER TABLE t ADD x INT, DROP nosuch", "ER_BAD_FIELD_ERROR"),
  text("ALTER TABLE t DROP id, DROP name, DROP data, DROP big, DROP j", "ER_WRONG_ARGUMENTS"),
  text("SHOW TABLES LIKE", "ER_PARSE_ERROR"),
  text("SELECT 1e999", "ER_ILLEGAL_VALUE_FOR_TYPE"),
  text("SELECT * FROM `t `", "ER_WRONG_TABLE_NAME"),
];

interface Snapshot {
  rows: unknown[];
  count: number;
  stats: unknown;
  tables: unknown[];
  ownerRows: unknown[];
}

/**
 * The table's stats to compare. Where reads go over the network
 * (`capabilities.synchronousReads` false: NATS) the byte counters come
 * from the last stream info, refreshed in the background (README, "The
 * NATS backend"), so they are left out; the row counters stay.
 */
function comparableStats(db: Database): Record<string, number> {
  const { bytesTotal, bytesRemoved, ...rest } = db.stats("t");
  return db.capabilities.synchronousReads ? { ...rest, bytesTotal, bytesRemoved } : rest;
}

async function fixture(): Promise<
  { db: Database; owner: Session; snapshot: () => Promise<Snapshot> }
> {
  const { db } = await openTemp();
  await db
    .sql`CREATE TABLE t (id INT NOT NULL, name VARCHAR(8), data BLOB, big LONGBLOB, j JSON) ENGINE=QUEUE`;
  await db
    .sql`INSERT INTO t (id, name, j) VALUES (1, 'one', '[1]'), (2, 'two', NULL), (3, NULL, '{"a":3}')`;
  const owner = db.session();
  assert.equal(await wait(owner, ["t"], 0), 1);
  const snapshot = async (): Promise<Snapshot> => ({
    rows: plain(await db.sql`SELECT * FROM t`),
    count: (await db.sql`SELECT COUNT(*) AS n FROM t`)[0]?.n,
    stats: comparableStats(db),
    tables: plain(await db.sql`SHOW TABLES`),
    ownerRows: plain(await owner.sql`SELECT * FROM t`),
  });
  return { db, owner, snapshot };
}

async function checkCases(cases: Case[], inOwnerSession: boolean) {
  const { db, owner, snapshot } = await fixture();
  const before = await snapshot();
  assert.equal(before.count, 2);
  assert.equal((before.ownerRows as unknown[]).length, 1);
  const failures: string[] = [];
  for (const [name, run, code] of cases) {
    try {
      await rejectsCode(() => run(inOwnerSession ? owner : db.session()), code);
      assert.deepEqual(await snapshot(), before, "changed something");
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message.split("\n")[0] : error}`);
    }
  }
  assert.deepEqual(failures, []);
  await db.close();
}

describe("bad input", () => {
  test("bad queue function calls reject with their code and change nothing", async () => {
    await checkCases(queueFunctionCases, false);
  });

  test("bad SELECTs reject with their code and change nothing, also in an owner session", async () => {
    await checkCases(selectCases, true);
  });

  test("bad INSERTs reject with their code and insert nothing, also in an owner session", async () => {
    await checkCases(insertCases, true);
  });

  test("bad DELETE and DDL reject with their code and change nothing, also in an owner session", async () => {
    await checkCases(otherStatementCases, true);
  });

  test("a parse error carries the position of the bad token", async () => {
    const { db } = await openTemp();
    const error = await rejectsCode(db.sql.unsafe("SELECT * FORM t"), "ER_PARSE_ERROR");
    assert.equal(error.position, "SELECT * ".length);
    await db.close();
  });

  test("a failed queue_wait still consumes the owned row and leaves owner mode (decision 5)", async () => {
    const { db, owner } = await fixture();
    await rejectsCode(owner.sql`SELECT queue_wait('t:nosuch = 1', 0)`, "ER_BAD_FIELD_ERROR");
    assert.equal(db.stats("t").rowsRemoved, 1);
    assert.deepEqual(plain(await owner.sql`SELECT id FROM t`), [{ id: 2 }, { id: 3 }]);
    await db.close();
  });

  test("a failed INSERT after queue_set_srcid disarms the mark", async () => {
    const { db } = await fixture();
    const s = db.session();
    await s.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    await rejectsCode(s.sql`INSERT INTO t (id) VALUES (NULL)`, "ER_BAD_NULL_ERROR");
    await s.sql`SELECT queue_set_srcid(0, 'a', 5)`;
    assert.equal((await s.sql`INSERT INTO t (id) VALUES (4)`).affectedRows, 1);
    await db.close();
  });

  test("Database and Session cannot be constructed directly, only by open() and session()", () => {
    const constructors = [Database, Session] as unknown as (new () => unknown)[];
    for (const Made of constructors) {
      assert.throws(
        () => new Made(),
        (error) => error instanceof QueueError && error.code === "ER_WRONG_ARGUMENTS",
      );
    }
  });
});
