/**
 * Databases as namespaces: CREATE / DROP DATABASE, USE, `db.table` in every
 * statement and in queue function arguments, SHOW … FROM db, the
 * information_schema views over every database; the default database `q4d`
 * keeps unqualified programs and old data directories working unchanged.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import { open } from "../../mod.ts";
import { freshDirectory, notOnNats, openTemp, plain, rejectsCode } from "./_helpers.ts";
import { at } from "../_at.ts";

describe("databases", () => {
  test("CREATE DATABASE, db.table and USE keep tables of the same name apart", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE jobs (id INT NOT NULL) ENGINE=QUEUE`;
    assert.equal((await db.sql`CREATE DATABASE eu`).affectedRows, 1);
    await db.sql`CREATE DATABASE IF NOT EXISTS eu`;
    await rejectsCode(db.sql`CREATE DATABASE eu`, "ER_DB_CREATE_EXISTS");
    await rejectsCode(db.sql`CREATE DATABASE q4d`, "ER_DB_CREATE_EXISTS");
    await db.sql`CREATE TABLE eu.jobs (id INT NOT NULL, region VARCHAR(8)) ENGINE=QUEUE`;
    await db.sql`INSERT INTO jobs VALUES (1)`;
    await db.sql`INSERT INTO eu.jobs VALUES (2, 'eu')`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM jobs`), [{ id: 1 }]);
    assert.deepEqual(plain(await db.sql`SELECT * FROM q4d.jobs`), [{ id: 1 }]);

    const s = db.session();
    assert.equal(s.database, "q4d");
    assert.deepEqual(plain(await s.sql`SELECT DATABASE() AS d`), [{ d: "q4d" }]);
    await s.sql`USE eu`;
    assert.equal(s.database, "eu");
    assert.deepEqual(plain(await s.sql`SELECT DATABASE() AS d, SCHEMA() = 'eu' AS e`), [
      { d: "eu", e: 1 },
    ]);
    assert.deepEqual(plain(await s.sql`SELECT * FROM jobs`), [{ id: 2, region: "eu" }]);
    assert.deepEqual(plain(await s.sql`SHOW TABLES`), [{ Tables_in_eu: "jobs" }]);
    assert.deepEqual(plain(await s.sql`SHOW TABLES FROM q4d`), [{ Tables_in_q4d: "jobs" }]);
    // Unqualified queue_wait names resolve in the current database; `db.t` anywhere.
    const [w] = await s.sql`SELECT queue_wait('jobs:region = "eu"', 0) AS got`;
    assert.equal(w?.got, 1);
    await s.sql`SELECT queue_end()`;
    const [w2] = await s.sql`SELECT queue_wait('q4d.jobs:id = 1', 0) AS got`;
    assert.equal(w2?.got, 1);
    await s.sql`SELECT queue_end()`;
    const [st] = await s.sql`SELECT queue_stats('eu.jobs') AS s`;
    assert.match(String(st?.s), /rows_removed: 1/);
    assert.equal(db.stats("eu.jobs").rowsRemoved, 1);
    assert.equal(db.stats("jobs").rowsRemoved, 1);
    // The session's database does not leak into others.
    assert.deepEqual(plain(await db.sql`SELECT DATABASE() AS d`), [{ d: "q4d" }]);
    await s.close();
    await db.close();
  });

  test("SHOW and information_schema list every database", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE DATABASE b`;
    await db.sql`CREATE DATABASE a`;
    await db.sql`CREATE TABLE t (x INT) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE a.t (y INT) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE a.u (z INT) ENGINE=QUEUE`;
    assert.deepEqual(plain(await db.sql`SHOW DATABASES`), [
      { Database: "information_schema" },
      { Database: "a" },
      { Database: "b" },
      { Database: "q4d" },
    ]);
    assert.deepEqual(
      plain(await db.sql`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA`).map((r) =>
        r.SCHEMA_NAME
      ),
      ["information_schema", "a", "b", "q4d"],
    );
    assert.deepEqual(
      plain(await db.sql`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n FROM information_schema.TABLES`),
      [{ s: "a", n: "t" }, { s: "a", n: "u" }, { s: "q4d", n: "t" }],
    );
    assert.deepEqual(
      plain(
        await db
          .sql`SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'a'`,
      ),
      [{ c: "y" }, { c: "z" }],
    );
    assert.deepEqual(
      plain(await db.sql`SHOW TABLE STATUS FROM a`).map((r) => r.Name),
      ["t", "u"],
    );
    assert.deepEqual(plain(await db.sql`SHOW FULL TABLES IN b`), []);
    assert.deepEqual(plain(await db.sql`SHOW COLUMNS FROM u FROM a`).map((r) => r.Field), ["z"]);
    assert.deepEqual(at(plain(await db.sql`SHOW CREATE TABLE a.u`), 0).Table, "u");
    assert.deepEqual(at(plain(await db.sql`SHOW CREATE DATABASE a`), 0).Database, "a");
    await db.close();
  });

  test("unknown databases: 1049 where MariaDB says it, a missing table elsewhere; nothing changes", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (x INT) ENGINE=QUEUE`;
    for (
      const text of [
        "USE nodb",
        "CREATE TABLE nodb.t (x INT)",
        "SHOW TABLES FROM nodb",
        "SHOW TABLE STATUS FROM nodb",
        "SHOW CREATE DATABASE nodb",
      ]
    ) await rejectsCode(db.sql.unsafe(text), "ER_BAD_DB_ERROR");
    for (
      const text of [
        "SELECT * FROM nodb.t",
        "INSERT INTO nodb.t VALUES (1)",
        "DELETE FROM nodb.t",
        "DROP TABLE nodb.t",
        "TRUNCATE nodb.t",
      ]
    ) await rejectsCode(db.sql.unsafe(text), "ER_NO_SUCH_TABLE");
    await rejectsCode(db.sql`DROP DATABASE nodb`, "ER_DB_DROP_EXISTS");
    assert.equal((await db.sql`DROP DATABASE IF EXISTS nodb`).affectedRows, 0);
    await rejectsCode(db.sql`DROP DATABASE q4d`, "ER_NOT_SUPPORTED_YET");
    await rejectsCode(db.sql`DROP DATABASE information_schema`, "ER_NOT_SUPPORTED_YET");
    await rejectsCode(db.sql`USE information_schema`, "ER_NOT_SUPPORTED_YET");
    const s = db.session();
    const [w] = await s.sql`SELECT queue_wait('nodb.t', 0) AS got`;
    assert.equal(w?.got, null);
    await s.close();
    assert.deepEqual(plain(await db.sql`SHOW DATABASES`).length, 2);
    await db.close();
  });

  test("DROP DATABASE drops its tables: owners lose their rows, waiters get 0", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE DATABASE d`;
    await db.sql`CREATE TABLE d.a (x INT) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE d.b (x INT) ENGINE=QUEUE`;
    await db.sql`INSERT INTO d.a VALUES (1)`;
    const owner = db.session();
    const [w] = await owner.sql`SELECT queue_wait('d.a', 0) AS got`;
    assert.equal(w?.got, 1);
    const waiter = db.session();
    const pending = waiter.sql`SELECT queue_wait('d.b', 30) AS got`;
    assert.equal((await db.sql`DROP DATABASE d`).affectedRows, 2);
    assert.deepEqual(plain(await pending), [{ got: 0 }]);
    // The owned row vanished with its table: queue_end does nothing.
    assert.deepEqual(plain(await owner.sql`SELECT queue_end() AS e`), [{ e: 1 }]);
    await rejectsCode(db.sql`SELECT * FROM d.a`, "ER_NO_SUCH_TABLE");
    await rejectsCode(db.sql`USE d`, "ER_BAD_DB_ERROR");
    // The name can be created again, empty.
    await db.sql`CREATE DATABASE d`;
    assert.deepEqual(plain(await db.sql`SHOW TABLES FROM d`), []);
    await owner.close();
    await waiter.close();
    await db.close();
  });

  test(
    "databases and their tables survive a reopen; none left writes a version 2 catalog",
    notOnNats("reopens the directory and reads the local catalog's version"),
    async () => {
      const { db, directory } = await openTemp();
      await db.sql`CREATE DATABASE d`;
      await db.sql`CREATE TABLE d.t (x INT) ENGINE=QUEUE`;
      await db.sql`INSERT INTO d.t VALUES (7)`;
      await db.sql`CREATE DATABASE empty`;
      await db.close();
      const catalog = () =>
        JSON.parse(
          nodeFs.readFileSync(`${directory}/catalog.json`, "utf8").split("\ncrc32c:")[0] ?? "",
        );
      assert.equal(catalog().version, 3);
      const again = await open(directory, { sync: "none" });
      assert.deepEqual(
        plain(await again.sql`SHOW DATABASES`).map((r) => r.Database),
        ["information_schema", "d", "empty", "q4d"],
      );
      assert.deepEqual(plain(await again.sql`SELECT * FROM d.t`), [{ x: 7 }]);
      await again.sql`DROP DATABASE d`;
      await again.sql`DROP DATABASE empty`;
      await again.close();
      assert.equal(catalog().version, 2);
    },
  );

  test("a data directory written before databases opens unchanged, then gains one", async () => {
    // A version 2 catalog as q4d wrote it before databases existed.
    const directory = freshDirectory();
    const db = await open(directory, { sync: "none" });
    await db.sql`CREATE TABLE old (x INT) ENGINE=QUEUE`;
    await db.sql`INSERT INTO old VALUES (1)`;
    await db.close();
    const file = `${directory}/catalog.json`;
    const before = nodeFs.readFileSync(file, "utf8");
    assert.match(before, /^\{"version":2,/);
    assert.doesNotMatch(before, /databases/);
    const reopened = await open(directory, { sync: "none" });
    assert.deepEqual(plain(await reopened.sql`SELECT * FROM old`), [{ x: 1 }]);
    assert.deepEqual(plain(await reopened.sql`SELECT * FROM q4d.old`), [{ x: 1 }]);
    await reopened.close();
    assert.equal(nodeFs.readFileSync(file, "utf8"), before, "opening rewrites nothing");
    const upgraded = await open(directory, { sync: "none" });
    await upgraded.sql`CREATE DATABASE d`;
    await upgraded.sql`CREATE TABLE d.old (y INT) ENGINE=QUEUE`;
    assert.deepEqual(plain(await upgraded.sql`SELECT * FROM old`), [{ x: 1 }]);
    await upgraded.close();
  });
});
