/**
 * `q4d serve --backend nats://…`: the MySQL protocol server over a NATS
 * JetStream database, so Q4M clients reach a replicated queue. A mysql2
 * client produces and consumes through the served cluster.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import mysql from "npm:mysql2@3.24.6/promise";
import { connect } from "../../src/server/mod.ts";
import { skipUnless } from "../_skip.ts";
import { cliCommand, cliMissing } from "../ops/_cli.ts";
import { natsMissing, useCluster } from "./_helpers.ts";

const cluster = useCluster();

describe("q4d serve --backend nats://", skipUnless(natsMissing ?? cliMissing), () => {
  it("serves the cluster's tables to a MySQL client", { timeout: 60_000 }, async () => {
    const [command, args] = cliCommand([
      "serve",
      "--backend",
      cluster().url,
      "--namespace",
      `serve${process.pid}`,
      "--lease",
      "5",
      "--port",
      "0",
      "--password",
      "secret",
    ]);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk) => {
          out += chunk;
          const match = /q4d serving NATS .* on 127\.0\.0\.1:(\d+)/.exec(out);
          if (match !== null) resolve(Number(match[1]));
        });
        child.on("exit", () => reject(new Error(`q4d serve exited: ${out}${stderr}`)));
      });
      const c = await mysql.createConnection({
        host: "127.0.0.1",
        port,
        user: "root",
        password: "secret",
      });
      try {
        await c.query("CREATE TABLE jobs (id INT NOT NULL, body TEXT) ENGINE=QUEUE");
        await c.query("INSERT INTO jobs VALUES (1, 'over the wire')");
        const [waited] = await c.query("SELECT queue_wait('jobs', 5) AS got");
        assert.deepEqual(waited, [{ got: 1 }]);
        const [rows] = await c.query("SELECT * FROM jobs");
        assert.deepEqual(rows, [{ id: 1, body: "over the wire" }]);
        await c.query("SELECT queue_end()");
        const [count] = await c.query("SELECT COUNT(*) AS n FROM jobs");
        assert.deepEqual(count, [{ n: 0 }]);
      } finally {
        await c.end();
      }
      // connect() reports the NATS backend's weaker promises, not the local ones.
      const db = await connect(`mysql://root:secret@127.0.0.1:${port}`);
      try {
        assert.equal(db.capabilities.name, "nats");
        assert.equal(db.capabilities.transactions, false);
        assert.equal(db.capabilities.ownershipIsLease, true);
        assert.equal(db.capabilities.durability, "quorum");
        assert.equal(db.recovery.tornTail, null);
        // Without transactions, a job's fail() writes the dead letter, then ends the row.
        await db.sql`CREATE TABLE dead (id INT NOT NULL, body TEXT) ENGINE=QUEUE`;
        await db.sql`INSERT INTO jobs VALUES (2, 'fails')`;
        const s = db.session();
        for await (const job of s.jobs("jobs", { timeout: 5, policy: { deadLetter: "dead" } })) {
          await job.fail("test");
          s.stop();
        }
        assert.deepEqual([...await db.sql`SELECT * FROM dead`], [{ id: 2, body: "fails" }]);
        assert.equal((await db.stats("jobs")).rowsFailed, 1);
        await s.close();
      } finally {
        await db.close();
      }
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });
});
