/**
 * What both real file systems share about directory locks: the process-wide
 * set of held directories (so a second lock from this process fails even
 * though OS locks would not stop it), the LOCK file's name and content (the
 * holder's pid), and whether a pid is alive.
 *
 * @module
 */

import process from "node:process";
import { IoError } from "./types.ts";
import { toIoError } from "./_errno.ts";

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
