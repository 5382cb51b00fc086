/**
 * A child process for the directory-lock tests: takes (or tries to take) a
 * data directory's lock with one of the real file systems, from a process
 * that is not the test's.
 *
 * Usage: `_lock_child.ts <deno|node> <directory> <try|hold>`.
 * - try: prints "LOCKED" (then releases) or the IoError errno, and exits.
 * - hold: prints "HELD" once locked, keeps the lock until stdin closes (or the
 *   process is killed), then releases and exits; or prints the errno and exits.
 * - race: prints "READY", waits for a line on stdin, then does what hold does,
 *   so that many children can be started first and then race for the lock.
 *
 * @module
 */

import process from "node:process";
import { DenoFileSystem, IoError, NodeFileSystem } from "../../src/io/mod.ts";
import type { FileSystem } from "../../src/io/mod.ts";

const [implementation, directory, mode] = process.argv.slice(2);
if (directory === undefined) throw new Error("usage: _lock_child.ts deno|node DIRECTORY MODE");
const fileSystem: FileSystem = implementation === "deno"
  ? new DenoFileSystem()
  : new NodeFileSystem();

if (mode === "race") {
  process.stdout.write("READY\n");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
}

try {
  const lock = await fileSystem.lockDirectory(directory);
  if (mode === "hold" || mode === "race") {
    process.stdout.write("HELD\n");
    await new Promise<void>((resolve) => {
      process.stdin.on("end", () => resolve());
      process.stdin.on("close", () => resolve());
      process.stdin.resume();
    });
  } else {
    process.stdout.write("LOCKED\n");
  }
  await lock.release();
  process.exit(0);
} catch (error) {
  process.stdout.write(`${error instanceof IoError ? error.errno : String(error)}\n`);
  process.exit(error instanceof IoError ? 0 : 1);
}
