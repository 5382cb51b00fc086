/**
 * A client process SIGKILLed while it owns a row or while it is blocked in
 * queue_wait: the server gives the row back at once and forgets the waiter.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { startServer, until } from "./_helpers.ts";

const isDeno = "Deno" in globalThis;

test("a client SIGKILLed while owning a row and while waiting gives the row back", {
  timeout: 120_000,
}, async () => {
  const served = await startServer();
  try {
    await served.db.sql`CREATE TABLE q (id INT NOT NULL) ENGINE=QUEUE`;
    await served.db.sql`CREATE TABLE w (id INT NOT NULL) ENGINE=QUEUE`;
    await served.db.sql`INSERT INTO q VALUES (${1})`;
    const testPath = fileURLToPath(import.meta.url);
    const childPath = path.join(path.dirname(testPath), `_owner_child${path.extname(testPath)}`);
    const args = [childPath, String(served.port), "secret"];
    const child = spawn(process.execPath, isDeno ? ["run", "-A", ...args] : args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk) => String(chunk).includes("ready") && resolve());
      child.on("exit", () => reject(new Error(`child exited early: ${stderr}`)));
    });
    assert.equal(served.server.connectionCount, 2);
    child.kill("SIGKILL");
    await until(() => served.server.connectionCount === 0, "both connections gone");
    assert.equal(served.db.stats("q").restoredByClose, 1);
    const s = served.db.session();
    const [row] = await s.sql`SELECT queue_wait('q', 0) AS got`;
    assert.ok(row !== undefined);
    assert.equal(row.got, 1);
    await s.close();
  } finally {
    await served.close();
  }
});
