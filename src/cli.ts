#!/usr/bin/env node
/**
 * The `q4d` command: `q4d serve [flags]` opens a database directory and
 * serves it to MySQL clients until SIGTERM/SIGINT; `q4d check DIR` verifies
 * a closed database; `q4d stats DIR|URL` prints every table's queue_stats;
 * `q4d forward SRC DST` relays a queue table (src/forward.ts).
 * Runs under Deno (`deno task q4d`, `deno task serve`) and Node (the npm
 * package's `q4d` bin) alike.
 *
 * argv → flags → open(data) → serve(db, options) → one line on start
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { type Database, open } from "../mod.ts";
import { serve, type ServeOptions } from "./server/mod.ts";
import {
  checkDatabase,
  exitCannot,
  formatCheck,
  formatStats,
  openStatsSource,
  type StatsSource,
} from "./ops.ts";
import { defined, QueueError } from "./errors.ts";
import { forward, type ForwardProgress } from "./forward.ts";

const commands = `usage: q4d COMMAND [flags]
  serve [flags]               serve a database directory to MySQL clients (q4d serve --help)
  check DIR [--json]          verify a database that is not open, changing nothing:
                              every checksum, the segment chain, the catalog; says what
                              recovery would do
  stats DIR|URL [--watch [SECONDS]] [--json]
                              queue_stats of every table, of a directory (opened, read,
                              closed) or a mysql:// URL; --watch refreshes (default 2 s)
  forward SRC DST --table T [--to-table T2] [--sender N] [--reset] [--quiet]
                              relay rows of queue table T at SRC into T2 (default T) at DST,
                              each exactly once across restarts (queue_set_srcid slot N,
                              default 0; --reset: the first row resets the slot); SRC and
                              DST are mysql:// URLs or data directories; progress on a
                              terminal; SIGTERM/SIGINT stop cleanly (exit 0), errors exit 1

exit codes of check and stats:
  0  clean (stats: printed)
  1  check: recovery would cut a torn tail (only unacknowledged writes are lost)
  2  check: the database is corrupt (ER_CORRUPT; the report names file and offset)
  3  cannot check or read: database open elsewhere (ER_DB_LOCKED), missing
     directory, permission, server unreachable`;

const usage = `usage: q4d serve [flags]
  --data DIR                  database directory (default ./data)
  --backend nats://H:P[,H:P…] serve a database on a NATS JetStream cluster instead
                              of a directory (the @q4d/q4d/nats backend)
  --namespace NS              with --backend: stream/bucket prefix (default q4d)
  --replicas N                with --backend: copies of each table's stream (default 3)
  --lease SECONDS             with --backend: ownership lease, AckWait (default 30)
  --host ADDR                 TCP address (default 127.0.0.1; "" for none)
  --port N                    TCP port (default 3306)
  --socket PATH               also listen on a Unix socket (mode 0660)
  --user NAME                 user name (default root)
  --password PW               its password (required to listen beyond loopback)
  --auth-plugin NAME          caching_sha2_password (default) or mysql_native_password
  --tls-cert FILE             PEM certificate chain: enables TLS
  --tls-key FILE              PEM private key
  --require-secure-transport  refuse TCP connections without TLS
  --full-auth-over-tcp        caching_sha2_password first logins over plain TCP are
                              MySQL's full authentication (RSA; generated key)
  --rsa-private-key FILE      PEM RSA key for it (implies --full-auth-over-tcp)
  --max-connections N         default 151
  --max-allowed-packet SIZE   default 64M (K, M, G suffixes)
  --wait-timeout SECONDS      idle connection timeout, default 28800
  --connect-timeout SECONDS   time for each handshake step, default 10
  --shutdown-grace SECONDS    wait for statements in flight on SIGTERM, default 10
  --commit-io MODE            async (default): commits write and fdatasync off the main
                              thread, so other connections are served during a sync;
                              blocking: on it (same durability either way; a directory only)
  --verbose                   log every statement`;

/** Exits with a one-line error and the usage. */
function fail(message: string): never {
  console.error(`q4d: ${message}\n${usage}`);
  process.exit(2);
}

function parseSize(text: string): number {
  const match = /^(\d+)([KMG]?)$/i.exec(text);
  if (match === null) fail(`bad size ${text}`);
  const [, digits = "", suffix = ""] = match;
  const unit = suffix === "" ? 1 : 1024 ** ("KMG".indexOf(suffix.toUpperCase()) + 1);
  return Number(digits) * unit;
}

function parseCount(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) fail(`${flag} takes a whole number, not ${text}`);
  return n;
}

