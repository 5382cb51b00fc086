/**
 * Systems of the served benchmark (issue 10): q4d over the wire — a `q4d serve`
 * child process reached through mysql2 or through q4d's own `connect()`, or
 * served in the bench's own process — and a MariaDB InnoDB job table through
 * the same mysql2 client. Each implements the standard workload's
 * {@linkcode QueueSystem}; producers share a pool of `connectionCount`
 * connections, every consumer holds its own connection.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import mysql from "npm:mysql2@3.24.6/promise";
import type {
  Delivery,
  QueueConsumer,
  QueueSystem,
  SetupOptions,
  SystemFactory,
} from "../workload/mod.ts";
import { SystemUnavailableError } from "../workload/mod.ts";
import { open } from "../../mod.ts";
import { connect, type RemoteDatabase, type RemoteSession, serve } from "../../src/server/mod.ts";

/** The CLI the child server runs. */
const cliPath = new URL("../../src/cli.ts", import.meta.url).pathname;
/** MariaDB's socket on Debian. */
export const mariadbSocketPath = "/run/mysqld/mysqld.sock";
/** Linux's USER_HZ, the unit of /proc/PID/stat's CPU times. */
const clockTicksPerSecond = 100;
/** Server CPU seconds per system name, summed over its child servers (W1+W2 and W3). */
export const serverCpuSeconds = new Map<string, number>();

/** How long the child server may take to print its address. */
const serverStartTimeoutMs = 30_000;

function tableDdl(bodyBytes: number, engine: string, extraColumns = ""): string {
  const bodyType = bodyBytes <= 96 ? "VARCHAR(96)" : bodyBytes <= 65_535 ? "TEXT" : "LONGTEXT";
  return `CREATE TABLE jobs (${extraColumns}id INT NOT NULL, body ${bodyType} NOT NULL) ENGINE=${engine}`;
}

/** A `q4d serve` child process on a temp directory, TCP port 0. */
export class ServerChild {
  readonly #child: ChildProcess;
  readonly port: number;
  /** CPU seconds spent starting up (module loading), left out of cpuSeconds(). */
  readonly #startupCpuSeconds: number;

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
    this.#startupCpuSeconds = 0;
    this.#startupCpuSeconds = this.cpuSeconds() ?? 0;
  }

  static start(dataDir: string, cli = cliPath): Promise<ServerChild> {
    const isDeno = "Deno" in globalThis;
    const args = [cli, "serve", "--data", dataDir, "--port", "0", "--max-connections", "1000"];
    // Q4D_BENCH_SERVER_FLAGS: extra runtime flags for the server, e.g. "--cpu-prof".
    const extra = (process.env.Q4D_BENCH_SERVER_FLAGS ?? "").split(" ").filter((f) => f !== "");
    // Q4D_BENCH_SERVE_ARGS: extra arguments for q4d serve, e.g. "--commit-io blocking".
    args.push(...(process.env.Q4D_BENCH_SERVE_ARGS ?? "").split(" ").filter((a) => a !== ""));
    const runtimeArgs = isDeno ? ["run", "-A", ...extra, ...args] : [...extra, ...args];
    const child = spawn(process.execPath, runtimeArgs, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new Promise((resolve, reject) => {
      let out = "";
      let err = "";
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`q4d serve did not start: ${err}`));
      }, serverStartTimeoutMs);
      child.stderr!.on("data", (chunk: Uint8Array) => err += new TextDecoder().decode(chunk));
      child.stdout!.on("data", (chunk: Uint8Array) => {
        out += new TextDecoder().decode(chunk);
        const match = /on [^ ]*:(\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(new ServerChild(child, Number(match[1])));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`q4d serve exited ${code}: ${err}`));
      });
    });
  }

  /** CPU seconds (user + system) the server used since it started listening; null without /proc. */
  cpuSeconds(): number | null {
    try {
      const stat = readFileSync(`/proc/${this.#child.pid}/stat`, "utf8");
      // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond -
        this.#startupCpuSeconds;
    } catch {
      return null;
    }
  }

  /** SIGTERM (clean shutdown), then waits for the exit. */
  stop(): Promise<void> {
    if (this.#child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#child.once("exit", () => resolve());
      this.#child.kill("SIGTERM");
    });
  }
}

/** Where a system's server lives and how to stop it. */
interface Endpoint {
  /** mysql2 connection options. */
  mysql2: Record<string, unknown>;
  /** mysql:// URL for connect(). */
  url: string;
  stop(): Promise<void>;
}

