/**
 * `connect(url)`: the same `sql` API as `open(dir)`, over the wire to a
 * `q4d serve` (or any MySQL 8 compatible server). Every statement goes as a
 * binary-protocol prepared statement, so parameters are never spliced into
 * text. One session is one connection, opened on its first statement.
 *
 * sql`…` → COM_STMT_PREPARE (cached per text) → COM_STMT_EXECUTE → Result
 *
 * @module
 */

import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

import type { Result, Row, Sql } from "../engine/mod.ts";
import { defined, type ErrorCode, QueueError } from "../errors.ts";
import { ConstructionSlot } from "../construction.ts";
import { Identifier } from "../sql/mod.ts";
import { type AuthPlugin, scramble } from "./auth.ts";
import { charsetBinary, ColumnFlag, FieldType } from "./columns.ts";
import { errorCodeToMysql } from "./errno.ts";
import { framePackets, type Packet, PacketFramer, PayloadReader, PayloadWriter } from "./packet.ts";
import { Capability } from "./connection.ts";

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** TLS for TCP connections: `true`, or options passed to node:tls (e.g. `ca`). */
  tls?: boolean | { ca?: string; rejectUnauthorized?: boolean; servername?: string };
}

/** Prepared statements kept per connection; the oldest is closed past this. */
const preparedPerConnectionMax = 256;

const errnoToCode = new Map<number, ErrorCode>();
for (const [code, { errno }] of Object.entries(errorCodeToMysql)) {
  if (!errnoToCode.has(errno)) errnoToCode.set(errno, code as ErrorCode);
}

interface Target {
  host: string;
  port: number;
  socket: string | null;
  user: string;
  password: string;
  database: string | null;
  tls: ConnectOptions["tls"];
}

