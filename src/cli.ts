#!/usr/bin/env node
/**
 * The `q4d` command: `q4d serve [flags]` opens a database directory and
 * serves it to MySQL clients until SIGTERM/SIGINT. Runs under Deno
 * (`deno task serve`) and Node (the npm package's `q4d` bin) alike.
 *
 * argv → flags → open(data) → serve(db, options) → one line on start
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { open } from "../mod.ts";
import { serve, type ServeOptions } from "./server/mod.ts";

const usage = `usage: q4d serve [flags]
  --data DIR                  database directory (default ./data)
  --host ADDR                 TCP address (default 127.0.0.1; "" for none)
  --port N                    TCP port (default 3306)
  --socket PATH               also listen on a Unix socket (mode 0660)
  --user NAME                 user name (default root)
  --password PW               its password (required to listen beyond loopback)
  --auth-plugin NAME          caching_sha2_password (default) or mysql_native_password
  --tls-cert FILE             PEM certificate chain: enables TLS
  --tls-key FILE              PEM private key
  --require-secure-transport  refuse TCP connections without TLS
  --max-connections N         default 151
  --max-allowed-packet SIZE   default 64M (K, M, G suffixes)
  --wait-timeout SECONDS      idle connection timeout, default 28800
  --shutdown-grace SECONDS    wait for statements in flight on SIGTERM, default 10
  --verbose                   log every statement`;

/** Exits with a one-line error and the usage. */
function fail(message: string): never {
  console.error(`q4d: ${message}\n${usage}`);
  process.exit(2);
}

function parseSize(text: string): number {
  const match = /^(\d+)([KMG]?)$/i.exec(text);
  if (match === null) fail(`bad size ${text}`);
  const unit = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2].toUpperCase()]!;
  return Number(match[1]) * unit;
}

function parseCount(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) fail(`${flag} takes a whole number, not ${text}`);
  return n;
}

/** Parses `serve`'s flags. */
function parseServe(args: string[]): { data: string; options: ServeOptions; graceMs: number } {
  const options: ServeOptions = { port: 3306 };
  let data = "./data";
  let graceMs = 10_000;
  let tlsCertPath: string | undefined;
  let tlsKeyPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined) fail(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--data":
        data = value();
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
      case "--max-connections":
        options.maxConnections = parseCount(value(), flag);
        break;
      case "--max-allowed-packet":
        options.maxAllowedPacketBytes = parseSize(value());
        break;
      case "--wait-timeout":
        options.waitTimeoutSeconds = parseCount(value(), flag);
        break;
      case "--shutdown-grace":
        graceMs = parseCount(value(), flag) * 1000;
        break;
      case "--verbose":
        options.verbose = true;
        break;
      case "--help":
      case "-h":
        console.log(usage);
        process.exit(0);
        break;
      default:
        fail(`unknown flag ${arg}`);
    }
  }
  if (tlsCertPath !== undefined) options.tlsCert = readFileSync(tlsCertPath, "utf8");
  if (tlsKeyPath !== undefined) options.tlsKey = readFileSync(tlsKeyPath, "utf8");
  if (
    options.requireSecureTransport && options.tlsCert === undefined && options.socket === undefined
  ) {
    fail("--require-secure-transport needs --tls-cert/--tls-key or --socket");
  }
  return { data, options, graceMs };
}

/** `q4d serve`: runs until SIGTERM/SIGINT, then shuts down cleanly and exits 0. */
async function runServe(args: string[]): Promise<void> {
  const { data, options, graceMs } = parseServe(args);
  const db = await open(data);
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
  console.log(
    `q4d serving ${data} on ${where} (recovered ${r.segmentCount} segments, ${r.bytesScanned} bytes in ${
      Math.round(r.durationMs)
    } ms${torn})`,
  );
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

/** The entry point: dispatches on the subcommand. */
export async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case "serve":
      await runServe(rest);
      break;
    case undefined:
    case "--help":
    case "-h":
    case "help":
      console.log(usage);
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
