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
import { lockOnce, NodeDirectoryLock, takeLockFile } from "./_lock_file.ts";

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
