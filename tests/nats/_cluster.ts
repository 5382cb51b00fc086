/**
 * A 3-node NATS JetStream cluster on loopback for the NATS backend's tests:
 * Debian's `nats-server` (2.9.10 here), three processes on random free
 * ports, stores in a temp dir, started within a bounded time, stopped by PID.
 * One node (the stream leader, for the fault tests) can be SIGKILLed and
 * started again on the same ports and store.
 *
 * tests/nats/*_test.ts → this harness → nats-server child processes
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { connect, jetstreamManager, type NatsConnection } from "../../src/nats/client.ts";

/** Where Debian installs the server (it is not on a non-root PATH). */
const serverPaths = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "nats-server"];
/** Upper bound for the cluster to elect a JetStream meta leader. */
const startTimeoutMs = 20_000;

function findServer(): string | null {
  for (const candidate of serverPaths) {
    const probe = spawnSync(candidate, ["--version"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** The nats-server binary, or null when it is not installed. */
export const natsServer: string | null = findServer();

/** Why the NATS tests are skipped, or null when nats-server is installed. */
export const natsMissing: string | null = natsServer === null
  ? "nats-server not installed (apt-get install nats-server)"
  : null;

/** The server's version line, e.g. "nats-server: v2.9.10". */
export function natsServerVersion(): string {
  if (natsServer === null) return "none";
  return spawnSync(natsServer, ["--version"], { encoding: "utf8" }).stdout.trim();
}

/**
 * `count` distinct free TCP ports on 127.0.0.1: all bound at once (so no two
 * are the same), then released. Another process may still race for one
 * before nats-server binds it; Cluster.start then retries with fresh ports.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            if (address === null || typeof address === "string") reject(new Error("no port"));
            else resolve(address.port);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Whether a node's log says it could not bind its port (a lost race for a free port). */
function lostPortRace(node: ClusterNode): boolean {
  return node.log.join("").includes("address already in use");
}

/** How many times Cluster.start picks fresh ports after losing a port race. */
const startAttempts = 4;

/** One node of the cluster. */
export interface ClusterNode {
  readonly name: string;
  readonly port: number;
  readonly clusterPort: number;
  readonly storeDir: string;
  /** The running process, or null while stopped. */
  process: ChildProcess | null;
  /** Everything the node wrote, kept for failure messages. */
  log: string[];
}

/** A running 3-node cluster. */
export class Cluster {
  readonly nodes: ClusterNode[];
  readonly root: string;

  private constructor(nodes: ClusterNode[], root: string) {
    this.nodes = nodes;
    this.root = root;
  }

  /** The client URL, every node: `nats://127.0.0.1:p1,127.0.0.1:p2,…`. */
  get url(): string {
    return "nats://" + this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
  }

  /**
   * Starts three nodes and waits (bounded) until JetStream answers through
   * every node. A node that loses its port to another process (the ports are
   * free when picked, not reserved) makes it start over on fresh ports.
   */
  static async start(
    pickPorts: (count: number) => Promise<number[]> = freePorts,
  ): Promise<Cluster> {
    if (natsServer === null) throw new Error(natsMissing ?? "nats-server missing");
    for (let attempt = 1;; attempt++) {
      const cluster = await Cluster.#create(await pickPorts(6));
      try {
        for (const node of cluster.nodes) cluster.#spawn(node);
        for (const node of cluster.nodes) await cluster.waitReady(node);
        await cluster.#waitPlacement();
        return cluster;
      } catch (error) {
        await cluster.stop();
        if (attempt >= startAttempts || !cluster.nodes.some(lostPortRace)) throw error;
      }
    }
  }

  /** Three stopped nodes on `ports` (client and cluster port each), stores in a new temp dir. */
  static #create(ports: readonly number[]): Cluster {
    const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-nats-"));
    const nodes: ClusterNode[] = [];
    for (let i = 1; i <= 3; i++) {
      const storeDir = path.join(root, `n${i}`);
      nodeFs.mkdirSync(storeDir);
      nodes.push({
        name: `n${i}`,
        port: ports[2 * i - 2]!,
        clusterPort: ports[2 * i - 1]!,
        storeDir,
        process: null,
        log: [],
      });
    }
    return new Cluster(nodes, root);
  }

  #spawn(node: ClusterNode): void {
    const routes = this.nodes.map((n) => `nats://127.0.0.1:${n.clusterPort}`).join(",");
    const child = spawn(natsServer!, [
      "--jetstream",
      "--store_dir",
      node.storeDir,
      "--name",
      node.name,
      "--addr",
      "127.0.0.1",
      "--port",
      String(node.port),
      "--cluster_name",
      "q4d",
      "--cluster",
      `nats://127.0.0.1:${node.clusterPort}`,
      "--routes",
      routes,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk: Buffer) => {
      node.log.push(chunk.toString());
      if (node.log.length > 200) node.log.splice(0, node.log.length - 200);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    node.process = child;
  }

  /**
   * Waits until `node` answers a JetStream account-info request, which needs
   * an elected meta leader (bounded by `startTimeoutMs`).
   */
  async waitReady(node: ClusterNode): Promise<void> {
    const deadline = Date.now() + startTimeoutMs;
    let lastError: unknown = null;
    while (Date.now() < deadline) {
      const child = node.process;
      if (child === null || child.exitCode !== null || child.signalCode !== null) {
        // Its last words (e.g. "address already in use") may still be in the pipe.
        if (child !== null) await closed(child, 1000);
        throw new Error(`${node.name} exited:\n${node.log.join("")}`);
      }
      let nc: NatsConnection | null = null;
      try {
        nc = await connect({ servers: [`127.0.0.1:${node.port}`], timeout: 1000 });
        const reply = await nc.request("$JS.API.INFO", "", { timeout: 1000 });
        const info = JSON.parse(new TextDecoder().decode(reply.data));
        if (info.error === undefined) return;
        lastError = info.error;
      } catch (error) {
        lastError = error;
      } finally {
        await nc?.close().catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `${node.name} not ready in ${startTimeoutMs} ms: ${String(lastError)}\n${node.log.join("")}`,
    );
  }

  /**
   * Waits until the meta group can place a 3-replica stream: a meta leader
   * answering (waitReady) is not enough, since until every peer has joined,
   * creating an R3 stream fails with "no suitable peers for placement".
   * Creates and deletes a probe stream, retried within `startTimeoutMs`.
   */
  async #waitPlacement(): Promise<void> {
    const deadline = Date.now() + startTimeoutMs;
    const nc = await connect({
      servers: this.url.slice("nats://".length).split(","),
      timeout: 2000,
    });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2000 });
      for (let attempt = 1;; attempt++) {
        const name = `q4d_probe_${attempt}`;
        try {
          await jsm.streams.add({ name, subjects: [`q4d_probe.${attempt}`], num_replicas: 3 });
          await jsm.streams.delete(name);
          return;
        } catch (error) {
          if (Date.now() > deadline) {
            throw new Error(
              `cluster cannot place an R3 stream in ${startTimeoutMs} ms: ${String(error)}`,
            );
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      await nc.close().catch(() => {});
    }
  }

  /** SIGKILLs a node by PID and waits for the process to be gone. */
  async kill(node: ClusterNode): Promise<void> {
    const child = node.process;
    if (child === null) return;
    node.process = null;
    await signalAndWait(child, "SIGKILL");
  }

  /** Starts a killed node again on its ports and store, and waits until it answers. */
  async restart(node: ClusterNode): Promise<void> {
    if (node.process !== null) throw new Error(`${node.name} is running`);
    this.#spawn(node);
    await this.waitReady(node);
  }

  /** The node named `name` (as stream info reports leaders). */
  node(name: string): ClusterNode {
    const found = this.nodes.find((n) => n.name === name);
    if (found === undefined) throw new Error(`no node ${name}`);
    return found;
  }

  /** Stops every node by PID (SIGTERM, then SIGKILL after 5 s) and removes the stores. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => {
      const child = node.process;
      node.process = null;
      if (child !== null) await signalAndWait(child, "SIGTERM", 5000);
    }));
    nodeFs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Resolves when the child's stdio has closed (all its output read), or after `timeoutMs`. */
function closed(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.stdout === null || child.stdout.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Sends `signal` to the child by PID; escalates to SIGKILL after `graceMs`. */
function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
