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
import { at as atIndex, u16At } from "../_at.ts";

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

/** Frames one payload as a wire packet. */
export function packet(sequenceId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  out[0] = payload.length & 0xff;
  out[1] = (payload.length >> 8) & 0xff;
  out[2] = (payload.length >> 16) & 0xff;
  out[3] = sequenceId;
  out.set(payload, 4);
  return out;
}

/**
 * A hand-driven client for commands no library sends on request: logs in
 * (server with no password, mysql_native_password) and then sends raw
 * commands, returning the payloads of the reply.
 */
export async function rawClient(port: number): Promise<{
  /** Sends one command payload; resolves with `replyCount` reply payloads. */
  command(payload: Uint8Array, replyCount: number): Promise<Uint8Array[]>;
  /** Sends one command that has no reply. */
  send(payload: Uint8Array): void;
  close(): void;
}> {
  const raw = await rawSocket(port);
  let consumed = 0;
  const take = async (count: number): Promise<Uint8Array[]> => {
    const out: Uint8Array[] = [];
    let at = consumed;
    await until(() => {
      const bytes = raw.received();
      while (out.length < count && at + 4 <= bytes.length) {
        const length = u16At(bytes, at) | (atIndex(bytes, at + 2) << 16);
        if (at + 4 + length > bytes.length) break;
        out.push(bytes.slice(at + 4, at + 4 + length));
        at += 4 + length;
      }
      return out.length >= count;
    }, `${count} packets`);
    consumed = at;
    return out;
  };
  await take(1); // the handshake
  const capabilities = 0x200 | 0x8000 | 0x80000; // PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH
  const login = new Uint8Array([
    capabilities & 0xff,
    (capabilities >> 8) & 0xff,
    (capabilities >> 16) & 0xff,
    0,
    0,
    0,
    0,
    1,
    45,
    ...new Uint8Array(23),
    ...new TextEncoder().encode("root\0"),
    0,
    ...new TextEncoder().encode("mysql_native_password\0"),
  ]);
  raw.socket.write(packet(1, login));
  const [ok] = await take(1);
  if (ok === undefined || ok[0] !== 0) {
    throw new Error(`login failed: ${new TextDecoder().decode(ok)}`);
  }
  return {
    command(payload, replyCount) {
      raw.socket.write(packet(0, payload));
      return take(replyCount);
    },
    send(payload) {
      raw.socket.write(packet(0, payload));
    },
    close() {
      raw.socket.destroy();
    },
  };
}
