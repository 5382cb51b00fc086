// Tests for the shape cache of src/sql/template.ts (`prepareBoundText`):
// INSERTs that differ only in their literals share one statement, and every
// text gives exactly the rows and errors that a fresh parse gives.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Database, open, QueueError } from "../../mod.ts";
import { prepareBoundText, setShapeCache } from "../../src/sql/template.ts";

const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-shape-test-"));
after(() => {
  setShapeCache(true);
  nodeFs.rmSync(root, { recursive: true, force: true });
});

describe("prepareBoundText", () => {
  test("INSERTs differing only in literal values share one statement", () => {
    const a = prepareBoundText("INSERT INTO jobs (id, body) VALUES (1, 'a')", []);
    const b = prepareBoundText("INSERT INTO jobs (id, body) VALUES (22, 'b''c')", []);
    assert.equal(a.prepared, b.prepared);
    assert.deepEqual(a.params, [1, "a"]);
    assert.deepEqual(b.params, [22, "b'c"]);
  });

  test("a literal of another kind is another shape", () => {
    const int = prepareBoundText("INSERT INTO kinds VALUES (1)", []);
    const string = prepareBoundText("INSERT INTO kinds VALUES ('1')", []);
    const decimal = prepareBoundText("INSERT INTO kinds VALUES (1.0)", []);
    assert.notEqual(int.prepared, string.prepared);
    assert.notEqual(int.prepared, decimal.prepared);
    assert.deepEqual(string.params, ["1"]);
  });

  test("the statement's own ? come first, then its literals", () => {
    const { prepared, params } = prepareBoundText("INSERT INTO p VALUES (?, 5, ?, 'x')", [1, 2]);
    assert.equal(prepared.paramCount, 4);
    assert.deepEqual(params, [1, 2, 5, "x"]);
    assert.throws(
      () => prepareBoundText("INSERT INTO p VALUES (?, 6, ?, 'y')", [1]),
      (e: unknown) =>
        e instanceof QueueError && e.code === "ER_WRONG_PARAMCOUNT" &&
        e.message === "Statement takes 2 parameters, got 1",
    );
  });

  test("a signed number or a typed literal is not taken out (parsed each time)", () => {
    const a = prepareBoundText("INSERT INTO s VALUES (-1)", []);
    const b = prepareBoundText("INSERT INTO s VALUES (-2)", []);
    assert.notEqual(a.prepared, b.prepared);
    assert.deepEqual(b.params, []);
    const d = prepareBoundText("INSERT INTO s VALUES (DATE '2020-01-02')", []);
    assert.deepEqual(d.params, []);
  });
});

/** What one statement did: its result, or its error's code, message and position. */
type Outcome = unknown;

async function outcomeOf(db: Database, text: string, params: unknown[]): Promise<Outcome> {
  try {
    const result = await db.sql.unsafe(text, params);
    return { affectedRows: result.affectedRows, rows: result.map((row) => ({ ...row })) };
  } catch (error) {
    if (!(error instanceof QueueError)) throw error;
    return { code: error.code, message: error.message, position: error.position };
  }
}

const ddl = "CREATE TABLE t (i INT, u BIGINT UNSIGNED, d DECIMAL(10,2), f DOUBLE, " +
  "c VARCHAR(8) NOT NULL DEFAULT 'dflt', b VARBINARY(8), bt BIT(8), dt DATETIME, " +
  "e ENUM('a','b'), y YEAR) ENGINE=QUEUE";

const literals = [
  "1",
  "'1'",
  "1.0",
  "1.5",
  "1.25e0",
  "-1",
  "- 1",
  "+1",
  "(1)",
  "NULL",
  "null",
  "TRUE",
  "FALSE",
  "X'31'",
  "x''",
  "0x31",
  "b'1'",
  "0b1",
  "_utf8'1'",
  "_binary'1'",
  "18446744073709551615",
  "18446744073709551616",
  "9223372036854775808",
  "-9223372036854775808",
  "99999999999999999999999.5",
  "'abc'",
  "'a''b'",
  "'a\\nb'",
  "''",
  "'2020-01-02 03:04:05'",
  "DATE '2020-01-02'",
  "'b'",
  "'x'",
  "'1999'",
  "1999",
  "DEFAULT",
  "1 + 1",
  "'123456789'",
  "1e999",
  "'unterminated",
  "'unterminated\\'",
  "1, 2",
  "((1))",
  "+1",
  "-- comment\n1",
  "# comment\n'c'",
  "/*!40101 7*/",
  "/* comment */ 8",
  "'x' 'y'",
  "1abc",
  "1e",
  "1e5",
  ".5",
  "0x",
  "x'4'",
  "'é😀'",
  "_latin1'x'",
  "?",
];

/** Every statement of the comparison, with its parameters. */
function statements(): [string, unknown[]][] {
  const list: [string, unknown[]][] = [];
  for (const column of ["i", "u", "d", "f", "c", "b", "bt", "dt", "e", "y"]) {
    for (const literal of literals) {
      list.push([`INSERT INTO t (${column}) VALUES (${literal})`, []]);
      list.push([`INSERT IGNORE INTO t (${column}) VALUES (${literal}), (${literal})`, []]);
    }
    for (const literal of literals) {
      // One shape after another with the same kind: the recent-shape matcher's turn.
      list.push([`INSERT INTO t (${column}, i) VALUES (${literal}, 5)`, ["3"]]);
      list.push([`INSERT INTO t (${column}, i) VALUES (${literal}, 6)`, []]);
    }
    list.push([`INSERT INTO t (${column}, i) VALUES (?, 7)`, ["2"]]);
    list.push([`INSERT INTO t (${column}, i) VALUES (?, 8)`, []]);
  }
  list.push(["INSERT INTO t (i, c) VALUES (1, 'x') garbage", []]);
  list.push(["INSERT INTO t (i, c) VALUES (1, 'x'", []]);
  list.push(["INSERT INTO t (i, c) VALUES (1, 'x'); ", []]);
  list.push(["INSERT INTO t (i, nosuch) VALUES (1, 'x')", []]);
  list.push(["INSERT INTO t (i, c) VALUES (1, 'x', 3)", []]);
  list.push(["INSERT INTO nosuch (i) VALUES (1)", []]);
  list.push(["REPLACE INTO t (i, c) VALUES (2, 'rep')", []]);
  list.push(["INSERT INTO t SET i = 3, c = 'set'", []]);
  return list;
}

describe("shape cache: the same rows and errors as a fresh parse", () => {
  test("every literal kind in every column type, cache on and off", async () => {
    const run = async (on: boolean): Promise<Outcome[]> => {
      setShapeCache(on);
      const db = await open(path.join(root, on ? "on" : "off"), { sync: "none" });
      try {
        await db.sql.unsafe(ddl);
        const outcomes: Outcome[] = [];
        // Twice: the second round finds every shape cached.
        for (let round = 0; round < 2; round++) {
          for (const [text, params] of statements()) {
            outcomes.push([text, await outcomeOf(db, text, params)]);
          }
        }
        outcomes.push(await outcomeOf(db, "SELECT * FROM t", []));
        return outcomes;
      } finally {
        await db.close();
        setShapeCache(true);
      }
    };
    const off = await run(false);
    const on = await run(true);
    assert.equal(on.length, off.length);
    for (let i = 0; i < on.length; i++) assert.deepEqual(on[i], off[i]);
  });
});