function parseUrl(url: string, options: ConnectOptions): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueError("ER_WRONG_ARGUMENTS", `connect() takes a mysql:// URL, not ${url}`);
  }
  if (parsed.protocol !== "mysql:") {
    throw new QueueError("ER_WRONG_ARGUMENTS", `connect() takes a mysql:// URL, not ${url}`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  return {
    host: parsed.hostname === "" ? "127.0.0.1" : parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port === "" ? 3306 : Number(parsed.port),
    socket: parsed.searchParams.get("socket"),
    user: decodeURIComponent(parsed.username) || "root",
    password: decodeURIComponent(parsed.password),
    database: database === "" ? null : database,
    tls: options.tls,
  };
}

function wireError(payload: Uint8Array): QueueError {
  const reader = new PayloadReader(payload, 1);
  const errno = reader.u16();
  if (reader.remaining > 0 && reader.bytes[reader.offset] === 0x23) reader.bytesOf(6);
  const message = new TextDecoder().decode(reader.rest());
  const code = errnoToCode.get(errno) ?? "ER_CLOSED";
  return new QueueError(code, message);
}

function lostError(): QueueError {
  return new QueueError("ER_CLOSED", "Lost connection to the server");
}

interface ClientStatement {
  id: number;
  paramCount: number;
}

interface ClientColumn {
  name: string;
  type: number;
  flags: number;
  charset: number;
  /** Fraction digits of a temporal column (its fsp). */
  decimals: number;
}

/** One client connection: handshake, then one command at a time. */
class ClientConnection {
  #socket: Socket | null = null;
  readonly #framer = new PacketFramer(1024 * 1024 * 1024);
  readonly #packets: Packet[] = [];
  #waiter: { resolve(p: Packet): void; reject(e: Error): void } | null = null;
  #sequenceId = 0;
  #closed = false;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #statements = new Map<string, ClientStatement>();

  #attach(socket: Socket): void {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      const packets = this.#framer.push(
        new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      );
      if (packets === "too_large") return this.close();
      for (const packet of packets) {
        const waiter = this.#waiter;
        if (waiter !== null) {
          this.#waiter = null;
          waiter.resolve(packet);
        } else this.#packets.push(packet);
      }
    });
    socket.on("close", () => this.close());
    socket.on("error", () => this.close());
  }

  #read(): Promise<Uint8Array> {
    const packet = this.#packets.shift();
    if (packet !== undefined) {
      this.#sequenceId = (packet.sequenceId + 1) & 0xff;
      return Promise.resolve(packet.payload);
    }
    if (this.#closed) return Promise.reject(lostError());
    return new Promise((resolve, reject) => {
      this.#waiter = {
        resolve: (p) => {
          this.#sequenceId = (p.sequenceId + 1) & 0xff;
          resolve(p.payload);
        },
        reject,
      };
    });
  }

  #write(payload: Uint8Array): void {
    if (this.#closed || this.#socket === null) throw lostError();
    const { bytes, sequenceIdNext } = framePackets(payload, this.#sequenceId);
    this.#sequenceId = sequenceIdNext;
    this.#socket.write(bytes);
  }

  /** Connects and authenticates. */
  async open(target: Target): Promise<void> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = target.socket !== null
        ? netConnect(target.socket)
        : netConnect(target.port, target.host);
      s.once("connect", () => resolve(s));
      s.once(
        "error",
        (error) => reject(new QueueError("ER_CLOSED", `Cannot connect: ${error.message}`)),
      );
    });
    this.#attach(socket);
    const handshake = new PayloadReader(await this.#read());
    if (handshake.bytes[0] === 0xff) throw wireError(handshake.bytes);
    handshake.u8(); // protocol 10
    handshake.nulString(); // server version
    handshake.u32(); // connection id
    const nonce1 = handshake.bytesOf(8).slice();
    handshake.u8();
    let serverCapabilities = handshake.u16();
    handshake.u8(); // charset
    handshake.u16(); // status
    serverCapabilities |= handshake.u16() << 16;
    const authLength = handshake.u8();
    handshake.bytesOf(10);
    const nonce2 = handshake.bytesOf(Math.max(13, authLength - 8)).slice(0, -1);
    let plugin =
      (handshake.remaining > 0 ? handshake.nulString(true) : "mysql_native_password") as AuthPlugin;
    let nonce = new Uint8Array([...nonce1, ...nonce2]);
    let secure = target.socket !== null;
    let capabilities = Capability.longPassword | Capability.protocol41 |
      Capability.secureConnection | Capability.pluginAuth | Capability.pluginAuthLenenc |
      Capability.transactions | Capability.multiResults | Capability.deprecateEof |
      (target.database !== null ? Capability.connectWithDb : 0);
    capabilities &= serverCapabilities | Capability.pluginAuthLenenc;
    const wantTls = target.tls !== undefined && target.tls !== false && target.socket === null;
    if (wantTls) {
      if ((serverCapabilities & Capability.ssl) === 0) {
        throw new QueueError("ER_CLOSED", "The server does not offer TLS");
      }
      capabilities |= Capability.ssl;
      this.#write(new PayloadWriter(32).u32(capabilities).u32(1 << 24).u8(45).zeros(23).finish());
      const raw = this.#socket!;
      raw.removeAllListeners("data");
      raw.removeAllListeners("close");
      raw.removeAllListeners("error");
      const tlsOptions = typeof target.tls === "object" ? target.tls : {};
      const tls = await new Promise<Socket>((resolve, reject) => {
        const t = tlsConnect(
          { socket: raw, servername: target.host, ...tlsOptions },
          () => resolve(t),
        );
        t.once(
          "error",
          (error) => reject(new QueueError("ER_CLOSED", `TLS failed: ${error.message}`)),
        );
      });
      this.#attach(tls);
      secure = true;
    }
    const known = plugin === "mysql_native_password" || plugin === "caching_sha2_password";
    if (!known) plugin = "mysql_native_password";
    const response = new PayloadWriter(128).u32(capabilities).u32(1 << 24).u8(45).zeros(23)
      .nulString(target.user).lenencBytes(scramble(plugin, target.password, nonce));
    if (target.database !== null) response.nulString(target.database);
    response.nulString(plugin);
    this.#write(response.finish());
    for (;;) {
      const reply = await this.#read();
      if (reply[0] === 0x00) return;
      if (reply[0] === 0xff) throw wireError(reply);
      if (reply[0] === 0xfe) {
        const reader = new PayloadReader(reply, 1);
        plugin = reader.nulString(true) as AuthPlugin;
        const data = reader.rest();
        nonce = data[data.length - 1] === 0 ? data.slice(0, -1) : data.slice();
        this.#write(scramble(plugin, target.password, nonce));
        continue;
      }
      if (reply[0] === 0x01 && reply[1] === 0x03) continue; // fast authentication: OK follows
      if (reply[0] === 0x01 && reply[1] === 0x04) {
        if (!secure) {
          throw new QueueError(
            "ER_ACCESS_DENIED_ERROR",
            "The server asks for the password in clear over an insecure connection; use TLS or the socket",
          );
        }
        this.#write(new PayloadWriter(64).nulString(target.password).finish());
        continue;
      }
      throw new QueueError("ER_CLOSED", "Unexpected reply during authentication");
    }
  }

  /** Runs `task` after every earlier command on this connection. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task, task);
    this.#tail = run.catch(() => {});
    return run;
  }

  /** Prepares (cached per text) and executes one statement. */
  run(text: string, params: readonly unknown[]): Promise<Result> {
    return this.#serial(async () => {
      let statement = this.#statements.get(text);
      if (statement === undefined) {
        statement = await this.#prepare(text);
        if (this.#statements.size >= preparedPerConnectionMax) {
          const [oldestText, oldest] = this.#statements.entries().next().value!;
          this.#statements.delete(oldestText);
          this.#sequenceId = 0;
          this.#write(new PayloadWriter(5).u8(0x19).u32(oldest.id).finish());
        }
        this.#statements.set(text, statement);
      }
      if (params.length !== statement.paramCount) {
        throw new QueueError(
          "ER_WRONG_PARAMCOUNT",
          `The statement takes ${statement.paramCount} parameters, not ${params.length}`,
        );
      }
      return await this.#execute(statement, params);
    });
  }

  async #prepare(text: string): Promise<ClientStatement> {
    this.#sequenceId = 0;
    this.#write(new PayloadWriter(text.length * 3 + 1).u8(0x16).string(text).finish());
    const header = await this.#read();
    if (header[0] === 0xff) throw wireError(header);
    const reader = new PayloadReader(header, 1);
    const id = reader.u32();
    const columnCount = reader.u16();
    const paramCount = reader.u16();
    for (let i = 0; i < paramCount; i++) await this.#read();
    for (let i = 0; i < columnCount; i++) await this.#read();
    return { id, paramCount };
  }

  async #execute(statement: ClientStatement, params: readonly unknown[]): Promise<Result> {
    this.#sequenceId = 0;
    const writer = new PayloadWriter(64).u8(0x17).u32(statement.id).u8(0).u32(1);
    if (params.length > 0) {
      const bitmap = new Uint8Array((params.length + 7) >> 3);
      params.forEach((p, i) => {
        if (p !== null && p !== undefined) return;
        bitmap[i >> 3] = defined(bitmap[i >> 3], "a bit per parameter") | (1 << (i & 7));
      });
      writer.bytes(bitmap).u8(1);
      const values = new PayloadWriter(64);
      for (const param of params) writeParam(writer, values, param);
      writer.bytes(values.finish());
    }
    this.#write(writer.finish());
    const first = await this.#read();
    if (first[0] === 0xff) throw wireError(first);
    if (first[0] === 0x00) {
      const reader = new PayloadReader(first, 1);
      const result: Result = [];
      result.affectedRows = reader.lenencInt() ?? 0;
      const insertId = reader.lenencInt() ?? 0;
      if (insertId > 0) result.insertId = insertId;
      return result;
    }
    const columnCount = new PayloadReader(first).lenencInt() ?? 0;
    const columns: ClientColumn[] = [];
    for (let i = 0; i < columnCount; i++) {
      const reader = new PayloadReader(await this.#read());
      for (let j = 0; j < 4; j++) reader.lenencBytes(); // catalog, schema, table, org_table
      const name = reader.lenencString();
      reader.lenencBytes();
      reader.lenencInt();
      const charset = reader.u16();
      reader.u32();
      const type = reader.u8();
      const flags = reader.u16();
      const decimals = reader.u8();
      columns.push({ name, type, flags, charset, decimals });
    }
    const rows: Result = [];
    for (;;) {
      const payload = await this.#read();
      if (payload[0] === 0xfe && payload.length < 0xffffff) break;
      if (payload[0] === 0xff) throw wireError(payload);
      rows.push(readBinaryRow(payload, columns));
    }
    return rows;
  }

  /** Closes the connection (the server gives an owned row back). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#socket !== null) {
      try {
        this.#sequenceId = 0;
        const { bytes } = framePackets(new Uint8Array([0x01]), 0);
        this.#socket.end(bytes);
      } catch {
        this.#socket.destroy();
      }
    }
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(lostError());
  }

  get closed(): boolean {
    return this.#closed;
  }
}

function writeParam(types: PayloadWriter, values: PayloadWriter, value: unknown): void {
  if (value === null || value === undefined) {
    types.u8(FieldType.null).u8(0);
  } else if (typeof value === "boolean") {
    types.u8(FieldType.tiny).u8(0);
    values.u8(value ? 1 : 0);
  } else if (typeof value === "number") {
    if (Number.isSafeInteger(value)) {
      types.u8(FieldType.longlong).u8(0);
      values.i64(BigInt(value));
    } else {
      types.u8(FieldType.double).u8(0);
      values.f64(value);
    }
  } else if (typeof value === "bigint") {
    const unsigned = value > 0x7fffffffffffffffn;
    if (value < -(2n ** 63n) || value >= 2n ** 64n) {
      types.u8(FieldType.varString).u8(0);
      values.lenencString(value.toString());
    } else {
      types.u8(FieldType.longlong).u8(unsigned ? 0x80 : 0);
      if (unsigned) values.u64(value);
      else values.i64(value);
    }
  } else if (typeof value === "string") {
    types.u8(FieldType.varString).u8(0);
    values.lenencString(value);
  } else if (value instanceof Uint8Array) {
    types.u8(FieldType.blob).u8(0);
    values.lenencBytes(value);
  } else if (value instanceof Identifier) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      "ident() names a table in a template; over connect() use it only where a name goes",
    );
  } else {
    types.u8(FieldType.varString).u8(0);
    values.lenencString(JSON.stringify(value));
  }
}

const utf8 = new TextDecoder();

function readBinaryRow(payload: Uint8Array, columns: readonly ClientColumn[]): Row {
  const reader = new PayloadReader(payload, 1);
  const bitmap = reader.bytesOf((columns.length + 9) >> 3);
  const row: Row = {};
  for (const [i, column] of columns.entries()) {
    if (defined(bitmap[(i + 2) >> 3], "a bit per column") & (1 << ((i + 2) & 7))) {
      row[column.name] = null;
      continue;
    }
    const unsigned = (column.flags & ColumnFlag.unsigned) !== 0;
    switch (column.type) {
      case FieldType.tiny:
        row[column.name] = unsigned ? reader.u8() : reader.i8();
        break;
      case FieldType.short:
      case FieldType.year:
        row[column.name] = unsigned ? reader.u16() : reader.i16();
        break;
      case FieldType.int24:
      case FieldType.long:
        row[column.name] = unsigned ? reader.u32() : reader.i32();
        break;
      case FieldType.longlong: {
        const n = unsigned ? reader.u64() : reader.i64();
        row[column.name] =
          n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(n)
            : n;
        break;
      }
      case FieldType.float:
        row[column.name] = reader.f32();
        break;
      case FieldType.double:
        row[column.name] = reader.f64();
        break;
      case FieldType.null:
        row[column.name] = null;
        break;
      // As an open database gives them: DECIMAL and temporal values as MySQL's text, BIT as a number.
      case FieldType.decimal:
      case FieldType.newdecimal:
        row[column.name] = utf8.decode(reader.lenencBytes());
        break;
      case FieldType.date:
      case FieldType.datetime:
      case FieldType.timestamp:
        row[column.name] = dateTimeText(reader.lenencBytes(), column);
        break;
      case FieldType.time:
        row[column.name] = timeText(reader.lenencBytes(), column.decimals);
        break;
      case FieldType.bit: {
        let n = 0n;
        for (const byte of reader.lenencBytes()) n = (n << 8n) | BigInt(byte);
        row[column.name] = n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
        break;
      }
      default: {
        const bytes = reader.lenencBytes();
        if (column.type === FieldType.json) {
          const text = utf8.decode(bytes);
          try {
            row[column.name] = JSON.parse(text);
          } catch {
            row[column.name] = text;
          }
        } else if (column.charset === charsetBinary) {
          row[column.name] = bytes.slice();
        } else {
          row[column.name] = utf8.decode(bytes);
        }
      }
    }
  }
  return row;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** `.ffffff` cut to `fsp` digits ("" for 0). */
