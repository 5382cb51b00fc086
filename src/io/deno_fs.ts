/**
 * The {@linkcode FileSystem} under Deno. Directory operations use Deno's own
 * APIs (`Deno.readDir`, `Deno.rename`, a directory opened read-only and
 * synced); the directory lock is an OS lock (`FsFile.tryLock`, flock on
 * Linux) that dies with its process, on top of the LOCK file protocol of
 * `_lock_file.ts` that Node processes follow.
 *
 * Open files are read and written through `node:fs` on purpose: Deno 2.9's
 * `FsFile` has no positioned read or write (only seek + read over a shared
 * cursor, which two calls in flight would race on), while Deno's `node:fs`
 * does pread/pwrite, and is as fast or faster per call (bench/io_bench.ts).
 *
 * Storage → this file → the kernel. Never loaded under Node: mod.ts only
 * constructs it when `globalThis.Deno` exists.
 *
 * @module
 */

import { defined } from "../errors.ts";
import { IoError } from "./types.ts";
import type { DirectoryLock, FileHandle, FileSystem, OpenFileOptions } from "./types.ts";
import { NodeFileSystem } from "./node_fs.ts";
import { toIoError } from "./_errno.ts";
import {
  currentPid,
  heldDirectories,
  isPidAlive,
  lockFileName,
  lockFileText,
  lockOnce,
  parseLockFile,
  takeLockBreak,
  writePrivateLockFile,
} from "./_lock_file.ts";

/** Largest LOCK file read back; a pid is a few bytes. */
const lockFileBytesMax = 64;
/** Tries at LOCK.break when stale ones left by killed lockers are in the way. */
const lockBreakAttemptsMax = 4;

/** The Deno global, reached without naming it where Node type-checks this file. */
function deno(): typeof Deno {
  return defined(
    (globalThis as { Deno?: typeof Deno }).Deno,
    "DenoFileSystem is constructed only under Deno",
  );
}

/** A held LOCK file: open, flocked, holding our pid. */
class DenoDirectoryLock implements DirectoryLock {
  readonly #directory: string;
  readonly #file: Deno.FsFile;
  #released = false;

  constructor(directory: string, file: Deno.FsFile) {
    this.#directory = directory;
    this.#file = file;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      // Emptied, not removed: removing a flocked file lets a process that had
      // it open lock a name-less inode while a third creates a fresh LOCK.
      await this.#file.truncate(0);
      await this.#file.unlock();
    } catch (error) {
      throw toIoError(error, `${this.#directory}/${lockFileName}`, "unlock");
    } finally {
      this.#file.close();
      heldDirectories().delete(this.#directory);
    }
  }
}

/** Reads the pid a LOCK file names, if any. */
async function readLockPid(file: Deno.FsFile): Promise<number | undefined> {
  const buffer = new Uint8Array(lockFileBytesMax);
  await file.seek(0, deno().SeekMode.Start);
  let readBytes = 0;
  while (readBytes < buffer.length) {
    const count = await file.read(buffer.subarray(readBytes));
    if (count === null || count === 0) break;
    readBytes += count;
  }
  return parseLockFile(buffer.subarray(0, readBytes));
}

/**
 * Writes our pid into the flocked LOCK file, unless it names another live
 * process (a Node holder). Done under LOCK.break, the Node implementation's
 * lock for changing an existing LOCK: without it a Node locker that judged
 * the file stale could remove it just after we wrote, and both would hold.
 */
async function writeOwnPid(directory: string, file: Deno.FsFile): Promise<void> {
  const runtime = deno();
  const lockPath = `${directory}/${lockFileName}`;
  const privatePath = await writePrivateLockFile(directory);
  try {
    let releaseBreak: (() => Promise<void>) | undefined;
    for (let attempt = 0; releaseBreak === undefined; attempt++) {
      try {
        releaseBreak = await takeLockBreak(directory, privatePath);
      } catch (error) {
        const retry = error instanceof IoError && error.errno === "EAGAIN";
        if (!retry || attempt + 1 >= lockBreakAttemptsMax) throw error;
      }
    }
    try {
      const pid = currentPid();
      const holderPid = await readLockPid(file);
      if (holderPid !== undefined && holderPid !== pid && isPidAlive(holderPid)) {
        throw new IoError("ELOCKED", directory, `directory is locked by process ${holderPid}`);
      }
      // A Node locker may have removed a stale LOCK between our open and our lock.
      const [named, opened] = await Promise.all([runtime.stat(lockPath), file.stat()]);
      if (named.ino !== opened.ino || named.dev !== opened.dev) {
        throw new IoError("ELOCKED", directory, "directory lock was taken by another process");
      }
      await file.truncate(0);
      await file.seek(0, runtime.SeekMode.Start);
      await file.write(new TextEncoder().encode(lockFileText(pid)));
    } finally {
      await releaseBreak();
    }
  } finally {
    await runtime.remove(privatePath).catch(() => {});
  }
}

/**
 * Locks `directory`'s LOCK file with flock and writes our pid into it. The pid
 * is for the Node implementation, which cannot flock: a LOCK naming a live
 * pid is held even when no flock is on it.
 */
async function takeLockFile(directory: string): Promise<Deno.FsFile> {
  const runtime = deno();
  const lockPath = `${directory}/${lockFileName}`;
  const file = await runtime.open(lockPath, { read: true, write: true, create: true });
  try {
    if (!(await file.tryLock(true))) {
      throw new IoError("ELOCKED", directory, "directory is locked by another process");
    }
    try {
      await writeOwnPid(directory, file);
    } catch (error) {
      await file.unlock();
      throw error;
    }
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/** {@linkcode FileSystem} for Deno. */
export class DenoFileSystem implements FileSystem {
  readonly #files: NodeFileSystem = new NodeFileSystem();

  open(path: string, options?: OpenFileOptions): Promise<FileHandle> {
    return this.#files.open(path, options);
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      return await deno().readFile(path);
    } catch (error) {
      throw toIoError(error, path, "read");
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await deno().rename(from, to);
    } catch (error) {
      throw toIoError(error, from, `rename to '${to}'`);
    }
  }

  async remove(path: string): Promise<void> {
    try {
      const runtime = deno();
      // Deno.remove would also remove an empty directory; this interface removes files.
      const info = await runtime.lstat(path);
      if (info.isDirectory) throw new IoError("EISDIR", path, "remove of a directory");
      await runtime.remove(path);
    } catch (error) {
      throw toIoError(error, path, "remove");
    }
  }

  async list(directory: string): Promise<string[]> {
    try {
      const names: string[] = [];
      for await (const entry of deno().readDir(directory)) names.push(entry.name);
      return names.sort();
    } catch (error) {
      throw toIoError(error, directory, "list");
    }
  }

  async mkdir(path: string): Promise<void> {
    try {
      await deno().mkdir(path, { recursive: true });
    } catch (error) {
      throw toIoError(error, path, "mkdir");
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await deno().lstat(path);
      return true;
    } catch (error) {
      const wrapped = toIoError(error, path, "stat");
      if (wrapped.errno === "ENOENT") return false;
      throw wrapped;
    }
  }

  async syncDirectory(path: string): Promise<void> {
    let directory: Deno.FsFile | undefined;
    try {
      directory = await deno().open(path, { read: true });
      await directory.sync();
    } catch (error) {
      throw toIoError(error, path, "directory fsync");
    } finally {
      directory?.close();
    }
  }

  lockDirectory(path: string): Promise<DirectoryLock> {
    return lockOnce(
      path,
      (p) => deno().realPath(p),
      async (directory) => new DenoDirectoryLock(directory, await takeLockFile(directory)),
    );
  }
}
