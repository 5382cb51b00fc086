/**
 * The IO layer's front door: the {@linkcode FileSystem} interface and the
 * real implementation for the running runtime. Storage imports from here.
 *
 * @module
 */

import type { FileSystem } from "./types.ts";
import { DenoFileSystem } from "./deno_fs.ts";
import { NodeFileSystem } from "./node_fs.ts";

export { IoError } from "./types.ts";
export type { DirectoryLock, FileHandle, FileSystem, OpenFileOptions } from "./types.ts";
export { NodeFileSystem } from "./node_fs.ts";
export { DenoFileSystem } from "./deno_fs.ts";

/**
 * The real file system for this runtime: Deno's when `globalThis.Deno`
 * exists, otherwise `node:fs`. Decided at each call, at run time; importing
 * this module is safe under both runtimes.
 *
 * @example
 * ```ts
 * import { defaultFileSystem } from "./mod.ts";
 * const fs = defaultFileSystem();
 * await fs.mkdir("./data");
 * ```
 */
export function defaultFileSystem(): FileSystem {
  const hasDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  return hasDeno ? new DenoFileSystem() : new NodeFileSystem();
}
