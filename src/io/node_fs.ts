/**
 * The {@linkcode FileSystem} on `node:fs`: positioned reads and writes
 * (pread/pwrite) on a raw file descriptor, fdatasync/fsync, and a directory
 * lock made of a LOCK file holding the holder's pid. Runs under plain Node
 * and under Deno (which implements `node:fs` with pread/pwrite too).
 *
 * Storage → this file → the kernel.
 *
 * @module
 */

import * as fs from "node:fs";
import { IoError } from "./types.ts";
import type { DirectoryLock, FileHandle, FileSystem, OpenFileOptions } from "./types.ts";
import { closedHandleError, toIoError } from "./_errno.ts";
import {
  currentPid,
  heldDirectories,
  isPidAlive,
  lockFileName,
  lockFileText,
  lockOnce,
  parseLockFile,
} from "./_held_directories.ts";

/** Attempts to take over a stale LOCK file before giving up with ELOCKED. */
const lockAttemptsMax = 8;
/** LOCK.<this> is held while removing a stale LOCK. */
const lockBreakSuffix = "break";

/** Open flags for each {@linkcode OpenFileOptions} combination. */
function openFlags(options: OpenFileOptions | undefined): number {
  const { O_RDWR, O_CREAT, O_EXCL } = fs.constants;
  if (options?.createNew === true) return O_RDWR | O_CREAT | O_EXCL;
  if (options?.create === true) return O_RDWR | O_CREAT;
  return O_RDWR;
}

/** Runs a callback-style node:fs call as a promise, mapping its error to IoError. */
function call<T>(
  path: string,
  action: string,
  start: (done: (error: NodeJS.ErrnoException | null, value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, value) => {
      if (error) reject(toIoError(error, path, action));
      else resolve(value);
    });
  });
}

/** A file opened through node:fs, addressed by its raw descriptor. */
class NodeFileHandle implements FileHandle {
  readonly path: string;
  readonly #fd: number;
  #closed = false;
  /** Async calls still using the descriptor; close waits for them, so it is never reused under them. */
  #inFlightCount = 0;
  #onIdle: (() => void) | undefined;

  constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** The descriptor for a blocking call. */
  #openFd(): number {
    if (this.#closed) throw closedHandleError(this.path);
    return this.#fd;
  }

  /** The descriptor for an async call, counted until {@linkcode NodeFileHandle.#end}. */
  #begin(): number {
    if (this.#closed) throw closedHandleError(this.path);
    this.#inFlightCount++;
    return this.#fd;
  }

  #end(): void {
    this.#inFlightCount--;
    if (this.#inFlightCount === 0 && this.#onIdle !== undefined) this.#onIdle();
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    const fd = this.#begin();
    try {
      let readBytes = 0;
      while (readBytes < buffer.length) {
        const count = await call<number>(this.path, "read", (done) =>
          fs.read(
            fd,
            buffer,
            readBytes,
            buffer.length - readBytes,
            position + readBytes,
            (error, bytesRead) => done(error, bytesRead),
          ));
        if (count === 0) break;
        readBytes += count;
      }
      return readBytes;
    } finally {
      this.#end();
    }
  }

  readSync(buffer: Uint8Array, position: number): number {
    const fd = this.#openFd();
    let readBytes = 0;
    try {
      while (readBytes < buffer.length) {
        const count = fs.readSync(
          fd,
          buffer,
          readBytes,
          buffer.length - readBytes,
          position + readBytes,
        );
        if (count === 0) break;
        readBytes += count;
      }
    } catch (error) {
      throw toIoError(error, this.path, "read");
    }
    return readBytes;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    const fd = this.#begin();
    try {
      let writtenBytes = 0;
      while (writtenBytes < data.length) {
        writtenBytes += await call<number>(this.path, "write", (done) =>
          fs.write(
            fd,
            data,
            writtenBytes,
            data.length - writtenBytes,
            position + writtenBytes,
            (error, bytesWritten) => done(error, bytesWritten),
          ));
      }
    } finally {
      this.#end();
    }
  }

  writeSync(data: Uint8Array, position: number): void {
    const fd = this.#openFd();
    let writtenBytes = 0;
    try {
      while (writtenBytes < data.length) {
        writtenBytes += fs.writeSync(
          fd,
          data,
          writtenBytes,
          data.length - writtenBytes,
          position + writtenBytes,
        );
      }
    } catch (error) {
      throw toIoError(error, this.path, "write");
    }
  }

