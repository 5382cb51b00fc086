/**
 * The contract of `src/io/types.ts`'s FileSystem, run against both real
 * implementations on temp directories (the Node one under Deno too):
 * positioned I/O, directory operations, errno mapping, the directory lock
 * within and across processes (including a holder killed with SIGKILL), and a
 * real ENOSPC on a tiny tmpfs when this machine allows mounting one.
 */

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { defaultFileSystem, DenoFileSystem, IoError, NodeFileSystem } from "../../src/io/mod.ts";
import type { FileSystem } from "../../src/io/mod.ts";
import { toIoError } from "../../src/io/_errno.ts";
import { mountTinyTmpfs, tmpfsUnavailable } from "./_tmpfs.ts";
import { skipUnless } from "../_skip.ts";

/** Longest a child process may take to lock or report, before the test fails. */
const childTimeoutMs = 30_000;
/** Options for tests that start child processes: room for a few of them. */
const childTestOptions = { timeout: childTimeoutMs * 3 };

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
const encoder = new TextEncoder();

const temporaryRoot = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-io-test-"));
after(() => nodeFs.rmSync(temporaryRoot, { recursive: true, force: true }));
let directoryCount = 0;

/** A fresh empty directory for one test. */
function freshDirectory(): string {
  directoryCount++;
  const directory = path.join(temporaryRoot, `d${directoryCount}`);
  nodeFs.mkdirSync(directory);
  return directory;
}

/** Asserts that `action` rejects with an IoError carrying `errno`. */
async function rejectsWith(action: () => Promise<unknown>, errno: string): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof IoError, `expected IoError, got ${String(error)}`);
    assert.equal(error.errno, errno);
    return true;
  });
}

/** Asserts that `action` throws an IoError carrying `errno`. */
function throwsWith(action: () => unknown, errno: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof IoError, `expected IoError, got ${String(error)}`);
    assert.equal(error.errno, errno);
    return true;
  });
}

/** How to start `_lock_child` (a .ts under Deno, the transpiled file under Node). */
function childCommand(implementation: string, directory: string, mode: string): [string, string[]] {
  const testPath = fileURLToPath(import.meta.url);
  const childPath = path.join(path.dirname(testPath), `_lock_child${path.extname(testPath)}`);
  const args = [childPath, implementation, directory, mode];
  return isDeno ? [process.execPath, ["run", "-A", ...args]] : [process.execPath, args];
}

/** Runs a child that tries to lock `directory`; resolves to what it printed ("LOCKED" or an errno). */
function lockFromChild(implementation: string, directory: string): string {
  const [command, args] = childCommand(implementation, directory, "try");
  const result = spawnSync(command, args, { encoding: "utf8", timeout: childTimeoutMs });
  assert.equal(result.status, 0, `child failed: ${result.stdout} ${result.stderr}`);
  return result.stdout.trim();
}

/** Starts a child that holds the lock on `directory`; resolves once it holds it. */
async function holdFromChild(implementation: string, directory: string): Promise<ChildProcess> {
  const [command, args] = childCommand(implementation, directory, "hold");
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child never held: ${output}`)),
      childTimeoutMs,
    );
    child.stdout!.on("data", (chunk) => {
      output += String(chunk);
      if (output.includes("HELD")) {
        clearTimeout(timer);
        resolve();
      } else if (output.includes("\n")) {
        clearTimeout(timer);
        reject(new Error(`child could not hold the lock: ${output}`));
      }
    });
    child.stderr!.on("data", (chunk) => (output += String(chunk)));
    child.on("exit", () => {
      clearTimeout(timer);
      reject(new Error(`child exited before holding: ${output}`));
    });
  });
  return child;
}

/** Ends a child (closing its stdin, or with `signal`) and waits for it to exit. */
function stopChild(child: ChildProcess, signal?: NodeJS.Signals): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  if (signal === undefined) child.stdin!.end();
  else child.kill(signal);
  return exited.then(() => {
    child.stdout!.destroy();
    child.stderr!.destroy();
  });
}

/**
 * Starts one child per entry of `implementations`, lets them all try to lock
 * `directory` at once, and returns what each printed first ("HELD" or an
 * errno), after stopping them all.
 */
async function raceChildren(implementations: string[], directory: string): Promise<string[]> {
  const children = implementations.map((implementation) => {
    const [command, args] = childCommand(implementation, directory, "race");
    return spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  });
  const lines = children.map((child) => {
    let output = "";
    child.stderr!.on("data", (chunk) => (output += String(chunk)));
    const lineAfter = (skip: number) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child silent: ${output}`)),
          childTimeoutMs,
        );
        const onData = (chunk: unknown) => {
          output += String(chunk);
          const outputLines = output.split("\n");
          if (outputLines.length > skip + 1) {
            clearTimeout(timer);
            child.stdout!.off("data", onData);
            resolve(outputLines[skip]?.trim() ?? "");
          }
        };
        child.stdout!.on("data", onData);
        onData("");
      });
    return lineAfter;
  });
  const ready = await Promise.all(lines.map((lineAfter) => lineAfter(0)));
  assert.deepEqual(ready, children.map(() => "READY"));
  const results = lines.map((lineAfter) => lineAfter(1));
  for (const child of children) child.stdin!.write("go\n");
  try {
    return await Promise.all(results);
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["--version"], { encoding: "utf8" });
  assert.equal(child.status, 0);
  assert.ok(child.pid !== undefined && child.pid > 0);
  return child.pid;
}

