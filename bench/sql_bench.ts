// Benchmarks of the SQL layer's hot paths: a cached tagged-template INSERT
// (parse once + bind), evaluating a compiled WHERE against a row, and parsing
// a fresh ~200-character SELECT. Run: deno bench bench/sql_bench.ts
import {
  compileExpr,
  parseExpression,
  parseStatement,
  prepareTemplate,
  prepareText,
} from "../src/sql/mod.ts";
import type { Value } from "../src/sql/mod.ts";
import { defined } from "../src/errors.ts";

function sql(strings: TemplateStringsArray, ...values: unknown[]): unknown {
  return prepareTemplate(strings, values);
}

let counter = 0;

Deno.bench("cached tagged-template INSERT, 3 parameters (parse once + bind)", () => {
  counter++;
  sql`INSERT INTO jobs (id, prio, body) VALUES (${counter}, ${counter & 7}, ${"hello"})`;
});

const columns = ["id", "prio", "v", "body"];
const where = compileExpr(parseExpression("prio=0 AND v>3"), {
  columnIndex: (name) => columns.indexOf(name.toLowerCase()),
});
const rows: Value[][] = [[1, 0, 5, "a"], [2, 1, 5, "b"], [3, 0, 2, "c"], [4, 0, 9, "d"]];
let matched = 0;

Deno.bench("evaluate compiled `prio=0 AND v>3` against a row", () => {
  matched += where(defined(rows[counter++ & 3], "four rows"), []) === 1 ? 1 : 0;
});

Deno.bench("parse a fresh 200-character SELECT (cache defeated)", () => {
  counter++;
  // 200 characters; the varying literal defeats the text cache.
  prepareText(
    `SELECT id, prio, body AS message, v + 1 AS next FROM jobs WHERE prio = ${counter} AND (v > 3 OR body LIKE 'urgent%') AND id NOT IN (1, 2, 3) AND v BETWEEN 0 AND 99 ORDER BY prio DESC, id LIMIT 10 OFFSET 20`,
  );
});

Deno.bench("parseStatement alone on the same 200 characters (no cache involved)", () => {
  counter++;
  parseStatement(
    `SELECT id, prio, body AS message, v + 1 AS next FROM jobs WHERE prio = ${counter} AND (v > 3 OR body LIKE 'urgent%') AND id NOT IN (1, 2, 3) AND v BETWEEN 0 AND 99 ORDER BY prio DESC, id LIMIT 10 OFFSET 20`,
  );
});
