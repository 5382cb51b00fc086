/**
 * The inspection statements (issue 11): SHOW CREATE TABLE round-trips
 * through CREATE TABLE for every column type (also after reopening),
 * DESCRIBE / SHOW [FULL] COLUMNS, SHOW TABLE STATUS, SHOW ENGINE QUEUE
 * STATUS, SHOW DATABASES, information_schema views, `q4d.table` names, and
 * the errors of each.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { column, openTemp, plain, rejectsCode, reopen } from "./_helpers.ts";
import { at } from "../_at.ts";

/** A table with a column of every type q4d has, with and without defaults. */
const everyType = `CREATE TABLE every (
  i8 TINYINT NOT NULL DEFAULT -5, u8 TINYINT UNSIGNED, i16 SMALLINT, u16 SMALLINT UNSIGNED,
  i24 MEDIUMINT, u24 MEDIUMINT UNSIGNED NOT NULL, i32 INT(7) DEFAULT 42, u32 INT UNSIGNED,
  i64 BIGINT DEFAULT -9007199254740993, u64 BIGINT UNSIGNED DEFAULT 18446744073709551615,
  flag BOOLEAN NOT NULL DEFAULT TRUE, f FLOAT DEFAULT 1.5, d DOUBLE DEFAULT -2.25e10,
  c CHAR(3) DEFAULT 'a''b', vc VARCHAR(96) NOT NULL DEFAULT 'x\\\\y\\n', tt TINYTEXT, t TEXT,
  mt MEDIUMTEXT, lt LONGTEXT, bn BINARY(2) DEFAULT 0x00ff, vb VARBINARY(8) DEFAULT '',
  tb TINYBLOB, b BLOB, mb MEDIUMBLOB, lb LONGBLOB, js JSON,
  dec1 DECIMAL(10,2) DEFAULT 9.99, dec2 NUMERIC(30,10) UNSIGNED NOT NULL DEFAULT 0,
  dt DATE DEFAULT '2024-02-29', dtm DATETIME(6) DEFAULT '2024-01-02 03:04:05.123456',
  ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  ts3 TIMESTAMP(3) NULL DEFAULT CURRENT_TIMESTAMP(3), tm TIME(2) DEFAULT '-01:02:03.25',
  y YEAR DEFAULT 2024, e ENUM('new', 'it''s', 'done') NOT NULL DEFAULT 'it''s',
  s SET('a', 'b', 'c') DEFAULT 'a,c', bit1 BIT, bit9 BIT(9) DEFAULT 300
) ENGINE=QUEUE DEFAULT CHARSET=utf8mb4`;

async function createText(sql: (text: string) => Promise<unknown>, table: string) {
  const rows = plain(await sql(`SHOW CREATE TABLE ${table}`) as never);
  assert.equal(rows.length, 1);
  assert.deepEqual(Object.keys(at(rows, 0)), ["Table", "Create Table"]);
  assert.equal(rows[0]?.Table, table.replace(/^`(.*)`$/, "$1").replaceAll("``", "`"));
  return rows[0]?.["Create Table"] as string;
}

