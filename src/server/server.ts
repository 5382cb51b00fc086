/**
 * `serve(db, options)`: a MySQL protocol server over an open q4d database on
 * TCP and/or a Unix socket, with TLS, users, connection limits, KILL and
 * SHOW PROCESSLIST across connections, and graceful shutdown.
 *
 * listener → Connection per socket → Session of `db`
 *
 * @module
 */

import { chmodSync, existsSync, lstatSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server as NetServer, type Socket } from "node:net";
import { hostname } from "node:os";
import { createSecureContext, type SecureContext } from "node:tls";
import type { Database } from "../engine/mod.ts";
import { QueueError } from "../errors.ts";
import { type AuthPlugin, type RsaKeys, rsaKeys as makeRsaKeys } from "./auth.ts";
import { Connection, type ConnectionHost } from "./connection.ts";
import { serverErrors } from "./errno.ts";
import type { ProcessRow } from "./intercept.ts";
import { framePackets, PayloadWriter } from "./packet.ts";
import { defaultVariables } from "./variables.ts";

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /** TCP address to listen on; default "127.0.0.1". `null`: no TCP listener. */
  host?: string | null;
  /** TCP port; default 3306; 0 picks a free port (see {@linkcode Server.port}). */
  port?: number;
  /** A Unix socket path to listen on too. */
  socket?: string;
  /** The Unix socket's file mode; default 0o660. */
  socketMode?: number;
  /** User name → password in clear. Default `{ root: "" }` (or `user`/`password`). */
  users?: Record<string, string>;
  /** The single user (default "root") when `users` is not given. */
  user?: string;
  /** That user's password; default "". */
  password?: string;
  /** The authentication plugin clients are switched to; default caching_sha2_password (MySQL 8). */
  authPlugin?: AuthPlugin;
  /** PEM certificate chain: with `tlsKey`, enables TLS (SSLRequest). */
  tlsCert?: string;
  /** PEM private key of `tlsCert`. */
  tlsKey?: string;
  /** Refuse connections that are neither TLS nor the Unix socket. */
  requireSecureTransport?: boolean;
  /**
   * caching_sha2_password as MySQL does it over plain TCP too: a user's first
   * login since start is the full authentication, the password RSA-encrypted
   * with the server's key (clients fetch the public key: mysql2 and Go by
   * themselves, `mariadb --get-server-public-key`, Connector/J with
   * `allowPublicKeyRetrieval=true`). Default false: over plain TCP the
   * fast-path scramble is enough, since the server knows the password.
   * Implied by `rsaPrivateKey`.
   */
  fullAuthOverTcp?: boolean;
  /** PEM RSA private key for `fullAuthOverTcp`; default a fresh 2048-bit key per start. */
  rsaPrivateKey?: string;
  /** Default 151, as MySQL; the next connection gets ERR 1040. */
  maxConnections?: number;
  /** Largest packet accepted; default 64 MiB; larger is ERR 1153. */
  maxAllowedPacketBytes?: number;
  /** Idle seconds before a connection is closed; default 28800. Never fires during a statement. */
  waitTimeoutSeconds?: number;
  /**
   * Seconds a client has for each step of the handshake (MySQL's
   * connect_timeout); default 10. A connection that stalls there is closed.
   */
  connectTimeoutSeconds?: number;
  /** Where refused connections and errors go; default stderr. */
  log?: (line: string) => void;
  /** Log every statement too. */
  verbose?: boolean;
}