async function childEndpoint(dir: string, name: string, cli = cliPath): Promise<Endpoint> {
  const child = await ServerChild.start(join(dir, "q4d"), cli);
  return {
    mysql2: { host: "127.0.0.1", port: child.port, user: "root" },
    url: `mysql://root@127.0.0.1:${child.port}`,
    stop: () => {
      const cpu = child.cpuSeconds();
      if (cpu !== null) serverCpuSeconds.set(name, (serverCpuSeconds.get(name) ?? 0) + cpu);
      return child.stop();
    },
  };
}

async function inProcessEndpoint(dir: string): Promise<Endpoint> {
  // As q4d serve opens its database: commits sync off the event loop.
  const db = await open(join(dir, "q4d"), { sync: "fdatasync", commitIo: "async" });
  const server = await serve(db, { port: 0, maxConnections: 1000 });
  return {
    mysql2: { host: "127.0.0.1", port: server.port!, user: "root" },
    url: `mysql://root@127.0.0.1:${server.port}`,
    async stop() {
      await server.close({ graceMs: 1000 });
      await db.close();
    },
  };
}

type Connection = mysql.Connection;

/** q4d served, driven through mysql2's text protocol (`query`). */
class Q4dServedMysql2 implements QueueSystem {
  readonly name: string;
  readonly notes: readonly string[];
  readonly #connectionCount: number;
  readonly #makeEndpoint: (dir: string) => Promise<Endpoint>;
  #endpoint: Endpoint | undefined;
  #pool: mysql.Pool | undefined;
  readonly #consumers = new Set<Connection>();

  constructor(
    name: string,
    connectionCount: number,
    makeEndpoint: (dir: string) => Promise<Endpoint>,
    where: string,
  ) {
    this.name = name;
    this.#connectionCount = connectionCount;
    this.#makeEndpoint = makeEndpoint;
    this.notes = [
      `${where}, open(dir) with sync "fdatasync": an INSERT's OK packet and queue_end()'s result are sent after the log is datasynced (group commit)`,
      `mysql2 text protocol: a pool of ${connectionCount} producer connections; each consumer its own connection running queue_wait → SELECT → queue_end()`,
    ];
  }

