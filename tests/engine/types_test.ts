/**
 * The DECIMAL, temporal, ENUM/SET and BIT column types through the public
 * API: INSERT/SELECT round trips, reopen (persisted), conditions (WHERE and
 * queue_wait) over each type, bad values refused with MySQL's codes and
 * nothing written, and the issue-11 examples.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { nextTurn, openTemp, plain, rejectsCode, reopen } from "./_helpers.ts";
import { setClock } from "../../src/sql/temporal.ts";

const allTypes = `CREATE TABLE t (
  id INT NOT NULL,
  price DECIMAL(10,2),
  n NUMERIC,
  d DATE,
  dt DATETIME(6),
  ts TIMESTAMP(3) NULL,
  tm TIME(1),
  y YEAR,
  state ENUM('new','retry'),
  tags SET('a','b','c'),
  flags BIT(10)
) ENGINE=QUEUE`;

const stored = {
  id: 1,
  price: "9.99",
  n: "-12",
  d: "2024-02-29",
  dt: "2024-01-02 03:04:05.123456",
  ts: "2024-01-02 03:04:05.500",
  tm: "-838:59:59.0",
  y: 2024,
  state: "retry",
  tags: "a,c",
  flags: 1023,
};

describe("types: round trip", () => {
  test("every type stores, reads back as documented, and survives reopen", async () => {
    const { db, directory } = await openTemp();
    await db.sql.unsafe(allTypes);
    await db.sql.unsafe(
      `INSERT INTO t VALUES (1, 9.99, '-12.4', '2024-02-29', '2024-01-02 03:04:05.123456',
        '2024-01-02 03:04:05.4999', '-838:59:59', 2024, 'RETRY', 'c,a,c', b'1111111111')`,
    );
    await db.sql`INSERT INTO t (id) VALUES (2)`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM t WHERE id = 1`), [stored]);
    await db.close();
    const again = await reopen(directory);
    assert.deepEqual(plain(await again.sql`SELECT * FROM t WHERE id = 1`), [stored]);
    const [empty] = await again.sql`SELECT price, d, state, flags FROM t WHERE id = 2`;
    assert.deepEqual({ ...empty }, { price: null, d: null, state: null, flags: null });
    await again.close();
  });

  test("bound parameters: strings, numbers, bigint and Date (UTC) fill each type", async () => {
    const { db } = await openTemp();
    await db.sql.unsafe(allTypes);
    await db.sql`INSERT INTO t (id, price, dt, ts, d, flags, state, tags) VALUES
      (1, ${"1.005"}, ${new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))}, ${"2030-01-01 00:00:00"},
       ${20240229}, ${512n}, ${2}, ${3})`;
    const [row] = await db.sql`SELECT price, dt, ts, d, flags, state, tags FROM t`;
    assert.deepEqual({ ...row }, {
      price: "1.01",
      dt: "2024-01-02 03:04:05.678000",
      ts: "2030-01-01 00:00:00.000",
      d: "2024-02-29",
      flags: 512,
      state: "retry",
      tags: "a,b",
    });
    await db.close();
  });

  test("decimals and dates go into integer, float, text and JSON columns as MySQL converts them", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE c (i INT, f DOUBLE, s VARCHAR(40), j JSON) ENGINE=QUEUE`;
    await db.sql`INSERT INTO c VALUES (2.5, 1/4, 1/3, 0.10)`;
    await db.sql`INSERT INTO c VALUES (-2.5, DATE('2024-01-02'), DATE('2024-01-02'), 1.5)`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM c`), [
      { i: 3, f: 0.25, s: "0.3333", j: 0.1 },
      { i: -3, f: 20240102, s: "2024-01-02", j: 1.5 },
    ]);
    await db.close();
  });

  test("a DATE column keeps the date of a datetime value (MySQL drops the time with a note)", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE c (d DATE) ENGINE=QUEUE`;
    await db.sql`INSERT INTO c VALUES ('2024-01-01 10:00:00'), (NOW())`;
    const rows = await db.sql`SELECT d FROM c`;
    assert.equal(rows[0]?.d, "2024-01-01");
    assert.match(rows[1]?.d, /^\d{4}-\d\d-\d\d$/);
    await db.close();
  });
});

describe("types: the issue's examples", () => {
  test("the queue table of issue 11 is created and filled", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE j (id INT UNSIGNED NOT NULL, price DECIMAL(10,2),
      created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, state ENUM('new','retry'))
      ENGINE=QUEUE DEFAULT CHARSET=utf8mb4`;
    const before = Math.floor(Date.now() / 1000);
    await db.sql`INSERT INTO j (id) VALUES (UNIX_TIMESTAMP())`;
    const after = Math.floor(Date.now() / 1000);
    const [row] = await db.sql`SELECT id, price, created_at, state,
      UNIX_TIMESTAMP(created_at) AS at FROM j`;
    assert.ok(row !== undefined);
    assert.ok(row.id >= before && row.id <= after, `id ${row.id} is the insert's time`);
    assert.equal(row.at, row.id, "created_at is the same statement time as UNIX_TIMESTAMP()");
    assert.match(row.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(row.price, null);
    assert.equal(row.state, null);
    await db.close();
  });

  test("SELECT 0.1 + 0.2 = 0.3 is 1 and SELECT 1/3 is '0.3333'", async () => {
    const { db } = await openTemp();
    const [row] = await db.sql`SELECT 0.1 + 0.2 = 0.3 AS a, 1/3 AS b`;
    assert.deepEqual({ ...row }, { a: 1, b: "0.3333" });
    await db.close();
  });

  test("ON UPDATE CURRENT_TIMESTAMP is accepted", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE u (at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ON UPDATE CURRENT_TIMESTAMP(3), b TIMESTAMP NULL DEFAULT NULL ON UPDATE NOW()) ENGINE=QUEUE`;
    await db.sql`INSERT INTO u () VALUES ()`;
    const [row] = await db.sql`SELECT at, b FROM u`;
    assert.ok(row !== undefined);
    assert.match(row.at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    assert.equal(row.b, null);
    await db.close();
  });
});

describe("types: conditions over every type", () => {
  async function filled() {
    const { db } = await openTemp();
    await db.sql.unsafe(allTypes);
    await db.sql.unsafe(
      `INSERT INTO t VALUES
        (1, 9.99, 1, '2024-01-01', '2024-01-01 10:00:00', '2024-01-01 10:00:00', '10:00', 2024, 'new', 'a', 1),
        (2, 10.00, 2, '2024-06-01', '2024-06-01 10:00:00.5', '2024-06-01 10:00:00', '-01:00', 1999, 'retry', 'a,b', 2)`,
    );
    return db;
  }

  const conditions: [string, number[]][] = [
    ["price = 9.99", [1]],
    ["price > 9.991", [2]],
    ["price = 10", [2]],
    ["price = '9.99'", [1]],
    ["price * 3 = 29.97", [1]],
    ["n / 3 = 0.6667", [2]],
    ["d = '2024-01-01'", [1]],
    ["d < '2024-02-01'", [1]],
    ["d = 20240601", [2]],
    ["d + INTERVAL 5 MONTH = '2024-06-01'", [1]],
    ["dt > '2024-06-01 10:00:00'", [2]],
    ["dt BETWEEN '2024-01-01' AND '2024-02-01'", [1]],
    ["ts <= NOW()", [1, 2]],
    ["dt < NOW() - INTERVAL 1 DAY", [1, 2]],
    ["tm < '00:00:00'", [2]],
    ["y = 2024", [1]],
    ["state = 'retry'", [2]],
    ["state IN ('new', 'x')", [1]],
    ["tags = 'a,b'", [2]],
    ["tags LIKE '%b%'", [2]],
    ["flags = 2", [2]],
    ["flags & 1", [1]],
  ];
  for (const [condition, ids] of conditions) {
    test(`WHERE ${condition} selects ${ids.join(", ")}`, async () => {
      const db = await filled();
      const rows = await db.sql.unsafe(`SELECT id FROM t WHERE ${condition} ORDER BY id`);
      assert.deepEqual(rows.map((row) => row.id), ids);
      await db.close();
    });
    test(`queue_wait('t:${condition}') takes row ${ids[0]}`, async () => {
      const db = await filled();
      const s = db.session();
      const [got] = await s.sql`SELECT queue_wait(${`t:${condition}`}, 0) AS w`;
      assert.ok(got !== undefined);
      assert.equal(got.w, 1);
      const [row] = await s.sql`SELECT id FROM t`;
      assert.ok(row !== undefined);
      assert.equal(row.id, ids[0]);
      await s.close();
      await db.close();
    });
  }

  test("a blocked queue_wait with a decimal condition wakes for a matching row", async () => {
    const db = await filled();
    const s = db.session();
    const waiting = s.sql`SELECT queue_wait('t:price = 0.5', 10) AS w`;
    await db.sql`INSERT INTO t (id, price) VALUES (3, 0.494)`;
    await db.sql`INSERT INTO t (id, price) VALUES (4, 0.50)`;
    const [got] = await waiting;
    assert.ok(got !== undefined);
    assert.equal(got.w, 1);
    const [row] = await s.sql`SELECT id, price FROM t`;
    assert.deepEqual({ ...row }, { id: 4, price: "0.50" });
    await s.close();
    await db.close();
  });
});

describe("types: bad values are refused and change nothing", () => {
  const bad: [string, string, string][] = [
    ["price", "123456789.1", "ER_WARN_DATA_OUT_OF_RANGE"],
    ["price", "-99999999.995", "ER_WARN_DATA_OUT_OF_RANGE"],
    ["price", "'abc'", "ER_TRUNCATED_WRONG_VALUE"],
    ["d", "'2024-02-30'", "ER_TRUNCATED_WRONG_VALUE"],
    ["d", "'0000-00-00'", "ER_TRUNCATED_WRONG_VALUE"],
    ["d", "''", "ER_TRUNCATED_WRONG_VALUE"],
    ["dt", "'2024-13-01'", "ER_TRUNCATED_WRONG_VALUE"],
    ["dt", "'2024-01-01 24:00:00'", "ER_TRUNCATED_WRONG_VALUE"],
    ["ts", "'1970-01-01 00:00:00'", "ER_TRUNCATED_WRONG_VALUE"],
    ["ts", "'2038-01-19 03:14:08'", "ER_TRUNCATED_WRONG_VALUE"],
    ["tm", "'839:00:00'", "ER_TRUNCATED_WRONG_VALUE"],
    ["tm", "'10:60'", "ER_TRUNCATED_WRONG_VALUE"],
    ["y", "1900", "ER_WARN_DATA_OUT_OF_RANGE"],
    ["y", "'abc'", "ER_TRUNCATED_WRONG_VALUE"],
    ["state", "'x'", "ER_WARN_DATA_TRUNCATED"],
    ["state", "0", "ER_WARN_DATA_TRUNCATED"],
    ["state", "3", "ER_WARN_DATA_TRUNCATED"],
    ["tags", "'a,x'", "ER_WARN_DATA_TRUNCATED"],
    ["tags", "8", "ER_WARN_DATA_TRUNCATED"],
    ["flags", "1024", "ER_WARN_DATA_OUT_OF_RANGE"],
    ["flags", "-1", "ER_WARN_DATA_OUT_OF_RANGE"],
    ["flags", "'abc'", "ER_WARN_DATA_OUT_OF_RANGE"],
    ["tags", "NOW()", "ER_WARN_DATA_TRUNCATED"],
  ];
  for (const [column, value, code] of bad) {
    test(`${column} = ${value} is ${code}`, async () => {
      const { db } = await openTemp();
      await db.sql.unsafe(allTypes);
      await rejectsCode(
        db.sql.unsafe(`INSERT INTO t (id, ${column}) VALUES (1, 1), (2, ${value})`),
        code as never,
      );
      const [count] = await db.sql`SELECT COUNT(*) AS n FROM t`;
      assert.ok(count !== undefined);
      assert.equal(count.n, 0);
      await db.close();
    });
  }

  const badTypes: [string, string][] = [
    ["DECIMAL(66,2)", "ER_TOO_BIG_PRECISION"],
    ["DECIMAL(40,31)", "ER_TOO_BIG_SCALE"],
    ["DECIMAL(5,6)", "ER_M_BIGGER_THAN_D"],
    ["DATETIME(7)", "ER_TOO_BIG_PRECISION"],
    ["BIT(65)", "ER_TOO_BIG_FIELDLENGTH"],
    ["ENUM('a','A')", "ER_DUP_FIELDNAME"],
    ["INT DEFAULT CURRENT_TIMESTAMP", "ER_PARSE_ERROR"],
    ["DATE DEFAULT '2024-02-30'", "ER_INVALID_DEFAULT"],
    ["ENUM('a') DEFAULT 'b'", "ER_INVALID_DEFAULT"],
  ];
  for (const [type, code] of badTypes) {
    test(`a column of type ${type} is ${code}`, async () => {
      const { db } = await openTemp();
      await rejectsCode(db.sql.unsafe(`CREATE TABLE b (c ${type}) ENGINE=QUEUE`), code as never);
      assert.deepEqual(plain(await db.sql`SHOW TABLES`), []);
      await db.close();
    });
  }

  test("ALTER TABLE ADD of a NOT NULL DATE without DEFAULT is refused; with one, old rows read it", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE a (id INT) ENGINE=QUEUE`;
    await db.sql`INSERT INTO a VALUES (1)`;
    await rejectsCode(db.sql`ALTER TABLE a ADD d DATE NOT NULL`, "ER_INVALID_DEFAULT");
    await db
      .sql`ALTER TABLE a ADD d DATE NOT NULL DEFAULT '2024-01-01', ADD p DECIMAL(4,1) NOT NULL,
      ADD e ENUM('x','y') NOT NULL`;
    assert.deepEqual(plain(await db.sql`SELECT * FROM a`), [
      { id: 1, d: "2024-01-01", p: "0.0", e: "x" },
    ]);
    await db.close();
  });
});

describe("types: time-based queue_wait conditions", () => {
  /** A fake clock at 2030-01-01 00:00:00 UTC that a test moves by hand. */
  function fakeClock() {
    let micros = Date.UTC(2030, 0, 1) * 1000;
    setClock(() => micros);
    return {
      advanceSeconds(seconds: number) {
        micros += seconds * 1e6;
      },
    };
  }

  test("a row passed over while not yet due is found once it is due", async () => {
    const clock = fakeClock();
    try {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE jobs (id INT NOT NULL, run_at DATETIME NOT NULL) ENGINE=QUEUE`;
      await db
        .sql`INSERT INTO jobs VALUES (1, NOW() + INTERVAL 10 SECOND), (2, NOW() + INTERVAL 20 SECOND)`;
      const s = db.session();
      const [early] = await s.sql`SELECT queue_wait('jobs:run_at <= NOW()', 0) AS w`;
      assert.ok(early !== undefined);
      assert.equal(early.w, 0);
      clock.advanceSeconds(15);
      const [due] = await s.sql`SELECT queue_wait('jobs:run_at <= NOW()', 0) AS w`;
      assert.ok(due !== undefined);
      assert.equal(due.w, 1);
      const [row] = await s.sql`SELECT id FROM jobs`;
      assert.ok(row !== undefined);
      assert.equal(row.id, 1);
      await s.close();
      await db.close();
    } finally {
      setClock(null);
    }
  });

  test("a blocked queue_wait notices a row that becomes due while it waits", async () => {
    const clock = fakeClock();
    try {
      const { db } = await openTemp();
      await db.sql`CREATE TABLE jobs (id INT NOT NULL, run_at DATETIME NOT NULL) ENGINE=QUEUE`;
      await db.sql`INSERT INTO jobs VALUES (1, NOW() + INTERVAL 10 SECOND)`;
      const s = db.session();
      const waiting = s.sql`SELECT queue_wait('jobs:run_at <= NOW()', 60) AS w`;
      await nextTurn();
      clock.advanceSeconds(11);
      const [got] = await waiting;
      assert.ok(got !== undefined);
      assert.equal(got.w, 1);
      await s.close();
      await db.close();
    } finally {
      setClock(null);
    }
  });
});

describe("types: doubles too large for a DECIMAL column", () => {
  test("1e300 into DECIMAL(10,2) is ER_WARN_DATA_OUT_OF_RANGE", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE d (p DECIMAL(10,2)) ENGINE=QUEUE`;
    await rejectsCode(db.sql`INSERT INTO d VALUES (${1e300})`, "ER_WARN_DATA_OUT_OF_RANGE");
    await rejectsCode(db.sql`INSERT INTO d VALUES (1e300)`, "ER_WARN_DATA_OUT_OF_RANGE");
    await db.sql`INSERT INTO d VALUES (${1e-300})`;
    assert.deepEqual(plain(await db.sql`SELECT p FROM d`), [{ p: "0.00" }]);
    await db.close();
  });
});