/** A running server. */
export interface Server {
  /** The TCP port listened on (the chosen one when 0 was asked), or null. */
  readonly port: number | null;
  /** The TCP address listened on, or null. */
  readonly host: string | null;
  /** The Unix socket path, or null. */
  readonly socket: string | null;
  /** Open connections. */
  readonly connectionCount: number;
  /**
   * Stops accepting, ends pending queue_waits, waits up to `graceMs` (default
   * 10 s) for statements in flight, then closes every connection (owned rows
   * go back to their queues). Does not close the database.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Whether something accepts connections on the Unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/**
 * Serves `db` to MySQL clients.
 *
 * @example
 * ```ts
 * import { open } from "../../mod.ts";
 * import { serve } from "./mod.ts";
 * const db = await open(await Deno.makeTempDir());
 * const server = await serve(db, { port: 0 });
 * console.log(`mysql -h 127.0.0.1 -P ${server.port} -u root`);
 * await server.close();
 * await db.close();
 * ```
 */
export async function serve(db: Database, options: ServeOptions = {}): Promise<Server> {
  const host = options.host === undefined ? "127.0.0.1" : options.host;
  const users = new Map(Object.entries(
    options.users ?? { [options.user ?? "root"]: options.password ?? "" },
  ));
  if (host !== null && !isLoopback(host) && [...users.values()].some((p) => p === "")) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      `Refusing to listen on non-loopback address ${host} with a user without a password`,
    );
  }
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "TLS needs both a certificate and a key");
  }
  const secureContext: SecureContext | null = options.tlsCert !== undefined
    ? createSecureContext({ cert: options.tlsCert, key: options.tlsKey })
    : null;
  let rsaKeys: RsaKeys | null = null;
  if (options.fullAuthOverTcp === true || options.rsaPrivateKey !== undefined) {
    try {
      rsaKeys = makeRsaKeys(options.rsaPrivateKey);
    } catch (error) {
      throw new QueueError(
        "ER_WRONG_ARGUMENTS",
        `The RSA private key cannot be used: ${(error as Error).message}`,
      );
    }
  }
  const log = options.log ?? ((line: string) => console.error(line));
  const maxConnections = options.maxConnections ?? 151;
  const maxAllowedPacketBytes = options.maxAllowedPacketBytes ?? 64 * 1024 * 1024;
  const waitTimeoutSeconds = options.waitTimeoutSeconds ?? 28800;
  const connections = new Map<number, Connection>();
  let connectionIdNext = 1;
  let closing: Promise<void> | null = null;
  const listeners: NetServer[] = [];
  let tcpPort: number | null = null;

  const connectionHost: ConnectionHost = {
    db,
    users,
    authPlugin: options.authPlugin ?? "caching_sha2_password",
    secureContext,
    requireSecureTransport: options.requireSecureTransport ?? false,
    rsaKeys,
    maxAllowedPacketBytes,
    waitTimeoutMs: waitTimeoutSeconds * 1000,
    connectTimeoutMs: (options.connectTimeoutSeconds ?? 10) * 1000,
    defaults: new Map(),
    sha2Cache: new Set(),
    startedAt: Date.now(),
    log,
    verbose: options.verbose ? log : () => {},
    kill(id, queryOnly) {
      const target = connections.get(id);
      if (target === undefined) return false;
      if (queryOnly) target.cancelWait();
      else target.close();
      return true;
    },
    processList(): ProcessRow[] {
      return [...connections.values()].map((c) => c.processRow());
    },
    closed(connection) {
      connections.delete(connection.id);
    },
  };

  const accept = (socket: Socket, unix: boolean) => {
    socket.setNoDelay?.(true);
    const id = connectionIdNext++;
    if (closing !== null || connections.size >= maxConnections) {
      const message = closing !== null ? "Server shutdown in progress" : "Too many connections";
      const error = closing !== null
        ? serverErrors.serverShutdown
        : serverErrors.tooManyConnections;
      const payload = new PayloadWriter(64).u8(0xff).u16(error.errno).string("#")
        .string(error.sqlState).string(message).finish();
      socket.on("error", () => {});
      socket.end(framePackets(payload, 0).bytes);
      log(`connection ${id}: refused: ${message.toLowerCase()}`);
      return;
    }
    if (db.closed) {
      socket.destroy();
      return;
    }
    connections.set(id, new Connection(connectionHost, socket, id, unix));
  };

  const listen = (server: NetServer, target: { port: number; host: string } | string) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      const done = () => {
        server.off("error", reject);
        server.on("error", (error) => log(`listener error: ${String(error)}`));
        resolve();
      };
      if (typeof target === "string") server.listen(target, done);
      else server.listen(target.port, target.host, done);
    });

  const settings = {
    maxAllowedPacketBytes,
    waitTimeoutSeconds,
    maxConnections,
    port: options.port ?? 3306,
    socket: options.socket ?? "",
    hostname: hostname(),
    tls: secureContext !== null,
  };
  try {
    if (host !== null) {
      const tcp = createServer((socket) => accept(socket, false));
      await listen(tcp, { port: options.port ?? 3306, host });
      listeners.push(tcp);
      const address = tcp.address();
      tcpPort = typeof address === "object" && address !== null ? address.port : null;
      settings.port = tcpPort ?? settings.port;
    }
    if (options.socket !== undefined) {
      const path = options.socket;
      // A stale socket file from a crashed server is removed; a live one or any other file is refused.
      if (existsSync(path)) {
        if (!lstatSync(path).isSocket()) {
          throw new QueueError("ER_CANT_OPEN_FILE", `${path} exists and is not a socket`);
        }
        if (await socketAnswers(path)) {
          throw new QueueError("ER_CANT_OPEN_FILE", `${path} is in use by another server`);
        }
        unlinkSync(path);
      }
      const unix = createServer((socket) => accept(socket, true));
      await listen(unix, path);
      chmodSync(path, options.socketMode ?? 0o660);
      listeners.push(unix);
    }
  } catch (error) {
    for (const listener of listeners) listener.close();
    throw error;
  }
  for (const [name, value] of defaultVariables(settings)) {
    (connectionHost.defaults as Map<string, unknown>).set(name, value);
  }

  return {
    get port() {
      return tcpPort;
    },
    host,
    socket: options.socket ?? null,
    get connectionCount() {
      return connections.size;
    },
    close({ graceMs = 10_000 } = {}) {
      if (closing !== null) return closing;
      closing = (async () => {
        // close() stops accepting now; its callback waits for every connection to end.
        const listenersClosed = Promise.all(
          listeners.map((listener) =>
            new Promise<void>((resolve) => listener.close(() => resolve()))
          ),
        );
        // A waiting queue_wait is not work in flight: end it now (the client sees ERR 1317).
        for (const connection of connections.values()) {
          if (!connection.busy) connection.close();
          else connection.cancelWait();
        }
        const deadline = Date.now() + graceMs;
        while (connections.size > 0 && Date.now() < deadline) {
          const busy = [...connections.values()].filter((c) => c.busy);
          for (const connection of connections.values()) if (!connection.busy) connection.close();
          if (busy.length === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        for (const connection of [...connections.values()]) connection.close();
        await Promise.all([...connections.values()].map((c) => c.done.catch(() => {})));
        await listenersClosed;
      })();
      return closing;
    },
  };
}
