/**
 * Which errors become disk errors: only an IoError (it carries an errno) from
 * a write or sync is ER_DISK_FULL / ER_ERROR_ON_WRITE. A bug (an exception
 * without an errno) surfaces as itself, and never undoes a batch that is
 * already durable. Automatic compaction failures are counted and logged.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { type FileHandle, IoError, type OpenFileOptions } from "../../src/io/types.ts";
import { openStore } from "../../src/storage/store.ts";
import type { GroupCommit, LogOperation } from "../../src/storage/group_commit.ts";
import type { BatchEncoder } from "../../src/storage/record_codec.ts";
import type { Store, TableRows } from "../../src/storage/types.ts";
import { QueueError } from "../../src/errors.ts";

const dir = "/db";
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function liveIds(rows: TableRows): number[] {
  const ids: number[] = [];
  for (let id = rows.nextLive(0); id !== 0; id = rows.nextLive(id)) ids.push(id);
  return ids;
}

function commitOf(store: Store): GroupCommit {
  return (store as unknown as { commit: GroupCommit }).commit;
}

/** An operation with a bug in one of its steps; records how it was settled. */
class BuggyOperation implements LogOperation {
  readonly settled: Promise<unknown>;
  #resolve!: (error: unknown) => void;
  readonly #failIn: "encode" | "commit";
  constructor(failIn: "encode" | "commit") {
    this.#failIn = failIn;
    this.settled = new Promise((resolve) => this.#resolve = resolve);
  }
  recordBytesMax(): number {
    return 0;
  }
  encode(_encoder: BatchEncoder): void {
    if (this.#failIn === "encode") throw new Error("bug in encode");
  }
  commit(): void {
    if (this.#failIn === "commit") throw new Error("bug in commit");
  }
  revert(): void {}
  settle(error: unknown): void {
    this.#resolve(error);
  }
}

describe("commit errors", () => {
  test("a bug in a commit step after the batch is durable surfaces as itself and undoes nothing", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs, autoCompact: false });
    const rows = await store.createTable("t", null);
    const append = rows.append([bytes("durable")]);
    const buggy = new BuggyOperation("commit");
    commitOf(store).submit(buggy);
    await append.durable;
    const error = await buggy.settled;
    assert.ok(error instanceof Error && !(error instanceof QueueError), String(error));
    assert.match(error.message, /bug in commit/);
    assert.deepEqual(liveIds(rows), [1]);
    // The id on disk is not handed out again.
    const next = rows.append([bytes("next")]);
    assert.equal(next.firstRowId, 2);
    await next.durable;
    await store.close();
    const again = await openStore(dir, { fs });
    assert.deepEqual(liveIds(again.tables().get("t")!), [1, 2]);
    await again.close();
  });

  test("a bug before the write rejects its round with the bug itself, not ER_ERROR_ON_WRITE", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs, autoCompact: false });
    const rows = await store.createTable("t", null);
    const append = rows.append([bytes("reverted")]);
    const buggy = new BuggyOperation("encode");
    commitOf(store).submit(buggy);
    await assert.rejects(
      append.durable,
      (e) => !(e instanceof QueueError) && /bug/.test(String(e)),
    );
    const error = await buggy.settled;
    assert.ok(error instanceof Error && !(error instanceof QueueError), String(error));
    // Nothing reached the disk, so the id is free again and the store keeps working.
    const next = rows.append([bytes("next")]);
    assert.equal(next.firstRowId, 1);
    await next.durable;
    await store.close();
  });

  test("an IoError from a sync is still ER_ERROR_ON_WRITE", async () => {
    const fs = new FaultFileSystem();
    const store = await openStore(dir, { fs, autoCompact: false });
    const rows = await store.createTable("t", null);
    fs.failNextSync("EIO");
    await assert.rejects(
      rows.append([bytes("x")]).durable,
      (e) => e instanceof QueueError && e.code === "ER_ERROR_ON_WRITE",
    );
    await store.close();
  });

  test("a bug while reading a row surfaces as itself; an I/O failure is ER_ERROR_ON_READ", async () => {
    class FailingReadFs extends FaultFileSystem {
      failRead: Error | null = null;
      override async open(path: string, options?: OpenFileOptions): Promise<FileHandle> {
        const handle = await super.open(path, options);
        return {
          ...handle,
          readSync: (buffer: Uint8Array, position: number) => {
            if (this.failRead !== null) throw this.failRead;
            return handle.readSync(buffer, position);
          },
        };
      }
    }
    const fs = new FailingReadFs();
    const store = await openStore(dir, { fs, autoCompact: false });
    const rows = await store.createTable("t", null);
    await rows.append([bytes("one")]).durable;
    await rows.append([bytes("two")]).durable;
    await store.close();
    const again = await openStore(dir, { fs, autoCompact: false });
    const t = again.tables().get("t")!;
    fs.failRead = new TypeError("bug in a read path");
    assert.throws(() => t.readRow(1), (e) => e instanceof TypeError);
    fs.failRead = new IoError("EIO", "/db/log", "read failure injected");
    assert.throws(
      () => t.readRow(2),
      (e) => e instanceof QueueError && e.code === "ER_ERROR_ON_READ",
    );
    fs.failRead = null;
    assert.equal(new TextDecoder().decode(t.readRow(1)), "one");
    await again.close();
  });

  test("a failed automatic compaction is logged once, counted, and the store keeps serving", async () => {
    class FailingRemoveFs extends FaultFileSystem {
      failRemove = false;
      override async remove(path: string): Promise<void> {
        if (this.failRemove) throw new IoError("EIO", path, "remove failure injected");
        return await super.remove(path);
      }
    }
    const fs = new FailingRemoveFs();
    const store = await openStore(dir, { fs, segmentBytes: 64 * 1024 });
    const rows = await store.createTable("t", null);
    const payload = new Uint8Array(16 * 1024);
    for (let i = 0; i < 6; i++) await rows.append([payload]).durable;
    fs.failRemove = true;
    const logged: unknown[][] = [];
    const originalError = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      // Consuming the rows of the first segments makes them deletable: every
      // round after that starts a run that fails. The fault fs settles in
      // microtasks, so a run is over by the next macrotask.
      const stats = store as unknown as { compactionErrorCount: number };
      for (let id = 1; id <= 5; id++) {
        await rows.remove([id]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(stats.compactionErrorCount >= 2, `${stats.compactionErrorCount} errors counted`);
      assert.equal(logged.length, 1, "logged once");
      assert.match(String(logged[0]?.join(" ")), /compaction/);
      // Still serving.
      const after = rows.append([bytes("after")]);
      await after.durable;
      assert.ok(liveIds(rows).includes(after.firstRowId));
    } finally {
      console.error = originalError;
    }
    fs.failRemove = false;
    await store.close();
  });
});
