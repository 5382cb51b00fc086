/**
 * What scripts/test_served.ts and scripts/test_nats.ts share: the
 * tests/engine files a mode runs, and running them under `deno test` with
 * that mode's environment.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const root: string = join(dirname(fileURLToPath(import.meta.url)), "..");

/** tests/engine's test files (relative to the root, sorted) but those named in `skip`. */
export function engineTestFiles(skip: Record<string, string>): string[] {
  return readdirSync(join(root, "tests", "engine"))
    .filter((name) => name.endsWith("_test.ts") && !(name in skip))
    .sort()
    .map((name) => join("tests", "engine", name));
}

/** "name (why); …" of a skip list, for the run's first line. */
export function describeSkips(skip: Record<string, string>): string {
  return Object.entries(skip).map(([name, why]) => `${name} (${why})`).join("; ");
}

/**
 * Runs `deno test --parallel` on `files` (this script's arguments first) with
 * `env` added; its exit status. Files run in parallel (DENO_JOBS, default
 * the CPU count): most of these tests wait on timers and the network.
 */
export function denoTest(files: readonly string[], env: Record<string, string>): number {
  const run = spawnSync(
    Deno.execPath(),
    [
      "test",
      "--parallel",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-sys",
      "--allow-net",
      ...Deno.args,
      ...files,
    ],
    { cwd: root, stdio: "inherit", env: { ...process.env, ...env } },
  );
  return run.status ?? 1;
}