/**
 * The command line's words one at a time: `flag` is a word (`--name` of
 * `--name=value`), `value()` the flag's value (after `=`, else the next
 * word, consumed; `fail` when there is none).
 */
function* flagsOf(
  args: readonly string[],
  fail: (message: string) => never,
): Generator<{ flag: string; value: () => string }> {
  for (let i = 0; i < args.length; i++) {
    const arg = defined(args[i], "i < length");
    const equals = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = equals < 0 ? arg : arg.slice(0, equals);
    const inline = equals < 0 ? undefined : arg.slice(equals + 1);
    yield {
      flag,
      value: () => {
        if (inline !== undefined) return inline;
        const next = args[++i];
        if (next === undefined) fail(`${flag} needs a value`);
        return next;
      },
    };
  }
}

/** Where `serve` keeps its queues: a directory, or a NATS cluster. */
interface ServeSource {
  data: string;
  /** How the directory's commits write and sync (open's commitIo). */
  commitIo: "blocking" | "async";
  backend: string | null;
  nats: { namespace?: string; replicas?: number; leaseMs?: number };
}

/** Parses `serve`'s flags. */
function parseServe(
  args: string[],
): ServeSource & { options: ServeOptions; graceMs: number } {
  const options: ServeOptions = { port: 3306 };
  let data = "./data";
  let commitIo: "blocking" | "async" | null = null;
  let backend: string | null = null;
  const nats: ServeSource["nats"] = {};
  let graceMs = 10_000;
  let tlsCertPath: string | undefined;
  let tlsKeyPath: string | undefined;
  let rsaKeyPath: string | undefined;
  for (const { flag, value } of flagsOf(args, fail)) {
    switch (flag) {
      case "--data":
        data = value();
        break;
      case "--backend":
        backend = value();
        if (!backend.startsWith("nats://")) fail(`--backend takes a nats:// URL, not ${backend}`);
        break;
      case "--namespace":
        nats.namespace = value();
        break;
      case "--replicas":
        nats.replicas = parseCount(value(), flag);
        break;
      case "--lease":
        nats.leaseMs = parseCount(value(), flag) * 1000;
        break;
      case "--host": {
        const host = value();
        options.host = host === "" ? null : host;
        break;
      }
      case "--port":
        options.port = parseCount(value(), flag);
        break;
      case "--socket":
        options.socket = value();
        break;
      case "--user":
        options.user = value();
        break;
      case "--password":
        options.password = value();
        break;
      case "--auth-plugin": {
        const plugin = value();
        if (plugin !== "caching_sha2_password" && plugin !== "mysql_native_password") {
          fail(`unknown auth plugin ${plugin}`);
        }
        options.authPlugin = plugin;
        break;
      }
      case "--tls-cert":
        tlsCertPath = value();
        break;
      case "--tls-key":
        tlsKeyPath = value();
        break;
      case "--require-secure-transport":
        options.requireSecureTransport = true;
        break;
      case "--full-auth-over-tcp":
        options.fullAuthOverTcp = true;
        break;
      case "--rsa-private-key":
        rsaKeyPath = value();
        break;
      case "--max-connections":
        options.maxConnections = parseCount(value(), flag);
        break;
      case "--max-allowed-packet":
        options.maxAllowedPacketBytes = parseSize(value());
        break;
      case "--wait-timeout":
        options.waitTimeoutSeconds = parseCount(value(), flag);
        break;
      case "--connect-timeout":
        options.connectTimeoutSeconds = parseCount(value(), flag);
        break;
      case "--shutdown-grace":
        graceMs = parseCount(value(), flag) * 1000;
        break;
      case "--verbose":
        options.verbose = true;
        break;
      case "--commit-io": {
        const mode = value();
        if (mode !== "blocking" && mode !== "async") fail(`unknown --commit-io ${mode}`);
        commitIo = mode;
        break;
      }
      case "--help":
      case "-h":
        console.log(usage);
        process.exit(0);
        break;
      default:
        fail(`unknown flag ${flag}`);
    }
  }
  if (tlsCertPath !== undefined) options.tlsCert = readFileSync(tlsCertPath, "utf8");
  if (tlsKeyPath !== undefined) options.tlsKey = readFileSync(tlsKeyPath, "utf8");
  if (rsaKeyPath !== undefined) options.rsaPrivateKey = readFileSync(rsaKeyPath, "utf8");
  if (
    options.requireSecureTransport && options.tlsCert === undefined && options.socket === undefined
  ) {
    fail("--require-secure-transport needs --tls-cert/--tls-key or --socket");
  }
  if (backend === null && Object.keys(nats).length > 0) {
    fail("--namespace, --replicas and --lease need --backend nats://…");
  }
  if (backend !== null && commitIo !== null) fail("--commit-io is for a directory, not --backend");
  return { data, commitIo: commitIo ?? "async", backend, nats, options, graceMs };
}

