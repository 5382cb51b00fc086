/**
 * An in-memory, deterministic {@linkcode FileSystem} that injects faults:
 * crashes that lose unsynced bytes and directory entries (optionally with a
 * torn last write), a crash at the N-th sync, ENOSPC / EIO failures and bit
 * flips. Storage crash tests run the real log code over it.
 *
 * Model: each file (inode) has its current bytes and its durable bytes (as of
 * its last sync); each directory entry is current at once and durable only
 * after `syncDirectory` of its parent — directories too: a crash keeps a
 * directory only when its entry (and its parent's) was made durable, and
 * keeps no file below a directory it loses.
 *
 * @module
 */

import {
  type DirectoryLock,
  type FileHandle,
  type FileSystem,
  IoError,
  type OpenFileOptions,
} from "./types.ts";

/** Bytes of a page: a crash may persist any subset of the unsynced pages. */
export const faultPageBytes = 4096;

/** How a crash treats the unsynced bytes of each file. */
export type TornMode = "none" | "prefix" | "pages";

/** Options for {@linkcode FaultFileSystem.crash}. */
export interface CrashOptions {
  /**
   * "none": unsynced bytes are lost (default). "prefix": a prefix of each
   * file's unsynced region, cut at a random byte, persists. "pages": a
   * random subset of its 4 KiB pages persists (disks reorder pages).
   */
  torn?: TornMode;
  /** Source of randomness in [0, 1) for the torn cut; default Math.random. */
  random?: () => number;
}

class Inode {
  current: Uint8Array;
  currentLength: number;
  durable: Uint8Array;
  /** Range of bytes changed since the last sync; dirtyStart > dirtyEnd when clean. */
  dirtyStart = Number.POSITIVE_INFINITY;
  dirtyEnd = 0;

  constructor(content: Uint8Array) {
    this.current = content.slice();
    this.currentLength = content.length;
    this.durable = content.slice();
  }

  content(): Uint8Array {
    return this.current.subarray(0, this.currentLength);
  }

  ensureCapacity(bytes: number): void {
    if (bytes <= this.current.length) return;
    const grown = new Uint8Array(Math.max(bytes, this.current.length * 2, 4096));
    grown.set(this.current.subarray(0, this.currentLength));
    this.current = grown;
  }

  markDirty(start: number, end: number): void {
    this.dirtyStart = Math.min(this.dirtyStart, start);
    this.dirtyEnd = Math.max(this.dirtyEnd, end);
  }

  write(data: Uint8Array, position: number): void {
    const end = position + data.length;
    this.ensureCapacity(end);
    if (position > this.currentLength) this.current.fill(0, this.currentLength, position);
    this.current.set(data, position);
    this.markDirty(Math.min(position, this.currentLength), end);
    this.currentLength = Math.max(this.currentLength, end);
  }

  truncate(length: number): void {
    this.ensureCapacity(length);
    if (length > this.currentLength) this.current.fill(0, this.currentLength, length);
    this.markDirty(Math.min(length, this.currentLength), Math.max(length, this.currentLength));
    this.currentLength = length;
  }

  sync(): void {
    if (this.dirtyStart > this.dirtyEnd && this.durable.length === this.currentLength) return;
    const durable = new Uint8Array(this.currentLength);
    const keep = Math.min(this.durable.length, this.currentLength);
    durable.set(this.durable.subarray(0, keep));
    const start = Math.min(this.dirtyStart, this.currentLength);
    const end = Math.min(this.dirtyEnd, this.currentLength);
    if (start < end) durable.set(this.current.subarray(start, end), start);
    this.durable = durable;
    this.dirtyStart = Number.POSITIVE_INFINITY;
    this.dirtyEnd = 0;
  }

  /** The bytes a crash leaves behind. */
  survivor(torn: TornMode, random: () => number): Uint8Array {
    if (torn === "none" || this.dirtyStart >= this.dirtyEnd) return this.durable.slice();
    const start = this.dirtyStart;
    const end = Math.min(this.dirtyEnd, this.currentLength);
    if (start >= end) return this.durable.slice();
    const persisted: Array<[number, number]> = [];
    if (torn === "prefix") {
      const cut = start + Math.floor(random() * (end - start + 1));
      if (cut > start) persisted.push([start, cut]);
    } else {
      const firstPage = Math.floor(start / faultPageBytes);
      for (let page = firstPage; page * faultPageBytes < end; page++) {
        if (random() < 0.5) {
          persisted.push([
            Math.max(start, page * faultPageBytes),
            Math.min(end, (page + 1) * faultPageBytes),
          ]);
        }
      }
    }
    let length = this.durable.length;
    for (const [, to] of persisted) length = Math.max(length, to);
    const out = new Uint8Array(length);
    out.set(this.durable);
    for (const [from, to] of persisted) out.set(this.current.subarray(from, to), from);
    return out;
  }
}

