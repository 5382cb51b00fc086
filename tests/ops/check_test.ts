/**
 * `q4d check DIR`: verifies a closed database read-only and says what
 * recovery would do, with exit codes 0 clean, 1 torn tail, 2 corrupt, 3
 * cannot check. The files are byte-for-byte unchanged afterwards.
 */

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { open } from "../../mod.ts";
import { checkDatabase, formatCheck } from "../../src/ops.ts";
import { skipUnless } from "../_skip.ts";
import { cliCommand, cliMissing } from "./_cli.ts";
import { at } from "../_at.ts";

const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-check-test-"));
after(() => nodeFs.rmSync(root, { recursive: true, force: true }));
let count = 0;

/** A closed database with table `jobs` holding `rows` rows of `bytes` bytes each. */
async function makeDatabase(
  rows: number,
  bytes = 8,
  segmentBytes?: number,
): Promise<string> {
  const directory = path.join(root, `db${++count}`);
  const db = await open(directory, { sync: "none", segmentBytes });
  await db.sql`CREATE TABLE jobs (id INT NOT NULL, body TEXT) ENGINE=QUEUE`;
  for (let i = 0; i < rows; i++) {
    await db.sql`INSERT INTO jobs VALUES (${i}, ${"x".repeat(bytes)})`;
  }
  await db.close();
  return directory;
}

/** Every file of the database (LOCK excepted): its size and SHA-256. */
function snapshot(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of nodeFs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name !== "LOCK") {
        const bytes = nodeFs.readFileSync(full);
        files.set(full, `${bytes.length} ${createHash("sha256").update(bytes).digest("hex")}`);
      }
    }
  };
  walk(directory);
  return files;
}

function segmentPath(directory: string, n: number): string {
  return path.join(directory, "log", `${String(n).padStart(16, "0")}.q4l`);
}

/** Offset after the last nonzero byte of a file. */
function dataEnd(file: string): number {
  const bytes = nodeFs.readFileSync(file);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [command, argv] = cliCommand(args);
  return spawnSync(command, argv, { encoding: "utf8", timeout: 120_000 });
}

test("check: a clean database is 0 and lists its tables' live rows", async () => {
  const directory = await makeDatabase(5);
  const before = snapshot(directory);
  const outcome = await checkDatabase(directory);
  assert.equal(outcome.exitCode, 0, formatCheck(outcome));
  assert.equal(outcome.segments, 1);
  assert.equal(outcome.batches >= 5, true);
  assert.deepEqual(outcome.tables, [{ name: "jobs", liveRows: 5 }]);
  assert.equal(outcome.tornTail, null);
  assert.match(formatCheck(outcome), /jobs: 5 live rows[\s\S]*OK$/);
  assert.deepEqual(snapshot(directory), before);
  // And the database still opens with every row.
  const db = await open(directory);
  assert.equal(db.stats("jobs").rowsWritten, 5);
  await db.close();
});

test("check: a torn tail is 1, reported, and the file is left unchanged", async () => {
  const directory = await makeDatabase(3);
  const segment = segmentPath(directory, 1);
  const end = dataEnd(segment);
  const handle = nodeFs.openSync(segment, "r+");
  nodeFs.writeSync(handle, Buffer.alloc(10, 0xab), 0, 10, end + 4);
  nodeFs.closeSync(handle);
  const before = snapshot(directory);
  const outcome = await checkDatabase(directory);
  assert.equal(outcome.exitCode, 1, formatCheck(outcome));
  assert.equal(outcome.tornTail?.path.endsWith("0000000000000001.q4l"), true);
  assert.match(formatCheck(outcome), /TORN TAIL: recovery would cut \d+ bytes/);
  assert.deepEqual(snapshot(directory), before, "check modified the database");
  // Recovery then cuts exactly what check announced.
  const db = await open(directory);
  assert.deepEqual(db.recovery.tornTail, outcome.tornTail);
  assert.equal(db.stats("jobs").rowsWritten, 3);
  await db.close();
  assert.equal((await checkDatabase(directory)).exitCode, 0);
});

test("check: leftover temp files are reported, not removed", async () => {
  const directory = await makeDatabase(1);
  const leftover = `${segmentPath(directory, 2)}.tmp`;
  nodeFs.writeFileSync(leftover, new Uint8Array(64));
  const outcome = await checkDatabase(directory);
  assert.equal(outcome.exitCode, 0, formatCheck(outcome));
  assert.deepEqual(outcome.wouldRemove.map((p) => path.basename(p)), [path.basename(leftover)]);
  assert.equal(nodeFs.existsSync(leftover), true);
});

