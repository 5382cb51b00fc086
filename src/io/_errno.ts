/**
 * Turns whatever a runtime's file API threw into an {@linkcode IoError} with a
 * POSIX errno. Shared by the Deno and Node file systems (`src/io/` only).
 *
 * Both runtimes put the errno on the error's `code` ("ENOENT", "ENOSPC"); Deno's
 * error classes and its "(os error N)" message are the fallbacks.
 *
 * @module
 */

import { IoError } from "./types.ts";

/** Deno error class names mapped to the errno they stand for. */
const errnoByDenoClass: Readonly<Record<string, string>> = {
  NotFound: "ENOENT",
  AlreadyExists: "EEXIST",
  PermissionDenied: "EACCES",
  NotCapable: "EACCES",
  IsADirectory: "EISDIR",
  NotADirectory: "ENOTDIR",
  BadResource: "EBADF",
  Interrupted: "EINTR",
  WouldBlock: "EAGAIN",
  Busy: "EBUSY",
  FilesystemLoop: "ELOOP",
  NotSupported: "ENOTSUP",
};

/** Linux errno numbers a Deno message may carry as "(os error N)" with no `code`. */
const errnoByNumber: Readonly<Record<number, string>> = {
  2: "ENOENT",
  5: "EIO",
  9: "EBADF",
  13: "EACCES",
  17: "EEXIST",
  20: "ENOTDIR",
  21: "EISDIR",
  24: "EMFILE",
  27: "EFBIG",
  28: "ENOSPC",
  30: "EROFS",
  122: "EDQUOT",
};

/** The errno of a runtime error, "EIO" when nothing better is known. */
export function errnoOf(error: unknown): string {
  if (error instanceof IoError) return error.errno;
  if (typeof error === "object" && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string") {
      const match = /\(os error (\d+)\)/.exec(message);
      if (match !== null) {
        const byNumber = errnoByNumber[Number(match[1])];
        if (byNumber !== undefined) return byNumber;
      }
    }
    const byClass = errnoByDenoClass[(error as { name?: unknown }).name as string];
    if (byClass !== undefined) return byClass;
  }
  return "EIO";
}

/** Wraps a runtime error as an IoError about `path`, keeping it as the cause. */
export function toIoError(error: unknown, path: string, action: string): IoError {
  if (error instanceof IoError) return error;
  const ioError = new IoError(errnoOf(error), path, `${action} failed`, { cause: error });
  ioError.message += permissionHint(error);
  return ioError;
}

/**
 * What to do about a Deno permission denial (Deno names the flag it wants:
 * "run again with the --allow-read flag"): q4d needs both read and write on
 * its directory. Empty for any other error.
 */
function permissionHint(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name !== "NotCapable" && name !== "PermissionDenied") return "";
  const message = String((error as { message?: unknown }).message ?? "");
  const flag = /--allow-[a-z-]+/.exec(message)?.[0];
  if (flag === undefined) return "";
  return `: Deno's permission is missing, run with ${flag} (a q4d database needs --allow-read and --allow-write on its directory, e.g. deno run --allow-read=./data --allow-write=./data)`;
}

/** The error thrown by any call on a closed file handle. */
export function closedHandleError(path: string): IoError {
  return new IoError("EBADF", path, "file handle is closed");
}
