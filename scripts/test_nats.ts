/**
 * The engine's own test suite on the NATS backend: starts one 3-node
 * JetStream cluster for the run (tests/nats/_cluster.ts: Debian's
 * nats-server on loopback ports, stores in a temp dir, stopped by PID) and
 * runs the tests/engine files that use only the public API with
 * Q4D_TEST_BACKEND=nats, so each `openTemp()` database is a fresh namespace
 * on that cluster (see tests/engine/_helpers.ts). Files that test the local
 * storage are skipped, each listed below with why; tests of behaviour the
 * NATS backend weakens assert the weaker contract by `db.capabilities`.
 * Without nats-server it prints that it skipped and exits 0.
 *
 * `deno task test:nats` (extra arguments go to `deno test`, e.g. a
 * `--filter`). Exits with `deno test`'s status.
 *
 * @module
 */

import { denoTest, describeSkips, engineTestFiles } from "./_engine_tests.ts";
import { Cluster, natsMissing, natsServerVersion } from "../tests/nats/_cluster.ts";
/** tests/engine files not run on NATS, and why. */
const localOnly: Record<string, string> = {
  "compaction_errors_test.ts": "injects file-system faults under the local log (openEngine)",
  "crash_test.ts": "SIGKILLs a child that owns a data directory and recovers its log",
  "open_test.ts": "tests open(dir): options, directory creation and the directory lock",
  "row_codec_test.ts": "tests the local storage's row codec, below any SQL",
  "transaction_test.ts":
    "every test needs BEGIN; capabilities.transactions is false on NATS (jobs_test asserts BEGIN's refusal)",
  "txn_crash_test.ts": "SIGKILLs a child inside a transaction and recovers the local log",
  "q4m_11_conc_compact_test.ts": "races consumers against the local log's compaction",
  "types_test.ts":
    "column types are the engine's row codec over payload bytes, the same on every backend (and ~100 databases would take 2 min)",
  "mariadb_types_diff_test.ts":
    "compares the engine's column types with MariaDB's, below any backend",
  "long_insert_test.ts":
    "a long INSERT as one all-or-nothing append; NATS publishes row by row (capabilities.transactions)",
};

if (natsMissing !== null) {
  console.log(`nats mode: skipped (${natsMissing})`);
  Deno.exit(0);
}

const files = engineTestFiles(localOnly);

console.log(
  `nats mode: ${files.length} files of tests/engine on a 3-node cluster (${natsServerVersion()}); local only: ${
    describeSkips(localOnly)
  }`,
);
const cluster = await Cluster.start();
let status = 1;
try {
  status = denoTest(files, { Q4D_TEST_BACKEND: "nats", Q4D_TEST_NATS_URL: cluster.url });
} finally {
  await cluster.stop();
}
Deno.exit(status);
