/**
 * The directory lock protocol both real file systems share (FORMAT.md
 * "LOCK"): the process-wide set of held directories (so a second lock from
 * this process fails even though OS locks would not stop it), the LOCK
 * file's name and content (the holder's pid), whether a pid is alive, and
 * the LOCK / LOCK.break dance by hard links that lets a Node process (no OS
 * lock) and a Deno process (flock on top) exclude each other. The node:fs
 * implementation takes and releases locks with it whole; the Deno one flocks
 * LOCK and writes its pid under LOCK.break from here.
 *
 * @module
 */

import * as fs from "node:fs";
import process from "node:process";
import type { DirectoryLock } from "./types.ts";
import { IoError } from "./types.ts";
import { toIoError } from "./_errno.ts";

/** Attempts to take over a stale LOCK file before giving up with ELOCKED. */
const lockAttemptsMax = 8;
/** LOCK.<this> is held while removing a stale LOCK. */
const lockBreakSuffix = "break";

/** Name of the lock file inside a locked directory. */
export const lockFileName = "LOCK";

/**
 * The set lives on globalThis under a registered symbol, so two copies of this
 * module (a Deno and a transpiled Node build in one process) still share it.
 */
const registryKey: unique symbol = Symbol.for("q4d.io.heldDirectories") as never;

/** Real paths of the directories this process holds a lock on. */
export function heldDirectories(): Set<string> {
  const holder = globalThis as unknown as Record<symbol, Set<string> | undefined>;
  let held = holder[registryKey];
  if (held === undefined) {
    held = new Set<string>();
    holder[registryKey] = held;
  }
  return held;
}

/** This process's id. */
export function currentPid(): number {
  return process.pid;
}

/** The LOCK file's content for a holder. */
export function lockFileText(pid: number): string {
  return `${pid}\n`;
}

/** The pid written in a LOCK file, or undefined when empty or not a pid (a released or torn file). */
export function parseLockFile(bytes: Uint8Array): number | undefined {
  const text = new TextDecoder().decode(bytes).trim();
  if (!/^[0-9]{1,10}$/.test(text)) return undefined;
  const pid = Number(text);
  return pid > 0 ? pid : undefined;
}

/** True when a process with this pid exists (EPERM: exists, owned by someone else). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}

/**
 * Locks `path` for this process: resolves its real path, refuses (ELOCKED)
 * a directory this process already holds, then runs `take` (the OS-level
 * lock of one implementation); on failure the directory is not held.
 */
export async function lockOnce<T>(
  path: string,
  realPath: (path: string) => Promise<string>,
  take: (directory: string) => Promise<T>,
): Promise<T> {
  let directory: string;
  try {
    directory = await realPath(path);
  } catch (error) {
    throw toIoError(error, path, "lock");
  }
  const held = heldDirectories();
  if (held.has(directory)) {
    throw new IoError("ELOCKED", path, "directory is already locked by this process");
  }
  held.add(directory);
  try {
    return await take(directory);
  } catch (error) {
    held.delete(directory);
    throw toIoError(error, path, "lock");
  }
}

/** A LOCK file held through the node:fs protocol; releasing removes it. */
export class NodeDirectoryLock implements DirectoryLock {
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
export async function takeLockFile(directory: string): Promise<string> {
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
