/**
 * Transactions over the wire (mysql2 and q4d's own connect()): BEGIN …
 * COMMIT reaches the connection's session, others see nothing before
 * COMMIT, ROLLBACK and a dropped connection undo it, and a `q4d serve`
 * process SIGKILLed before or after COMMIT keeps all of it or none.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connect } from "../../src/server/mod.ts";
import { cliCommand, cliMissing } from "../ops/_cli.ts";
import { skipUnless } from "../_skip.ts";
import { mysql, startServer, until } from "./_helpers.ts";

type Rows = Record<string, unknown>[];

async function values(c: mysql.Connection, text: string): Promise<unknown[]> {
  const [rows] = await c.query(text);
  return (rows as Rows).map((row) => row.v);
}

test("mysql2: BEGIN … COMMIT is one transaction; others see nothing before COMMIT", async () => {
  const served = await startServer();
  const c = await served.connect();
  const other = await served.connect();
  try {
    await c.query("CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE");
    await c.query("CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE");
    await c.query("INSERT INTO src VALUES (1)");
    await c.query("SELECT queue_wait('src', 0)");
    const [begun] = await c.query("BEGIN");
    assert.equal((begun as { serverStatus: number }).serverStatus & 1, 1, "IN_TRANS is set");
    await c.query("INSERT INTO dst VALUES (10)");
    await c.query("SELECT queue_end()");
    assert.deepEqual(await values(other, "SELECT v FROM dst"), []);
    assert.deepEqual(await values(other, "SELECT v FROM src"), []);
    const [committed] = await c.query("COMMIT");
    assert.equal((committed as { serverStatus: number }).serverStatus & 1, 0, "IN_TRANS is off");
    assert.deepEqual(await values(other, "SELECT v FROM dst"), [10]);
    assert.deepEqual(await values(other, "SELECT v FROM src"), []);
  } finally {
    await c.end();
    await other.end();
    await served.close();
  }
});

test("mysql2: ROLLBACK undoes the INSERT and the queue_end; the row is owned again", async () => {
  const served = await startServer();
  const c = await served.connect({ multipleStatements: true });
  try {
    await c.query("CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE");
    await c.query("CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE");
    await c.query("INSERT INTO src VALUES (1)");
    await c.query(
      "SELECT queue_wait('src', 0); START TRANSACTION; INSERT INTO dst VALUES (10); SELECT queue_end(); ROLLBACK",
    );
    assert.deepEqual(await values(c, "SELECT v FROM src"), [1], "owner mode is back");
    assert.deepEqual(await values(c, "SELECT v FROM dst"), []);
    await assert.rejects(c.query("BEGIN; SELECT queue_abort()"), { errno: 1179 });
    await c.query("ROLLBACK");
  } finally {
    await c.end();
    await served.close();
  }
});

test("mysql2: a connection dropped with an open transaction rolls it back", async () => {
  const served = await startServer();
  const c = await served.connect();
  try {
    await served.db.sql`CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE`;
    await served.db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
    await served.db.sql`INSERT INTO src VALUES (${1})`;
    await c.query("SELECT queue_wait('src', 0)");
    await c.query("BEGIN");
    await c.query("INSERT INTO dst VALUES (10)");
    await c.query("SELECT queue_end()");
    c.destroy();
    await until(() => served.db.stats("src").restoredByClose === 1, "restored_by_close");
    assert.equal(served.db.stats("dst").rowsWritten, 0);
    const [row] = await served.db.sql`SELECT v FROM src`;
    assert.equal(row?.v, 1);
  } finally {
    await served.close();
  }
});

test("connect(): BEGIN … COMMIT through q4d's own client", async () => {
  const served = await startServer();
  const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}/q4d`);
  try {
    await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
    const s = db.session();
    await s.sql`BEGIN`;
    await s.sql`INSERT INTO dst VALUES (${1})`;
    assert.equal(served.db.stats("dst").rowsWritten, 0);
    await s.sql`COMMIT`;
    await s.sql`BEGIN`;
    await s.sql`INSERT INTO dst VALUES (${2})`;
    await s.sql`ROLLBACK`;
    const rows = await db.sql`SELECT v FROM dst`;
    assert.deepEqual(rows.map((row) => row.v), [1]);
    await s.close();
  } finally {
    await db.close();
    await served.close();
  }
});

/** Starts `q4d serve` on `directory`, port 0; resolves with the child and its port. */
async function startCli(directory: string): Promise<{ child: ChildProcess; port: number }> {
  const [command, args] = cliCommand(["serve", "--data", directory, "--port", "0"]);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`q4d serve did not start: ${output}`)), 60_000);
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      const match = /on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.on("exit", () => {
      clearTimeout(timer);
      reject(new Error(`q4d serve exited: ${output}`));
    });
  });
  return { child, port };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.on("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

test("q4d serve SIGKILLed before COMMIT keeps none of the transaction, after COMMIT all of it", {
  ...skipUnless(cliMissing),
  timeout: 180_000,
}, async () => {
  const directory = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-txn-serve-"));
  const options = (port: number) => ({
    host: "127.0.0.1",
    port,
    user: "root",
    password: "",
    multipleStatements: true,
  });
  try {
    let { child, port } = await startCli(directory);
    let c = await mysql.createConnection(options(port));
    await c.query(
      "CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE; CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE; INSERT INTO src VALUES (1), (2)",
    );
    await c.query(
      "SELECT queue_wait('src', 0); BEGIN; INSERT INTO dst VALUES (10); SELECT queue_end()",
    );
    await kill(child);
    c.destroy();

    ({ child, port } = await startCli(directory));
    c = await mysql.createConnection(options(port));
    assert.deepEqual(await values(c, "SELECT v FROM src"), [1, 2], "nothing of it happened");
    assert.deepEqual(await values(c, "SELECT v FROM dst"), []);
    await c.query(
      "SELECT queue_wait('src', 0); BEGIN; INSERT INTO dst VALUES (10); SELECT queue_end(); COMMIT",
    );
    await kill(child);
    c.destroy();

    ({ child, port } = await startCli(directory));
    c = await mysql.createConnection(options(port));
    assert.deepEqual(await values(c, "SELECT v FROM src"), [2], "all of it happened");
    assert.deepEqual(await values(c, "SELECT v FROM dst"), [10]);
    await c.end();
    await kill(child);
  } finally {
    nodeFs.rmSync(directory, { recursive: true, force: true });
  }
});