const implementations: [string, () => FileSystem][] = [["node", () => new NodeFileSystem()]];
if (isDeno) implementations.unshift(["deno", () => new DenoFileSystem()]);

test("defaultFileSystem picks Deno's under Deno and Node's otherwise", () => {
  const chosen = defaultFileSystem();
  assert.ok(isDeno ? chosen instanceof DenoFileSystem : chosen instanceof NodeFileSystem);
});

for (const [name, makeFileSystem] of implementations) {
  describe(`${name} file system`, () => {
    const fs = makeFileSystem();

    describe("files", () => {
      test("write at a position then read returns the bytes, async and blocking", async () => {
        const file = await fs.open(path.join(freshDirectory(), "f"), { create: true });
        await file.write(encoder.encode("hello"), 10);
        file.writeSync(encoder.encode("world"), 2);
        const asyncBuffer = new Uint8Array(5);
        assert.equal(await file.read(asyncBuffer, 10), 5);
        assert.deepEqual(asyncBuffer, encoder.encode("hello"));
        const syncBuffer = new Uint8Array(5);
        assert.equal(file.readSync(syncBuffer, 2), 5);
        assert.deepEqual(syncBuffer, encoder.encode("world"));
        await file.close();
      });

      test("a write past the end zero-fills the gap and grows the size", async () => {
        const file = await fs.open(path.join(freshDirectory(), "f"), { create: true });
        await file.write(encoder.encode("ab"), 4);
        assert.equal(await file.size(), 6);
        const buffer = new Uint8Array(6).fill(9);
        assert.equal(await file.read(buffer, 0), 6);
        assert.deepEqual(buffer, Uint8Array.of(0, 0, 0, 0, 97, 98));
        await file.close();
      });

      test("a read across the end is short and a read at the end returns 0", async () => {
        const file = await fs.open(path.join(freshDirectory(), "f"), { create: true });
        file.writeSync(encoder.encode("abcdef"), 0);
        const buffer = new Uint8Array(10);
        assert.equal(await file.read(buffer, 4), 2);
        assert.deepEqual(buffer.subarray(0, 2), encoder.encode("ef"));
        assert.equal(file.readSync(buffer, 4), 2);
        assert.equal(await file.read(buffer, 6), 0);
        assert.equal(file.readSync(buffer, 100), 0);
        await file.close();
      });

      test("a large write and read are complete", async () => {
        const file = await fs.open(path.join(freshDirectory(), "f"), { create: true });
        const data = new Uint8Array(3 * 1024 * 1024);
        for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
        await file.write(data, 1);
        const back = new Uint8Array(data.length);
        assert.equal(await file.read(back, 1), data.length);
        assert.deepEqual(back, data);
        await file.close();
      });

      test("data written is there after every kind of sync and a reopen", async () => {
        const filePath = path.join(freshDirectory(), "f");
        const file = await fs.open(filePath, { create: true });
        await file.write(encoder.encode("one"), 0);
        await file.syncData();
        file.writeSync(encoder.encode("two"), 3);
        file.syncDataSync();
        await file.sync();
        file.syncSync();
        await file.close();
        assert.deepEqual(await fs.readFile(filePath), encoder.encode("onetwo"));
      });

      test("truncate cuts and zero-extends", async () => {
        const file = await fs.open(path.join(freshDirectory(), "f"), { create: true });
        file.writeSync(encoder.encode("abcdef"), 0);
        await file.truncate(2);
        assert.equal(await file.size(), 2);
        await file.truncate(4);
        const buffer = new Uint8Array(8);
        assert.equal(await file.read(buffer, 0), 4);
        assert.deepEqual(buffer.subarray(0, 4), Uint8Array.of(97, 98, 0, 0));
        await file.close();
      });

      test("open of a missing file without create is ENOENT", async () => {
        await rejectsWith(() => fs.open(path.join(freshDirectory(), "missing")), "ENOENT");
      });

      test("open with createNew of an existing file is EEXIST", async () => {
        const filePath = path.join(freshDirectory(), "f");
        await (await fs.open(filePath, { createNew: true })).close();
        await rejectsWith(() => fs.open(filePath, { createNew: true }), "EEXIST");
      });

      test("open with create keeps an existing file's content", async () => {
        const filePath = path.join(freshDirectory(), "f");
        nodeFs.writeFileSync(filePath, "kept");
        const file = await fs.open(filePath, { create: true });
        assert.equal(await file.size(), 4);
        await file.close();
      });

      test("calls on a closed handle are EBADF and close is idempotent", async () => {
        const file = await fs.open(path.join(freshDirectory(), "f"), { create: true });
        await file.close();
        await file.close();
        await rejectsWith(() => file.read(new Uint8Array(1), 0), "EBADF");
        throwsWith(() => file.writeSync(new Uint8Array(1), 0), "EBADF");
        await rejectsWith(() => file.syncData(), "EBADF");
        throwsWith(() => file.syncDataSync(), "EBADF");
        await rejectsWith(() => file.size(), "EBADF");
      });

      test("close waits for calls in flight, which complete", async () => {
        const filePath = path.join(freshDirectory(), "f");
        const file = await fs.open(filePath, { create: true });
        const data = new Uint8Array(2 * 1024 * 1024).fill(5);
        const writing = file.write(data, 0);
        const syncing = file.syncData();
        const closing = file.close();
        await writing;
        await syncing;
        await closing;
        assert.deepEqual(await fs.readFile(filePath), data);
      });

      test("open of a directory for writing is EISDIR", async () => {
        await rejectsWith(() => fs.open(freshDirectory()), "EISDIR");
      });
    });

    describe("directories", () => {
      test("readFile returns the whole file; a missing one is ENOENT", async () => {
        const directory = freshDirectory();
        nodeFs.writeFileSync(path.join(directory, "f"), "catalog");
        assert.deepEqual(await fs.readFile(path.join(directory, "f")), encoder.encode("catalog"));
        await rejectsWith(() => fs.readFile(path.join(directory, "missing")), "ENOENT");
      });

      test("rename replaces an existing target", async () => {
        const directory = freshDirectory();
        nodeFs.writeFileSync(path.join(directory, "new"), "new");
        nodeFs.writeFileSync(path.join(directory, "old"), "old");
        await fs.rename(path.join(directory, "new"), path.join(directory, "old"));
        assert.equal(nodeFs.readFileSync(path.join(directory, "old"), "utf8"), "new");
        assert.equal(await fs.exists(path.join(directory, "new")), false);
      });

      test("rename of a missing file is ENOENT", async () => {
        const directory = freshDirectory();
        await rejectsWith(
          () => fs.rename(path.join(directory, "a"), path.join(directory, "b")),
          "ENOENT",
        );
      });

      test("remove deletes a file; a missing one is ENOENT", async () => {
        const directory = freshDirectory();
        nodeFs.writeFileSync(path.join(directory, "f"), "x");
        await fs.remove(path.join(directory, "f"));
        assert.equal(nodeFs.existsSync(path.join(directory, "f")), false);
        await rejectsWith(() => fs.remove(path.join(directory, "f")), "ENOENT");
      });

      test("remove refuses a directory", async () => {
        const directory = freshDirectory();
        nodeFs.mkdirSync(path.join(directory, "sub"));
        await assert.rejects(() => fs.remove(path.join(directory, "sub")), IoError);
        assert.equal(nodeFs.existsSync(path.join(directory, "sub")), true);
      });

      test("list returns the entry names sorted", async () => {
        const directory = freshDirectory();
        for (const name of ["seg-0002", "catalog", "seg-0010", "B", "seg-0001"]) {
          nodeFs.writeFileSync(path.join(directory, name), "");
        }
        nodeFs.mkdirSync(path.join(directory, "a-dir"));
        assert.deepEqual(await fs.list(directory), [
          "B",
          "a-dir",
          "catalog",
          "seg-0001",
          "seg-0002",
          "seg-0010",
        ]);
      });

      test("list of a missing directory is ENOENT", async () => {
        await rejectsWith(() => fs.list(path.join(freshDirectory(), "missing")), "ENOENT");
      });

      test("mkdir creates parents and accepts an existing directory", async () => {
        const nested = path.join(freshDirectory(), "a", "b", "c");
        await fs.mkdir(nested);
        assert.ok(nodeFs.statSync(nested).isDirectory());
        await fs.mkdir(nested);
      });

      test("mkdir over an existing file fails", async () => {
        const filePath = path.join(freshDirectory(), "f");
        nodeFs.writeFileSync(filePath, "");
        await assert.rejects(() => fs.mkdir(filePath), IoError);
      });

      test("exists tells files and directories from missing paths", async () => {
        const directory = freshDirectory();
        nodeFs.writeFileSync(path.join(directory, "f"), "");
        assert.equal(await fs.exists(path.join(directory, "f")), true);
        assert.equal(await fs.exists(directory), true);
        assert.equal(await fs.exists(path.join(directory, "missing")), false);
      });

      test("syncDirectory syncs a directory; a missing one is ENOENT", async () => {
        const directory = freshDirectory();
        nodeFs.writeFileSync(path.join(directory, "f"), "");
        await fs.syncDirectory(directory);
        await rejectsWith(() => fs.syncDirectory(path.join(directory, "missing")), "ENOENT");
      });
    });

    describe("directory lock", () => {
      test("a second lock in this process is ELOCKED, also through another spelling", async () => {
        const directory = freshDirectory();
        nodeFs.mkdirSync(path.join(directory, "sub"));
        const lock = await fs.lockDirectory(directory);
        await rejectsWith(() => fs.lockDirectory(directory), "ELOCKED");
        await rejectsWith(() => fs.lockDirectory(path.join(directory, "sub", "..")), "ELOCKED");
        await rejectsWith(() => makeFileSystem().lockDirectory(directory), "ELOCKED");
        await lock.release();
      });

      test("a released lock can be taken again and release is idempotent", async () => {
        const directory = freshDirectory();
        const first = await fs.lockDirectory(directory);
        await first.release();
        await first.release();
        const second = await fs.lockDirectory(directory);
        await second.release();
      });

      test("locking a missing directory is ENOENT", async () => {
        await rejectsWith(() => fs.lockDirectory(path.join(freshDirectory(), "missing")), "ENOENT");
      });

      test("a lock held here makes another process's lock ELOCKED", childTestOptions, async () => {
        const directory = freshDirectory();
        const lock = await fs.lockDirectory(directory);
        assert.equal(lockFromChild(name, directory), "ELOCKED");
        await lock.release();
        assert.equal(lockFromChild(name, directory), "LOCKED");
      });

      test(
        "a lock held by another process makes ours ELOCKED until it releases",
        childTestOptions,
        async () => {
          const directory = freshDirectory();
          const child = await holdFromChild(name, directory);
          try {
            await rejectsWith(() => fs.lockDirectory(directory), "ELOCKED");
          } finally {
            await stopChild(child);
          }
          const lock = await fs.lockDirectory(directory);
          await lock.release();
        },
      );

      test(
        "a lock whose holder was killed with SIGKILL can be taken",
        childTestOptions,
        async () => {
          const directory = freshDirectory();
          const child = await holdFromChild(name, directory);
          await stopChild(child, "SIGKILL");
          const lock = await fs.lockDirectory(directory);
          await lock.release();
        },
      );

      test("a stale LOCK file naming a dead pid is taken over", async () => {
        const directory = freshDirectory();
        nodeFs.writeFileSync(path.join(directory, "LOCK"), `${deadPid()}\n`);
        const lock = await fs.lockDirectory(directory);
        await lock.release();
      });

      if (name === "node") {
        test("private lock files of killed lockers are removed once the lock is taken", async () => {
          const directory = freshDirectory();
          const abandoned = path.join(directory, `LOCK.${deadPid()}.abc123`);
          nodeFs.writeFileSync(abandoned, "");
          const lock = await fs.lockDirectory(directory);
          assert.equal(nodeFs.existsSync(abandoned), false);
          assert.deepEqual(nodeFs.readdirSync(directory), ["LOCK"]);
          await lock.release();
          assert.deepEqual(nodeFs.readdirSync(directory), []);
        });
      }

      test("a LOCK file naming another live process is ELOCKED", async () => {
        const directory = freshDirectory();
        // pid 1 always lives and is never this test process.
        nodeFs.writeFileSync(path.join(directory, "LOCK"), "1\n");
        await rejectsWith(() => fs.lockDirectory(directory), "ELOCKED");
      });
    });
  });
}

