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
import {
  type BackendCapabilities,
  type Job,
  jobs,
  type JobsOptions,
  type QueueStats,
  type RecoveryReportView,
  type Result,
  type ResultColumn,
  type Row,
  type Sql,
  statsOfText,
  stopAllJobs,
  stopJobs,
  withColumns,
} from "../engine/mod.ts";
import { defined, type ErrorCode, QueueError } from "../errors.ts";
import { ConstructionSlot } from "../construction.ts";
import { bindValue, Identifier, utf8Length } from "../sql/mod.ts";
import { type AuthPlugin, encryptPassword, scramble } from "./auth.ts";
import {
  charsetBinary,
  ColumnFlag,
  FieldType,
  readBinaryNumber,
  smallestInteger,
} from "./columns.ts";
import { errorCodeToMysql } from "./errno.ts";
import {
  framePackets,
  type Packet,
  PacketFramer,
  PacketWriter,
  PayloadReader,
  PayloadWriter,
} from "./packet.ts";
import { Capability } from "./connection.ts";
import { noStatusError, statusQuery, statusViews } from "./status.ts";

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** TLS for TCP connections: `true`, or options passed to node:tls (e.g. `ca`). */
  tls?: boolean | { ca?: string; rejectUnauthorized?: boolean; servername?: string };
}

/** How long close() waits for the server to close its end before dropping the socket. */
const closeWaitMs = 2_000;

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

/**
 * The QueueError of an ERR packet. A syntax error of `text` gets its
 * position back (UTF-8 bytes, as open() gives it) from the message's
 * "near '…' at line N".
 */