function normalize(path: string): string {
  let out = path.replace(/\/+/g, "/");
  if (out.length > 1 && out.endsWith("/")) out = out.slice(0, -1);
  return out;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return ".";
  if (slash === 0) return "/";
  return path.slice(0, slash);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * The fault-injecting file system.
 *
 * @example
 * ```ts
 * const fs = new FaultFileSystem();
 * const file = await fs.open("/d/a", { create: true });
 * file.writeSync(new Uint8Array([1, 2, 3]), 0);
 * const survivor = fs.crash(); // "/d/a" is gone: neither its bytes nor its entry were synced
 * ```
 */
export class FaultFileSystem implements FileSystem {
  /** Sync calls made so far (syncData, sync, their blocking forms, syncDirectory). */
  syncCount = 0;
  /** Bytes written so far through write/writeSync. */
  bytesWritten = 0;
  /** True once a crash fault fired: every later call throws EIO. */
  crashed = false;

  #files = new Map<string, Inode>();
  #durableFiles = new Map<string, Inode>();
  #directories = new Set<string>(["/", "."]);
  #durableDirectories = new Set<string>(["/", "."]);
  #locks = new Set<string>();
  #crashAtSync = 0;
  #failWriteErrno: string | null = null;
  #writeBytesBudget = Number.POSITIVE_INFINITY;
  #failSyncErrno: string | null = null;
  #failWhen: ((path: string, position: number, data: Uint8Array) => boolean) | null = null;
  #failWhenErrno = "ENOSPC";

  /** Crash when the `syncNumber`-th sync call (1-based, counting from now on) is made: it throws EIO and the fs is crashed. */
  crashAtSync(syncNumber: number): void {
    this.#crashAtSync = this.syncCount + syncNumber;
  }

  /** The next write throws IoError(errno) and writes nothing. */
  failNextWrite(errno = "ENOSPC"): void {
    this.#failWriteErrno = errno;
  }

  /**
   * The next write for which `when(path, position, data)` is true throws
   * IoError(errno) and writes nothing (e.g. ENOSPC on the first batch of a
   * new segment). `path` is the one the handle was opened with.
   */
  failWriteWhen(
    when: (path: string, position: number, data: Uint8Array) => boolean,
    errno = "ENOSPC",
  ): void {
    this.#failWhen = when;
    this.#failWhenErrno = errno;
  }

  /** Writes beyond `bytes` more bytes fail with ENOSPC (the failing write persists its first part). Infinity lifts it. */
  failWritesAfterBytes(bytes: number): void {
    this.#writeBytesBudget = this.bytesWritten + bytes;
  }

  /** The next sync call throws IoError(errno); nothing is made durable. */
  failNextSync(errno = "EIO"): void {
    this.#failSyncErrno = errno;
  }

  /** Flips one bit of a file's durable (and current) bytes. */
  flipBit(path: string, offset: number, bit = 0): void {
    const inode = this.#durableFiles.get(normalize(path)) ?? this.#files.get(normalize(path));
    if (inode === undefined) throw new IoError("ENOENT", path, "no such file");
    const durable = inode.durable[offset];
    if (durable !== undefined) inode.durable[offset] = durable ^ (1 << bit);
    const current = offset < inode.currentLength ? inode.current[offset] : undefined;
    if (current !== undefined) inode.current[offset] = current ^ (1 << bit);
  }

  /** The durable bytes of a file (what a crash now would keep, without tearing). */
  durableContent(path: string): Uint8Array {
    const inode = this.#durableFiles.get(normalize(path));
    if (inode === undefined) throw new IoError("ENOENT", path, "no durable file");
    return inode.durable.slice();
  }

  /**
   * A new file system holding what survives a power cut now: durable bytes
   * and durable directory entries, plus, per `options.torn`, part of each
   * file's unsynced bytes. This instance is marked crashed.
   */
  crash(options: CrashOptions = {}): FaultFileSystem {
    this.crashed = true;
    const torn = options.torn ?? "none";
    const random = options.random ?? Math.random;
    const survivor = new FaultFileSystem();
    const survives = (directory: string): boolean => {
      for (let key = directory; key !== "/" && key !== "."; key = parentOf(key)) {
        if (!this.#durableDirectories.has(key)) return false;
      }
      return true;
    };
    for (const directory of this.#durableDirectories) {
      if (survives(directory)) {
        survivor.#directories.add(directory);
        survivor.#durableDirectories.add(directory);
      }
    }
    const copies = new Map<Inode, Inode>();
    for (const [path, inode] of this.#durableFiles) {
      if (!survives(parentOf(path))) continue;
      let copy = copies.get(inode);
      if (copy === undefined) {
        copy = new Inode(inode.survivor(torn, random));
        copies.set(inode, copy);
      }
      survivor.#files.set(path, copy);
      survivor.#durableFiles.set(path, copy);
    }
    return survivor;
  }

  /**
   * A new file system holding what a killed process (SIGKILL, not a power
   * cut) leaves behind: every write and directory change made so far, synced
   * or not, as the kernel still has them; all of it durable in the new
   * instance. This instance is marked crashed.
   */
  kill(): FaultFileSystem {
    this.crashed = true;
    const survivor = new FaultFileSystem();
    for (const directory of this.#directories) {
      survivor.#directories.add(directory);
      survivor.#durableDirectories.add(directory);
    }
    for (const [path, inode] of this.#files) {
      const copy = new Inode(inode.content());
      survivor.#files.set(path, copy);
      survivor.#durableFiles.set(path, copy);
    }
    return survivor;
  }

  #check(path: string): void {
    if (this.crashed) throw new IoError("EIO", path, "file system crashed");
  }

  #syncPoint(path: string): void {
    this.#check(path);
    this.syncCount++;
    if (this.#crashAtSync > 0 && this.syncCount >= this.#crashAtSync) {
      this.crashed = true;
      throw new IoError("EIO", path, "crash injected at sync");
    }
    if (this.#failSyncErrno !== null) {
      const errno = this.#failSyncErrno;
      this.#failSyncErrno = null;
      throw new IoError(errno, path, "sync failure injected");
    }
  }

  #write(inode: Inode, path: string, data: Uint8Array, position: number): void {
    this.#check(path);
    if (this.#failWriteErrno !== null) {
      const errno = this.#failWriteErrno;
      this.#failWriteErrno = null;
      throw new IoError(errno, path, "write failure injected");
    }
    if (this.#failWhen !== null && this.#failWhen(path, position, data)) {
      this.#failWhen = null;
      throw new IoError(this.#failWhenErrno, path, "write failure injected");
    }
    const room = this.#writeBytesBudget - this.bytesWritten;
    if (data.length > room) {
      const part = Math.max(0, room);
      if (part > 0) inode.write(data.subarray(0, part), position);
      this.bytesWritten += part;
      throw new IoError("ENOSPC", path, "no space left on device");
    }
    inode.write(data, position);
    this.bytesWritten += data.length;
  }

  #handle(inode: Inode, path: string): FileHandle {
    let closed = false;
    const live = () => {
      if (closed) throw new IoError("EBADF", path, "file handle closed");
    };
    const readSync = (buffer: Uint8Array, position: number): number => {
      live();
      this.#check(path);
      const count = Math.max(0, Math.min(buffer.length, inode.currentLength - position));
      if (count > 0) buffer.set(inode.current.subarray(position, position + count));
      return count;
    };
    const writeSync = (data: Uint8Array, position: number): void => {
      live();
      this.#write(inode, path, data, position);
    };
    const syncSync = (): void => {
      live();
      this.#syncPoint(path);
      inode.sync();
    };
    return {
      path,
      read: async (buffer, position) => {
        await undefined;
        return readSync(buffer, position);
      },
      readSync,
      write: async (data, position) => {
        await undefined;
        writeSync(data, position);
      },
      writeSync,
      syncData: async () => {
        await undefined;
        syncSync();
      },
      syncDataSync: syncSync,
      sync: async () => {
        await undefined;
        syncSync();
      },
      syncSync,
      truncate: async (length) => {
        await undefined;
        live();
        this.#check(path);
        inode.truncate(length);
      },
      size: async () => {
        await undefined;
        live();
        this.#check(path);
        return inode.currentLength;
      },
      close: async () => {
        await undefined;
        closed = true;
      },
    };
  }

  /** Opens (or creates) a file. */
  async open(path: string, options: OpenFileOptions = {}): Promise<FileHandle> {
    await undefined;
    const key = normalize(path);
    this.#check(key);
    let inode = this.#files.get(key);
    if (inode !== undefined && options.createNew) {
      throw new IoError("EEXIST", key, "file exists");
    }
    if (inode === undefined) {
      if (!options.create && !options.createNew) throw new IoError("ENOENT", key, "no such file");
      if (!this.#directories.has(parentOf(key))) {
        throw new IoError("ENOENT", key, "no such directory");
      }
      inode = new Inode(new Uint8Array(0));
      this.#files.set(key, inode);
    }
    return this.#handle(inode, key);
  }

  /** Reads a whole file. */
  async readFile(path: string): Promise<Uint8Array> {
    await undefined;
    const key = normalize(path);
    this.#check(key);
    const inode = this.#files.get(key);
    if (inode === undefined) throw new IoError("ENOENT", key, "no such file");
    return inode.content().slice();
  }

  /** Renames a file, replacing `to`. Durable after syncDirectory. */
  async rename(from: string, to: string): Promise<void> {
    await undefined;
    const source = normalize(from);
    const target = normalize(to);
    this.#check(source);
    const inode = this.#files.get(source);
    if (inode === undefined) throw new IoError("ENOENT", source, "no such file");
    if (!this.#directories.has(parentOf(target))) {
      throw new IoError("ENOENT", target, "no such directory");
    }
    this.#files.delete(source);
    this.#files.set(target, inode);
  }

  /** Removes a file. Durable after syncDirectory. */
  async remove(path: string): Promise<void> {
    await undefined;
    const key = normalize(path);
    this.#check(key);
    if (!this.#files.delete(key)) throw new IoError("ENOENT", key, "no such file");
  }

  /** Sorted names of the files and directories in a directory. */
  async list(directory: string): Promise<string[]> {
    await undefined;
    const key = normalize(directory);
    this.#check(key);
    if (!this.#directories.has(key)) throw new IoError("ENOENT", key, "no such directory");
    const names: string[] = [];
    for (const path of this.#files.keys()) if (parentOf(path) === key) names.push(nameOf(path));
    for (const path of this.#directories) {
      if (path !== key && parentOf(path) === key) names.push(nameOf(path));
    }
    return names.sort();
  }

  /** Creates a directory and its parents. */
  async mkdir(path: string): Promise<void> {
    await undefined;
    let key = normalize(path);
    this.#check(key);
    while (!this.#directories.has(key)) {
      if (this.#files.has(key)) throw new IoError("EEXIST", key, "a file has this name");
      this.#directories.add(key);
      key = parentOf(key);
    }
  }

  /** True when a file or directory exists. */
  async exists(path: string): Promise<boolean> {
    await undefined;
    const key = normalize(path);
    this.#check(key);
    return this.#files.has(key) || this.#directories.has(key);
  }

  /** Makes the entries of a directory durable. */
  async syncDirectory(path: string): Promise<void> {
    await undefined;
    const key = normalize(path);
    this.#syncPoint(key);
    if (!this.#directories.has(key)) throw new IoError("ENOENT", key, "no such directory");
    for (const name of [...this.#durableFiles.keys()]) {
      if (parentOf(name) === key && !this.#files.has(name)) this.#durableFiles.delete(name);
    }
    for (const [name, inode] of this.#files) {
      if (parentOf(name) === key) this.#durableFiles.set(name, inode);
    }
    for (const directory of this.#directories) {
      if (directory !== key && parentOf(directory) === key) this.#durableDirectories.add(directory);
    }
  }

  /** Locks a directory within this instance; ELOCKED when held. */
  async lockDirectory(path: string): Promise<DirectoryLock> {
    await undefined;
    const key = normalize(path);
    this.#check(key);
    if (this.#locks.has(key)) throw new IoError("ELOCKED", key, "directory is locked");
    this.#locks.add(key);
    let held = true;
    return {
      release: async () => {
        await undefined;
        if (held) this.#locks.delete(key);
        held = false;
      },
    };
  }
}
