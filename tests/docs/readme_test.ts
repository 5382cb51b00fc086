/**
 * The README's quick start runs verbatim: its Deno program, written as the
 * README says into `myapp/` beside a checkout named `q4d/`, with the import
 * map the README gives, run with the permission flags it names, prints what
 * it says. Catches a quick start that drifted from the API.
 *
 * README.md → blocks under "### Your own Deno program" → a scratch myapp/ → `deno run`
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { skipUnless } from "../_skip.ts";

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readmePath = path.join(repository, "README.md");
const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
const missing = !isDeno
  ? "the README's Deno program runs under Deno only"
  : !nodeFs.existsSync(readmePath)
  ? "README.md is not beside the tests (npm build)"
  : null;

/** The fenced blocks of `section` (from its heading to the next heading), as [language, text]. */
function sectionBlocks(markdown: string, heading: string): Array<[string, string]> {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no "${heading}" section`);
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(/\n#{2,3} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => [m[1] ?? "", m[2] ?? ""]);
}

test("README quick start: the Deno program runs verbatim outside the repository", {
  ...skipUnless(missing),
  timeout: 120_000,
}, () => {
  const blocks = sectionBlocks(
    nodeFs.readFileSync(readmePath, "utf8"),
    "### Your own Deno program",
  );
  const config = blocks.find(([language]) => language === "json")?.[1];
  const program = blocks.find(([language]) => language === "ts")?.[1];
  const shell = blocks.find(([language]) => language === "sh")?.[1];
  assert.ok(config !== undefined && program !== undefined && shell !== undefined);
  const command = /^(deno run [^#\n]*?)\s*(?:#\s*prints:\s*(.*))?$/m.exec(shell);
  assert.ok(command?.[1] !== undefined, `no deno run line in: ${shell}`);
  const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-readme-"));
  try {
    nodeFs.symlinkSync(repository, path.join(root, "q4d"));
    const app = path.join(root, "myapp");
    nodeFs.mkdirSync(app);
    nodeFs.writeFileSync(path.join(app, "deno.json"), config);
    nodeFs.writeFileSync(path.join(app, "main.ts"), program);
    const checked = spawnSync(process.execPath, ["check", "main.ts"], {
      cwd: app,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: "1" },
    });
    assert.equal(checked.status, 0, `deno check main.ts: ${checked.stderr}`);
    const args = command[1].split(/\s+/).slice(1);
    for (let run = 1; run <= 2; run++) {
      // Twice: IF NOT EXISTS lets the program run again on its own data.
      const result = spawnSync(process.execPath, args, {
        cwd: app,
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, NO_COLOR: "1" },
      });
      assert.equal(result.status, 0, `run ${run}: ${result.stderr}`);
      assert.equal(result.stdout.trim(), (command[2] ?? "").trim(), `run ${run}`);
    }
    assert.ok(nodeFs.existsSync(path.join(app, "data")), "the database is myapp/data");
  } finally {
    nodeFs.rmSync(root, { recursive: true, force: true });
  }
});
