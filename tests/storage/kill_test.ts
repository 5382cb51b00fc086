/**
 * Real process kill: a child appends with sync and prints each acknowledged
 * row id; the parent SIGKILLs it at a random moment; reopening the directory
 * must show every acknowledged id live. Three kills per directory.
 * Seed from Q4D_SEED (printed on failure).
 */

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import nodeFs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { defaultFileSystem } from "../../src/io/mod.ts";
import { openStore } from "../../src/storage/store.ts";
import { at } from "../_at.ts";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
const killCount = 3;
const temporaryRoot = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-kill-test-"));
after(() => nodeFs.rmSync(temporaryRoot, { recursive: true, force: true }));

function childCommand(directory: string): [string, string[]] {
  const testPath = fileURLToPath(import.meta.url);
  const childPath = path.join(path.dirname(testPath), `_kill_child${path.extname(testPath)}`);
  return isDeno
    ? [process.execPath, ["run", "-A", childPath, directory]]
    : [process.execPath, [childPath, directory]];
}

/** Runs the child until it has acknowledged `ackTarget` ids, kills it, returns the ids it printed. */
function runAndKill(directory: string, ackTarget: number): Promise<number[]> {
  const [command, args] = childCommand(directory);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let text = "";
    let ackCount = 0;
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdout.on("data", (chunk) => {
      text += chunk;
      ackCount = text.split("\n").length - 2;
      if (ackCount >= ackTarget && child.exitCode === null) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (signal !== "SIGKILL") {
        reject(new Error(`child ended with ${code}: ${stderr}`));
        return;
      }
      // Only complete lines: a line cut by the kill was still acknowledged, but is not counted.
      const lines = text.split("\n").slice(0, -1).filter((line) => line !== "READY");
      resolve(lines.map(Number));
    });
  });
}

test("every id acknowledged before a SIGKILL is live after reopening", async () => {
  const fromEnv = process.env.Q4D_SEED;
  const seed = fromEnv === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(fromEnv);
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const directory = path.join(temporaryRoot, "db");
  const acknowledged: number[] = [];
  try {
    for (let round = 0; round < killCount; round++) {
      acknowledged.push(...await runAndKill(directory, 50 + Math.floor(random() * 3000)));
      const store = await openStore(directory, { fs: defaultFileSystem() });
      const rows = store.tables().get("t");
      assert.ok(rows !== undefined);
      for (const id of acknowledged) {
        assert.ok(rows.isLive(id), `acknowledged id ${id} is live`);
      }
      assert.deepEqual(
        rows.readRow(at(acknowledged, -1)),
        new TextEncoder().encode("payload"),
      );
      const counters = rows.counters();
      assert.ok(counters.rowsWritten >= Math.max(...acknowledged));
      assert.equal(counters.rowsWritten, rows.liveCount, "nothing removed, nothing invented");
      await store.close();
    }
  } catch (error) {
    console.error(`kill test failed: replay with Q4D_SEED=${seed}`);
    throw error;
  }
});
