/**
 * Helpers for the NATS backend tests: one cluster per test file, backends
 * opened on it under a fresh namespace each, and a stand-in for the
 * engine's condition compiler (payloads here are UTF-8 text; a condition
 * `body=text` matches a payload equal to `text`).
 *
 * tests/nats/*_test.ts → these helpers → _cluster.ts, src/nats/backend.ts
 *
 * @module
 */

import { after, before } from "node:test";
import type { CompiledCondition, TableInfo } from "../../src/backend/types.ts";
import {
  type NatsBackend,
  type NatsBackendOptions,
  openNatsBackend,
} from "../../src/nats/backend.ts";
import { Cluster, natsMissing } from "./_cluster.ts";

export { natsMissing };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text` (row payloads in these tests). */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The text of a payload. */
export function text(payload: Uint8Array): string {
  return decoder.decode(payload);
}

/** The stand-in condition compiler: `body=x` matches payload "x". */
export function compileCondition(_table: TableInfo, conditionText: string): CompiledCondition {
  const match = /^body=(.*)$/.exec(conditionText);
  if (match === null) throw new Error(`test compiler: cannot compile ${conditionText}`);
  const wanted = match[1];
  return {
    text: conditionText,
    expression: null,
    matches: (payload) => text(payload) === wanted,
    readsClock: false,
  };
}

let namespaceCount = 0;

/**
 * Starts one cluster for the calling test file (before its tests, stopped
 * after them) and returns a getter for it. Does nothing when nats-server
 * is missing (the tests skip).
 */
export function useCluster(): () => Cluster {
  let cluster: Cluster | null = null;
  if (natsMissing !== null) return () => cluster!;
  before(async () => {
    cluster = await Cluster.start();
  });
  after(async () => {
    await cluster?.stop();
  });
  return () => cluster!;
}

/** Opens a backend on the cluster under a fresh namespace (or `namespace`). */
export function openBackend(
  cluster: Cluster,
  options: Partial<NatsBackendOptions> = {},
): Promise<NatsBackend> {
  return openNatsBackend(cluster.url, {
    compileCondition,
    namespace: options.namespace ?? `t${process.pid}n${++namespaceCount}`,
    leaseMs: 2_000,
    duplicateWindowMs: 30_000,
    ...options,
  });
}
