/**
 * The backend contract of src/backend/types.ts as tests any backend runs:
 * `describeBackendContract(name, openBackend)` registers them for one
 * backend (the local one in local_backend_test.ts; a replicated one beside
 * its own tests). Calls are made as the engine makes them; where a backend
 * may promise less, the test reads its capabilities and checks the weaker
 * contract (or that it refuses with ER_NOT_SUPPORTED_YET).
 *
 * Conditions here are compiled by a test compiler, not the engine's: "=N"
 * matches rows whose first payload byte is N ("" matches every row).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type {
  Backend,
  BackendOpenOptions,
  BackendSession,
  CompiledCondition,
} from "../../src/backend/mod.ts";
import { QueueError } from "../../mod.ts";

/** Opens a fresh, empty backend with the given engine-side options. */
export type ContractOpener = (options: BackendOpenOptions) => Promise<Backend>;

/** The test compiler: "=N" matches a first payload byte N; "" every row. */
export function compileByteCondition(_table: unknown, text: string): CompiledCondition {
  if (text === "") return { text, expression: null, matches: null, readsClock: false };
  const wanted = Number(text.slice(1));
  return { text, expression: null, matches: (payload) => payload[0] === wanted, readsClock: false };
}

/** A one-byte payload. */
export const row = (byte: number): Uint8Array => new Uint8Array([byte]);

/** The row ids a session sees in a table, awaiting the scan only if it is asynchronous. */
async function visibleIds(
  session: BackendSession,
  tableId: number,
  ownerMode = false,
): Promise<number[]> {
  const ids: number[] = [];
  await session.scan(tableId, ownerMode, (rowId) => ids.push(rowId) > 0);
  return ids;
}

function isCode(code: string): (error: unknown) => boolean {
  return (error) => error instanceof QueueError && error.code === code;
}

