/**
 * The local backend: the backend contract (tests/backend/_conformance.ts)
 * and what is particular to it — its capabilities, db.capabilities, and
 * the engine following a catalog change reported through the seam. Engine
 * behaviour over it is tested through SQL in tests/engine/.
 */

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Backend, openLocalBackend } from "../../src/backend/mod.ts";
import { open } from "../../mod.ts";
import { openWithBackend } from "../../src/engine/mod.ts";
import { compileByteCondition, describeBackendContract } from "./_conformance.ts";

const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-backend-test-"));
after(() => nodeFs.rmSync(root, { recursive: true, force: true }));
let directoryCount = 0;

function freshDirectory(): string {
  directoryCount++;
  return path.join(root, `db${directoryCount}`);
}

describeBackendContract(
  "local",
  (options) => openLocalBackend(freshDirectory(), { ...options, sync: "none" }),
);

describe("local backend", () => {
  test("declares what it promises", async () => {
    const backend = await openLocalBackend(freshDirectory(), {
      sync: "none",
      compileCondition: compileByteCondition,
    });
    assert.deepEqual({ ...backend.capabilities }, {
      name: "local",
      transactions: true,
      ownershipIsLease: false,
      synchronousReads: true,
      serverSideConditions: "any",
      clientSideConditions: true,
      exactRelayMarks: true,
      delayedRows: true,
      strictPriorityAcrossTables: true,
      compaction: true,
      durability: "memory",
    });
    await backend.close();
  });

  test("db.capabilities reports the backend's", async () => {
    const db = await open(freshDirectory(), { sync: "none" });
    assert.equal(db.capabilities.name, "local");
    assert.equal(db.capabilities.durability, "memory");
    await db.close();
    const durable = await open(freshDirectory());
    assert.equal(durable.capabilities.durability, "disk");
    await durable.close();
  });

  test("the engine follows catalog changes a shared backend reports", async () => {
    let backend: Backend | undefined;
    const db = await openWithBackend(async (options) => {
      backend = await openLocalBackend(freshDirectory(), { ...options, sync: "none" });
      return backend;
    });
    assert.ok(backend !== undefined);
    await db.sql`CREATE TABLE a (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE b (v INT NOT NULL) ENGINE=QUEUE`;
    // As another client would: b dropped and created again with a new
    // schema under the same name, a new table c; then the report.
    const b = backend.tables().find((table) => table.name === "b");
    assert.ok(b !== undefined);
    const aMeta = backend.tables().find((table) => table.name === "a")?.meta;
    await backend.dropTable(b.tableId);
    await backend.createTable("b", aMeta);
    await backend.createTable("c", aMeta);
    backend.onCatalogChange?.();
    const names = (await db.sql`SHOW TABLES`).map((row) => Object.values(row)[0]);
    assert.deepEqual(names, ["a", "b", "c"]);
    await db.sql`INSERT INTO c (v) VALUES (${1})`;
    assert.equal(db.stats("c").rowsWritten, 1);
    assert.equal(db.stats("b").rowsWritten, 0);
    await db.close();
  });
});