describe("inspection statements", () => {
  test("SHOW CREATE TABLE round-trips every column type, also after reopening", async () => {
    const { db, directory } = await openTemp();
    const sql = (text: string) => db.sql.unsafe(text);
    await sql(everyType);
    const text = await createText(sql, "every");
    assert.match(text, /^CREATE TABLE `every` \(\n {2}`i8` tinyint\(4\) NOT NULL DEFAULT -5,\n/);
    assert.match(text, /\n\) ENGINE=QUEUE DEFAULT CHARSET=utf8mb4$/);
    for (
      const line of [
        "  `u8` tinyint(3) unsigned DEFAULT NULL,",
        "  `i32` int(7) DEFAULT 42,",
        "  `u64` bigint(20) unsigned DEFAULT 18446744073709551615,",
        "  `flag` tinyint(1) NOT NULL DEFAULT 1,",
        "  `c` char(3) DEFAULT 'a''b',",
        "  `vc` varchar(96) NOT NULL DEFAULT 'x\\\\y\\n',",
        "  `bn` binary(2) DEFAULT 0x00ff,",
        "  `dec1` decimal(10,2) DEFAULT 9.99,",
        "  `dec2` decimal(30,10) unsigned NOT NULL DEFAULT 0.0000000000,",
        "  `dtm` datetime(6) DEFAULT '2024-01-02 03:04:05.123456',",
        "  `ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),",
        "  `ts3` timestamp(3) NULL DEFAULT current_timestamp(3),",
        "  `e` enum('new','it''s','done') NOT NULL DEFAULT 'it''s',",
        "  `s` set('a','b','c') DEFAULT 'a,c',",
        "  `bit9` bit(9) DEFAULT 300",
      ]
    ) assert.ok(text.includes(line + "\n"), `missing line ${line} in\n${text}`);
    // The text creates the same table: its own SHOW CREATE TABLE is the same text.
    await sql("DROP TABLE every");
    await sql(text);
    assert.equal(await createText(sql, "every"), text);
    const described = plain(await sql("DESCRIBE every"));
    await db.close();
    const again = await reopen(directory);
    assert.equal(await createText((t) => again.sql.unsafe(t), "every"), text);
    assert.deepEqual(plain(await again.sql.unsafe("DESCRIBE every")), described);
    await again.close();
  });

  test("SHOW CREATE TABLE quotes odd names, strings and members so that they read back", async () => {
    const { db } = await openTemp();
    const sql = (text: string) => db.sql.unsafe(text);
    await sql(
      "CREATE TABLE `we``ird t` (`co``l` VARCHAR(30) DEFAULT 'tab\there \u2603 \u{1F600} \\\\ %_'," +
        " f FLOAT DEFAULT 1e30, d DOUBLE DEFAULT -0.000001, e ENUM('a\\\\b','c''d') DEFAULT 'c''d'," +
        " b64 BIT(64) DEFAULT 18446744073709551615, dn DECIMAL(5,3) DEFAULT -1.5, t TIMESTAMP NULL," +
        " t2 TIMESTAMP NOT NULL ON UPDATE CURRENT_TIMESTAMP DEFAULT '2020-01-01 00:00:00') ENGINE=QUEUE",
    );
    const text = await createText(sql, "`we``ird t`");
    assert.ok(text.startsWith("CREATE TABLE `we``ird t` (\n  `co``l` varchar(30) DEFAULT 'tab\t"));
    assert.ok(text.includes("\n  `t` timestamp NULL DEFAULT NULL,\n"));
    assert.ok(
      text.includes(
        "\n  `t2` timestamp NOT NULL DEFAULT '2020-01-01 00:00:00' ON UPDATE current_timestamp()\n",
      ),
    );
    const described = plain(await sql("DESCRIBE `we``ird t`"));
    await sql("DROP TABLE `we``ird t`");
    await sql(text);
    assert.equal(await createText(sql, "`we``ird t`"), text);
    assert.deepEqual(plain(await sql("DESCRIBE `we``ird t`")), described);
    assert.equal(described[0]?.Default, "tab\there \u2603 \u{1F600} \\ %_");
    assert.equal(described[3]?.Type, "enum('a\\\\b','c''d')");
    await db.close();
  });

  test("round trip keeps rows equal: the same inserts read the same in both tables", async () => {
    const { db } = await openTemp();
    const sql = (text: string) => db.sql.unsafe(text);
    await sql(everyType);
    const text = await createText(sql, "every");
    await sql(text.replace("CREATE TABLE `every`", "CREATE TABLE `copy`"));
    for (const table of ["every", "copy"]) {
      await sql(
        `INSERT INTO ${table} (u24, ts, ts3) VALUES (1, '2024-05-06 07:08:09', '2024-05-06 07:08:09.5')`,
      );
    }
    const [a] = plain(await sql("SELECT * FROM every"));
    const [b] = plain(await sql("SELECT * FROM copy"));
    assert.deepEqual(b, a);
    await db.close();
  });

  test("DESCRIBE, DESC, EXPLAIN and SHOW [FULL] COLUMNS give MySQL's columns", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (id INT UNSIGNED NOT NULL, price DECIMAL(10,2),
      created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, state ENUM('new','retry'))
      ENGINE=QUEUE DEFAULT CHARSET=utf8mb4`;
    const expected = [
      { Field: "id", Type: "int(10) unsigned", Null: "NO", Key: "", Default: null, Extra: "" },
      { Field: "price", Type: "decimal(10,2)", Null: "YES", Key: "", Default: null, Extra: "" },
      {
        Field: "created_at",
        Type: "timestamp",
        Null: "NO",
        Key: "",
        Default: "current_timestamp()",
        Extra: "",
      },
      {
        Field: "state",
        Type: "enum('new','retry')",
        Null: "YES",
        Key: "",
        Default: null,
        Extra: "",
      },
    ];
    for (
      const text of [
        "DESCRIBE j",
        "DESC j",
        "EXPLAIN j",
        "SHOW COLUMNS FROM j",
        "SHOW FIELDS IN q4d.j",
      ]
    ) {
      assert.deepEqual(plain(await db.sql.unsafe(text)), expected, text);
    }
    assert.deepEqual(plain(await db.sql`SHOW COLUMNS FROM j LIKE ${"p%"}`), [expected[1]]);
    assert.deepEqual(plain(await db.sql`DESCRIBE j state`), [expected[3]]);
    assert.deepEqual(
      column(await db.sql.unsafe("SHOW COLUMNS FROM j WHERE `Null` = 'NO'"), "Field"),
      [
        "id",
        "created_at",
      ],
    );
    const full = plain(await db.sql`SHOW FULL COLUMNS FROM j`);
    assert.deepEqual(Object.keys(at(full, 0)), [
      "Field",
      "Type",
      "Collation",
      "Null",
      "Key",
      "Default",
      "Extra",
      "Privileges",
      "Comment",
    ]);
    assert.deepEqual(column(full, "Collation"), [null, null, null, "utf8mb4_general_ci"]);
    await db.close();
  });

  test("SHOW TABLE STATUS counts live rows and their bytes, with LIKE and WHERE", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE a (v VARCHAR(10)) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE b (v INT) ENGINE=QUEUE`;
    await db.sql`INSERT INTO a VALUES ('x'), ('y'), ('z')`;
    const rows = plain(await db.sql`SHOW TABLE STATUS`);
    assert.deepEqual(column(rows, "Name"), ["a", "b"]);
    assert.deepEqual(Object.keys(at(rows, 0)), [
      "Name",
      "Engine",
      "Version",
      "Row_format",
      "Rows",
      "Avg_row_length",
      "Data_length",
      "Max_data_length",
      "Index_length",
      "Data_free",
      "Auto_increment",
      "Create_time",
      "Update_time",
      "Check_time",
      "Collation",
      "Checksum",
      "Create_options",
      "Comment",
    ]);
    const stats = db.stats("a");
    assert.equal(rows[0]?.Engine, "QUEUE");
    assert.equal(rows[0]?.Rows, 3);
    assert.equal(rows[0]?.Data_length, stats.bytesTotal - stats.bytesRemoved);
    assert.equal(rows[0]?.Avg_row_length, Math.floor(rows[0]?.Data_length / 3));
    assert.equal(rows[1]?.Rows, 0);
    await db.sql`DELETE FROM a LIMIT 1`;
    const [after] = plain(await db.sql`SHOW TABLE STATUS LIKE 'a'`);
    assert.ok(after !== undefined);
    const statsAfter = db.stats("a");
    assert.equal(after.Rows, 2);
    assert.equal(after.Data_length, statsAfter.bytesTotal - statsAfter.bytesRemoved);
    assert.equal(after.Data_free, statsAfter.bytesRemoved);
    assert.deepEqual(column(await db.sql`SHOW TABLE STATUS FROM q4d WHERE Rows = 0`, "Name"), [
      "b",
    ]);
    await db.close();
  });

  test("SHOW ENGINE QUEUE STATUS has Q4M's Type/Name/Status layout", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE a (v INT) ENGINE=QUEUE`;
    await db.sql`INSERT INTO a VALUES (1), (2)`;
    const rows = plain(await db.sql`SHOW ENGINE QUEUE STATUS`);
    assert.equal(rows.length, 1);
    assert.deepEqual(Object.keys(at(rows, 0)), ["Type", "Name", "Status"]);
    assert.equal(rows[0]?.Type, "QUEUE");
    assert.equal(rows[0]?.Name, "");
    const lines = (rows[0]?.Status as string).split("\n");
    assert.deepEqual(
      lines.filter((_, i) => lines[i + 1] === "-".repeat(36)),
      ["I/O calls", "Writer thread", "Conditional subscription", "High-level stats"],
    );
    assert.ok(lines.includes("rows_written" + " ".repeat(4) + " " + "2".padStart(20)));
    await db.close();
  });

  test("SHOW DATABASES and information_schema views work like SELECT", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE jobs (id INT NOT NULL, body TEXT) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE logs (at DATETIME(3)) ENGINE=QUEUE`;
    await db.sql`INSERT INTO jobs VALUES (1, 'a')`;
    assert.deepEqual(plain(await db.sql`SHOW DATABASES`), [
      { Database: "information_schema" },
      { Database: "q4d" },
    ]);
    assert.deepEqual(plain(await db.sql`SHOW DATABASES LIKE 'q%'`), [{ Database: "q4d" }]);
    assert.deepEqual(plain(await db.sql`SHOW FULL TABLES FROM q4d LIKE 'j%'`), [
      { Tables_in_q4d: "jobs", Table_type: "BASE TABLE" },
    ]);
    // MySQL names IF NOT EXISTS in the text it gives back (mysqldump --databases copies it).
    assert.deepEqual(plain(await db.sql`SHOW CREATE DATABASE IF NOT EXISTS q4d`), [
      {
        Database: "q4d",
        "Create Database":
          "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `q4d` /*!40100 DEFAULT CHARACTER SET utf8mb4 */",
      },
    ]);
    assert.deepEqual(
      plain(
        await db.sql`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY schema_name DESC`,
      ),
      [{ SCHEMA_NAME: "q4d" }, { SCHEMA_NAME: "information_schema" }],
    );
    assert.deepEqual(
      plain(
        await db.sql`SELECT TABLE_NAME, ENGINE, TABLE_ROWS FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = ${"q4d"} ORDER BY TABLE_NAME DESC LIMIT 1 OFFSET 1`,
      ),
      [{ TABLE_NAME: "jobs", ENGINE: "QUEUE", TABLE_ROWS: 1 }],
    );
    assert.deepEqual(
      plain(
        await db.sql`SELECT column_name AS c, data_type, column_type, ordinal_position, is_nullable,
          datetime_precision FROM INFORMATION_SCHEMA.columns ORDER BY table_name, ordinal_position`,
      ),
      [
        {
          c: "id",
          data_type: "int",
          column_type: "int(11)",
          ordinal_position: 1,
          is_nullable: "NO",
          datetime_precision: null,
        },
        {
          c: "body",
          data_type: "text",
          column_type: "text",
          ordinal_position: 2,
          is_nullable: "YES",
          datetime_precision: null,
        },
        {
          c: "at",
          data_type: "datetime",
          column_type: "datetime(3)",
          ordinal_position: 1,
          is_nullable: "YES",
          datetime_precision: 3,
        },
      ],
    );
    assert.deepEqual(
      plain(
        await db
          .sql`SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_NAME = 'jobs'`,
      ),
      [{ n: 2 }],
    );
    await db.close();
  });

  test("DATABASE() and SCHEMA() name the one database, as tools filter views by it", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE jobs (id INT NOT NULL) ENGINE=QUEUE`;
    assert.deepEqual(plain(await db.sql`SELECT DATABASE() AS d, SCHEMA() AS s`), [
      { d: "q4d", s: "q4d" },
    ]);
    assert.deepEqual(
      plain(
        await db.sql`SELECT table_name FROM information_schema.TABLES
          WHERE table_schema = DATABASE()`,
      ),
      [{ table_name: "jobs" }],
    );
    await rejectsCode(db.sql`SELECT DATABASE(1)`, "ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT");
    await db.close();
  });

  test("q4d.table names the table in every statement and in queue_wait", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE q4d.jobs (id INT NOT NULL, prio INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO q4d.jobs VALUES (1, 0), (2, 1)`;
    assert.deepEqual(plain(await db.sql`SELECT id FROM q4d.jobs ORDER BY id`), [{ id: 1 }, {
      id: 2,
    }]);
    const s = db.session();
    const [w] = await s.sql`SELECT queue_wait('q4d.jobs:prio = 1', 0) AS got`;
    assert.ok(w !== undefined);
    assert.equal(w.got, 1);
    assert.deepEqual(plain(await s.sql`SELECT id FROM q4d.jobs`), [{ id: 2 }]);
    await s.close();
    await db.sql`DELETE FROM q4d.jobs WHERE id = 1`;
    await db.sql`TRUNCATE TABLE q4d.jobs`;
    await db.sql`DROP TABLE q4d.jobs`;
    assert.deepEqual(plain(await db.sql`SHOW TABLES`), []);
    await db.close();
  });

  test("bad input: unknown tables, databases, engines and columns change nothing", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE jobs (id INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO jobs VALUES (1)`;
    for (
      const text of [
        "SHOW CREATE TABLE nosuch",
        "DESCRIBE nosuch",
        "SHOW COLUMNS FROM nosuch",
        "SHOW FULL COLUMNS FROM q4d.nosuch",
        "SELECT * FROM information_schema.nosuch",
        // A table of a database that does not exist is a missing table, as in MariaDB.
        "SELECT * FROM other.jobs",
        "INSERT INTO other.jobs VALUES (2)",
        "SHOW CREATE TABLE other.jobs",
      ]
    ) await rejectsCode(db.sql.unsafe(text), "ER_NO_SUCH_TABLE");
    for (
      const text of [
        "SHOW TABLES FROM other",
        "SHOW TABLE STATUS IN other",
        "SHOW CREATE DATABASE other",
        "USE other",
        "CREATE TABLE other.jobs (id INT)",
        "SHOW FULL TABLES IN other",
      ]
    ) await rejectsCode(db.sql.unsafe(text), "ER_BAD_DB_ERROR");
    const s = db.session();
    const [w] = await s.sql`SELECT queue_wait('other.jobs', 0) AS got`;
    assert.ok(w !== undefined);
    assert.equal(w.got, null);
    await s.close();
    await rejectsCode(db.sql`SHOW ENGINE InnoDB STATUS`, "ER_UNKNOWN_STORAGE_ENGINE");
    await rejectsCode(db.sql`SHOW COLUMNS FROM jobs WHERE nosuch = 1`, "ER_BAD_FIELD_ERROR");
    await rejectsCode(
      db.sql`SELECT nosuch FROM information_schema.TABLES`,
      "ER_BAD_FIELD_ERROR",
    );
    await rejectsCode(db.sql`EXPLAIN SELECT * FROM jobs`, "ER_NOT_SUPPORTED_YET");
    await rejectsCode(db.sql`SHOW NONSENSE`, "ER_PARSE_ERROR");
    await rejectsCode(db.sql`SHOW CREATE VIEW v`, "ER_NOT_SUPPORTED_YET");
    assert.deepEqual(plain(await db.sql`SELECT * FROM jobs`), [{ id: 1 }]);
    await db.close();
  });
});