function wireError(payload: Uint8Array, text?: string): QueueError {
  const reader = new PayloadReader(payload, 1);
  const errno = reader.u16();
  if (reader.remaining > 0 && reader.bytes[reader.offset] === 0x23) reader.bytesOf(6);
  const message = new TextDecoder().decode(reader.rest());
  const code = errnoToCode.get(errno) ?? "ER_CLOSED";
  let position: number | undefined;
  const near = code === "ER_PARSE_ERROR" && text !== undefined
    ? / near '([^]*)' at line (\d+)$/.exec(message)
    : null;
  if (near !== null) {
    let lineStart = 0;
    for (let line = 1; line < Number(near[2]) && lineStart >= 0; line++) {
      lineStart = text!.indexOf("\n", lineStart) + 1 || -1;
    }
    const at = lineStart < 0 ? -1 : text!.indexOf(near[1] ?? "", lineStart);
    if (at >= 0) position = utf8Length(text!.slice(0, at));
  }
  return new QueueError(code, message, position === undefined ? {} : { position });
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
  /** The table of a plain column; "" for an expression. */
  table: string;
  type: number;
  flags: number;
  charset: number;
  /** Fractional-second digits of a temporal column. */
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
  #socketClosed: Promise<void> = Promise.resolve();
  /** The server's id of this connection (KILL takes it); 0 until the handshake. */
  id = 0;

  #attach(socket: Socket): void {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      // After close(), a reply still on its way is dropped: the statement in
      // flight fails with ER_CLOSED, as it does when an embedded session
      // closes. (A row a wait got in that moment goes back when the server
      // closes this connection's session.)
      if (this.#closed) return;
      const packets = this.#framer.push(
        new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      );
      if (packets === "too_large") return void this.close();
      for (const packet of packets) {
        const waiter = this.#waiter;
        if (waiter !== null) {
          this.#waiter = null;
          waiter.resolve(packet);
        } else this.#packets.push(packet);
      }
    });
    socket.on("close", () => this.#gone());
    socket.on("error", () => this.#gone());
  }

  /** The socket is gone: no more replies; a statement waiting for one fails. */
  #gone(): void {
    this.#closed = true;
    this.inTransaction = false; // the server rolls an open transaction back
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(lostError());
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
    this.#send(requestWriter.begin(this.#sequenceId).payload(payload));
  }

  /** Sends the request `writer` (the shared `requestWriter`) holds. */
  #send(writer: PacketWriter): void {
    const { bytes, sequenceIdNext } = writer.take();
    if (writer.oversized) requestWriter = new PacketWriter();
    if (this.#closed || this.#socket === null) throw lostError();
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
    this.id = handshake.u32();
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
        // Full authentication: in clear over TLS or the socket, else
        // RSA-encrypted with the server's public key, asked for first.
        if (secure) {
          this.#write(new PayloadWriter(64).nulString(target.password).finish());
          continue;
        }
        this.#write(new Uint8Array([0x02]));
        const key = await this.#read();
        if (key[0] === 0xff) throw wireError(key);
        if (key[0] !== 0x01) throw new QueueError("ER_CLOSED", "No public key from the server");
        this.#write(encryptPassword(target.password, nonce, utf8.decode(key.subarray(1))));
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
    this.#send(requestWriter.begin(0).packet().u8(0x16).string(text));
    const header = await this.#read();
    if (header[0] === 0xff) throw wireError(header, text);
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
    // COM_STMT_EXECUTE framed in place in the shared writers (no buffer per part).
    const writer = requestWriter.begin(0);
    writer.packet().u8(0x17).u32(statement.id).u8(0).u32(1);
    if (params.length > 0) {
      const bitmapAt = writer.length;
      writer.zeros((params.length + 7) >> 3);
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        if (p !== null && p !== undefined) continue;
        const at = bitmapAt + (i >> 3);
        writer.setU8At(at, defined(writer.finish()[at], "a bit per parameter") | (1 << (i & 7)));
      }
      writer.u8(1);
      const values = paramValues;
      values.length = 0;
      for (const param of params) writeParam(writer, values, param);
      writer.bytes(values.finish());
      if (values.capacity > PacketWriter.keptBytesMax) paramValues = new PayloadWriter(256);
    }
    this.#send(writer);
    const first = await this.#read();
    if (first[0] === 0xff) throw wireError(first);
    if (first[0] === 0x00) {
      const reader = new PayloadReader(first, 1);
      const result: Result = [];
      result.affectedRows = reader.lenencInt() ?? 0;
      const insertId = reader.lenencInt() ?? 0;
      if (insertId > 0) result.insertId = insertId;
      this.#readStatus(reader);
      return result;
    }
    const columnCount = new PayloadReader(first).lenencInt() ?? 0;
    const columns: ClientColumn[] = [];
    for (let i = 0; i < columnCount; i++) {
      const reader = new PayloadReader(await this.#read());
      reader.lenencBytes(); // catalog
      reader.lenencBytes(); // schema
      reader.lenencBytes(); // table alias
      const table = reader.lenencString();
      const name = reader.lenencString();
      reader.lenencBytes();
      reader.lenencInt();
      const charset = reader.u16();
      reader.u32();
      const type = reader.u8();
      const flags = reader.u16();
      const decimals = reader.u8();
      columns.push({ name, table, type, flags, charset, decimals });
    }
    const rows: Result = [];
    const arrays: unknown[][] = [];
    for (;;) {
      const payload = await this.#read();
      if (payload[0] === 0xfe && payload.length < 0xffffff) {
        // DEPRECATE_EOF: an OK packet with a 0xfe header ends the rows.
        const reader = new PayloadReader(payload, 1);
        reader.lenencInt();
        reader.lenencInt();
        this.#readStatus(reader);
        break;
      }
      if (payload[0] === 0xff) throw wireError(payload);
      const values = readBinaryRow(payload, columns);
      // As open(): a later column with the same name keys the object.
      const row: Row = {};
      columns.forEach((column, i) => (row[column.name] = values[i]));
      rows.push(row);
      arrays.push(values);
    }
    return withColumns(rows, columns.map(resultColumn), arrays);
  }

  /** SERVER_STATUS_IN_TRANS of the last OK packet: a transaction is open. */
  inTransaction = false;

  /** Reads an OK packet's status flags (after its counts). */
  #readStatus(reader: PayloadReader): void {
    if (reader.remaining >= 2) this.inTransaction = (reader.u16() & 0x0001) !== 0;
  }

  /**
   * Closes the connection (COM_QUIT, then our end of the socket). Resolves
   * once the server has closed its end too, which it does after closing the
   * session: the owned row is back in its queue by then, as after an
   * embedded Session.close(). Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      const socket = this.#socket;
      // A statement in flight fails when the socket closes (#gone), just
      // before this resolves, as an embedded wait fails when its session closes.
      if (socket === null || socket.destroyed) this.#gone();
      else {
        this.#socketClosed = new Promise<void>((resolve) => {
          const timer = setTimeout(() => socket.destroy(), closeWaitMs);
          socket.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        try {
          this.#sequenceId = 0;
          const { bytes } = framePackets(new Uint8Array([0x01]), 0);
          socket.end(bytes);
        } catch {
          socket.destroy();
        }
      }
    }
    return this.#socketClosed;
  }

  get closed(): boolean {
    return this.#closed;
  }
}

/**
 * The request being built, shared by every connection of this thread: a
 * request is written whole before it is sent (see PacketWriter).
 */
