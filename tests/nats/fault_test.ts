/**
 * Faults on the 3-node cluster: the stream leader SIGKILLed while 16
 * producers insert and 16 consumers drain (no acknowledged row lost, none
 * ended twice, the node rejoins after restart), and a consumer process
 * SIGKILLed while it owns a row (the row is delivered again after the
 * lease, AckWait, and not before).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { connect, jetstreamManager } from "../../src/nats/client.ts";
import type { Cluster } from "./_cluster.ts";
import { skipUnless } from "../_skip.ts";
import { bytes, natsMissing, openBackend, text, useCluster } from "./_helpers.ts";

const cluster = useCluster();
const isDeno = "Deno" in globalThis;

/** The stream's leader and whether every replica is current. */
async function streamCluster(
  c: Cluster,
  stream: string,
): Promise<{ leader: string; current: boolean }> {
  const nc = await connect({ servers: c.url.slice("nats://".length).split(","), timeout: 2000 });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    const replicas = info.cluster?.replicas ?? [];
    return {
      leader: info.cluster?.leader ?? "",
      current: replicas.length === 2 && replicas.every((r) => r.current && !r.offline),
    };
  } finally {
    await nc.close();
  }
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("NATS backend under faults", skipUnless(natsMissing), () => {
  it("SIGKILL of the stream leader under 16 producers and 16 consumers", {
    timeout: 120_000,
  }, async () => {
    const c = cluster();
    const db = await openBackend(c, { leaseMs: 5_000, writeTimeoutMs: 20_000 });
    const producers = 16, perProducer = 100;
    const acked = new Set<string>();
    const failed: string[] = [];
    const ended: string[] = [];
    const endedSet = new Set<string>();
    let producing = true;
    try {
      const t = await db.createTable("jobs", {});
      const stream = db.streamOf(t.tableId);
      const arg = [{ tableId: t.tableId, text: "" }];
      const produce = async (p: number) => {
        for (let j = 0; j < perProducer; j++) {
          const body = `p${p}-${j}`;
          try {
            await db.insert(t.tableId, [bytes(body)], [[]]);
            acked.add(body);
          } catch (error) {
            if (failed.length === 0) console.log(`first failed insert: ${error}`);
            failed.push(body);
          }
        }
      };
      const consume = async (id: number) => {
        const s = db.openSession(id);
        try {
          while (producing || [...acked].some((b) => !endedSet.has(b))) {
            let got;
            try {
              got = await s.wait(arg, 500);
            } catch {
              continue;
            }
            if (got.rowId === 0) continue;
            const body = text(s.ownedPayload!);
            try {
              await s.end();
              ended.push(body);
              endedSet.add(body);
            } catch {
              await s.abort(0);
            }
          }
        } finally {
          s.close();
        }
      };
      const { leader } = await streamCluster(c, stream);
      const startedAt = Date.now();
      const consumers = Array.from({ length: 16 }, (_, i) => consume(i + 1));
      const production = Promise.all(Array.from({ length: producers }, (_, p) => produce(p)));
      await until(
        "a third of the rows acknowledged",
        30_000,
        () => Promise.resolve(acked.size >= (producers * perProducer) / 3),
      );
      const victim = c.node(leader);
      await c.kill(victim);
      const ackedAtKill = acked.size;
      await new Promise((r) => setTimeout(r, 1500));
      await c.restart(victim);
      const restartedMs = Date.now() - startedAt;
      await production;
      const producedMs = Date.now() - startedAt;
      producing = false;
      const drained = Promise.all(consumers);
      await Promise.race([
        drained,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error("drain did not finish in 60 s")), 60_000)
        ),
      ]);
      const lost = [...acked].filter((b) => !endedSet.has(b));
      assert.deepEqual(lost, [], `acknowledged rows lost (acked at kill: ${ackedAtKill})`);
      const twice = ended.filter((b, i) => ended.indexOf(b) !== i);
      assert.deepEqual(twice, [], "rows ended twice");
      console.log(
        `leader ${leader} killed at ${ackedAtKill} acked; ${acked.size} acked, ` +
          `${failed.length} inserts failed, ${ended.length} ended; ms: restarted ${restartedMs}, ` +
          `produced ${producedMs}, drained ${Date.now() - startedAt}`,
      );
      await until("the killed node is a current replica again", 30_000, async () => {
        const state = await streamCluster(c, stream);
        return state.current;
      });
    } finally {
      producing = false;
      await db.close();
    }
  });

  it("a consumer SIGKILLed while owning a row: delivered again after AckWait", {
    timeout: 60_000,
  }, async () => {
    const c = cluster();
    const leaseMs = 1_500;
    const db = await openBackend(c, { leaseMs });
    try {
      const t = await db.createTable("jobs", {});
      await db.insert(t.tableId, [bytes("precious")], [[]]);
      const testPath = fileURLToPath(import.meta.url);
      const childPath = path.join(path.dirname(testPath), `_owner_child${path.extname(testPath)}`);
      const args = [childPath, c.url, db.namespace, String(leaseMs)];
      const child = spawn(process.execPath, isDeno ? ["run", "-A", ...args] : args, {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk) => String(chunk).includes("owned 1") && resolve());
        child.on("exit", () => reject(new Error(`child exited early: ${stderr}`)));
      });
      // Owned well past the lease while the child lives (it renews it).
      await new Promise((r) => setTimeout(r, leaseMs * 2));
      const s = db.openSession(1);
      const arg = [{ tableId: t.tableId, text: "" }];
      assert.equal((await s.wait(arg, 0)).rowId, 0, "row left its living owner");
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      const killedAt = Date.now();
      assert.equal(
        (await s.wait(arg, 0)).rowId,
        0,
        "a crashed owner's row is back only after AckWait",
      );
      assert.equal((await s.wait(arg, leaseMs * 4)).rowId, 1);
      assert.ok(Date.now() - killedAt >= leaseMs / 3, "redelivered before the lease ran out");
      assert.equal(s.attempts(), 2);
      assert.equal(text(s.ownedPayload!), "precious");
      await s.end();
      s.close();
    } finally {
      await db.close();
    }
  });
});