function fraction(micros: number, fsp: number): string {
  return fsp > 0 ? "." + pad(micros, 6).slice(0, fsp) : "";
}

/** A binary-protocol DATE / DATETIME / TIMESTAMP (length 0, 4, 7 or 11 bytes) as MySQL's text. */
function dateTimeText(bytes: Uint8Array, column: ClientColumn): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const year = bytes.length >= 4 ? view.getUint16(0, true) : 0;
  const date = `${pad(year, 4)}-${pad(bytes[2] ?? 0, 2)}-${pad(bytes[3] ?? 0, 2)}`;
  if (column.type === FieldType.date) return date;
  const micros = bytes.length >= 11 ? view.getUint32(7, true) : 0;
  const fsp = Math.min(column.decimals, 6);
  return `${date} ${pad(bytes[4] ?? 0, 2)}:${pad(bytes[5] ?? 0, 2)}:${pad(bytes[6] ?? 0, 2)}${
    fraction(micros, fsp)
  }`;
}

/** A binary-protocol TIME (length 0, 8 or 12 bytes) as MySQL's text. */
function timeText(bytes: Uint8Array, decimals: number): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const negative = bytes.length >= 8 && bytes[0] === 1;
  const hours = bytes.length >= 8 ? view.getUint32(1, true) * 24 + (bytes[5] ?? 0) : 0;
  const micros = bytes.length >= 12 ? view.getUint32(8, true) : 0;
  return `${negative ? "-" : ""}${pad(hours, 2)}:${pad(bytes[6] ?? 0, 2)}:${pad(bytes[7] ?? 0, 2)}${
    fraction(micros, Math.min(decimals, 6))
  }`;
}