/** Registers the contract tests for one backend. */
export function describeBackendContract(name: string, openBackend: ContractOpener): void {
  const open = () => openBackend({ compileCondition: compileByteCondition });

  describe(`backend contract: ${name}`, () => {
    test("declares every capability", async () => {
      const backend = await open();
      const capabilities = backend.capabilities;
      for (
        const key of [
          "transactions",
          "ownershipIsLease",
          "synchronousReads",
          "clientSideConditions",
          "exactRelayMarks",
          "delayedRows",
          "strictPriorityAcrossTables",
          "compaction",
        ] as const
      ) {
        assert.equal(typeof capabilities[key], "boolean", key);
      }
      assert.ok(["any", "routing", "none"].includes(capabilities.serverSideConditions));
      assert.ok(["disk", "quorum", "memory"].includes(capabilities.durability));
      assert.equal(typeof capabilities.name, "string");
      await backend.close();
    });

    test("tables keep their id across ALTER and get a new one when created again", async () => {
      const backend = await open();
      const first = await backend.createTable("t", { v: 1 });
      const altered = await backend.alterTable(first.tableId, { v: 2 });
      assert.equal(altered.tableId, first.tableId);
      assert.deepEqual(backend.table(first.tableId)?.meta, { v: 2 });
      await assert.rejects(backend.createTable("t", {}), isCode("ER_TABLE_EXISTS_ERROR"));
      await backend.dropTable(first.tableId);
      assert.equal(backend.table(first.tableId), undefined);
      const again = await backend.createTable("t", {});
      assert.notEqual(again.tableId, first.tableId);
      assert.deepEqual(backend.tables().map((table) => table.name), ["t"]);
      await backend.close();
    });

    test("a relayed insert at or below the watermark is dropped in mode 'a' only", async () => {
      const backend = await open();
      const { tableId } = await backend.createTable("t", {});
      const mark = { source: 3, rowId: 10, mode: "a" as const };
      assert.deepEqual(await backend.insert(tableId, [row(1)], [[1]], { mark }), {
        firstRowId: 1,
        rowCount: 1,
      });
      assert.equal(backend.relayMarks(tableId)[3], 10);
      // Within any de-duplication window: the same mark again at once.
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
      const backend = await open();
      const { tableId } = await backend.createTable("t", {});
      await backend.insert(tableId, [row(1), row(2)], [[1], [2]]);
      const session = backend.openSession(1);
      const other = backend.openSession(2);
      const capabilities = backend.capabilities;
      if (capabilities.serverSideConditions !== "any" && !capabilities.clientSideConditions) {
        await assert.rejects(
          (async () => await session.wait([{ tableId, text: "=2" }], 0))(),
          isCode("ER_NOT_SUPPORTED_YET"),
        );
        await backend.close();
        return;
      }
      const result = await session.wait([{ tableId, text: "=9" }, { tableId, text: "=2" }], 0);
      assert.deepEqual(result, { argIndex: 2, rowId: 2 });
      assert.deepEqual(session.owned, { tableId, rowId: 2 });
      assert.equal(session.ownedRowIn(tableId), 2);
      assert.equal(session.attempts(), 1);
      // Another session sees only the row nobody owns; the owner its own.
      assert.deepEqual(await visibleIds(other, tableId), [1]);
      assert.equal(await other.visibleCount(tableId, false), 1);
      assert.deepEqual(await visibleIds(session, tableId, true), [2]);
      assert.equal(await session.visibleCount(tableId, true), 1);
      await session.end();
      assert.equal(session.owned, null);
      const stats = backend.stats(tableId);
      assert.equal(stats.rowsLive, 1);
      assert.equal(stats.rowsRemoved, 1);
      assert.equal(stats.waitImmediate, 1);
      await backend.close();
    });

    test("a wait with nothing to serve and timeout 0 returns 0 and counts a timeout", async () => {
      const backend = await open();
      const { tableId } = await backend.createTable("t", {});
      const session = backend.openSession(1);
      assert.deepEqual(await session.wait([{ tableId, text: "" }], 0), { argIndex: 0, rowId: 0 });
      assert.equal(session.owned, null);
      assert.equal(backend.stats(tableId).waitTimeout, 1);
      await backend.close();
    });

    test("a blocked wait is served by an insert; close returns the owned row", async () => {
      const backend = await open();
      const { tableId } = await backend.createTable("t", {});
      const session = backend.openSession(1);
      const waiting = session.wait([{ tableId, text: "" }], 10_000);
      assert.deepEqual(session.waitingOn, [tableId]);
      await backend.insert(tableId, [row(5)], [[5]]);
      assert.deepEqual(await waiting, { argIndex: 1, rowId: 1 });
      assert.equal(session.waitingOn, null);
      session.close();
      assert.equal(backend.stats(tableId).restoredByClose, 1);
      const next = backend.openSession(2);
      assert.deepEqual(await next.wait([{ tableId, text: "" }], 10_000), {
        argIndex: 1,
        rowId: 1,
      });
      assert.equal(next.attempts(), 2);
      await backend.close();
    });

    test("cancelWait ends a blocked wait with the error given; close with ER_CLOSED", async () => {
      const backend = await open();
      const { tableId } = await backend.createTable("t", {});
      const session = backend.openSession(1);
      const cancelled = session.wait([{ tableId, text: "" }], 10_000);
      assert.equal(
        session.cancelWait(new QueueError("ER_QUERY_INTERRUPTED", "interrupted")),
        true,
      );
      await assert.rejects((async () => await cancelled)(), isCode("ER_QUERY_INTERRUPTED"));
      assert.equal(session.cancelWait(new QueueError("ER_QUERY_INTERRUPTED", "again")), false);
      const closed = session.wait([{ tableId, text: "" }], 10_000);
      session.close();
      await assert.rejects((async () => await closed)(), isCode("ER_CLOSED"));
      await backend.close();
    });

    test("dropping the only table of a blocked wait resolves it with 0", async () => {
      const backend = await open();
      const { tableId } = await backend.createTable("t", {});
      const session = backend.openSession(1);
      const waiting = session.wait([{ tableId, text: "" }], 10_000);
      await backend.dropTable(tableId);
      assert.deepEqual(await waiting, { argIndex: 0, rowId: 0 });
      await backend.close();
    });

    test("abort returns the owned row at its place; with a delay it waits until due", async () => {
      const backend = await open();
      const { tableId } = await backend.createTable("t", {});
      await backend.insert(tableId, [row(1), row(2)], [[1], [2]]);
      const session = backend.openSession(1);
      await session.wait([{ tableId, text: "" }], 0);
      await session.abort(0);
      assert.equal(session.owned, null);
      assert.equal(backend.stats(tableId).restoredByAbort, 1);
      assert.deepEqual(await session.wait([{ tableId, text: "" }], 0), { argIndex: 1, rowId: 1 });
      if (backend.capabilities.delayedRows) {
        await session.abort(60_000);
        assert.equal(backend.stats(tableId).rowsDelayed, 1);
        assert.deepEqual(await session.wait([{ tableId, text: "" }], 0), {
          argIndex: 1,
          rowId: 2,
        });
      }
      await backend.close();
    });

    test("end(failed) counts the row in rowsFailed once it is removed", async () => {
      const backend = await open();
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

    test("remove deletes visible rows; truncate removes all, the owned row too", async () => {
      const backend = await open();
      const { tableId } = await backend.createTable("t", {});
      await backend.insert(tableId, [row(1), row(2), row(3)], [[1], [2], [3]]);
      const session = backend.openSession(1);
      const other = backend.openSession(2);
      await other.remove(tableId, [2]);
      assert.deepEqual(await visibleIds(other, tableId), [1, 3]);
      await session.wait([{ tableId, text: "" }], 0);
      await backend.truncate(tableId);
      assert.equal(session.ownedRowIn(tableId), 0);
      await session.end(); // the row is gone already: nothing more removed or counted
      const stats = backend.stats(tableId);
      assert.equal(stats.rowsLive, 0);
      assert.equal(stats.rowsRemoved, 3);
      // Ids keep rising after TRUNCATE.
      assert.equal((await backend.insert(tableId, [row(4)], [[4]])).firstRowId, 4);
      await backend.close();
    });

    test("transactions are there or refused by capability", async () => {
      const backend = await open();
      const session = backend.openSession(1);
      if (!backend.capabilities.transactions) {
        assert.throws(() => session.begin(), isCode("ER_NOT_SUPPORTED_YET"));
        assert.equal(session.inTransaction, false);
      } else {
        session.begin();
        assert.equal(session.inTransaction, true);
        session.rollback();
        assert.equal(session.inTransaction, false);
      }
      await backend.close();
    });

    test("a transaction's inserts and end commit as one unit; rollback undoes them", async (t) => {
      const backend = await open();
      if (!backend.capabilities.transactions) {
        await backend.close();
        t.skip("no transactions on this backend");
        return;
      }
      const { tableId: src } = await backend.createTable("src", {});
      const { tableId: dst } = await backend.createTable("dst", {});
      await backend.insert(src, [row(1), row(2)], [[1], [2]]);
      const session = backend.openSession(1);
      const other = backend.openSession(2);
      await session.wait([{ tableId: src, text: "" }], 0);
      session.begin();
      assert.throws(() => session.begin(), isCode("ER_WRONG_ARGUMENTS"));
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
  });
}