  async syncData(): Promise<void> {
    const fd = this.#begin();
    try {
      await call<void>(this.path, "fdatasync", (done) => fs.fdatasync(fd, (e) => done(e)));
    } finally {
      this.#end();
    }
  }

  syncDataSync(): void {
    const fd = this.#openFd();
    try {
      fs.fdatasyncSync(fd);
    } catch (error) {
      throw toIoError(error, this.path, "fdatasync");
    }
  }

  async sync(): Promise<void> {
    const fd = this.#begin();
    try {
      await call<void>(this.path, "fsync", (done) => fs.fsync(fd, (e) => done(e)));
    } finally {
      this.#end();
    }
  }

  syncSync(): void {
    const fd = this.#openFd();
    try {
      fs.fsyncSync(fd);
    } catch (error) {
      throw toIoError(error, this.path, "fsync");
    }
  }

  async truncate(length: number): Promise<void> {
    const fd = this.#begin();
    try {
      await call<void>(this.path, "truncate", (done) => fs.ftruncate(fd, length, (e) => done(e)));
    } finally {
      this.#end();
    }
  }

  async size(): Promise<number> {
    const fd = this.#begin();
    try {
      const stats = await call<fs.Stats>(this.path, "stat", (done) => fs.fstat(fd, done));
      return stats.size;
    } finally {
      this.#end();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inFlightCount > 0) {
      await new Promise<void>((resolve) => (this.#onIdle = resolve));
    }
    const fd = this.#fd;
    await call<void>(this.path, "close", (done) => fs.close(fd, (e) => done(e)));
  }
}

/** A held LOCK file; releasing removes it. */
class NodeDirectoryLock implements DirectoryLock {
  readonly #directory: string;
  readonly #lockPath: string;
  #released = false;

  constructor(directory: string, lockPath: string) {
    this.#directory = directory;
    this.#lockPath = lockPath;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      await fs.promises.unlink(this.#lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw toIoError(error, this.#lockPath, "unlock");
      }
    } finally {
      heldDirectories().delete(this.#directory);
    }
  }
}

/**
 * Removes `LOCK.<pid>.<nonce>` files left by lockers killed between writing
 * their private file and linking it, so they do not pile up in the directory.
 */
async function removeAbandonedPrivateFiles(directory: string): Promise<void> {
  const privateName = new RegExp(`^${lockFileName}\\.([0-9]+)\\.[a-z0-9]+$`);
  for (const name of await fs.promises.readdir(directory)) {
    const match = privateName.exec(name);
    if (match === null || isPidAlive(Number(match[1]))) continue;
    await fs.promises.unlink(`${directory}/${name}`).catch(() => {});
  }
}

/** The pid named in a lock file, or null when the file is gone. */
async function readHolderPid(lockPath: string): Promise<number | undefined | null> {
  try {
    return parseLockFile(await fs.promises.readFile(lockPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Throws ELOCKED when `holderPid` is another live process. */
function refuseLiveHolder(directory: string, holderPid: number | undefined | null): void {
  // Our own pid with no entry in the held set is a leftover of this process.
  if (typeof holderPid === "number" && holderPid !== currentPid() && isPidAlive(holderPid)) {
    throw new IoError("ELOCKED", directory, `directory is locked by process ${holderPid}`);
  }
}

/** Removes a file, ignoring that it is already gone. */
async function unlinkIfPresent(filePath: string): Promise<void> {
  try {
    await fs.promises.unlink(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/**
 * Takes LOCK.break, which serialises every change to an existing LOCK:
 * removing a stale one (here) and the Deno implementation writing its pid
 * into one. Taken with the same link trick as LOCK, from `privatePath` (a
 * file holding our pid). Resolves to its release; throws ELOCKED while a
 * live process holds it. A LOCK.break left by a killed process is removed
 * and ELOCKED is thrown with errno "EAGAIN" so the caller retries.
 */
export async function takeLockBreak(
  directory: string,
  privatePath: string,
): Promise<() => Promise<void>> {
  const breakPath = `${directory}/${lockFileName}.${lockBreakSuffix}`;
  try {
    await fs.promises.link(privatePath, breakPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const breakerPid = await readHolderPid(breakPath);
    refuseLiveHolder(directory, breakerPid);
    if (breakerPid !== null) await unlinkIfPresent(breakPath);
    throw new IoError("EAGAIN", directory, "stale lock-break file removed; try again");
  }
  return () => unlinkIfPresent(breakPath);
}

/**
 * Removes a stale LOCK. Two lockers that both judged it stale must not both
 * remove it (the slower would remove the faster one's fresh LOCK), so only
 * the holder of LOCK.break looks again and removes.
 */
async function breakStaleLock(directory: string, privatePath: string): Promise<void> {
  let releaseBreak: () => Promise<void>;
  try {
    releaseBreak = await takeLockBreak(directory, privatePath);
  } catch (error) {
    if (error instanceof IoError && error.errno === "EAGAIN") return;
    throw error;
  }
  try {
    const lockPath = `${directory}/${lockFileName}`;
    const holderPid = await readHolderPid(lockPath);
    // Gone already: another locker broke it and may be linking its own LOCK
    // right now, which nothing here may remove. Only a LOCK seen stale while
    // we hold LOCK.break (nobody can replace it meanwhile) is removed.
    if (holderPid === null) return;
    refuseLiveHolder(directory, holderPid);
    await unlinkIfPresent(lockPath);
  } finally {
    await releaseBreak();
  }
}

/** A private file next to LOCK holding our pid, to hard-link as LOCK or LOCK.break. */
export async function writePrivateLockFile(directory: string): Promise<string> {
  const pid = currentPid();
  const privatePath = `${directory}/${lockFileName}.${pid}.${Math.random().toString(36).slice(2)}`;
  await fs.promises.writeFile(privatePath, lockFileText(pid), { flag: "wx" });
  return privatePath;
}

/**
 * Takes the LOCK file in `directory` for this process. The file appears with
 * its pid already inside (written to a private file, then hard-linked into
 * place, which fails when LOCK exists), so a reader never sees a half-written
 * holder. A LOCK whose pid is dead, or which is empty (released by the Deno
 * implementation), is stale and taken over.
 */
async function takeLockFile(directory: string): Promise<string> {
  const lockPath = `${directory}/${lockFileName}`;
  const privatePath = await writePrivateLockFile(directory);
  try {
    for (let attempt = 0; attempt < lockAttemptsMax; attempt++) {
      try {
        await fs.promises.link(privatePath, lockPath);
        await removeAbandonedPrivateFiles(directory);
        return lockPath;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holderPid = await readHolderPid(lockPath);
      if (holderPid === null) continue; // released meanwhile
      refuseLiveHolder(directory, holderPid);
      await breakStaleLock(directory, privatePath);
    }
    throw new IoError("ELOCKED", directory, "directory lock keeps being taken by others");
  } finally {
    await fs.promises.unlink(privatePath).catch(() => {});
  }
}

/** {@linkcode FileSystem} on `node:fs`, for Node (and usable under Deno). */
export class NodeFileSystem implements FileSystem {
  async open(path: string, options?: OpenFileOptions): Promise<FileHandle> {
    const fd = await call<number>(
      path,
      "open",
      (done) => fs.open(path, openFlags(options), 0o644, done),
    );
    return new NodeFileHandle(path, fd);
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      const bytes = await fs.promises.readFile(path);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw toIoError(error, path, "read");
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await fs.promises.rename(from, to);
    } catch (error) {
      throw toIoError(error, from, `rename to '${to}'`);
    }
  }

  async remove(path: string): Promise<void> {
    try {
      // Deno's node:fs unlink would remove an empty directory; this interface removes files.
      if ((await fs.promises.lstat(path)).isDirectory()) {
        throw new IoError("EISDIR", path, "remove of a directory");
      }
      await fs.promises.unlink(path);
    } catch (error) {
      throw toIoError(error, path, "remove");
    }
  }

  async list(directory: string): Promise<string[]> {
    try {
      const names = await fs.promises.readdir(directory);
      return names.sort();
    } catch (error) {
      throw toIoError(error, directory, "list");
    }
  }

  async mkdir(path: string): Promise<void> {
    try {
      await fs.promises.mkdir(path, { recursive: true });
    } catch (error) {
      throw toIoError(error, path, "mkdir");
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fs.promises.lstat(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw toIoError(error, path, "stat");
    }
  }

  async syncDirectory(path: string): Promise<void> {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(path, "r");
      await handle.sync();
    } catch (error) {
      throw toIoError(error, path, "directory fsync");
    } finally {
      await handle?.close();
    }
  }

  lockDirectory(path: string): Promise<DirectoryLock> {
    return lockOnce(
      path,
      (p) => fs.promises.realpath(p),
      async (directory) => new NodeDirectoryLock(directory, await takeLockFile(directory)),
    );
  }
}