let requestWriter = new PacketWriter();
/** A COM_STMT_EXECUTE's parameter values, before they join the request. */
let paramValues = new PayloadWriter(256);

/**
 * One parameter's type and value. Checked by open()'s own rules first
 * (bindValue), so a value open() refuses is refused here with the same
 * code, before anything is sent.
 */
function writeParam(types: PayloadWriter, values: PayloadWriter, value: unknown): void {
  const bound = bindValue(value);
  if (value instanceof Date) {
    // A Date is its UTC fields, as open() binds it.
    types.u8(FieldType.datetime).u8(0);
    values.u8(11).u16(value.getUTCFullYear()).u8(value.getUTCMonth() + 1)
      .u8(value.getUTCDate()).u8(value.getUTCHours()).u8(value.getUTCMinutes())
      .u8(value.getUTCSeconds()).u32(value.getUTCMilliseconds() * 1000);
  } else if (bound === null) {
    types.u8(FieldType.null).u8(0);
  } else if (typeof bound === "number") {
    if (Number.isSafeInteger(bound)) {
      types.u8(FieldType.longlong).u8(0);
      values.i64(BigInt(bound));
    } else {
      types.u8(FieldType.double).u8(0);
      values.f64(bound);
    }
  } else if (typeof bound === "bigint") {
    const unsigned = bound > 0x7fffffffffffffffn;
    types.u8(FieldType.longlong).u8(unsigned ? 0x80 : 0);
    if (unsigned) values.u64(bound);
    else values.i64(bound);
  } else if (typeof bound === "string") {
    types.u8(FieldType.varString).u8(0);
    if (bound.isWellFormed()) values.lenencString(bound);
    else values.lenencBytes(wtf8(bound));
  } else if (bound instanceof Uint8Array) {
    types.u8(FieldType.blob).u8(0);
    values.lenencBytes(bound);
  } else {
    throw new QueueError("ER_WRONG_ARGUMENTS", `Parameter ${String(value)} is not supported`);
  }
}

/**
 * UTF-8 with each lone surrogate encoded as its own 3 bytes (WTF-8): not
 * valid UTF-8, so the server refuses it for a text column as open() refuses
 * the string, instead of storing U+FFFD as TextEncoder would.
 */
function wtf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) {
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    } else {
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
    }
  }
  return new Uint8Array(bytes);
}

const utf8 = new TextDecoder();

/** A binary-protocol row's values, in column order. */
function readBinaryRow(payload: Uint8Array, columns: readonly ClientColumn[]): unknown[] {
  const reader = new PayloadReader(payload, 1);
  const bitmap = reader.bytesOf((columns.length + 9) >> 3);
  return columns.map((column, i) =>
    defined(bitmap[(i + 2) >> 3], "a bit per column") & (1 << ((i + 2) & 7))
      ? null
      : readBinaryValue(reader, column)
  );
}

