/**
 * Test helper: a tiny tmpfs mount, so a write can really fail with ENOSPC.
 * Mounting needs root (or CAP_SYS_ADMIN); when it is refused the helper says
 * why and returns undefined, and the caller skips only what needs the mount.
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
 * Mounts a tmpfs of `sizeBytes` on a fresh temp directory, or returns
 * undefined (after printing a notice) when this machine does not allow it.
 */
export function mountTinyTmpfs(sizeBytes: number): TinyMount | undefined {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "q4d-enospc-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", directory], {
      stdio: "pipe",
    });
  } catch (error) {
    fs.rmdirSync(directory);
    const reason = (error as { stderr?: { toString(): string } }).stderr?.toString().trim();
    console.log(
      `notice: cannot mount a tmpfs here (${reason || String(error)}); ENOSPC not tested`,
    );
    return undefined;
  }
  return {
    directory,
    unmount(): void {
      execFileSync("umount", [directory], { stdio: "pipe" });
      fs.rmdirSync(directory);
    },
  };
}