test("check: a corrupted batch before valid data is 2 with file and offset", async () => {
  const directory = await makeDatabase(4);
  const segment = segmentPath(directory, 1);
  const bytes = nodeFs.readFileSync(segment);
  bytes[64 + 16 + 2] = at(bytes, 64 + 16 + 2) ^ 0xff; // inside the first batch's first record
  nodeFs.writeFileSync(segment, bytes);
  const before = snapshot(directory);
  const outcome = await checkDatabase(directory);
  assert.equal(outcome.exitCode, 2, formatCheck(outcome));
  assert.equal(outcome.error?.code, "ER_CORRUPT");
  assert.equal(outcome.error?.path?.endsWith("0000000000000001.q4l"), true);
  assert.equal(typeof outcome.error?.position, "number");
  assert.match(formatCheck(outcome), /^CORRUPT: ER_CORRUPT: .*0000000000000001\.q4l at offset \d+/);
  assert.deepEqual(snapshot(directory), before);
});

test("check: a missing segment in the chain is 2", async () => {
  const directory = await makeDatabase(8, 30_000, 64 * 1024);
  assert.equal(nodeFs.existsSync(segmentPath(directory, 3)), true, "needs three segments");
  nodeFs.rmSync(segmentPath(directory, 2));
  const outcome = await checkDatabase(directory);
  assert.equal(outcome.exitCode, 2, formatCheck(outcome));
  assert.match(outcome.error!.message, /segment is missing/);
  assert.equal(outcome.error?.path?.endsWith("0000000000000002.q4l"), true);
});

test("check: a damaged catalog is 2", async () => {
  const directory = await makeDatabase(1);
  const catalog = path.join(directory, "catalog.json");
  nodeFs.writeFileSync(catalog, nodeFs.readFileSync(catalog, "utf8").replace("jobs", "jobz"));
  const outcome = await checkDatabase(directory);
  assert.equal(outcome.exitCode, 2, formatCheck(outcome));
  assert.match(outcome.error!.message, /catalog is corrupt/);
});

test("check: a missing directory is 3 and is not created", async () => {
  const directory = path.join(root, "nothing-here");
  const outcome = await checkDatabase(directory);
  assert.equal(outcome.exitCode, 3);
  assert.equal(outcome.error?.code, "ER_CANT_OPEN_FILE");
  assert.equal(nodeFs.existsSync(directory), false);
});

test("check: an open database is 3 (ER_DB_LOCKED), in-process", async () => {
  const directory = await makeDatabase(1);
  const db = await open(directory);
  try {
    const outcome = await checkDatabase(directory);
    assert.equal(outcome.exitCode, 3);
    assert.equal(outcome.error?.code, "ER_DB_LOCKED");
  } finally {
    await db.close();
  }
});

test(
  "q4d check as a child process: exit codes 0, 1, 3 and --json",
  skipUnless(cliMissing),
  async () => {
    const directory = await makeDatabase(2);
    const clean = runCli(["check", directory]);
    assert.equal(clean.status, 0, clean.stderr);
    assert.match(clean.stdout, /jobs: 2 live rows/);
    const json = runCli(["check", directory, "--json"]);
    assert.equal(json.status, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.exitCode, 0);
    assert.deepEqual(parsed.tables, [{ name: "jobs", liveRows: 2 }]);
    const db = await open(directory);
    try {
      const locked = runCli(["check", directory]);
      assert.equal(locked.status, 3, locked.stdout + locked.stderr);
      assert.match(locked.stdout, /ER_DB_LOCKED/);
    } finally {
      await db.close();
    }
    const segment = segmentPath(directory, 1);
    const handle = nodeFs.openSync(segment, "r+");
    nodeFs.writeSync(handle, Buffer.alloc(10, 0xab), 0, 10, dataEnd(segment) + 4);
    nodeFs.closeSync(handle);
    const before = snapshot(directory);
    const torn = runCli(["check", directory]);
    assert.equal(torn.status, 1, torn.stdout + torn.stderr);
    assert.deepEqual(snapshot(directory), before);
    const help = runCli(["--help"]);
    assert.equal(help.status, 0);
    assert.match(
      help.stdout,
      /check DIR[\s\S]*stats DIR\|URL[\s\S]*2 {2}check: the database is corrupt/,
    );
  },
);
