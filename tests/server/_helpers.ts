/**
 * Shared helpers for the server tests: a database served in-process on
 * 127.0.0.1 port 0 and a temp Unix socket, mysql2 connections to it, raw
 * sockets for malformed input, and the mariadb CLI when installed.
 *
 * tests/server/*_test.ts → these helpers → src/server (serve) → mod.ts
 */

import { after } from "node:test";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import mysql from "npm:mysql2@3.24.6/promise";
import { type Database, open } from "../../mod.ts";
import { serve, type ServeOptions, type Server } from "../../src/server/mod.ts";

export { mysql };

const temporaryRoot = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-server-test-"));
after(() => nodeFs.rmSync(temporaryRoot, { recursive: true, force: true }));
let count = 0;

/** A served database and how to reach it. */
export interface Served {
  db: Database;
  server: Server;
  port: number;
  socket: string;
  /** Log lines the server wrote. */
  log: string[];
  /** mysql2 connection options for this server (TCP), overridable. */
  options(extra?: Record<string, unknown>): Record<string, unknown>;
  /** A mysql2 promise connection. */
  connect(extra?: Record<string, unknown>): Promise<mysql.Connection>;
  /** Closes the server and the database. */
  close(): Promise<void>;
}

/** Opens a fresh database and serves it on port 0 and a temp socket. */
export async function startServer(options: ServeOptions = {}): Promise<Served> {
  count++;
  const directory = path.join(temporaryRoot, `db${count}`);
  const socket = path.join(temporaryRoot, `s${count}.sock`);
  const db = await open(directory, { sync: "none" });
  const log: string[] = [];
  const server = await serve(db, {
    port: 0,
    socket,
    password: "secret",
    log: (line) => log.push(line),
    ...options,
  });
  const password = options.password ?? "secret";
  const connectionOptions = (extra: Record<string, unknown> = {}) => ({
    host: "127.0.0.1",
    port: server.port!,
    user: "root",
    password,
    ...extra,
  });
  return {
    db,
    server,
    port: server.port!,
    socket,
    log,
    options: connectionOptions,
    connect: (extra = {}) => mysql.createConnection(connectionOptions(extra)),
    async close() {
      await server.close({ graceMs: 1000 });
      await db.close();
    },
  };
}

/** Why the mariadb CLI tests are skipped, or null when it is installed. */
export const mariadbMissing: string | null = (() => {
  const probe = spawnSync("mariadb", ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? null : "mariadb CLI not installed";
})();

/** `{ skip: reason }` when `reason` is non-null: visible as skipped, decided at definition time. */
export function skipUnless(reason: string | null): { skip?: string } {
  return reason === null ? {} : { skip: reason };
}

/** A raw TCP socket to the server, collecting what it receives until it closes. */
export function rawSocket(port: number): Promise<{
  socket: net.Socket;
  received: () => Uint8Array;
  closed: Promise<void>;
}> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const socket = net.connect(port, "127.0.0.1");
    const closed = new Promise<void>((done) => socket.on("close", () => done()));
    socket.on("data", (chunk: Uint8Array) => chunks.push(new Uint8Array(chunk)));
    socket.on("error", () => {});
    socket.once("connect", () =>
      resolve({
        socket,
        received: () => {
          const total = chunks.reduce((n, c) => n + c.length, 0);
          const out = new Uint8Array(total);
          let at = 0;
          for (const c of chunks) {
            out.set(c, at);
            at += c.length;
          }
          return out;
        },
        closed,
      }));
    socket.once("error", reject);
  });
}

/** Resolves once `predicate` holds, checking every few milliseconds (an event with no hook). */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
