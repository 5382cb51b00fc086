/**
 * Test helper: a tiny tmpfs mount, so a write can really fail with ENOSPC.
 * Mounting needs root (or CAP_SYS_ADMIN); when it is refused the helper says
 * why (a string) instead, and the caller skips only what needs the mount.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A mounted tmpfs; `unmount()` removes it and its mount point. */
export interface TinyMount {
  /** The mount point. */
  readonly directory: string;
  /** Unmounts and removes the mount point. */
  unmount(): void;
}

/**
 * Mounts a tmpfs of `sizeBytes` on a fresh temp directory, or returns why
 * this machine does not allow it (for the caller's `skipUnless`).
 */
export function mountTinyTmpfs(sizeBytes: number): TinyMount | string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "q4d-enospc-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", directory], {
      stdio: "pipe",
    });
  } catch (error) {
    fs.rmdirSync(directory);
    const reason = (error as { stderr?: { toString(): string } }).stderr?.toString().trim();
    return `cannot mount a tmpfs here (${reason || String(error)}); ENOSPC not tested`;
  }
  return {
    directory,
    unmount(): void {
      execFileSync("umount", [directory], { stdio: "pipe" });
      fs.rmdirSync(directory);
    },
  };
}

/** Why a tiny tmpfs cannot be mounted here, or null when it can (tried once, then unmounted). */
export function tmpfsUnavailable(): string | null {
  const mount = mountTinyTmpfs(64 * 1024);
  if (typeof mount === "string") return mount;
  mount.unmount();
  return null;
}
