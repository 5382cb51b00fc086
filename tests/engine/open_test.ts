/**
 * open(): bad directories and options are QueueErrors, a failed open holds
 * no lock, and a damaged catalog is ER_CORRUPT rather than an empty database.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { open } from "../../mod.ts";
import { freshDirectory, rejectsCode } from "./_helpers.ts";
import { at } from "../_at.ts";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;

describe("open", () => {
  test("a relative directory is resolved once: a later chdir does not move new files", () => {
    // In a child process: chdir is process-wide.
    const base = freshDirectory();
    nodeFs.mkdirSync(base, { recursive: true });
    const testPath = fileURLToPath(import.meta.url);
    const childPath = path.join(path.dirname(testPath), `_chdir_child${path.extname(testPath)}`);
    const [command, args] = isDeno
      ? [process.execPath, ["run", "-A", childPath, base]]
      : [process.execPath, [childPath, base]];
    const child = spawnSync(command, args, { encoding: "utf8", timeout: 120_000 });
    assert.equal(
      child.stdout.trim(),
      "ACKED 1000 ROWS 1000 TABLES q,r STRAY no",
      `child stderr: ${child.stderr}`,
    );
    assert.equal(child.status, 0);
  });

  test("a path through a regular file is ER_CANT_OPEN_FILE", async () => {
    const directory = freshDirectory();
    nodeFs.mkdirSync(directory, { recursive: true });
    const file = path.join(directory, "plain-file");
    nodeFs.writeFileSync(file, "not a directory");
    await rejectsCode(open(file), "ER_CANT_OPEN_FILE");
    await rejectsCode(open(path.join(file, "below")), "ER_CANT_OPEN_FILE");
    assert.equal(nodeFs.readFileSync(file, "utf8"), "not a directory");
  });

  test("bad options are ER_WRONG_ARGUMENTS and create nothing", async () => {
    const directory = freshDirectory();
    // deno-lint-ignore no-explicit-any
    await rejectsCode(open(directory, { sync: "sometimes" as any }), "ER_WRONG_ARGUMENTS");
    await rejectsCode(open(directory, { segmentBytes: 100 }), "ER_WRONG_ARGUMENTS");
    await rejectsCode(open(directory, { segmentBytes: 1.5e6 + 0.5 }), "ER_WRONG_ARGUMENTS");
    await rejectsCode(open(""), "ER_WRONG_ARGUMENTS");
    // deno-lint-ignore no-explicit-any
    await rejectsCode(open(directory, { commitIo: "threads" as any }), "ER_WRONG_ARGUMENTS");
    assert.equal(nodeFs.existsSync(directory), false);
  });

  test('commitIo "async" commits durably, as "blocking" does', async () => {
    const directory = freshDirectory();
    const db = await open(directory, { commitIo: "async" });
    await db.sql`CREATE TABLE t (v INT NOT NULL) ENGINE=QUEUE`;
    await Promise.all([1, 2, 3].map((v) => db.sql`INSERT INTO t (v) VALUES (${v})`));
    const s = db.session();
    const [row] = await s.sql`SELECT queue_wait('t', 0) AS got`;
    assert.equal(row?.got, 1);
    await s.sql`SELECT queue_end()`;
    await db.close();
    const reopened = await open(directory, { commitIo: "blocking" });
    assert.deepEqual((await reopened.sql`SELECT v FROM t`).map((r) => r.v), [2, 3]);
    await reopened.close();
  });

  test("a damaged catalog is ER_CORRUPT, every time (a failed open keeps no lock)", async () => {
    const directory = freshDirectory();
    const db = await open(directory, { sync: "none" });
    await db.sql`CREATE TABLE jobs (id INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`INSERT INTO jobs VALUES (${1})`;
    await db.close();
    const catalogPath = path.join(directory, "catalog.json");
    const good = nodeFs.readFileSync(catalogPath);
    const damaged = new Uint8Array(good);
    const middle = Math.floor(damaged.length / 2);
    damaged[middle] = at(damaged, middle) ^ 0x20;
    nodeFs.writeFileSync(catalogPath, damaged);
    await rejectsCode(open(directory), "ER_CORRUPT");
    await rejectsCode(open(directory), "ER_CORRUPT");
    nodeFs.writeFileSync(catalogPath, good);
    const reopened = await open(directory);
    assert.deepEqual([...(await reopened.sql`SELECT id FROM jobs`)], [{ id: 1 }]);
    await reopened.close();
  });
});
