/**
 * Node smoke run of the packed npm package: plain `node`, plain JavaScript,
 * the public contract only (DESIGN.md), imported by package name.
 *
 * scripts/build_npm.ts copies this file into a scratch Node project that has
 * installed the tarball, and runs it with `node node_smoke.mjs` there. It
 * exits non-zero (an assertion or a rejection) when anything is off.
 *
 * @module
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, QueueError } from "@q4d/q4d";

/** Seconds queue_wait may wait; the row is already there, so it returns at once. */
const waitSeconds = 5;

const dir = mkdtempSync(join(tmpdir(), "q4d-node-smoke-"));
try {
  // Produce: a table, one row, on disk when the promise resolves.
  const db = await open(dir);
  await db.sql`CREATE TABLE jobs (id INT NOT NULL, prio TINYINT NOT NULL, body TEXT) ENGINE=QUEUE`;
  const inserted = await db.sql`INSERT INTO jobs (id, prio, body) VALUES (${1}, ${0}, ${"hello"})`;
  assert.equal(inserted.length, 0);
  assert.equal(inserted.affectedRows, 1);
  await db.close();

  // Consume after a reopen: the row survived the close.
  const reopened = await open(dir);
  const session = reopened.session();
  const [waited] = await session.sql`SELECT queue_wait('jobs', ${waitSeconds}) AS got`;
  assert.equal(waited.got, 1);
  const owned = await session.sql`SELECT * FROM jobs`;
  assert.equal(owned.length, 1);
  assert.deepEqual({ ...owned[0] }, { id: 1, prio: 0, body: "hello" });
  const [ended] = await session.sql`SELECT queue_end() AS ended`;
  assert.equal(ended.ended, 1);
  await session.close();

  // Consumed means gone, and errors are QueueErrors with MySQL's codes.
  const [counted] = await reopened.sql`SELECT COUNT(*) AS n FROM jobs`;
  assert.equal(counted.n, 0);
  await assert.rejects(
    reopened.sql`SELECT * FROM missing_table`,
    (error) => error instanceof QueueError && error.code === "ER_NO_SUCH_TABLE",
  );
  await reopened.close();
  console.log(`node smoke: ok (Node ${process.version}, produce, reopen, consume, error codes)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