describe("types: BIT takes a string as its bytes (MySQL)", () => {
  test("'5' into BIT(16) is 53, 0x0102 is 258", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE b (v BIT(16)) ENGINE=QUEUE`;
    await db.sql`INSERT INTO b VALUES ('5'), (0x0102), (${"5"})`;
    assert.deepEqual((await db.sql`SELECT v FROM b`).map((row) => row.v), [53, 258, 53]);
    await db.close();
  });
});

describe("types: DEFAULT values of the new types persist in the catalog", () => {
  test("decimal, date, time, enum, set and bit defaults fill rows after reopen", async () => {
    const { db, directory } = await openTemp();
    await db.sql`CREATE TABLE d (id INT, p DECIMAL(6,2) DEFAULT 1.5, day DATE DEFAULT '2024-02-29',
      at DATETIME(3) DEFAULT '2024-01-02 03:04:05.678', t TIME DEFAULT '-01:00', y YEAR DEFAULT 2024,
      e ENUM('a','b') NOT NULL DEFAULT 'b', s SET('x','y') DEFAULT 'y,x', f BIT(3) DEFAULT b'101')
      ENGINE=QUEUE`;
    await db.close();
    const again = await reopen(directory);
    await again.sql`INSERT INTO d (id) VALUES (1)`;
    assert.deepEqual(plain(await again.sql`SELECT * FROM d`), [{
      id: 1,
      p: "1.50",
      day: "2024-02-29",
      at: "2024-01-02 03:04:05.678",
      t: "-01:00:00",
      y: 2024,
      e: "b",
      s: "x,y",
      f: 5,
    }]);
    await again.close();
  });
});

describe("types: ALTER TABLE ADD … DEFAULT CURRENT_TIMESTAMP", () => {
  test("rows stored before read the time of the ALTER, also after reopen (MySQL)", async () => {
    let micros = Date.UTC(2030, 0, 1, 12) * 1000;
    setClock(() => micros);
    try {
      const { db, directory } = await openTemp();
      await db.sql`CREATE TABLE a (id INT) ENGINE=QUEUE`;
      await db.sql`INSERT INTO a VALUES (1)`;
      await db.sql`ALTER TABLE a ADD at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
        ADD maybe TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP`;
      micros += 3_600_000_000;
      await db.sql`INSERT INTO a (id) VALUES (2)`;
      const expected = [
        { id: 1, at: "2030-01-01 12:00:00", maybe: "2030-01-01 12:00:00" },
        { id: 2, at: "2030-01-01 13:00:00", maybe: "2030-01-01 13:00:00" },
      ];
      assert.deepEqual(plain(await db.sql`SELECT * FROM a`), expected);
      await db.close();
      const again = await reopen(directory);
      assert.deepEqual(plain(await again.sql`SELECT * FROM a`), expected);
      await again.close();
    } finally {
      setClock(null);
    }
  });
});

describe("types: ENUM and SET in numeric context (MySQL)", () => {
  async function states() {
    const { db } = await openTemp();
    await db
      .sql`CREATE TABLE s (id INT, state ENUM('zeta','alpha'), tags SET('a','b','c')) ENGINE=QUEUE`;
    await db.sql`INSERT INTO s VALUES (1, 'alpha', 'a,c'), (2, 'zeta', 'b'), (3, NULL, '')`;
    return db;
  }
  test("an ENUM equals its index and a SET its bit mask", async () => {
    const db = await states();
    assert.deepEqual((await db.sql`SELECT id FROM s WHERE state = 1`).map((r) => r.id), [2]);
    assert.deepEqual((await db.sql`SELECT id FROM s WHERE tags = 5`).map((r) => r.id), [1]);
    assert.deepEqual((await db.sql`SELECT id FROM s WHERE tags & 2`).map((r) => r.id), [2]);
    assert.deepEqual(
      plain(await db.sql`SELECT state + 0 AS i, tags + 0 AS m, state, tags FROM s WHERE id = 1`),
      [{ i: 2, m: 5, state: "alpha", tags: "a,c" }],
    );
    await db.close();
  });
  test("ORDER BY sorts an ENUM by index; text comparisons stay text", async () => {
    const db = await states();
    assert.deepEqual((await db.sql`SELECT id FROM s ORDER BY state`).map((r) => r.id), [3, 2, 1]);
    assert.deepEqual((await db.sql`SELECT id FROM s WHERE state < 'b'`).map((r) => r.id), [1]);
    const s = db.session();
    const [got] = await s.sql`SELECT queue_wait('s:state = 2', 0) AS w`;
    assert.ok(got !== undefined);
    assert.equal(got.w, 1);
    assert.deepEqual((await s.sql`SELECT id FROM s`).map((r) => r.id), [1]);
    await s.close();
    await db.close();
  });
});
