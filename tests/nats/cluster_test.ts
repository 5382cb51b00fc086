/**
 * The cluster harness itself: ports picked as free can be taken by another
 * process before nats-server binds them (seen in CI as "bind: address
 * already in use" under load); the harness then starts over on fresh ports.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { skipUnless } from "../_skip.ts";
import { Cluster, freePorts, natsMissing } from "./_cluster.ts";

test(
  "a cluster whose first ports are taken starts on fresh ones",
  skipUnless(natsMissing),
  async () => {
    // Another process holds a port the first pick hands out (a router port).
    // (It drops what connects: the other nodes' routes dial it.)
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const taken = (squatter.address() as net.AddressInfo).port;
    const picks: number[][] = [];
    let cluster: Cluster | null = null;
    try {
      cluster = await Cluster.start(async (count) => {
        const ports = await freePorts(count);
        if (picks.length === 0) ports[1] = taken;
        picks.push(ports);
        return ports;
      });
      assert.equal(picks.length, 2, "started over once");
      assert.ok(!cluster.nodes.some((n) => n.port === taken || n.clusterPort === taken));
    } finally {
      await cluster?.stop();
      await new Promise((resolve) => squatter.close(resolve));
    }
  },
);

test("freePorts hands out distinct ports", async () => {
  const ports = await freePorts(6);
  assert.equal(new Set(ports).size, 6);
});