/** Opens what `serve` serves; the NATS client is loaded only when asked for. */
async function openSource(source: ServeSource): Promise<{ db: Database; what: string }> {
  if (source.backend === null) {
    return { db: await open(source.data, { commitIo: source.commitIo }), what: source.data };
  }
  const { open: openNats } = await import("./nats/mod.ts");
  const db = await openNats(source.backend, source.nats);
  const url = new URL(source.backend.split(",")[0] ?? source.backend);
  return {
    db,
    what: `NATS ${url.host}… namespace ${source.nats.namespace ?? "q4d"}`,
  };
}

/** `q4d serve`: runs until SIGTERM/SIGINT, then shuts down cleanly and exits 0. */
async function runServe(args: string[]): Promise<void> {
  const parsed = parseServe(args);
  const { options, graceMs } = parsed;
  const { db, what } = await openSource(parsed);
  let server;
  try {
    server = await serve(db, options);
  } catch (error) {
    await db.close();
    throw error;
  }
  const r = db.recovery;
  const where = [
    server.port !== null ? `${server.host}:${server.port}` : null,
    server.socket !== null ? `socket ${server.socket}` : null,
  ].filter((x) => x !== null).join(", ");
  const torn = r.tornTail === null
    ? ""
    : `, torn tail of ${r.tornTail.bytesDropped} bytes truncated`;
  const recovered = parsed.backend !== null
    ? ""
    : ` (recovered ${r.segmentCount} segments, ${r.bytesScanned} bytes in ${
      Math.round(r.durationMs)
    } ms${torn})`;
  console.log(`q4d serving ${what} on ${where}${recovered}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`q4d: ${signal}, shutting down`);
    await server.close({ graceMs });
    await db.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** Exits 3 (cannot check) with a one-line error and the command list. */
function failOps(message: string): never {
  console.error(`q4d: ${message}\n${commands}`);
  process.exit(exitCannot);
}

/** `q4d check DIR [--json]`: exits with the check's code. */
async function runCheck(args: string[]): Promise<never> {
  let directory: string | undefined;
  let json = false;
  for (const arg of args) {
    if (arg === "--json") json = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(commands);
      process.exit(0);
    } else if (arg.startsWith("-")) failOps(`unknown flag ${arg}`);
    else if (directory === undefined) directory = arg;
    else failOps(`check takes one directory, not also ${arg}`);
  }
  if (directory === undefined) failOps("check needs a database directory");
  let code: number;
  try {
    const outcome = await checkDatabase(directory);
    console.log(json ? JSON.stringify(outcome) : formatCheck(outcome));
    code = outcome.exitCode;
  } catch (error) {
    // Not a verdict on the database (an internal error): "cannot check".
    console.error(`q4d: check failed: ${error instanceof Error ? error.stack : String(error)}`);
    code = exitCannot;
  }
  process.exit(code);
}

/** `q4d stats DIR|URL [--watch [SECONDS]] [--json]`. */
async function runStats(args: string[]): Promise<never> {
  let target: string | undefined;
  let json = false;
  let watchSeconds: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = defined(args[i], "i < length");
    if (arg === "--json") json = true;
    else if (arg === "--watch" || arg.startsWith("--watch=")) {
      const inline = arg.startsWith("--watch=") ? arg.slice("--watch=".length) : undefined;
      const text = inline ?? (/^\d+(\.\d+)?$/.test(args[i + 1] ?? "") ? args[++i] : "2");
      watchSeconds = Number(text);
      if (!(watchSeconds > 0)) failOps(`--watch takes a positive number of seconds, not ${text}`);
    } else if (arg === "--help" || arg === "-h") {
      console.log(commands);
      process.exit(0);
    } else if (arg.startsWith("-")) failOps(`unknown flag ${arg}`);
    else if (target === undefined) target = arg;
    else failOps(`stats takes one directory or URL, not also ${arg}`);
  }
  if (target === undefined) failOps("stats needs a database directory or mysql:// URL");
  let source: StatsSource;
  try {
    source = await openStatsSource(target);
  } catch (error) {
    if (!(error instanceof QueueError)) throw error;
    const hint = error.code === "ER_DB_LOCKED"
      ? " (use the URL of the server that has it open)"
      : "";
    console.error(`q4d: cannot read ${target}: ${error.code}: ${error.message}${hint}`);
    process.exit(exitCannot);
  }
  const print = async (): Promise<void> => {
    const snapshot = await source.read();
    const text = json
      ? JSON.stringify({ source: target, at: new Date().toISOString(), tables: snapshot })
      : formatStats(snapshot);
    if (watchSeconds !== null && !json && process.stdout.isTTY) {
      // On a terminal: redraw in place (cursor home, clear screen).
      process.stdout.write(`\x1b[H\x1b[2J${target}  ${new Date().toISOString()}\n${text}\n`);
    } else if (watchSeconds !== null && !json) {
      process.stdout.write(`${new Date().toISOString()}\n${text}\n\n`);
    } else {
      process.stdout.write(`${text}\n`);
    }
  };
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await source.close().catch(() => {});
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  try {
    await print();
    if (watchSeconds === null) {
      await source.close();
      process.exit(0);
    }
  } catch (error) {
    await source.close().catch(() => {});
    const message = error instanceof QueueError ? `${error.code}: ${error.message}` : String(error);
    console.error(`q4d: cannot read ${target}: ${message}`);
    process.exit(exitCannot);
  }
  while (!stopping) {
    await new Promise((resolve) => setTimeout(resolve, watchSeconds * 1000));
    if (stopping) break;
    try {
      await print();
    } catch (error) {
      if (stopping) break;
      const message = error instanceof QueueError
        ? `${error.code}: ${error.message}`
        : String(error);
      console.error(`q4d: cannot read ${target}: ${message}`);
      await source.close().catch(() => {});
      process.exit(exitCannot);
    }
  }
  return await new Promise<never>(() => {});
}

/** Exits 2 with a one-line error and the command list (bad `forward` flags). */
function failForward(message: string): never {
  console.error(`q4d: ${message}\n${commands}`);
  process.exit(2);
}

/** `q4d forward SRC DST --table T …`: runs until a signal (exit 0) or an error (exit 1). */
async function runForward(args: string[]): Promise<never> {
  const ends: string[] = [];
  let table: string | undefined;
  let toTable: string | undefined;
  let sender = 0;
  let reset = false;
  let quiet = false;
  for (const { flag, value } of flagsOf(args, failForward)) {
    switch (flag) {
      case "--table":
        table = value();
        break;
      case "--to-table":
        toTable = value();
        break;
      case "--sender": {
        const text = value();
        sender = Number(text);
        if (!/^\d+$/.test(text) || sender > 63) failForward(`--sender takes 0..63, not ${text}`);
        break;
      }
      case "--reset":
        reset = true;
        break;
      case "--quiet":
        quiet = true;
        break;
      case "--help":
      case "-h":
        console.log(commands);
        process.exit(0);
        break;
      default:
        if (flag.startsWith("-")) failForward(`unknown flag ${flag}`);
        ends.push(flag);
    }
  }
  const [source, destination] = ends;
  if (ends.length !== 2 || source === undefined || destination === undefined) {
    failForward("forward takes a source and a destination");
  }
  if (table === undefined) failForward("forward needs --table");
  const stop = new AbortController();
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const terminal = !quiet && process.stderr.isTTY === true;
  const onProgress = terminal
    ? (p: ForwardProgress) =>
      process.stderr.write(
        `\r\x1b[Kforwarded ${p.rows} rows, ${p.rowsPerSecond.toFixed(1)} rows/s, lag ${
          p.lag ?? "?"
        } rows`,
      )
    : undefined;
  try {
    const rows = await forward(
      { location: source, table },
      { location: destination, table: toTable ?? table },
      { sender, reset, signal: stop.signal, onProgress },
    );
    if (terminal) process.stderr.write(`\r\x1b[Kforwarded ${rows} rows; stopped\n`);
    process.exit(0);
  } catch (error) {
    if (terminal) process.stderr.write("\n");
    const message = error instanceof QueueError ? `${error.code}: ${error.message}` : String(error);
    console.error(`q4d: forward stopped: ${message}`);
    process.exit(1);
  }
}

/** The entry point: dispatches on the subcommand. */
export async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case "serve":
      await runServe(rest);
      break;
    case "check":
      await runCheck(rest);
      break;
    case "stats":
      await runStats(rest);
      break;
    case "forward":
      await runForward(rest);
      break;
    case undefined:
    case "--help":
    case "-h":
    case "help":
      console.log(`${commands}\n\n${usage}`);
      break;
    default:
      fail(`unknown command ${command}`);
  }
}

if (import.meta.main ?? true) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`q4d: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
