/** Tests of the fault-injecting file system the crash tests rely on. */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { IoError } from "../../src/io/types.ts";

const data = (...values: number[]) => new Uint8Array(values);

describe("FaultFileSystem", () => {
  test("a crash keeps synced bytes and synced entries only", async () => {
    const fs = new FaultFileSystem();
    await fs.mkdir("/d");
    await fs.syncDirectory("/");
    const file = await fs.open("/d/a", { create: true });
    await file.write(data(1, 2), 0);
    await file.syncData();
    await fs.syncDirectory("/d");
    await file.write(data(3), 2);
    const unsynced = await fs.open("/d/b", { create: true });
    await unsynced.write(data(9), 0);
    await unsynced.sync();
    const survivor = fs.crash();
    assert.deepEqual(await survivor.readFile("/d/a"), data(1, 2));
    assert.equal(await survivor.exists("/d/b"), false, "entry never made durable");
    await assert.rejects(file.write(data(4), 0), (e) => e instanceof IoError && e.errno === "EIO");
  });

  test("a crash loses a directory whose entry was never synced, with every file below it", async () => {
    const fs = new FaultFileSystem();
    await fs.mkdir("/new/deeper");
    const file = await fs.open("/new/deeper/a", { create: true });
    await file.write(data(1), 0);
    await file.sync();
    await fs.syncDirectory("/new/deeper");
    await fs.syncDirectory("/new"); // "deeper" is durable in "/new", but "/new" is not in "/"
    const survivor = fs.crash();
    assert.equal(await survivor.exists("/new"), false);
    assert.equal(await survivor.exists("/new/deeper/a"), false);
  });

  test("a torn crash persists a prefix of the unsynced bytes", async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open("/a", { create: true });
    await file.sync();
    await fs.syncDirectory("/");
    await file.write(data(1, 2, 3, 4), 0);
    const survivor = fs.crash({ torn: "prefix", random: () => 0.5 });
    assert.deepEqual(await survivor.readFile("/a"), data(1, 2));
  });

  test("a page-torn crash persists a subset of 4 KiB pages", async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open("/a", { create: true });
    await fs.syncDirectory("/");
    await file.write(new Uint8Array(3 * 4096).fill(7), 0);
    let call = 0;
    const survivor = fs.crash({ torn: "pages", random: () => (call++ === 1 ? 0.9 : 0.1) });
    const content = await survivor.readFile("/a");
    assert.equal(content[0], 7);
    assert.equal(content[4096], 0, "second page lost");
    assert.equal(content[8192], 7);
  });

  test("crash at the N-th sync throws and marks the fs crashed", async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open("/a", { create: true });
    fs.crashAtSync(2);
    file.syncDataSync();
    assert.throws(() => file.syncDataSync(), (e) => e instanceof IoError && e.errno === "EIO");
    assert.equal(fs.crashed, true);
    await assert.rejects(fs.exists("/a"));
  });

  test("injected ENOSPC, EIO and bit flips", async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open("/a", { create: true });
    fs.failNextWrite("ENOSPC");
    assert.throws(
      () => file.writeSync(data(1), 0),
      (e) => e instanceof IoError && e.errno === "ENOSPC",
    );
    fs.failWritesAfterBytes(2);
    assert.throws(
      () => file.writeSync(data(1, 2, 3), 0),
      (e) => e instanceof IoError && e.errno === "ENOSPC",
    );
    assert.deepEqual(
      await fs.readFile("/a"),
      data(1, 2),
      "the failing write persisted its first part",
    );
    fs.failWritesAfterBytes(Infinity);
    fs.failNextSync();
    await assert.rejects(file.syncData(), (e) => e instanceof IoError && e.errno === "EIO");
    await file.syncData();
    await fs.syncDirectory("/");
    fs.flipBit("/a", 1, 0);
    assert.deepEqual(fs.durableContent("/a"), data(1, 3));
  });

  test("failWriteWhen fails the one matching write, writing nothing", async () => {
    const fs = new FaultFileSystem();
    const file = await fs.open("/a", { create: true });
    fs.failWriteWhen((path, position, bytes) => path === "/a" && position === 2 && bytes[0] === 7);
    await file.write(data(1, 2), 0);
    await file.write(data(8), 2);
    await assert.rejects(
      file.write(data(7), 2),
      (e) => e instanceof IoError && e.errno === "ENOSPC",
    );
    await file.write(data(7), 2);
    assert.deepEqual(await fs.readFile("/a"), data(1, 2, 7));
  });

  test("kill keeps every write and entry, synced or not", async () => {
    const fs = new FaultFileSystem();
    await fs.mkdir("/d");
    const file = await fs.open("/d/a", { create: true });
    await file.write(data(1, 2), 0);
    await fs.rename("/d/a", "/d/b");
    const survivor = fs.kill();
    assert.equal(fs.crashed, true);
    assert.deepEqual(await survivor.readFile("/d/b"), data(1, 2));
    assert.equal(await survivor.exists("/d/a"), false);
    assert.deepEqual(await survivor.crash().readFile("/d/b"), data(1, 2), "and all of it durable");
  });

  test("a directory lock is exclusive until released", async () => {
    const fs = new FaultFileSystem();
    const lock = await fs.lockDirectory("/");
    await assert.rejects(
      fs.lockDirectory("/"),
      (e) => e instanceof IoError && e.errno === "ELOCKED",
    );
    await lock.release();
    await (await fs.lockDirectory("/")).release();
  });
});
