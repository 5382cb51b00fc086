/**
 * The engine's own test suite over the wire: runs the tests/engine files that
 * use only the public API with Q4D_TEST_BACKEND=served, so each `openTemp()`
 * database is opened in-process, served on 127.0.0.1 (port 0) and reached
 * through `connect()` (see tests/engine/_helpers.ts). Files that test storage
 * internals stay embedded-only; each is listed below with why.
 *
 * `deno task test:served` (extra arguments go to `deno test`, e.g. a
 * `--filter`). Exits with `deno test`'s status.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** tests/engine files not run over the wire, and why. */
export const embeddedOnly: Record<string, string> = {
  "compaction_errors_test.ts": "injects file-system faults under the storage layer (openEngine)",
  "crash_test.ts": "SIGKILLs a child that owns the data directory and recovers the log",
  "open_test.ts": "tests open() itself: options, directory creation and the directory lock",
  "long_insert_test.ts": "drives the engine's internal long-INSERT entry (a server hook), not SQL",
  "row_codec_test.ts": "tests the storage row codec, below any SQL",
};

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const engineTests = join(root, "tests", "engine");
const files = readdirSync(engineTests)
  .filter((name) => name.endsWith("_test.ts") && !(name in embeddedOnly))
  .sort()
  .map((name) => join("tests", "engine", name));

console.log(
  `served mode: ${files.length} files of tests/engine through connect(); embedded only: ${
    Object.entries(embeddedOnly).map(([name, why]) => `${name} (${why})`).join("; ")
  }`,
);
const run = spawnSync(
  Deno.execPath(),
  [
    "test",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-sys",
    "--allow-net",
    ...Deno.args,
    ...files,
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, Q4D_TEST_BACKEND: "served" } },
);
Deno.exit(run.status ?? 1);
