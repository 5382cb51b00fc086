/**
 * The backend seam (src/backend/types.ts) as the local backend implements
 * it, called directly as the engine calls it: tables by stable id, insert
 * with relay marks, wait / end / abort / close with ownership in the
 * backend, synchronous scans, capabilities. Engine behaviour over it is
 * tested through SQL in tests/engine/.
 */

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Backend, type CompiledCondition, openLocalBackend } from "../../src/backend/mod.ts";
import { open, QueueError } from "../../mod.ts";

const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-backend-test-"));
after(() => nodeFs.rmSync(root, { recursive: true, force: true }));
let directoryCount = 0;

/** Conditions here are byte equality on the payload's first byte: "=N", or "" for any row. */
function compileCondition(_table: unknown, text: string): CompiledCondition {
  if (text === "") return { text, expression: null, matches: null, readsClock: false };
  const wanted = Number(text.slice(1));
  return {
    text,
    expression: null,
    matches: (payload) => payload[0] === wanted,
    readsClock: false,
  };
}

async function openBackend(): Promise<Backend> {
  directoryCount++;
  return await openLocalBackend(path.join(root, `db${directoryCount}`), {
    sync: "none",
    compileCondition,
  });
}

const row = (byte: number) => new Uint8Array([byte]);

describe("local backend", () => {
  test("declares what it promises", async () => {
    const backend = await openBackend();
    assert.equal(backend.capabilities.name, "local");
    assert.equal(backend.capabilities.synchronousReads, true);
    assert.equal(backend.capabilities.ownershipIsLease, false);
    assert.equal(backend.capabilities.exactRelayMarks, true);
    assert.equal(backend.capabilities.durability, "memory");
    await backend.close();
  });

  test("tables keep their id across ALTER and get a new one when created again", async () => {
    const backend = await openBackend();
    const first = await backend.createTable("t", { v: 1 });
    const altered = await backend.alterTable(first.tableId, { v: 2 });
    assert.equal(altered.tableId, first.tableId);
    assert.deepEqual(backend.table(first.tableId)?.meta, { v: 2 });
    await backend.dropTable(first.tableId);
    assert.equal(backend.table(first.tableId), undefined);
    const again = await backend.createTable("t", {});
    assert.notEqual(again.tableId, first.tableId);
    await backend.close();
  });

  test("a relayed insert at or below the watermark is dropped in mode 'a' only", async () => {
    const backend = await openBackend();
    const { tableId } = await backend.createTable("t", {});
    const mark = { source: 3, rowId: 10, mode: "a" as const };
    assert.deepEqual(await backend.insert(tableId, [row(1)], [[1]], { mark }), {
      firstRowId: 1,
      rowCount: 1,
    });
    assert.equal(backend.relayMarks(tableId)[3], 10);
    assert.deepEqual(await backend.insert(tableId, [row(1)], [[1]], { mark }), {
      firstRowId: 0,
      rowCount: 0,
    });
    const written = await backend.insert(tableId, [row(1)], [[1]], {
      mark: { ...mark, mode: "w" },
    });
    assert.equal(written.rowCount, 1);
    assert.equal(backend.stats(tableId).rowsWritten, 2);
    await backend.close();
  });

  test("wait serves the first argument with a matching row and the session owns it", async () => {
    const backend = await openBackend();
    const { tableId } = await backend.createTable("t", {});
    await backend.insert(tableId, [row(1), row(2)], [[1], [2]]);
    const session = backend.openSession(1);
    const other = backend.openSession(2);
    const result = await session.wait([{ tableId, text: "=9" }, { tableId, text: "=2" }], 0);
    assert.deepEqual(result, { argIndex: 2, rowId: 2 });
    assert.deepEqual(session.owned, { tableId, rowId: 2 });
    assert.equal(session.attempts(), 1);
    // Another session sees only the row nobody owns, synchronously.
    const seen: number[] = [];
    assert.equal(other.scan(tableId, false, (rowId) => seen.push(rowId) > 0), undefined);
    assert.deepEqual(seen, [1]);
    assert.equal(other.visibleCount(tableId, false), 1);
    assert.equal(session.visibleCount(tableId, true), 1);
    await session.end();
    assert.equal(session.owned, null);
    assert.equal(backend.stats(tableId).rowsLive, 1);
    await backend.close();
  });

  test("a blocked wait is served by an insert; close returns the owned row", async () => {
    const backend = await openBackend();
    const { tableId } = await backend.createTable("t", {});
    const session = backend.openSession(1);
    const waiting = session.wait([{ tableId, text: "" }], 10_000);
    assert.deepEqual(session.waitingOn, [tableId]);
    await backend.insert(tableId, [row(5)], [[5]]);
    assert.deepEqual(await waiting, { argIndex: 1, rowId: 1 });
    session.close();
    assert.equal(backend.stats(tableId).restoredByClose, 1);
    const next = backend.openSession(2);
    assert.deepEqual(await next.wait([{ tableId, text: "" }], 0), { argIndex: 1, rowId: 1 });
    assert.equal(next.attempts(), 2);
    await backend.close();
  });

  test("abort with a delay hides the row from wait until it is due", async () => {
    const backend = await openBackend();
    const { tableId } = await backend.createTable("t", {});
    await backend.insert(tableId, [row(1)], [[1]]);
    const session = backend.openSession(1);
    await session.wait([{ tableId, text: "" }], 0);
    await session.abort(60_000);
    assert.equal(session.owned, null);
    assert.equal(backend.stats(tableId).rowsDelayed, 1);
    assert.deepEqual(await session.wait([{ tableId, text: "" }], 0), { argIndex: 0, rowId: 0 });
    await backend.close();
  });

  test("end(failed) counts the row in rowsFailed once it is removed", async () => {
    const backend = await openBackend();
    const { tableId } = await backend.createTable("t", {});
    await backend.insert(tableId, [row(1), row(2)], [[1], [2]]);
    const session = backend.openSession(1);
    await session.wait([{ tableId, text: "" }], 0);
    await session.end(true);
    await session.wait([{ tableId, text: "" }], 0);
    await session.end();
    const stats = backend.stats(tableId);
    assert.equal(stats.rowsFailed, 1);
    assert.equal(stats.rowsRemoved, 2);
    await backend.close();
  });

  test("a transaction's inserts, ends and removals commit as one unit; rollback undoes them", async () => {
    const backend = await openBackend();
    assert.equal(backend.capabilities.transactions, true);
    const { tableId: src } = await backend.createTable("src", {});
    const { tableId: dst } = await backend.createTable("dst", {});
    await backend.insert(src, [row(1), row(2)], [[1], [2]]);
    const session = backend.openSession(1);
    const other = backend.openSession(2);
    await session.wait([{ tableId: src, text: "" }], 0);
    session.begin();
    assert.throws(
      () => session.begin(),
      (error) => error instanceof QueueError && error.code === "ER_WRONG_ARGUMENTS",
    );
    assert.deepEqual(await backend.insert(dst, [row(10)], [[10]], { session }), {
      firstRowId: 0,
      rowCount: 1,
    });
    await session.end();
    assert.equal(backend.stats(dst).rowsWritten, 0, "buffered until commit");
    assert.equal(other.visibleCount(src, false), 1, "the ended row is held, not back");
    session.rollback();
    assert.deepEqual(session.owned, { tableId: src, rowId: 1 }, "owned again");
    session.begin();
    await backend.insert(dst, [row(10)], [[10]], { session });
    await session.end();
    await session.commit();
    assert.equal(session.inTransaction, false);
    assert.equal(backend.stats(dst).rowsWritten, 1);
    assert.equal(backend.stats(src).rowsRemoved, 1);
    await backend.close();
  });

  test("db.capabilities reports the backend's", async () => {
    directoryCount++;
    const db = await open(path.join(root, `db${directoryCount}`), { sync: "none" });
    assert.equal(db.capabilities.name, "local");
    assert.equal(db.capabilities.durability, "memory");
    await db.close();
  });
});
