/**
 * A relay written the way Q4M's q4m-forward works (tests/server/_relay.pl,
 * Perl DBI with client-side quoted placeholders) moves rows between two q4d
 * servers with two data directories; the relay is SIGKILLed mid-way a few
 * times and restarted, and every row arrives exactly once in the
 * destination. Skipped visibly when Perl or DBD::mysql is not installed.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { skipUnless } from "../_skip.ts";
import { type Served, startServer, until } from "./_helpers.ts";
import { perlMissing } from "./_clients.ts";

const script = fileURLToPath(new URL("./_relay.pl", import.meta.url));
const rowCount = 300;
const kills = 4;

function dsn(served: Served): string {
  return `DBI:mysql:database=q4d;host=127.0.0.1;port=${served.port}`;
}

/** Starts the relay; resolves with the process once it has both connections. */
function startRelay(source: Served, destination: Served, crashAfter?: number): Promise<{
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}> {
  const child = spawn("perl", [
    script,
    dsn(source),
    dsn(destination),
    "secret",
    "src",
    "dst",
    "3",
    ...(crashAfter === undefined ? [] : [String(crashAfter)]),
  ]);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (status) => resolve(status))
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", () => {
      if (stdout.includes("connected")) {
        resolve({ child, output: () => stdout + stderr, exited });
      }
    });
    exited.then((status) => reject(new Error(`relay exited (${status}) early: ${stderr}`)));
    if (crashAfter !== undefined) resolve({ child, output: () => stdout + stderr, exited });
  });
}

test(
  "a q4m-forward style relay SIGKILLed and restarted moves every row exactly once",
  { ...skipUnless(perlMissing), timeout: 120_000 },
  async () => {
    const source = await startServer();
    const destination = await startServer();
    try {
      await source.db.sql`CREATE TABLE src (id INT NOT NULL, body TEXT, b BLOB) ENGINE=QUEUE`;
      await destination.db.sql`CREATE TABLE dst (id INT NOT NULL, body TEXT, b BLOB) ENGINE=QUEUE`;
      for (let id = 1; id <= rowCount; id++) {
        const body = `row ${id}: it's "quoted" ✓`;
        await source.db.sql`INSERT INTO src VALUES (${id}, ${body}, ${new Uint8Array([
          id & 0xff,
          0,
          0xff,
          0x27,
        ])})`;
      }
      let outputs = "";
      // First a relay that SIGKILLs itself between the destination's INSERT
      // and the source's queue_end: its row comes back to the source, and
      // the next relay's INSERT of it must be dropped by queue_set_srcid.
      const crashing = await startRelay(source, destination, 10);
      await crashing.exited;
      outputs += crashing.output();
      await until(() => source.server.connectionCount === 0, "source connections gone");
      await until(() => destination.server.connectionCount === 0, "destination connections gone");
      assert.equal(await countDestination(destination), 10);
      for (let k = 1; k <= kills; k++) {
        const relay = await startRelay(source, destination);
        const target = Math.floor((rowCount * k) / (kills + 1));
        // Killed from outside at a varying point past the threshold.
        await untilAsync(async () => (await countDestination(destination)) >= target, relay);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 15)));
        relay.child.kill("SIGKILL");
        await relay.exited;
        outputs += relay.output();
        await until(() => source.server.connectionCount === 0, "source connections gone");
        await until(() => destination.server.connectionCount === 0, "destination connections gone");
      }
      const last = await startRelay(source, destination);
      const status = await last.exited;
      assert.equal(status, 0, last.output());
      assert.match(last.output(), /inserted \d+ dropped \d+/);
      outputs += last.output();
      // The self-crashed relay's row 10 at least was offered twice and dropped once.
      assert.match(outputs, /dropped row 10\n/);

      const rows = await destination.db.sql`SELECT id, body, b FROM dst ORDER BY id` as {
        id: number;
        body: string;
        b: Uint8Array;
      }[];
      assert.deepEqual(
        rows.map((row) => row.id),
        Array.from({ length: rowCount }, (_, i) => i + 1),
      );
      for (const row of rows) {
        assert.equal(row.body, `row ${row.id}: it's "quoted" ✓`);
        assert.deepEqual([...row.b], [row.id & 0xff, 0, 0xff, 0x27]);
      }
      const [left] = await source.db.sql`SELECT COUNT(*) AS n FROM src`;
      assert.ok(left !== undefined);
      assert.equal(Number(left.n), 0);
    } finally {
      await source.close();
      await destination.close();
    }
  },
);

async function countDestination(destination: Served): Promise<number> {
  const [row] = await destination.db.sql`SELECT COUNT(*) AS n FROM dst`;
  assert.ok(row !== undefined);
  return Number(row.n);
}

/** Resolves once `predicate` holds; fails when the relay exits first. */
async function untilAsync(
  predicate: () => Promise<boolean>,
  relay: { output: () => string; exited: Promise<number | null> },
): Promise<void> {
  let exited = false;
  relay.exited.then(() => (exited = true));
  while (!(await predicate())) {
    if (exited) throw new Error(`relay exited before the kill point: ${relay.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
