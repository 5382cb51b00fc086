/**
 * A failed open of a damaged database on the real file system releases
 * everything it took: segment handles, the catalog's, the directory lock.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as nodeFs from "node:fs";
import process from "node:process";
import * as os from "node:os";
import * as path from "node:path";
import { defaultFileSystem } from "../../src/io/mod.ts";
import { openStore } from "../../src/storage/store.ts";
import { segmentFileName } from "../../src/storage/segments.ts";
import { QueueError } from "../../src/errors.ts";
import { skipUnless } from "../_skip.ts";
import { at } from "../_at.ts";

/**
 * Descriptors this process has open, listed by a child `ls` of /proc/<pid>/fd
 * (Deno allows reading /proc/self only with --allow-all; a child may read it).
 * The child's pipes count the same in every call, so differences are exact.
 */
function openDescriptorCount(): number {
  const listing = execFileSync("ls", [`/proc/${process.pid}/fd`], { encoding: "utf8" });
  return listing.split("\n").filter((name) => name !== "").length;
}

const skipOffLinux = skipUnless(
  process.platform === "linux" ? null : "needs /proc/<pid>/fd (Linux) to count open descriptors",
);

test(
  "a failed open of a damaged database leaks no file descriptor and releases the lock",
  skipOffLinux,
  async () => {
    const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-open-failure-"));
    try {
      const directory = path.join(root, "db");
      const fs = defaultFileSystem();
      const store = await openStore(directory, { fs, sync: "none", segmentBytes: 64 * 1024 });
      const rows = await store.createTable("t", null);
      const payload = new Uint8Array(20 * 1024).fill(7);
      for (let i = 0; i < 8; i++) await rows.append([payload]).durable;
      await store.close();
      const segments = nodeFs.readdirSync(path.join(directory, "log")).filter((n) =>
        n.endsWith(".q4l")
      );
      assert.ok(segments.length >= 3, `${segments.length} segments`);
      // Damage the first segment's first batch: every later segment is opened before the scan fails.
      const first = path.join(directory, "log", segmentFileName(1));
      const original = nodeFs.readFileSync(first);
      const damaged = Buffer.from(original);
      damaged[200] = at(damaged, 200) ^ 0xff;
      nodeFs.writeFileSync(first, damaged);

      const tries = 50;
      const before = openDescriptorCount();
      for (let i = 0; i < tries; i++) {
        await assert.rejects(
          openStore(directory, { fs, sync: "none", segmentBytes: 64 * 1024 }),
          (e) => e instanceof QueueError && e.code === "ER_CORRUPT",
        );
      }
      const after = openDescriptorCount();
      assert.ok(after - before < 10, `${after - before} descriptors leaked by ${tries} opens`);

      // The lock went with the failed opens: once repaired, the database opens.
      nodeFs.writeFileSync(first, original);
      const repaired = await openStore(directory, { fs, sync: "none", segmentBytes: 64 * 1024 });
      assert.equal(repaired.tables().get("t")?.liveCount, 8);
      await repaired.close();
    } finally {
      nodeFs.rmSync(root, { recursive: true, force: true });
    }
  },
);
