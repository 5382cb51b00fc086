/**
 * Tests of the catalog (src/storage/catalog.ts) as openStore uses it: a
 * missing or damaged catalog over a log, and crashes at every sync of a
 * CREATE, ALTER or DROP rewrite over the fault-injecting file system.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { openStore } from "../../src/storage/store.ts";
import type { Store, TableRows } from "../../src/storage/types.ts";
import { QueueError } from "../../src/errors.ts";
import { IoError } from "../../src/io/types.ts";

const dir = "/db";
const catalogPath = `${dir}/catalog.json`;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function liveIds(rows: TableRows): number[] {
  const ids: number[] = [];
  for (let id = rows.nextLive(0); id !== 0; id = rows.nextLive(id)) ids.push(id);
  return ids;
}

const isCorrupt = (e: unknown): boolean => e instanceof QueueError && e.code === "ER_CORRUPT";

/** A store with table "a" (rows 1, 2; row 1 removed) and table "b" (row 1), closed. */
async function populated(): Promise<FaultFileSystem> {
  const fs = new FaultFileSystem();
  const store = await openStore(dir, { fs });
  const a = await store.createTable("a", { v: 1 });
  await a.append([bytes("a1"), bytes("a2")]).durable;
  await a.remove([1]);
  const b = await store.createTable("b", { v: 1 });
  await b.append([bytes("b1")]).durable;
  await store.close();
  return fs;
}

/** Names, ids, metas and live row ids of every table: what a reopen must agree on. */
function snapshot(store: Store): Record<string, { tableId: number; meta: unknown; ids: number[] }> {
  const out: Record<string, { tableId: number; meta: unknown; ids: number[] }> = {};
  for (const [name, entry] of store.tables()) {
    out[name] = { tableId: entry.tableId, meta: entry.meta, ids: liveIds(entry) };
  }
  return out;
}

describe("catalog", () => {
  test("a missing catalog over a non-empty log is ER_CORRUPT at open, not a fresh start", async () => {
    const fs = await populated();
    await fs.remove(catalogPath);
    await fs.syncDirectory(dir);
    await assert.rejects(openStore(dir, { fs }), isCorrupt);
    // Nothing was written: the catalog is still missing and a second try fails the same way.
    assert.equal(await fs.exists(catalogPath), false);
    await assert.rejects(openStore(dir, { fs }), isCorrupt);
  });

  test("an empty or garbled catalog over a log is ER_CORRUPT at open", async () => {
    for (const content of [new Uint8Array(0), bytes("{}"), bytes("not json\ncrc32c:00000000\n")]) {
      const fs = await populated();
      const file = await fs.open(catalogPath);
      await file.truncate(0);
      await file.write(content, 0);
      await file.sync();
      await file.close();
      await assert.rejects(openStore(dir, { fs }), isCorrupt);
    }
  });

  test("a new directory, or one holding only a leftover temp catalog, starts fresh", async () => {
    const fs = new FaultFileSystem();
    await fs.mkdir(`${dir}/log`);
    const temp = await fs.open(`${dir}/catalog.json.tmp`, { create: true });
    await temp.write(bytes("half"), 0);
    await temp.close();
    const store = await openStore(dir, { fs });
    assert.equal(store.tables().size, 0);
    assert.equal(await fs.exists(`${dir}/catalog.json.tmp`), false);
    const created = await store.createTable("t", null);
    assert.equal(created.tableId, 1);
    await store.close();
  });

  test("a catalog rewrite that fails after its rename leaves disk and memory agreeing", async () => {
    class FailingDirectorySyncFs extends FaultFileSystem {
      failDirectorySync = false;
      override async syncDirectory(path: string): Promise<void> {
        if (this.failDirectorySync) {
          this.failDirectorySync = false;
          throw new IoError("EIO", path, "directory sync failure injected");
        }
        return await super.syncDirectory(path);
      }
    }
    const fs = new FailingDirectorySyncFs();
    const store = await openStore(dir, { fs });
    const rows = await store.createTable("t", null);
    fs.failDirectorySync = true;
    await assert.rejects(
      store.dropTable("t"),
      (e) => e instanceof QueueError && e.code === "ER_ERROR_ON_WRITE",
    );
    // The drop failed: the table is still there, and rows written to it are acknowledged.
    assert.ok(store.tables().has("t"));
    await rows.append([bytes("kept")]).durable;
    await store.close();
    const again = await openStore(dir, { fs });
    assert.ok(again.tables().has("t"), "the table the failed DROP left is still there");
    assert.deepEqual(liveIds(again.tables().get("t")!), [1]);
    await again.close();
  });

  const rewrites: Array<{ name: string; run: (store: Store) => Promise<unknown> }> = [
    { name: "CREATE", run: (store) => store.createTable("c", { v: 1 }) },
    { name: "ALTER", run: (store) => store.alterTable("a", { v: 2 }) },
    { name: "DROP", run: (store) => store.dropTable("a") },
  ];
  for (const rewrite of rewrites) {
    test(`a crash at each sync of a ${rewrite.name} catalog rewrite reopens the old or the new catalog`, async () => {
      // Learn the states before and after, and how many syncs the rewrite makes.
      const reference = await populated();
      const referenceStore = await openStore(dir, { fs: reference });
      const oldState = snapshot(referenceStore);
      const syncsBefore = reference.syncCount;
      await rewrite.run(referenceStore);
      const syncsTaken = reference.syncCount - syncsBefore;
      const newState = snapshot(referenceStore);
      await referenceStore.close();
      assert.ok(syncsTaken >= 2, `${rewrite.name} syncs ${syncsTaken} times`);
      assert.notDeepEqual(newState, oldState);

      for (let crashAt = 1; crashAt <= syncsTaken; crashAt++) {
        for (const torn of ["none", "prefix", "pages"] as const) {
          const fs = await populated();
          const store = await openStore(dir, { fs });
          fs.crashAtSync(crashAt);
          await assert.rejects(rewrite.run(store), `crash at sync ${crashAt}`);
          await store.close().catch(() => {});
          const survivor = fs.crash({ torn, random: () => 0.5 });
          const reopened = await openStore(dir, { fs: survivor });
          const state = snapshot(reopened);
          const label = `${rewrite.name}, crash at sync ${crashAt}, torn ${torn}`;
          assert.ok(
            JSON.stringify(state) === JSON.stringify(oldState) ||
              JSON.stringify(state) === JSON.stringify(newState),
            `${label}: ${JSON.stringify(state)}`,
          );
          // The log and catalog agree: the database keeps working and ids are not reused.
          const next = await reopened.createTable("after", null);
          const usedIds = [...Object.values(state)].map((t) => t.tableId);
          assert.ok(!usedIds.includes(next.tableId), `${label}: table id ${next.tableId} reused`);
          if (state.b !== undefined) {
            const b = reopened.tables().get("b")!;
            const appended = b.append([bytes("b2")]);
            assert.equal(appended.firstRowId, 2, label);
            await appended.durable;
          }
          await reopened.close();
          const third = await openStore(dir, { fs: survivor });
          assert.deepEqual(liveIds(third.tables().get("after")!), [], label);
          assert.deepEqual(
            liveIds(third.tables().get("b")!),
            state.b === undefined ? [] : [1, 2],
            label,
          );
          await third.close();
        }
      }
    });
  }
});