function templateText(strings: TemplateStringsArray, values: readonly unknown[]): {
  text: string;
  params: unknown[];
} {
  if (!Array.isArray(strings) || !Array.isArray((strings as { raw?: unknown }).raw)) {
    throw new QueueError(
      "ER_WRONG_ARGUMENTS",
      "sql is a tagged template (sql`SELECT ${value}`); for SQL text use sql.unsafe(text, params)",
    );
  }
  let text = strings[0];
  const params: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value instanceof Identifier) text += value.toString();
    else {
      text += "?";
      params.push(value);
    }
    text += strings[i + 1];
  }
  return { text, params };
}

/** The target of the RemoteDatabase / RemoteSession being constructed (see src/construction.ts). */
const constructing = new ConstructionSlot<Target>("made by connect() and db.session()");

/** A session over the wire: one connection, opened on its first statement. */
export class RemoteSession {
  /** Runs a statement in this session. */
  readonly sql: Sql;
  readonly #target: Target;
  #connection: Promise<ClientConnection> | null = null;
  #closed = false;

  /** Sessions are made by {@linkcode RemoteDatabase.session}; called directly it throws. */
  constructor() {
    this.#target = constructing.take("RemoteSession");
    const run = (text: string, params: readonly unknown[]): Promise<Result> => {
      if (this.#closed) return Promise.reject(new QueueError("ER_CLOSED", "Session is closed"));
      this.#connection ??= (async () => {
        const connection = new ClientConnection();
        try {
          await connection.open(this.#target);
        } catch (error) {
          connection.close();
          this.#connection = null;
          throw error;
        }
        return connection;
      })();
      return this.#connection.then((connection) => {
        if (connection.closed) throw lostError();
        return connection.run(text, params);
      });
    };
    const sql = ((strings: TemplateStringsArray, ...values: unknown[]) => {
      try {
        const { text, params } = templateText(strings, values);
        return run(text, params);
      } catch (error) {
        return Promise.reject(error);
      }
    }) as Sql;
    sql.unsafe = ((text: string, params: readonly unknown[] = []) => {
      if (typeof text !== "string") {
        return Promise.reject(
          new QueueError("ER_WRONG_ARGUMENTS", "sql.unsafe() takes SQL text as a string"),
        );
      }
      if (!Array.isArray(params)) {
        return Promise.reject(
          new QueueError("ER_WRONG_ARGUMENTS", "sql.unsafe() takes its parameters as an array"),
        );
      }
      return run(text, params);
    }) as Sql["unsafe"];
    this.sql = sql;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection: the server gives an owned row back at once. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = null;
    if (connection !== null) (await connection.catch(() => null))?.close();
  }
}

