/**
 * Q4M's own examples, typed unchanged into the `mariadb` CLI against a served
 * q4d: the tutorial's statements (q4m.github.io/tutorial.html: create,
 * send, subscribe with queue_wait, the older `WHERE queue_wait(…)` form,
 * queue_end / queue_abort, a conditional and a two-table wait) and the
 * crawler example's queue tables (examples/crawler/initdb.sql) with the
 * statements its crawler.pl runs against them. The crawler's InnoDB `url`
 * table and its trigger are left out: q4d has only queue tables.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mariadbMissing, type Served, skipUnless, startServer } from "./_helpers.ts";

/** Runs the mariadb CLI on `script` (table output, as typed at its prompt) against a fresh server. */
async function mariadb(script: string): Promise<{ status: number | null; out: string }> {
  const served = await startServer();
  try {
    return await mariadbOn(served, script);
  } finally {
    await served.close();
  }
}

function mariadbOn(
  served: Served,
  script: string,
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("mariadb", [
      "--no-defaults",
      "-h",
      "127.0.0.1",
      "-P",
      String(served.port),
      "-uroot",
      "-psecret",
      "--table",
      "q4d",
    ]);
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    child.on("close", (status) => resolve({ status, out }));
    child.stdin.end(script);
  });
}

/** The expected output: the tables mariadb draws, from `[header, rows]` pairs. */
function tables(...results: [string[], unknown[][]][]): string {
  let out = "";
  for (const [header, rows] of results) {
    const widths = header.map((h, i) =>
      Math.max(h.length, ...rows.map((row) => String(row[i] ?? "NULL").length))
    );
    const line = "+" + widths.map((w) => "-".repeat(w + 2)).join("+") + "+\n";
    const cells = (values: unknown[], numeric: boolean[]) =>
      "|" + values.map((v, i) => {
        const text = String(v ?? "NULL");
        const width = widths[i] ?? 0;
        return " " + (numeric[i] ? text.padStart(width) : text.padEnd(width)) + " ";
      }).join("|") + "|\n";
    const numeric = header.map((_, i) => rows.every((row) => typeof row[i] === "number"));
    out += line + cells(header, header.map(() => false)) + line;
    for (const row of rows) out += cells(row, numeric);
    out += line;
  }
  return out;
}

test(
  "Q4M's tutorial runs unchanged through the mariadb CLI",
  skipUnless(mariadbMissing),
  async () => {
    const { status, out } = await mariadb(
      `CREATE TABLE my_queue (v1 int not null, v2 varchar(255)) ENGINE=queue;
INSERT INTO my_queue (v1, v2) VALUES (3, "hello world!");
SELECT queue_wait('my_queue');
SELECT * FROM my_queue;
SELECT queue_end();
INSERT INTO my_queue (v1, v2) VALUES (4, "second"), (5, "third");
SELECT * FROM my_queue WHERE queue_wait('my_queue');
SELECT queue_abort();
SELECT queue_wait('my_queue:v1=5', 10);
SELECT * FROM my_queue;
SELECT queue_end();
CREATE TABLE other_queue (v1 int not null) ENGINE=queue;
SELECT queue_wait('other_queue', 'my_queue', 10);
SELECT * FROM my_queue;
SELECT queue_end();
SELECT * FROM my_queue;
SELECT queue_wait('my_queue', 0);
`,
    );
    assert.equal(status, 0, out);
    assert.equal(
      out,
      tables(
        [["queue_wait('my_queue')"], [[1]]],
        [["v1", "v2"], [[3, "hello world!"]]],
        [["queue_end()"], [[1]]],
        [["v1", "v2"], [[4, "second"]]],
        [["queue_abort()"], [[1]]],
        [["queue_wait('my_queue:v1=5', 10)"], [[1]]],
        [["v1", "v2"], [[5, "third"]]],
        [["queue_end()"], [[1]]],
        // Prioritized subscription: the second table had the row.
        [["queue_wait('other_queue', 'my_queue', 10)"], [[2]]],
        [["v1", "v2"], [[4, "second"]]],
        [["queue_end()"], [[1]]],
        // Empty now (mariadb prints nothing for an empty set): a wait times out.
        [["queue_wait('my_queue', 0)"], [[0]]],
      ),
    );
  },
);

test(
  "Q4M's crawler example: its queue tables and the statements its crawler runs",
  skipUnless(mariadbMissing),
  async () => {
    const { status, out } = await mariadb(
      // examples/crawler/initdb.sql's queue tables (crawler_queue as in its latest version,
      // crawler_reschedule_queue as in the version the crawler's rescheduler reads).
      `CREATE TABLE \`crawler_queue\` (
  \`id\` int(10) unsigned NOT NULL,
  \`fail_cnt\` int(11) NOT NULL DEFAULT 0,
  \`failed_at\` int(11) NOT NULL DEFAULT 0
) ENGINE=QUEUE DEFAULT CHARSET=utf8;

CREATE TABLE \`crawler_reschedule_queue\` (
  \`id\` int(10) unsigned NOT NULL,
  \`fail_cnt\` int(11) NOT NULL DEFAULT 0,
  \`at\` int(11) NOT NULL DEFAULT 0
) ENGINE=QUEUE DEFAULT CHARSET=utf8;

INSERT INTO crawler_queue SET id=1;
INSERT INTO crawler_queue SET id=2;
SELECT queue_wait('crawler_queue');
SELECT id,fail_cnt FROM crawler_queue;
INSERT INTO crawler_reschedule_queue (id,fail_cnt,at)
    VALUES (1,1,1700000000);
SELECT queue_end();
SELECT id,fail_cnt,at FROM crawler_reschedule_queue
    WHERE
        queue_wait("crawler_reschedule_queue:fail_cnt=1");
INSERT INTO crawler_queue (id,fail_cnt) VALUES (1,1);
SELECT queue_end();
SELECT * FROM crawler_queue;
SELECT * FROM crawler_reschedule_queue;
`,
    );
    assert.equal(status, 0, out);
    assert.equal(
      out,
      tables(
        [["queue_wait('crawler_queue')"], [[1]]],
        [["id", "fail_cnt"], [[1, 0]]],
        [["queue_end()"], [[1]]],
        [["id", "fail_cnt", "at"], [[1, 1, 1700000000]]],
        [["queue_end()"], [[1]]],
        [["id", "fail_cnt", "failed_at"], [[2, 0, 0], [1, 1, 0]]],
      ),
    );
  },
);
