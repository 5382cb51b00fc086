/**
 * PyMySQL (Debian `python3-pymysql`): the text protocol with client-side
 * quoting, binary bytes in literals, errors, ping, a wrong password. Skipped
 * visibly when no python3 with pymysql is installed.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { skipUnless, startServer } from "./_helpers.ts";

const python: string | null =
  ["python3", "/usr/bin/python3"].find((candidate) =>
    spawnSync(candidate, ["-c", "import pymysql"]).status === 0
  ) ?? null;

test(
  "PyMySQL inserts, waits, reads a BLOB with raw bytes and sees MySQL errors",
  skipUnless(python === null ? "python3 with pymysql not installed" : null),
  async () => {
    const served = await startServer();
    try {
      const script = fileURLToPath(new URL("./_pymysql_client.py", import.meta.url));
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(python!, [script, String(served.port), "secret"]);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("close", (status) => status === 0 ? resolve(stdout) : reject(new Error(stderr)));
      });
      assert.deepEqual(JSON.parse(output), {
        insert: [1, 1],
        wait: 1,
        row: [1, 'it\'s "quoted" ✓', [0, 255, 39]],
        end: 1,
        error: 1146,
        denied: 1045,
      });
    } finally {
      await served.close();
    }
  },
);