/** A served database reached over the wire; the same surface as an open one. */
export class RemoteDatabase {
  /** Runs a statement in the database's own default session (connection). */
  readonly sql: Sql;
  readonly #target: Target;
  readonly #default: RemoteSession;
  readonly #sessions = new Set<RemoteSession>();
  #closed = false;

  /** Made by {@linkcode connect}; called directly it throws. */
  constructor() {
    const target = constructing.take("RemoteDatabase");
    this.#target = target;
    this.#default = constructing.with(target, () => new RemoteSession());
    this.sql = this.#default.sql;
  }

  /** A new session: its own connection, opened on its first statement. */
  session(): RemoteSession {
    if (this.#closed) throw new QueueError("ER_CLOSED", "Database is closed");
    const session = constructing.with(this.#target, () => new RemoteSession());
    this.#sessions.add(session);
    return session;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes every session's connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.#default, ...this.#sessions].map((s) => s.close()));
    this.#sessions.clear();
  }
}

/**
 * Connects to a served q4d database: `mysql://user:password@host:port/db`,
 * or `mysql://user:password@localhost/db?socket=/path/to.sock`. The first
 * connection is opened now, so a bad address or password rejects here.
 *
 * @example
 * ```ts
 * import { open } from "../../mod.ts";
 * import { connect, serve } from "./mod.ts";
 * const served = await open(await Deno.makeTempDir());
 * const server = await serve(served, { port: 0 });
 * const db = await connect(`mysql://root@127.0.0.1:${server.port}`);
 * const [row] = await db.sql`SELECT ${1} + 1 AS two`;
 * await db.close();
 * await server.close();
 * await served.close();
 * ```
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<RemoteDatabase> {
  const target = parseUrl(url, options);
  const db = constructing.with(target, () => new RemoteDatabase());
  try {
    await db.sql`DO 1`;
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
