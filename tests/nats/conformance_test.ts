/**
 * The seam's backend contract (tests/backend/_conformance.ts) run against
 * the NATS backend on the 3-node cluster, with client-side conditions on
 * so that the condition tests check filtering rather than the refusal.
 */

import { describe, it } from "node:test";
import { openNatsBackend } from "../../src/nats/backend.ts";
import { describeBackendContract } from "../backend/_conformance.ts";
import { skipUnless } from "../_skip.ts";
import { natsMissing, useCluster } from "./_helpers.ts";

const cluster = useCluster();
let namespaceCount = 0;

if (natsMissing === null) {
  describeBackendContract("nats (3-node cluster)", (options) =>
    openNatsBackend(cluster().url, {
      ...options,
      namespace: `conf${process.pid}n${++namespaceCount}`,
      leaseMs: 2_000,
      clientSideConditions: true,
      filterDelayMs: 50,
    }));
} else {
  describe("backend contract: nats (3-node cluster)", skipUnless(natsMissing), () => {
    it("runs on a cluster", () => {});
  });
}