  async setup(dir: string, options: SetupOptions): Promise<void> {
    this.#endpoint = await this.#makeEndpoint(dir);
    this.#pool = mysql.createPool({
      ...this.#endpoint.mysql2,
      connectionLimit: this.#connectionCount,
      maxIdle: this.#connectionCount,
    });
    await this.#pool.query(tableDdl(options.bodyBytes, "QUEUE"));
  }

  async produce(id: number, body: string): Promise<void> {
    await this.#pool!.query("INSERT INTO jobs (id, body) VALUES (?, ?)", [id, body]);
  }

  async openConsumer(): Promise<QueueConsumer> {
    const connection = await mysql.createConnection(this.#endpoint!.mysql2);
    this.#consumers.add(connection);
    const consume = async (timeoutMs: number): Promise<Delivery | null> => {
      const [waitRows] = await connection.query(
        `SELECT queue_wait('jobs', ${timeoutMs / 1000}) AS got`,
      );
      if (!(Number((waitRows as { got: unknown }[])[0]?.got) > 0)) return null;
      const [rows] = await connection.query("SELECT id, body FROM jobs");
      const list = rows as { id: number; body: string }[];
      if (list.length !== 1) throw new Error(`owner-mode SELECT returned ${list.length} rows`);
      return { id: Number(list[0]?.id), body: String(list[0]?.body), handle: null };
    };
    return {
      consume,
      ack: async () => {
        await connection.query("SELECT queue_end()");
      },
      close: async () => {
        this.#consumers.delete(connection);
        await connection.end();
      },
    };
  }

  async close(): Promise<void> {
    for (const connection of this.#consumers) connection.destroy();
    this.#consumers.clear();
    await this.#pool?.end();
    this.#pool = undefined;
    await this.#endpoint?.stop();
    this.#endpoint = undefined;
  }
}

/** q4d served, driven through q4d's own connect() (binary prepared statements). */
class Q4dServedConnect implements QueueSystem {
  readonly name: string;
  readonly notes: readonly string[];
  readonly #connectionCount: number;
  readonly #cli: string;
  #endpoint: Endpoint | undefined;
  #db: RemoteDatabase | undefined;
  #free: RemoteSession[] = [];
  #waiting: ((session: RemoteSession) => void)[] = [];

  constructor(connectionCount: number, name = "q4d-served (connect)", cli = cliPath) {
    this.#connectionCount = connectionCount;
    this.name = name;
    this.#cli = cli;
    this.notes = [
      `q4d serve child process, as above; connect(url): every statement a cached COM_STMT_PREPARE + COM_STMT_EXECUTE`,
      `${connectionCount} producer sessions (connections) handed out as a pool; each consumer its own session`,
    ];
  }

  async setup(dir: string, options: SetupOptions): Promise<void> {
    this.#endpoint = await childEndpoint(dir, this.name, this.#cli);
    this.#db = await connect(this.#endpoint.url);
    await this.#db.sql.unsafe(tableDdl(options.bodyBytes, "QUEUE"));
    for (let i = 0; i < this.#connectionCount; i++) this.#free.push(this.#db.session());
  }

  async produce(id: number, body: string): Promise<void> {
    const session = this.#free.pop() ??
      await new Promise<RemoteSession>((resolve) => this.#waiting.push(resolve));
    try {
      await session.sql`INSERT INTO jobs (id, body) VALUES (${id}, ${body})`;
    } finally {
      const next = this.#waiting.shift();
      if (next) next(session);
      else this.#free.push(session);
    }
  }

  openConsumer(): Promise<QueueConsumer> {
    const session = this.#db!.session();
    const consume = async (timeoutMs: number): Promise<Delivery | null> => {
      const [wait] = await session.sql`SELECT queue_wait('jobs', ${timeoutMs / 1000}) AS got`;
      if (!(Number(wait?.got) > 0)) return null;
      const rows = await session.sql`SELECT id, body FROM jobs`;
      if (rows.length !== 1) throw new Error(`owner-mode SELECT returned ${rows.length} rows`);
      return { id: Number(rows[0]?.id), body: String(rows[0]?.body), handle: null };
    };
    return Promise.resolve({
      consume,
      ack: async () => {
        await session.sql`SELECT queue_end()`;
      },
      close: () => session.close(),
    });
  }

  async close(): Promise<void> {
    await this.#db?.close();
    this.#db = undefined;
    this.#free = [];
    await this.#endpoint?.stop();
    this.#endpoint = undefined;
  }
}

/** Why MariaDB cannot be used here, or null when `mysql -uroot` answers over its socket. */
export function mariadbUnavailableReason(): string | null {
  if (!existsSync(mariadbSocketPath)) {
    return `no MariaDB socket at ${mariadbSocketPath} (start it: service mariadb start)`;
  }
  const probe = spawnSync("mysql", ["-uroot", "-N", "-e", "SELECT 1"], { encoding: "utf8" });
  if (probe.error) return `mysql CLI not runnable (${probe.error.message})`;
  if (probe.status !== 0) return `mysql -uroot fails: ${probe.stderr.trim().split("\n")[0]}`;
  return null;
}

let mariadbDatabaseCount = 0;

/**
 * A MariaDB InnoDB job table, the common "jobs in SQL" design: a producer
 * INSERTs (autocommit); a consumer claims the oldest row in a transaction
 * with SELECT … FOR UPDATE SKIP LOCKED, and acks with DELETE + COMMIT.
 */
class MariadbInnodb implements QueueSystem {
  readonly name = "mariadb-innodb (mysql2)";
  readonly notes: readonly string[];
  readonly #connectionCount: number;
  #database = "";
  #pool: mysql.Pool | undefined;
  readonly #consumers = new Set<Connection>();

  constructor(connectionCount: number) {
    this.#connectionCount = connectionCount;
    this.notes = [
      "local MariaDB over its Unix socket, InnoDB, innodb_flush_log_at_trx_commit=1 (set globally by the bench): every commit is flushed to the redo log (group commit)",
      "claim: BEGIN; SELECT … ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED; ack: DELETE + COMMIT; an empty queue is polled every 2 ms (no server-side wait)",
      `mysql2 text protocol, a pool of ${connectionCount} producer connections; each consumer its own connection`,
    ];
  }

  async setup(_dir: string, options: SetupOptions): Promise<void> {
    const reason = mariadbUnavailableReason();
    if (reason !== null) throw new SystemUnavailableError(reason);
    this.#database = `q4d_bench_${process.pid}_${++mariadbDatabaseCount}`;
    const admin = await mysql.createConnection({ socketPath: mariadbSocketPath, user: "root" });
    try {
      await admin.query("SET GLOBAL innodb_flush_log_at_trx_commit = 1");
      await admin.query(`DROP DATABASE IF EXISTS ${this.#database}`);
      await admin.query(`CREATE DATABASE ${this.#database}`);
      await admin.query(`USE ${this.#database}`);
      await admin.query(
        tableDdl(options.bodyBytes, "InnoDB", "seq BIGINT AUTO_INCREMENT PRIMARY KEY, "),
      );
    } finally {
      await admin.end();
    }
    this.#pool = mysql.createPool({
      socketPath: mariadbSocketPath,
      user: "root",
      database: this.#database,
      connectionLimit: this.#connectionCount,
      maxIdle: this.#connectionCount,
    });
  }

  async produce(id: number, body: string): Promise<void> {
    await this.#pool!.query("INSERT INTO jobs (id, body) VALUES (?, ?)", [id, body]);
  }

  async openConsumer(): Promise<QueueConsumer> {
    const connection = await mysql.createConnection({
      socketPath: mariadbSocketPath,
      user: "root",
      database: this.#database,
    });
    this.#consumers.add(connection);
    const consume = async (timeoutMs: number): Promise<Delivery | null> => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        await connection.query("BEGIN");
        const [rows] = await connection.query(
          "SELECT seq, id, body FROM jobs ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED",
        );
        const list = rows as { seq: number; id: number; body: string }[];
        if (list.length === 1) {
          return { id: Number(list[0]?.id), body: String(list[0]?.body), handle: list[0]?.seq };
        }
        await connection.query("COMMIT");
        if (performance.now() >= deadline) return null;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    return {
      consume,
      ack: async (delivery: Delivery) => {
        await connection.query("DELETE FROM jobs WHERE seq = ?", [delivery.handle]);
        await connection.query("COMMIT");
      },
      close: async () => {
        this.#consumers.delete(connection);
        await connection.end();
      },
    };
  }

  async close(): Promise<void> {
    for (const connection of this.#consumers) connection.destroy();
    this.#consumers.clear();
    await this.#pool?.end();
    this.#pool = undefined;
    if (this.#database !== "") {
      const admin = await mysql.createConnection({ socketPath: mariadbSocketPath, user: "root" });
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${this.#database}`);
      } finally {
        await admin.end();
      }
    }
  }
}

/**
 * With Q4D_BENCH_BASELINE_CLI=path/to/an/older/src/cli.ts, the same served
 * systems against that server too, in the same run (before/after figures).
 */
function baselineSystems(connectionCount: number): { key: string; create: SystemFactory }[] {
  const cli = process.env.Q4D_BENCH_BASELINE_CLI;
  if (cli === undefined || cli === "") return [];
  return [
    {
      key: "baseline-served-mysql2",
      create: () =>
        Promise.resolve(
          new Q4dServedMysql2(
            "baseline served (mysql2)",
            connectionCount,
            (dir) => childEndpoint(dir, "baseline served (mysql2)", cli),
            `baseline q4d serve child process (${cli})`,
          ),
        ),
    },
    {
      key: "baseline-served-connect",
      create: () =>
        Promise.resolve(new Q4dServedConnect(connectionCount, "baseline served (connect)", cli)),
    },
  ];
}

/** The systems of this bench for `connectionCount` connections, keyed for `--systems`. */
export function servedSystems(
  connectionCount: number,
): { key: string; create: SystemFactory }[] {
  return [
    {
      key: "q4d-served-mysql2",
      create: () =>
        Promise.resolve(
          new Q4dServedMysql2(
            "q4d-served (mysql2)",
            connectionCount,
            (dir) => childEndpoint(dir, "q4d-served (mysql2)"),
            "q4d serve child process (deno run -A src/cli.ts serve --port 0)",
          ),
        ),
    },
    ...baselineSystems(connectionCount),
    {
      key: "q4d-served-connect",
      create: () => Promise.resolve(new Q4dServedConnect(connectionCount)),
    },
    {
      key: "q4d-served-inprocess",
      create: () =>
        Promise.resolve(
          new Q4dServedMysql2(
            "q4d-served in-process (mysql2)",
            connectionCount,
            inProcessEndpoint,
            'serve(db) in the bench\'s own process (client and server share one event loop), open(dir, { commitIo: "async" })',
          ),
        ),
    },
    {
      key: "mariadb-innodb",
      create: () => {
        const reason = mariadbUnavailableReason();
        if (reason !== null) return Promise.reject(new SystemUnavailableError(reason));
        return Promise.resolve(new MariadbInnodb(connectionCount));
      },
    },
  ];
}