if (isDeno) {
  describe("Deno and Node locks exclude each other", () => {
    for (const [here, there] of [["deno", "node"], ["node", "deno"]] as const) {
      test(
        `a ${there} holder in another process makes a ${here} lock ELOCKED`,
        childTestOptions,
        async () => {
          const directory = freshDirectory();
          const fs = here === "deno" ? new DenoFileSystem() : new NodeFileSystem();
          const child = await holdFromChild(there, directory);
          try {
            await rejectsWith(() => fs.lockDirectory(directory), "ELOCKED");
          } finally {
            await stopChild(child);
          }
          const lock = await fs.lockDirectory(directory);
          await lock.release();
        },
      );
    }
  });
}

describe("many processes racing for one lock", () => {
  /** Children per race: more than cores, so some really run at once. */
  const racerCount = 6;
  const racers: [string, string[]][] = [["node", Array(racerCount).fill("node")]];
  if (isDeno) {
    racers.unshift(["deno", Array(racerCount).fill("deno")]);
    racers.push(["deno and node", Array(racerCount / 2).fill(["deno", "node"]).flat()]);
  }

  for (const [label, implementations] of racers) {
    for (const stale of [false, true]) {
      const start = stale ? "a stale LOCK" : "no LOCK";
      test(`${label} racers from ${start}: exactly one holds`, childTestOptions, async () => {
        const directory = freshDirectory();
        if (stale) nodeFs.writeFileSync(path.join(directory, "LOCK"), `${deadPid()}\n`);
        const results = await raceChildren(implementations, directory);
        assert.equal(results.filter((result) => result === "HELD").length, 1, results.join(" "));
        assert.equal(results.filter((result) => result === "ELOCKED").length, racerCount - 1);
      });
    }
  }
});

