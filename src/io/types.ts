/**
 * The file-system interface storage is written against. Only `src/io/`
 * touches real files: a Deno implementation, a Node one chosen at run time
 * when `Deno` is absent, and an in-memory fault-injecting one for crash tests.
 *
 * Paths are plain strings joined with "/". Every method either does all it
 * says or throws; a failure throws a {@linkcode IoError} whose `errno` names
 * the cause ("ENOSPC", "ENOENT", "EIO", ...), never a QueueError: storage
 * decides what a failure means to the user.
 *
 * @module
 */

/** A failed file-system call. */
export class IoError extends Error {
  /** POSIX-style cause: "ENOSPC", "ENOENT", "EEXIST", "EIO", "ELOCKED"... */
  readonly errno: string;
  /** The path the call was about. */
  readonly path: string;
  constructor(errno: string, path: string, message: string, options?: { cause?: unknown }) {
    super(`${errno}: ${message} '${path}'`, options);
    this.name = "IoError";
    this.errno = errno;
    this.path = path;
  }
}

/** How to open a file. */
export interface OpenFileOptions {
  /** Create the file when missing. Default false (ENOENT when missing). */
  create?: boolean;
  /** Fail with EEXIST when the file exists. Implies create. */
  createNew?: boolean;
}

/**
 * An open file, read and written at explicit positions. Blocking (`…Sync`)
 * variants exist because the storage engine measures both: a blocking sync
 * stalls the event loop, an async one costs thread-pool round trips.
 */
export interface FileHandle {
  /** The path this handle was opened with. */
  readonly path: string;
  /** Reads up to `buffer.length` bytes at `position`; returns the count read (short only at end of file). */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /** {@linkcode FileHandle.read}, blocking. */
  readSync(buffer: Uint8Array, position: number): number;
  /** Writes all of `data` at `position`, growing the file as needed. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** {@linkcode FileHandle.write}, blocking. */
  writeSync(data: Uint8Array, position: number): void;
  /** Makes written data durable (fdatasync). */
  syncData(): Promise<void>;
  /** {@linkcode FileHandle.syncData}, blocking. */
  syncDataSync(): void;
  /** Makes written data and all metadata durable (fsync). */
  sync(): Promise<void>;
  /** {@linkcode FileHandle.sync}, blocking. */
  syncSync(): void;
  /** Sets the file's length, cutting or zero-extending it. */
  truncate(length: number): Promise<void>;
  /** The file's current length in bytes. */
  size(): Promise<number>;
  /** Closes the handle; later calls throw. Idempotent. */
  close(): Promise<void>;
}

/** A held exclusive lock on a data directory. */
export interface DirectoryLock {
  /** Releases the lock. Idempotent. */
  release(): Promise<void>;
}

/** The file system as storage sees it. */
export interface FileSystem {
  /** Opens (or creates) a file for reading and writing. */
  open(path: string, options?: OpenFileOptions): Promise<FileHandle>;
  /** Reads a whole file (small files: the catalog). */
  readFile(path: string): Promise<Uint8Array>;
  /** Renames atomically, replacing `to` if it exists. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. ENOENT when missing. */
  remove(path: string): Promise<void>;
  /** Names (not paths) of the entries in a directory, sorted. */
  list(directory: string): Promise<string[]>;
  /** Creates a directory and its parents; no error when it exists. */
  mkdir(path: string): Promise<void>;
  /** True when the path exists. */
  exists(path: string): Promise<boolean>;
  /** Makes a directory's entries (creates, renames, removes) durable. */
  syncDirectory(path: string): Promise<void>;
  /**
   * Takes an exclusive lock on a directory for as long as it is held,
   * against this process and others. Throws IoError "ELOCKED" when another
   * holder has it.
   */
  lockDirectory(path: string): Promise<DirectoryLock>;
}
