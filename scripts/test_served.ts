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

import { denoTest, describeSkips, engineTestFiles } from "./_engine_tests.ts";

/** tests/engine files not run over the wire, and why. */
export const embeddedOnly: Record<string, string> = {
  "compaction_errors_test.ts": "injects file-system faults under the storage layer (openEngine)",
  "crash_test.ts": "SIGKILLs a child that owns the data directory and recovers the log",
  "open_test.ts": "tests open() itself: options, directory creation and the directory lock",
  "long_insert_test.ts": "drives the engine's internal long-INSERT entry (a server hook), not SQL",
  "row_codec_test.ts": "tests the storage row codec, below any SQL",
};

const files = engineTestFiles(embeddedOnly);

console.log(
  `served mode: ${files.length} files of tests/engine through connect(); embedded only: ${
    describeSkips(embeddedOnly)
  }`,
);
Deno.exit(denoTest(files, { Q4D_TEST_BACKEND: "served" }));