describe("a full disk", () => {
  /** Size of the tmpfs; writes of twice this much must fail. */
  const mountBytes = 1024 * 1024;
  const skipTmpfs = skipUnless(tmpfsUnavailable());

  for (const [name, makeFileSystem] of implementations) {
    test(`${name}: writes on a full file system fail with ENOSPC`, skipTmpfs, async () => {
      const mount = mountTinyTmpfs(mountBytes);
      assert.ok(typeof mount !== "string", mount as string);
      try {
        const fs = makeFileSystem();
        const data = new Uint8Array(2 * mountBytes);
        const asyncFile = await fs.open(path.join(mount.directory, "async"), { create: true });
        await rejectsWith(() => asyncFile.write(data, 0), "ENOSPC");
        await asyncFile.close();
        const syncFile = await fs.open(path.join(mount.directory, "sync"), { create: true });
        throwsWith(() => syncFile.writeSync(data, 0), "ENOSPC");
        await syncFile.close();
      } finally {
        mount.unmount();
      }
    });
  }
});

test("a missing Deno permission says which flag to run with", () => {
  // What Deno throws without --allow-read (a NotCapable error naming the flag).
  const denial = Object.assign(
    new Error('Requires read access to "/data/log", run again with the --allow-read flag'),
    { name: "NotCapable" },
  );
  const error = toIoError(denial, "/data/log", "stat");
  assert.equal(error.errno, "EACCES");
  assert.match(error.message, /run with --allow-read .*--allow-read and --allow-write/);
  const other = toIoError(Object.assign(new Error("disk"), { code: "EIO" }), "/d", "write");
  assert.doesNotMatch(other.message, /permission/);
});
