/**
 * Shared by the ops tests: where the `q4d` command's source is, whether it
 * can run here (the npm build's tests run without `src/cli` beside them),
 * and the command line that runs it under this runtime.
 *
 * tests/ops/*_test.ts → this helper → src/cli.ts (as a child process)
 */

import * as nodeFs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
const helperPath = fileURLToPath(import.meta.url);

/** The `q4d` command's entry, `src/cli.ts` (`.js` when the tests are transpiled). */
export const cliPath: string = path.join(
  path.dirname(helperPath),
  "..",
  "..",
  "src",
  `cli${path.extname(helperPath)}`,
);

/** Why the CLI cannot be run as a child here, or null when it can (for `skipUnless`). */
export const cliMissing: string | null = nodeFs.existsSync(cliPath)
  ? null
  : "src/cli is not beside the tests (npm build)";

/** The executable and arguments that run `q4d args…` under this runtime. */
export function cliCommand(args: readonly string[]): [string, string[]] {
  return isDeno
    ? [process.execPath, ["run", "-A", cliPath, ...args]]
    : [process.execPath, [cliPath, ...args]];
}
