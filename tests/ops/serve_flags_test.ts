/**
 * `q4d serve`'s --commit-io flag: a bad mode, or the flag with a NATS
 * backend, exits 2 naming the flag and creates nothing; both modes serve.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { skipUnless } from "../_skip.ts";
import { cliCommand, cliMissing } from "./_cli.ts";

test(
  "q4d serve --commit-io with an unknown mode exits 2 and creates nothing",
  skipUnless(cliMissing),
  () => {
    const data = path.join(nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-serve-flags-")), "d");
    const [command, args] = cliCommand(["serve", "--data", data, "--commit-io", "sideways"]);
    const child = spawnSync(command, args, { encoding: "utf8", timeout: 120_000 });
    assert.equal(child.status, 2);
    assert.match(child.stderr, /unknown --commit-io sideways/);
    assert.equal(nodeFs.existsSync(data), false);
  },
);

test(
  "q4d serve --commit-io with --backend exits 2: it is for a directory",
  skipUnless(cliMissing),
  () => {
    const [command, args] = cliCommand([
      "serve",
      "--backend",
      "nats://127.0.0.1:1",
      "--commit-io",
      "async",
    ]);
    const child = spawnSync(command, args, { encoding: "utf8", timeout: 120_000 });
    assert.equal(child.status, 2);
    assert.match(child.stderr, /--commit-io is for a directory/);
  },
);

for (const mode of ["blocking", "async"]) {
  test(`q4d serve --commit-io ${mode} serves`, skipUnless(cliMissing), async () => {
    const data = path.join(nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-serve-flags-")), "d");
    const [command, args] = cliCommand([
      "serve",
      "--data",
      data,
      "--port",
      "0",
      "--commit-io",
      mode,
    ]);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error("no start line")), 60_000);
        child.stdout!.on("data", (chunk: Uint8Array) => {
          out += new TextDecoder().decode(chunk);
          if (out.includes("\n")) {
            clearTimeout(timer);
            resolve(out);
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`exited ${code}`));
        });
      });
      assert.match(line, /^q4d serving .* on 127\.0\.0\.1:\d+/);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });
}