/** What Result.columns says of a column over the wire: its name, table and nullability. */
function resultColumn(column: ClientColumn): ResultColumn {
  const described: ResultColumn = { name: column.name };
  if (column.table !== "") {
    described.table = column.table;
    described.notNull = (column.flags & ColumnFlag.notNull) !== 0;
  }
  return described;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** ".123" for `micros` at `decimals` digits (MySQL's text of a fractional second); "" for none. */
function fraction(micros: number, decimals: number): string {
  const digits = Math.min(decimals, 6);
  return digits > 0 ? "." + pad(micros, 6).slice(0, digits) : "";
}

/**
 * One binary-protocol value, typed as the engine types it: integers as
 * numbers (bigint beyond 2^53), DECIMAL, dates and times as MySQL's text,
 * BIT as a number, JSON parsed, binary strings as bytes, text as strings.
 */
function readBinaryValue(reader: PayloadReader, column: ClientColumn): unknown {
  const number = readBinaryNumber(reader, column.type, (column.flags & ColumnFlag.unsigned) !== 0);
  if (number !== undefined) return number;
  switch (column.type) {
    case FieldType.null:
      return null;
    case FieldType.date:
    case FieldType.datetime:
    case FieldType.timestamp: {
      const body = new PayloadReader(reader.bytesOf(reader.u8()));
      const [year, month, day] = body.remaining >= 4
        ? [body.u16(), body.u8(), body.u8()]
        : [0, 0, 0];
      const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
      if (column.type === FieldType.date) return date;
      const [hour, minute, second] = body.remaining >= 3
        ? [body.u8(), body.u8(), body.u8()]
        : [0, 0, 0];
      const micros = body.remaining >= 4 ? body.u32() : 0;
      return `${date} ${pad(hour)}:${pad(minute)}:${pad(second)}${
        fraction(micros, column.decimals)
      }`;
    }
    case FieldType.time: {
      const body = new PayloadReader(reader.bytesOf(reader.u8()));
      if (body.remaining < 8) return "00:00:00" + fraction(0, column.decimals);
      const negative = body.u8() === 1;
      const hours = body.u32() * 24 + body.u8();
      const minute = body.u8();
      const second = body.u8();
      const micros = body.remaining >= 4 ? body.u32() : 0;
      return `${negative ? "-" : ""}${pad(hours)}:${pad(minute)}:${pad(second)}${
        fraction(micros, column.decimals)
      }`;
    }
    case FieldType.bit: {
      let n = 0n;
      for (const byte of reader.lenencBytes()) n = (n << 8n) | BigInt(byte);
      return smallestInteger(n);
    }
    case FieldType.json: {
      const text = utf8.decode(reader.lenencBytes());
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
    case FieldType.decimal:
    case FieldType.newdecimal:
      return utf8.decode(reader.lenencBytes());
    default: {
      const bytes = reader.lenencBytes();
      return column.charset === charsetBinary ? bytes.slice() : utf8.decode(bytes);
    }
  }
}

/** An ident() value; false for anything else, a Proxy whose traps throw included. */
function isIdentifier(value: unknown): value is Identifier {
  try {
    return value instanceof Identifier;
  } catch {
    return false;
  }
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
    if (isIdentifier(value)) text += value.toString();
    else {
      text += "?";
      params.push(value);
    }
    text += strings[i + 1];
  }
  return { text, params };
}

/** How often cancelWait repeats KILL QUERY until the wait has ended. */
const cancelRetryMs = 20;

/** `USE db` (the name plain or backquoted), whose success sets RemoteSession.database. */
const useStatement = /^\s*USE\s+(?:`((?:[^`]|``)+)`|([\w$]+))\s*;?\s*$/i;

/** A statement that calls queue_wait. */
const waitCall = /\bqueue_wait\s*\(/i;

/** The target of the RemoteDatabase being constructed (see src/construction.ts). */
const constructing = new ConstructionSlot<Target>("made by connect()");
/** The target and database of the RemoteSession being constructed. */
const constructingSession = new ConstructionSlot<{ target: Target; database: object }>(
  "made by connect() and db.session()",
);

/**
 * What the server reported of a RemoteDatabase at connect() (its q4d status
 * variables), by database; absent for a server that is not q4d.
 */
const reported = new WeakMap<
  object,
  { capabilities: BackendCapabilities; recovery: RecoveryReportView }
>();

/** Whether a RemoteDatabase's own connection is open (set in its static block). */
let connectionOpened: (db: RemoteDatabase) => boolean;

/** A session over the wire: one connection, opened on its first statement. */
export class RemoteSession {
  /** Runs a statement in this session. */
  readonly sql: Sql;
  readonly #target: Target;
  #connection: Promise<ClientConnection> | null = null;
  /** The connection once open (for what its last reply said). */
  #opened: ClientConnection | null = null;
  #closed = false;
  #waitsPending = 0;
  /** The current database, as `USE` statements that succeeded left it. */
  #schema: string;

  /** Job loops of this session stop with {@linkcode RemoteDatabase.stop} of `database`. */
  readonly #database: object;
  /** Set while cancelWait's KILL QUERY loop runs. */
  #cancelling = false;

  /** Sessions are made by {@linkcode RemoteDatabase.session}; called directly it throws. */
  constructor() {
    const { target, database } = constructingSession.take("RemoteSession");
    this.#target = target;
    this.#database = database;
    this.#schema = target.database ?? "q4d";
    const run = (text: string, params: readonly unknown[]): Promise<Result> => {
      if (this.#closed) return Promise.reject(new QueueError("ER_CLOSED", "Session is closed"));
      // One connection runs one statement at a time, so a second queue_wait
      // would queue behind the first; open() refuses it, and so does this.
      const isWait = waitCall.test(text);
      if (isWait && this.#waitsPending > 0) {
        return Promise.reject(
          new QueueError(
            "ER_WRONG_ARGUMENTS",
            "queue_wait(): this session already has a queue_wait in progress",
          ),
        );
      }
      if (isWait) {
        this.#waitsPending++;
        return this.#send(text, params).finally(() => this.#waitsPending--);
      }
      const use = useStatement.exec(text);
      if (use !== null) {
        // The server checked the name; once it said OK, this is the session's database.
        const name = use[1] !== undefined ? use[1].replaceAll("``", "`") : use[2]!;
        return this.#send(text, params).then((result) => {
          this.#schema = name;
          return result;
        });
      }
      return this.#send(text, params);
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
      let isArray = false;
      try {
        isArray = Array.isArray(params);
      } catch {
        // a revoked Proxy
      }
      if (!isArray) {
        return Promise.reject(
          new QueueError("ER_WRONG_ARGUMENTS", "sql.unsafe() takes its parameters as an array"),
        );
      }
      return run(text, params);
    }) as Sql["unsafe"];
    this.sql = sql;
  }

  /** Sends one statement on this session's connection, opening it on first use. */
  #send(text: string, params: readonly unknown[]): Promise<Result> {
    this.#connection ??= (async () => {
      const connection = new ClientConnection();
      try {
        await connection.open(this.#target);
      } catch (error) {
        void connection.close();
        this.#connection = null;
        throw error;
      }
      this.#opened = connection;
      return connection;
    })();
    return this.#connection.then((connection) => {
      if (connection.closed) throw lostError();
      return connection.run(text, params);
    });
  }

  /**
   * Ends this session's pending queue_wait, if any, with
   * ER_QUERY_INTERRUPTED; the session stays usable. Returns whether a wait
   * was pending. Over the wire this is `KILL QUERY <this connection>` from a
   * second connection, repeated until the wait has ended (it may not have
   * reached the server yet when this is called).
   */
  cancelWait(): boolean {
    if (this.#waitsPending === 0 || this.#connection === null) return false;
    if (!this.#cancelling) {
      this.#cancelling = true;
      void this.#killWait(this.#connection).finally(() => this.#cancelling = false);
    }
    return true;
  }

  async #killWait(connection: Promise<ClientConnection>): Promise<void> {
    const { id } = await connection;
    const control = new ClientConnection();
    try {
      await control.open(this.#target);
      while (this.#waitsPending > 0 && !this.#closed) {
        await control.run(`KILL QUERY ${id}`, []);
        await new Promise((resolve) => setTimeout(resolve, cancelRetryMs));
      }
    } catch {
      // The server or this session went away: the wait ends with it.
    } finally {
      await control.close();
    }
  }

  /**
   * A job loop over `conditions`, as {@linkcode Session.jobs} of open():
   * yields one owned row at a time; built on SQL only, so it runs the same
   * over the wire.
   */
  jobs<T = Row>(...args: [string, ...(string | JobsOptions)[]]): AsyncIterableIterator<Job<T>> {
    // Without transactions (a served NATS database) fail() writes the dead letter, then ends.
    const transactions = reported.get(this.#database)?.capabilities.transactions;
    return jobs<T>(this, this.#database, args, transactions === undefined ? {} : { transactions });
  }

  /**
   * The server's id of this session's connection: CONNECTION_ID(), SHOW
   * PROCESSLIST's Id, what KILL takes. 0 until the connection is open (it
   * opens on the session's first statement: `await s.sql\`DO 1\`` opens it).
   */
  get id(): number {
    return this.#opened?.id ?? 0;
  }

  /** Stops this session's job loop, as {@linkcode Session.stop} of open(). */
  stop(): void {
    stopJobs(this);
  }

  /**
   * The session's current database: the URL's, else "q4d" (the server's
   * default), then the one a successful `USE db` named.
   */
  get database(): string {
    return this.#schema;
  }

  /**
   * True while the session has an open transaction (BEGIN … COMMIT /
   * ROLLBACK), as the server's last reply said (SERVER_STATUS_IN_TRANS).
   */
  get inTransaction(): boolean {
    return this.#opened?.inTransaction ?? false;
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
    if (connection !== null) await (await connection.catch(() => null))?.close();
  }

  /** Closes the session at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
    this.#default = constructingSession.with(
      { target, database: this },
      () => new RemoteSession(),
    );
    this.sql = this.#default.sql;
  }

  static {
    connectionOpened = (db) => db.#default.id !== 0;
  }

  /** A new session: its own connection, opened on its first statement. */
  session(): RemoteSession {
    if (this.#closed) throw new QueueError("ER_CLOSED", "Database is closed");
    const session = constructingSession.with(
      { target: this.#target, database: this },
      () => new RemoteSession(),
    );
    this.#sessions.add(session);
    return session;
  }

  /** Stops every job loop of this database's sessions, as Session.stop() does. */
  stop(): void {
    stopAllJobs(this);
  }

  /**
   * What the served database's backend promises, as the server reported at
   * connect() (`SHOW GLOBAL STATUS LIKE 'q4d%'`): a database served from
   * NATS says "nats" and its weaker promises. ER_NOT_SUPPORTED_YET from a
   * server that is not q4d.
   */
  get capabilities(): BackendCapabilities {
    const views = reported.get(this);
    if (views === undefined) throw noStatusError("capabilities");
    return { ...views.capabilities };
  }

  /**
   * What recovery found and did when the served database was opened, as
   * the server reported at connect(). ER_NOT_SUPPORTED_YET from a server
   * that is not q4d.
   */
  get recovery(): RecoveryReportView {
    const views = reported.get(this);
    if (views === undefined) throw noStatusError("recovery report");
    const { recovery } = views;
    return { ...recovery, tornTail: recovery.tornTail === null ? null : { ...recovery.tornTail } };
  }

  /**
   * A table's counters, as {@linkcode Database.stats} gives them, read with
   * `queue_stats()` on the database's own connection: a promise here (open()'s
   * is synchronous; `await db.stats(t)` reads both). ER_NO_SUCH_TABLE when
   * missing.
   */
  async stats(table: string): Promise<QueueStats> {
    const [row] = await this.sql`SELECT queue_stats(${table}) AS s`;
    if (row?.s === null || row?.s === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `Table '${table}' doesn't exist`);
    }
    return statsOfText(String(row.s));
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

  /** Closes the database's connections at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
    // The first statement opens the connection, and reads what db.capabilities
    // and db.recovery show (a server that is not q4d may refuse it: then they throw).
    const views = statusViews(
      await db.sql.unsafe(statusQuery).catch(async (error) => {
        if (!connectionOpened(db)) throw error;
        await db.sql`DO 1`;
        return [];
      }),
    );
    if (views !== null) reported.set(db, views);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
