/**
 * One client connection: the handshake and authentication, then one loop
 * reading a command and answering it (sequence ids restart per command). A
 * connection is one engine Session; closing the connection closes the
 * session, which gives its owned row back at once.
 *
 * socket ⇄ packets (packet.ts) ⇄ Connection ⇄ intercept.ts | Session.sql.unsafe
 *
 * @module
 */

import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { type SecureContext, TLSSocket } from "node:tls";
import {
  type Database,
  type Result,
  runLongInsert,
  type Session,
  withColumns,
} from "../engine/mod.ts";
import { statementBytesMax } from "../limits.ts";
import { assert, defined, QueueError } from "../errors.ts";
import { prepareText, utf8Length } from "../sql/mod.ts";
import {
  type AuthPlugin,
  decryptPassword,
  makeNonce,
  type RsaKeys,
  scrambleMatches,
} from "./auth.ts";
import {
  binaryRow,
  charsetUtf8mb4,
  columnDefinition,
  describeResult,
  describeValues,
  FieldType,
  readBinaryNumber,
  textRow,
  type WireColumn,
} from "./columns.ts";
import { errorCodeToMysql, type MysqlError, serverErrors } from "./errno.ts";
import {
  intercept,
  type InterceptContext,
  type Outcome,
  type ProcessRow,
  ServerStatementError,
  serverStatementHeads,
} from "./intercept.ts";
import {
  concat,
  type Packet,
  PacketFramer,
  PacketWriter,
  PayloadReader,
  PayloadWriter,
  ProtocolError,
} from "./packet.ts";
import { q4dStatus } from "./status.ts";
import { queryText } from "./query_text.ts";
import { countPlaceholders, splitStatements } from "./tokens.ts";
import { serverVersion } from "./variables.ts";

/**
 * What the server's log line for an error that is not the client's fault
 * starts with (after `connection N:`), so tests and operators can find it:
 * a client's malformed packet is logged by its own message instead.
 */
export const unexpectedErrorLog = "internal error (a bug):";

/** Capability flags (CLIENT_*). */
export const Capability = {
  longPassword: 1,
  foundRows: 2,
  longFlag: 4,
  connectWithDb: 8,
  noSchema: 16,
  odbc: 64,
  ignoreSpace: 256,
  protocol41: 512,
  interactive: 1024,
  ssl: 2048,
  ignoreSigpipe: 4096,
  transactions: 8192,
  secureConnection: 32768,
  multiStatements: 1 << 16,
  multiResults: 1 << 17,
  psMultiResults: 1 << 18,
  pluginAuth: 1 << 19,
  connectAttrs: 1 << 20,
  pluginAuthLenenc: 1 << 21,
  canHandleExpiredPasswords: 1 << 22,
  deprecateEof: 1 << 24,
} as const;

const serverCapabilities = Capability.longPassword | Capability.foundRows |
  Capability.longFlag | Capability.connectWithDb | Capability.noSchema | Capability.odbc |
  Capability.ignoreSpace | Capability.protocol41 | Capability.interactive |
  Capability.ignoreSigpipe | Capability.transactions | Capability.secureConnection |
  Capability.multiStatements | Capability.multiResults | Capability.psMultiResults |
  Capability.pluginAuth | Capability.connectAttrs | Capability.pluginAuthLenenc |
  Capability.canHandleExpiredPasswords | Capability.deprecateEof;

const Status = { inTransaction: 1, autocommit: 2, moreResults: 8 } as const;

const Command = {
  quit: 0x01,
  initDb: 0x02,
  query: 0x03,
  fieldList: 0x04,
  refresh: 0x07,
  statistics: 0x09,
  processKill: 0x0c,
  ping: 0x0e,
  changeUser: 0x11,
  stmtPrepare: 0x16,
  stmtExecute: 0x17,
  stmtSendLongData: 0x18,
  stmtClose: 0x19,
  stmtReset: 0x1a,
  setOption: 0x1b,
  resetConnection: 0x1f,
} as const;

const commandNames: Record<number, string> = {
  0x01: "Quit",
  0x02: "Init DB",
  0x03: "Query",
  0x04: "Field List",
  0x07: "Refresh",
  0x09: "Statistics",
  0x0c: "Kill",
  0x0e: "Ping",
  0x11: "Change user",
  0x16: "Prepare",
  0x17: "Execute",
  0x18: "Long Data",
  0x19: "Close stmt",
  0x1a: "Reset stmt",
  0x1b: "Set option",
  0x1f: "Reset connection",
};

/**
 * The response being built: one writer for every connection, since each
 * response is written whole between two awaits (see PacketWriter).
 */
let responseWriter = new PacketWriter();

/** How long a closing socket may take to flush before it is destroyed. */
const socketLingerMs = 2_000;

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly db: Database;
  /** User name → password in clear ("" for none). */
  readonly users: ReadonlyMap<string, string>;
  readonly authPlugin: AuthPlugin;
  readonly secureContext: SecureContext | null;
  readonly requireSecureTransport: boolean;
  /** Set: caching_sha2_password's full authentication over plain TCP too, with this key. */
  readonly rsaKeys: RsaKeys | null;
  readonly maxAllowedPacketBytes: number;
  readonly waitTimeoutMs: number;
  /** How long each step of the handshake may take before the connection is dropped (connect_timeout). */
  readonly connectTimeoutMs: number;
  readonly defaults: ReadonlyMap<string, string | number | null>;
  /** Users that completed a caching_sha2_password full authentication since start. */
  readonly sha2Cache: Set<string>;
  readonly startedAt: number;
  log(line: string): void;
  verbose(line: string): void;
  kill(id: number, queryOnly: boolean, by: Connection): boolean;
  processList(): ProcessRow[];
  closed(connection: Connection): void;
}

interface PreparedStatement {
  id: number;
  text: string;
  paramCount: number;
  /** Parameter types from the last execute that sent them. */
  paramTypes: number[] | null;
  longData: Map<number, Uint8Array[]>;
}

class ClientGone extends Error {}

const utf8 = new TextDecoder();

/** Formats a wire error for clients. */
function errorOf(error: unknown): MysqlError & { message: string } {
  if (error instanceof QueueError) {
    return { ...errorCodeToMysql[error.code], message: error.message };
  }
  if (error instanceof ServerStatementError) {
    return { errno: error.errno, sqlState: error.sqlState, message: error.message };
  }
  throw error;
}

/** One client connection. */
export class Connection implements InterceptContext {
  readonly id: number;
  readonly #host: ConnectionHost;
  #socket: Socket;
  /** The TCP socket under TLS, once upgraded. */
  #rawSocket: Socket | null = null;
  readonly #framer: PacketFramer;
  readonly #packets: Packet[] = [];
  #packetWaiter: ((packet: Packet | null) => void) | null = null;
  #sequenceId = 0;
  #capabilities = 0;
  #secure: boolean;
  #closed = false;
  #expectHandshakeResponse = true;
  #session: Session;
  #nonce: Uint8Array = makeNonce();
  #statements = new Map<number, PreparedStatement>();
  #statementIdNext = 1;
  #multiStatements = false;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** performance.now() past which an idle connection is closed; 0 while a statement runs. */
  #idleDeadline = 0;
  #command = "Connect";
  #commandSince = Date.now();
  #info: string | null = null;
  /** Resolves when the connection loop has ended. */
  readonly done: Promise<void>;

  // InterceptContext
  variables: Map<string, string | number | null>;
  readonly userVariables = new Map<string, string | number | null>();
  user = "";
  readonly host: string;
  lastInsertId = 0;

  /** A connection on `socket`; `secure` for a Unix socket. */
  constructor(host: ConnectionHost, socket: Socket, id: number, secure: boolean) {
    this.#host = host;
    this.#socket = socket;
    this.id = id;
    this.#secure = secure;
    this.host = secure ? "localhost" : (socket.remoteAddress ?? "localhost");
    this.#framer = new PacketFramer(host.maxAllowedPacketBytes);
    this.variables = new Map(host.defaults);
    this.#session = host.db.session();
    this.#listen(socket);
    this.done = this.#run();
  }

  get connectionId(): number {
    return this.id;
  }

  /** The current database: the engine session's (USE, COM_INIT_DB, the database connected with). */
  get database(): string {
    return this.#session.database;
  }

  /** Makes `name` the current database through the engine's USE; the error when it cannot. */
  async #use(name: string): Promise<ReturnType<typeof errorOf> | null> {
    try {
      await this.#session.sql.unsafe(`USE \`${name.replaceAll("`", "``")}\``);
      return null;
    } catch (error) {
      return errorOf(error);
    }
  }

  /** Is the connection running a statement now (not idle between commands)? */
  get busy(): boolean {
    return this.#command !== "Sleep" && this.#command !== "Connect";
  }

  /** The SHOW PROCESSLIST row of this connection. */
  processRow(): ProcessRow {
    const activity = this.#session.activity;
    let state = "";
    if (activity.waiting !== null) state = `queue_wait(${activity.waiting.join(", ")})`;
    if (activity.owned !== null) {
      state += `${
        state === "" ? "" : "; "
      }owns ${activity.owned.table} row ${activity.owned.rowId}`;
    }
    return {
      id: this.id,
      user: this.user,
      host: this.host,
      db: this.database,
      command: this.#command,
      timeSeconds: Math.floor((Date.now() - this.#commandSince) / 1000),
      state,
      info: this.#command === "Sleep" ? null : this.#info,
    };
  }

  kill(id: number, queryOnly: boolean): boolean {
    return this.#host.kill(id, queryOnly, this);
  }

  processList(): ProcessRow[] {
    return this.#host.processList();
  }

  q4dStatus(): [string, string][] {
    return q4dStatus(this.#host.db);
  }

  /** KILL QUERY: ends a pending queue_wait; the connection stays usable. */
  cancelWait(): boolean {
    return this.#session.cancelWait();
  }

  /**
   * Closes the connection now: the session's owned row goes back to its queue
   * at once and a pending queue_wait ends. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopIdleTimer();
    void this.#session.close();
    // end() flushes what was written (an ERR packet) first; destroy() would drop it.
    // Under TLS, ending the TLS socket ends the TCP one once the bridge has flushed.
    const socket = this.#socket;
    const raw = this.#rawSocket;
    const timer = setTimeout(() => {
      socket.destroy();
      raw?.destroy();
    }, socketLingerMs);
    (raw ?? socket).once("close", () => clearTimeout(timer));
    socket.end();
    const waiter = this.#packetWaiter;
    this.#packetWaiter = null;
    waiter?.(null);
  }

  // ---- socket and packets ----

  #listen(socket: Socket): void {
    socket.on("data", (chunk: Uint8Array) => this.#onData(socket, chunk));
    socket.on("close", () => this.close());
    socket.on("error", () => this.close());
  }

  #onData(socket: Socket, chunk: Uint8Array): void {
    if (this.#closed || socket !== this.#socket) return;
    const packets = this.#framer.push(
      new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
    if (packets === "too_large") {
      this.#sequenceId = 0xff & (this.#framer.sequenceIdLast + 1);
      this.#sendError(
        serverErrors.packetTooLarge,
        "Got a packet bigger than 'max_allowed_packet' bytes",
      );
      this.#host.log(`connection ${this.id}: packet over max_allowed_packet, closed`);
      this.close();
      return;
    }
    for (const packet of packets) {
      if (this.#expectHandshakeResponse && this.#isSslRequest(packet)) {
        this.#startTls(packet);
        return;
      }
      this.#clearIdleTimer();
      const waiter = this.#packetWaiter;
      if (waiter !== null) {
        this.#packetWaiter = null;
        waiter(packet);
      } else {
        this.#packets.push(packet);
      }
    }
  }

  #isSslRequest(packet: Packet): boolean {
    if (packet.payload.length !== 32 || this.#host.secureContext === null) return false;
    const capabilities = new PayloadReader(packet.payload).u32();
    return (capabilities & Capability.ssl) !== 0;
  }

  /**
   * Switches to TLS right after the SSLRequest, synchronously, so no TLS byte
   * is read as a packet. The client sends its ClientHello without waiting, so
   * it may already sit in the framer: TLS reads through a stream bridge fed
   * with those bytes first (a TLSSocket over the raw socket would not see them).
   */
  #startTls(packet: Packet): void {
    const rest = this.#framer.takeRest();
    const raw = this.#socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("close");
    raw.removeAllListeners("error");
    const bridge = new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        raw.write(chunk, callback);
      },
      final(callback) {
        raw.end();
        callback();
      },
      destroy(error, callback) {
        raw.destroy();
        callback(error);
      },
    });
    if (rest.length > 0) bridge.push(rest);
    raw.on("data", (chunk) => bridge.push(chunk));
    raw.on("end", () => bridge.push(null));
    raw.on("close", () => this.close());
    raw.on("error", () => this.close());
    const tls = new TLSSocket(bridge as unknown as Socket, {
      isServer: true,
      secureContext: this.#host.secureContext!,
    });
    this.#socket = tls;
    this.#secure = true;
    this.#sequenceId = (packet.sequenceId + 1) & 0xff;
    this.#listen(tls);
    this.#rawSocket = raw;
  }

  /** The next packet; null once the connection is closed. Arms wait_timeout while idle. */
  #read(timeoutMs: number): Promise<Packet> {
    const queued = this.#packets.shift();
    if (queued !== undefined) return Promise.resolve(this.#accept(queued));
    if (this.#closed) return Promise.reject(new ClientGone());
    return new Promise((resolve, reject) => {
      this.#armIdleTimer(timeoutMs);
      this.#packetWaiter = (packet) => {
        if (packet === null) reject(new ClientGone());
        else resolve(this.#accept(packet));
      };
    });
  }

  #accept(packet: Packet): Packet {
    this.#sequenceId = (packet.sequenceId + 1) & 0xff;
    return packet;
  }

  /**
   * Closes the connection once it has been idle for `timeoutMs`. One timer
   * per connection, re-armed only when it fires early: a busy connection
   * does not create and cancel a timer per statement.
   */
  #armIdleTimer(timeoutMs: number): void {
    this.#idleDeadline = performance.now() + timeoutMs;
    if (this.#idleTimer === null) this.#idleTimer = setTimeout(this.#onIdleTimer, timeoutMs);
  }

  readonly #onIdleTimer = (): void => {
    this.#idleTimer = null;
    if (this.#idleDeadline === 0 || this.#closed) return;
    const remainingMs = this.#idleDeadline - performance.now();
    if (remainingMs > 0) {
      this.#idleTimer = setTimeout(this.#onIdleTimer, remainingMs);
      return;
    }
    this.#host.log(`connection ${this.id}: idle past its timeout, closed`);
    this.close();
  };

  /** A packet arrived: the connection is not idle (the timer, if any, finds no deadline). */
  #clearIdleTimer(): void {
    this.#idleDeadline = 0;
  }

  /** Stops the idle timer for good (the connection is closing). */
  #stopIdleTimer(): void {
    this.#idleDeadline = 0;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #write(payloads: Uint8Array[]): void {
    const out = this.#begin();
    for (const payload of payloads) out.payload(payload);
    this.#send(out);
  }

  /** The shared response writer, started at this connection's sequence id. */
  #begin(): PacketWriter {
    return responseWriter.begin(this.#sequenceId);
  }

  /** Sends what `out` (from `#begin`) holds: one buffer and one socket write per response. */
  #send(out: PacketWriter): void {
    const { bytes, sequenceIdNext } = out.take();
    if (out.oversized) responseWriter = new PacketWriter();
    if (this.#closed) return;
    this.#sequenceId = sequenceIdNext;
    this.#socket.write(bytes);
  }

  #status(more = false): number {
    return (this.variables.get("autocommit") ? Status.autocommit : 0) |
      (this.#session.inTransaction ? Status.inTransaction : 0) |
      (more ? Status.moreResults : 0);
  }

  #ok(affectedRows = 0, insertId = 0, more = false, header = 0x00, info = ""): Uint8Array {
    return this.#okInto(
      new PayloadWriter(16 + info.length),
      affectedRows,
      insertId,
      more,
      header,
      info,
    )
      .finish();
  }

  /** Writes an OK (or, header 0xfe, an EOF-as-OK) payload into `writer`. */
  #okInto<W extends PayloadWriter>(
    writer: W,
    affectedRows: number | bigint,
    insertId: number | bigint,
    more: boolean,
    header: number,
    info: string,
  ): W {
    writer.u8(header).lenencInt(affectedRows).lenencInt(insertId).u16(this.#status(more)).u16(0);
    if (info !== "") writer.string(info);
    return writer;
  }

  /** Sends an OK packet as a whole response. */
  #sendOk(
    affectedRows: number | bigint,
    insertId: number | bigint,
    more: boolean,
    info = "",
  ): void {
    const out = this.#begin();
    this.#okInto(out.packet(), affectedRows, insertId, more, 0x00, info);
    this.#send(out);
  }

  #eof(more = false): Uint8Array {
    return this.#eofInto(new PayloadWriter(5), more).finish();
  }

  #eofInto<W extends PayloadWriter>(writer: W, more: boolean): W {
    return writer.u8(0xfe).u16(0).u16(this.#status(more));
  }

  #error(error: MysqlError, message: string): Uint8Array {
    const writer = new PayloadWriter(16 + message.length).u8(0xff).u16(error.errno);
    if (this.#capabilities & Capability.protocol41 || this.#expectHandshakeResponse) {
      writer.string("#").string(error.sqlState);
    }
    return writer.string(message).finish();
  }

  #sendError(error: MysqlError, message: string): void {
    this.#write([this.#error(error, message)]);
  }

  get #deprecateEof(): boolean {
    return (this.#capabilities & Capability.deprecateEof) !== 0;
  }

  // ---- the loop ----

  async #run(): Promise<void> {
    try {
      if (!(await this.#handshake())) return;
      this.#expectHandshakeResponse = false;
      this.#setCommand("Sleep", null);
      for (;;) {
        const packet = await this.#read(this.#host.waitTimeoutMs);
        if (!(await this.#dispatch(packet))) break;
        this.#setCommand("Sleep", null);
      }
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#host.log(`connection ${this.id}: ${error.message}, closed`);
      } else if (!(error instanceof ClientGone)) {
        if (error instanceof Error && error.message.startsWith("q4d assertion failed")) {
          this.close();
          throw error;
        }
        this.#host.log(
          `connection ${this.id}: ${unexpectedErrorLog} ${
            (error as Error)?.stack ?? String(error)
          }, closed`,
        );
      }
    } finally {
      this.close();
      this.#host.closed(this);
    }
  }

  #setCommand(command: string, info: string | null): void {
    this.#command = command;
    this.#commandSince = Date.now();
    this.#info = info;
  }

  // ---- handshake and authentication ----

  #handshakePacket(plugin: AuthPlugin): Uint8Array {
    const capabilities = serverCapabilities |
      (this.#host.secureContext !== null ? Capability.ssl : 0);
    return new PayloadWriter(128)
      .u8(10)
      .nulString(serverVersion)
      .u32(this.id)
      .bytes(this.#nonce.subarray(0, 8))
      .u8(0)
      .u16(capabilities & 0xffff)
      .u8(charsetUtf8mb4)
      .u16(Status.autocommit)
      .u16(capabilities >>> 16)
      .u8(this.#nonce.length + 1)
      .zeros(10)
      .bytes(this.#nonce.subarray(8))
      .u8(0)
      .nulString(plugin)
      .finish();
  }

  /** Handshake and authentication; false when the client was refused. */
  async #handshake(): Promise<boolean> {
    this.#sequenceId = 0;
    this.#write([this.#handshakePacket(this.#host.authPlugin)]);
    const packet = await this.#read(this.#host.connectTimeoutMs);
    const reader = new PayloadReader(packet.payload);
    const clientCapabilities = reader.u32();
    if ((clientCapabilities & Capability.protocol41) === 0) {
      this.#sendError(serverErrors.handshakeError, "Clients before MySQL 4.1 are not supported");
      return false;
    }
    this.#capabilities = clientCapabilities &
      (serverCapabilities | (this.#host.secureContext !== null ? Capability.ssl : 0));
    reader.u32(); // client's max packet size
    reader.u8(); // client's charset: results are utf8mb4 regardless
    reader.bytesOf(23);
    const user = reader.nulString();
    const response = this.#readAuthResponse(reader, clientCapabilities);
    let database: string | null = null;
    if (clientCapabilities & Capability.connectWithDb && reader.remaining > 0) {
      database = reader.nulString(true);
    }
    let plugin = "mysql_native_password";
    if (clientCapabilities & Capability.pluginAuth && reader.remaining > 0) {
      plugin = reader.nulString(true);
    }
    // Connection attributes (CONNECT_ATTRS) are read by nobody here; they are skipped.
    if (this.#host.requireSecureTransport && !this.#secure) {
      this.#sendError(
        serverErrors.secureTransportRequired,
        "Connections using insecure transport are prohibited while --require_secure_transport=ON.",
      );
      this.#host.log(`connection ${this.id}: refused ${user}@${this.host}: insecure transport`);
      return false;
    }
    if (!(await this.#authenticate(user, plugin, response))) return false;
    this.user = user;
    if (database !== null && database !== "") {
      const refused = await this.#use(database);
      if (refused !== null) {
        this.#sendError(refused, refused.message);
        return false;
      }
    }
    this.#sendOk(0, 0, false);
    this.#multiStatements = (this.#capabilities & Capability.multiStatements) !== 0;
    this.#host.verbose(`connection ${this.id}: ${user}@${this.host} connected`);
    return true;
  }

  #readAuthResponse(reader: PayloadReader, capabilities: number): Uint8Array {
    if (capabilities & Capability.pluginAuthLenenc) return reader.lenencBytes();
    if (capabilities & Capability.secureConnection) return reader.bytesOf(reader.u8());
    return reader.nulBytes(true);
  }

  /**
   * Checks the client's proof of the password, switching it to the server's
   * plugin when it answered with another. Sends ERR 1045 and returns false on
   * failure; the caller sends the final OK.
   */
  async #authenticate(
    user: string,
    clientPlugin: string,
    firstResponse: Uint8Array,
  ): Promise<boolean> {
    const password = this.#host.users.get(user);
    const plugin = this.#host.authPlugin;
    let response = firstResponse;
    if (clientPlugin !== plugin) {
      this.#nonce = makeNonce();
      this.#write([
        new PayloadWriter(64).u8(0xfe).nulString(plugin).bytes(this.#nonce).u8(0).finish(),
      ]);
      response = (await this.#read(this.#host.connectTimeoutMs)).payload;
    }
    const deny = () => {
      this.#sendError(
        serverErrors.accessDenied,
        `Access denied for user '${user}'@'${this.host}' (using password: ${
          response.length > 0 && !(response.length === 1 && response[0] === 0) ? "YES" : "NO"
        })`,
      );
      this.#host.log(`connection ${this.id}: refused ${user}@${this.host}: access denied`);
      return false;
    };
    if (password === undefined) return deny();
    if (plugin === "mysql_native_password") {
      return scrambleMatches(plugin, password, this.#nonce, response) ? true : deny();
    }
    // caching_sha2_password: the fast path proves the password with a scramble;
    // a user not yet cached on a secure transport sends it in clear (full authentication).
    if (password === "") {
      return scrambleMatches(plugin, password, this.#nonce, response) ? true : deny();
    }
    const rsa = this.#host.rsaKeys;
    if (!this.#host.sha2Cache.has(user) && (this.#secure || rsa !== null)) {
      // Full authentication: the password in clear over TLS or the socket,
      // else RSA-encrypted (a client without the public key asks first: 0x02).
      this.#write([new Uint8Array([0x01, 0x04])]);
      let reply = (await this.#read(this.#host.connectTimeoutMs)).payload;
      let sent: string | null;
      if (this.#secure) {
        const end = reply.indexOf(0);
        sent = utf8.decode(end < 0 ? reply : reply.subarray(0, end));
      } else {
        if (reply.length === 1 && reply[0] === 0x02) {
          this.#write([
            new PayloadWriter(rsa!.publicPem.length + 1).u8(0x01).string(rsa!.publicPem).finish(),
          ]);
          reply = (await this.#read(this.#host.connectTimeoutMs)).payload;
        }
        sent = decryptPassword(reply, this.#nonce, rsa!);
      }
      if (sent !== password) return deny();
      this.#host.sha2Cache.add(user);
      return true;
    }
    if (!scrambleMatches(plugin, password, this.#nonce, response)) return deny();
    this.#write([new Uint8Array([0x01, 0x03])]);
    return true;
  }

  // ---- commands ----

  /** Answers one command; false when the connection is to end. */
  async #dispatch(packet: Packet): Promise<boolean> {
    const reader = new PayloadReader(packet.payload);
    const command = reader.u8();
    this.#setCommand(commandNames[command] ?? "Unknown", null);
    switch (command) {
      case Command.quit:
        return false;
      case Command.ping:
        this.#sendOk(0, 0, false);
        return true;
      case Command.initDb: {
        const refused = await this.#use(utf8.decode(reader.rest()));
        if (refused !== null) this.#sendError(refused, refused.message);
        else this.#sendOk(0, 0, false);
        return true;
      }
      case Command.query:
        await this.#query(queryText(reader.rest()));
        return true;
      case Command.fieldList:
        await this.#fieldList(reader.nulString(true));
        return true;
      case Command.statistics:
        this.#write([
          new PayloadWriter(128).string(
            `Uptime: ${
              Math.floor((Date.now() - this.#host.startedAt) / 1000)
            }  Threads: ${this.#host.processList().length}  Questions: 0  Slow queries: 0  Opens: 0  Open tables: 0  Queries per second avg: 0.000`,
          ).finish(),
        ]);
        return true;
      case Command.processKill:
        this.#respond(() => this.#killCommand(reader.u32()));
        return true;
      case Command.setOption: {
        const option = reader.u16();
        if (option > 1) {
          this.#sendError(serverErrors.unknownCommand, "Unknown option to COM_SET_OPTION");
          return true;
        }
        this.#multiStatements = option === 0;
        this.#write([this.#eof()]);
        return true;
      }
      case Command.refresh:
        // mysqldump --flush-logs / mysqladmin flush-*: no logs or caches to flush.
        this.#sendOk(0, 0, false);
        return true;
      case Command.resetConnection: {
        // The current database survives a reset, as in MySQL.
        const database = this.database;
        this.#reset();
        await this.#use(database);
        this.#sendOk(0, 0, false);
        return true;
      }
      case Command.changeUser:
        return await this.#changeUser(reader);
      case Command.stmtPrepare:
        this.#prepare(queryText(reader.rest()));
        return true;
      case Command.stmtExecute:
        await this.#execute(reader);
        return true;
      case Command.stmtSendLongData: {
        const statement = this.#statements.get(reader.u32());
        const param = reader.u16();
        if (statement !== undefined && param < statement.paramCount) {
          const parts = statement.longData.get(param) ?? [];
          parts.push(reader.rest().slice());
          statement.longData.set(param, parts);
        }
        return true; // no response, by protocol
      }
      case Command.stmtClose:
        this.#statements.delete(reader.u32());
        return true; // no response, by protocol
      case Command.stmtReset: {
        const id = reader.u32();
        const statement = this.#statements.get(id);
        if (statement === undefined) {
          this.#sendError(
            serverErrors.unknownStatement,
            `Unknown prepared statement handler (${id}) given to mysqld_stmt_reset`,
          );
        } else {
          statement.longData.clear();
          this.#sendOk(0, 0, false);
        }
        return true;
      }
      default:
        this.#sendError(serverErrors.unknownCommand, "Unknown command");
        return true;
    }
  }

  #respond(run: () => void): void {
    try {
      run();
    } catch (error) {
      const e = errorOf(error);
      this.#sendError(e, e.message);
    }
  }

  #killCommand(id: number): void {
    if (!this.#host.kill(id, false, this)) {
      throw new ServerStatementError(1094, "HY000", `Unknown thread id: ${id}`);
    }
    this.#sendOk(0, 0, false);
  }

  /** A fresh session and variables, as COM_RESET_CONNECTION and COM_CHANGE_USER do. */
  #reset(): void {
    void this.#session.close();
    this.#session = this.#host.db.session();
    this.variables = new Map(this.#host.defaults);
    this.userVariables.clear();
    this.#statements.clear();
    this.lastInsertId = 0;
    this.#multiStatements = (this.#capabilities & Capability.multiStatements) !== 0;
  }

  async #changeUser(reader: PayloadReader): Promise<boolean> {
    const user = reader.nulString();
    const response = this.#capabilities & Capability.secureConnection
      ? reader.bytesOf(reader.u8())
      : reader.nulBytes(true);
    const database = reader.remaining > 0 ? reader.nulString(true) : "";
    if (reader.remaining >= 2) reader.u16(); // charset
    let plugin = "mysql_native_password";
    if (this.#capabilities & Capability.pluginAuth && reader.remaining > 0) {
      plugin = reader.nulString(true);
    }
    this.#reset();
    if (!(await this.#authenticate(user, plugin, response))) return false;
    this.user = user;
    if (database !== "") {
      const refused = await this.#use(database);
      if (refused !== null) {
        this.#sendError(refused, refused.message);
        return true;
      }
    }
    this.#sendOk(0, 0, false);
    return true;
  }

  async #fieldList(table: string): Promise<void> {
    try {
      const result = await this.#session.sql.unsafe(
        `SELECT * FROM \`${table.replaceAll("`", "``")}\` LIMIT 0`,
      );
      const columns = describeResult(result);
      const schema = this.database;
      this.#write([
        ...columns.map((column) => columnDefinition(column, schema)),
        this.#deprecateEof ? this.#ok(0, 0, false, 0xfe) : this.#eof(),
      ]);
    } catch (error) {
      const e = errorOf(error);
      this.#sendError(e, e.message);
    }
  }

  /** Runs one statement through the interceptor or the engine. */
  async #run1(text: string, params: readonly unknown[]): Promise<Outcome | Result> {
    const answered = intercept(text, this, params, this.#host.defaults);
    if (answered !== null) return answered;
    // An INSERT longer than the engine's statement limit (a dump's, up to the packet limit).
    const long = params.length === 0 && text.length > statementBytesMax / 3 &&
        utf8Length(text) > statementBytesMax
      ? this.#session[runLongInsert](text, this.#host.maxAllowedPacketBytes)
      : null;
    const result = await (long ?? this.#session.sql.unsafe(text, params));
    if (result.insertId !== undefined && (result.affectedRows ?? 0) > 0) {
      this.lastInsertId = result.insertId;
    }
    return result;
  }

  async #query(text: string): Promise<void> {
    this.#setCommand("Query", text);
    this.#host.verbose(`connection ${this.id}: ${text.slice(0, 200)}`);
    const statements = this.#multiStatements ? splitStatements(text) : [text];
    if (statements.length === 0 || (statements.length === 1 && statements[0]?.trim() === "")) {
      this.#sendError({ errno: 1065, sqlState: "42000" }, "Query was empty");
      return;
    }
    for (const [i, statementText] of statements.entries()) {
      const more = i < statements.length - 1;
      let outcome: Outcome | Result;
      try {
        outcome = await this.#run1(statementText, []);
      } catch (error) {
        const e = errorOf(error);
        this.#sendError(e, e.message);
        return;
      }
      this.#sendOutcome(outcome, statementText, more, false);
    }
  }

  #sendOutcome(outcome: Outcome | Result, text: string, more: boolean, binary: boolean): void {
    let columns: WireColumn[];
    let rows: unknown[][];
    if (!Array.isArray(outcome)) {
      if (outcome.kind === "ok") {
        this.#sendOk(outcome.affectedRows, outcome.insertId, more, outcome.info);
        return;
      }
      columns = describeValues(outcome.names, outcome.rows);
      rows = outcome.rows;
    } else {
      const result = outcome;
      const isRows = result.columns !== undefined || result.length > 0 ||
        /^\s*show\b/i.test(text);
      if (!isRows) {
        this.#sendOk(result.affectedRows ?? 0, result.insertId ?? 0, more);
        return;
      }
      columns = describeResult(result);
      if (columns.length === 0) {
        // An empty SHOW TABLES still has its column.
        columns = describeValues([`Tables_in_${this.database}`], []);
      }
      // By position: two columns with one name each send their own value.
      rows = result.rowArrays ?? result.map((row) => columns.map((column) => row[column.name]));
    }
    const schema = this.database;
    const out = this.#begin();
    out.packet().lenencInt(columns.length);
    for (const column of columns) out.payload(columnDefinition(column, schema));
    if (!this.#deprecateEof) this.#eofInto(out.packet(), false);
    for (const values of rows) {
      if (binary) binaryRow(out.packet(), values, columns);
      else textRow(out.packet(), values, columns);
    }
    if (this.#deprecateEof) this.#okInto(out.packet(), 0, 0, more, 0xfe, "");
    else this.#eofInto(out.packet(), more);
    this.#send(out);
  }

  // ---- prepared statements ----

  #prepare(text: string): void {
    this.#setCommand("Prepare", text);
    let paramCount: number;
    let columns: WireColumn[] = [];
    try {
      const tokensFirst = /^\s*(?:\/\*.*?\*\/\s*)*(\w+)/s.exec(text)?.[1]?.toUpperCase() ?? "";
      if (
        serverStatementHeads.includes(tokensFirst) ||
        (tokensFirst === "SELECT" &&
          /@@|\b(DATABASE|SCHEMA|USER|VERSION|CONNECTION_ID|LAST_INSERT_ID)\s*\(/i.test(text))
      ) {
        paramCount = countPlaceholders(text);
      } else {
        paramCount = prepareText(text).paramCount;
        if (tokensFirst === "SELECT") columns = this.#describe(text);
      }
    } catch (error) {
      const e = errorOf(error);
      this.#sendError(e, e.message);
      return;
    }
    const id = this.#statementIdNext++;
    this.#statements.set(id, { id, text, paramCount, paramTypes: null, longData: new Map() });
    const payloads = [
      new PayloadWriter(12).u8(0).u32(id).u16(columns.length).u16(paramCount).u8(0).u16(0)
        .finish(),
    ];
    if (paramCount > 0) {
      const param: WireColumn = {
        name: "?",
        table: "",
        type: FieldType.varString,
        flags: 0x80,
        charset: 63,
        length: 0,
        decimals: 0,
      };
      for (let i = 0; i < paramCount; i++) payloads.push(columnDefinition(param, ""));
      if (!this.#deprecateEof) payloads.push(this.#eof());
    }
    if (columns.length > 0) {
      const schema = this.database ?? "q4d";
      for (const column of columns) payloads.push(columnDefinition(column, schema));
      if (!this.#deprecateEof) payloads.push(this.#eof());
    }
    this.#write(payloads);
  }

  /**
   * A SELECT's result columns at prepare time, for COM_STMT_PREPARE_OK
   * (Connector/J's getMetaData before executing, mysql2's statement.columns):
   * plain columns typed as the table declares them, an expression as
   * VAR_STRING (its type follows from its values at execute, which
   * describes the columns again). None when it cannot be described now
   * (e.g. a table made later): the execute still describes them.
   */
  #describe(text: string): WireColumn[] {
    let described;
    try {
      described = this.#session.describe(text);
    } catch (error) {
      if (error instanceof QueueError) return [];
      throw error;
    }
    if (described === null) return [];
    return describeResult(withColumns([], described)).map((column) =>
      column.type === FieldType.null
        ? { ...column, type: FieldType.varString, flags: 0, charset: charsetUtf8mb4 }
        : column
    );
  }

  async #execute(reader: PayloadReader): Promise<void> {
    const id = reader.u32();
    const statement = this.#statements.get(id);
    if (statement === undefined) {
      this.#sendError(
        serverErrors.unknownStatement,
        `Unknown prepared statement handler (${id}) given to mysqld_stmt_execute`,
      );
      return;
    }
    this.#setCommand("Execute", statement.text);
    reader.u8(); // cursor flags: results are always sent whole
    reader.u32(); // iteration count, always 1
    const params: unknown[] = [];
    if (statement.paramCount > 0) {
      const bitmap = reader.bytesOf((statement.paramCount + 7) >> 3);
      const bound = reader.u8();
      if (bound === 1) {
        const types: number[] = [];
        for (let i = 0; i < statement.paramCount; i++) types.push(reader.u16());
        statement.paramTypes = types;
      }
      const types = statement.paramTypes;
      if (types === null) {
        this.#sendError(serverErrors.wrongArguments, "Incorrect arguments to mysqld_stmt_execute");
        return;
      }
      // Types were read (now or at an earlier execute) one per parameter.
      assert(types.length === statement.paramCount, "a type per parameter");
      for (let i = 0; i < statement.paramCount; i++) {
        const type = defined(types[i], "a type per parameter");
        const long = statement.longData.get(i);
        if (long !== undefined) {
          // Text when the type is textual and the bytes are UTF-8 (as inline
          // values): Connector/J sends setBytes as VAR_STRING long data.
          params.push(isTextType(type & 0xff) ? textOrBytes(concat(long)) : concat(long));
          continue;
        }
        if (defined(bitmap[i >> 3], "the bitmap has a bit per parameter") & (1 << (i & 7))) {
          params.push(null);
          continue;
        }
        params.push(readBinaryParam(reader, type));
      }
    }
    statement.longData.clear();
    let outcome: Outcome | Result;
    try {
      outcome = await this.#run1(statement.text, params);
    } catch (error) {
      const e = errorOf(error);
      this.#sendError(e, e.message);
      return;
    }
    this.#sendOutcome(outcome, statement.text, false, true);
  }
}

function isTextType(type: number): boolean {
  return type === FieldType.varchar || type === FieldType.varString || type === FieldType.string ||
    type === FieldType.json || type === FieldType.decimal || type === FieldType.newdecimal;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** One binary-protocol parameter value of `type` (low byte: type code; 0x8000: unsigned). */
function readBinaryParam(reader: PayloadReader, type: number): unknown {
  const number = readBinaryNumber(reader, type & 0xff, (type & 0x8000) !== 0);
  if (number !== undefined) return number;
  switch (type & 0xff) {
    case FieldType.null:
      return null;
    case FieldType.date:
    case FieldType.datetime:
    case FieldType.timestamp: {
      const length = reader.u8();
      const body = new PayloadReader(reader.bytesOf(length));
      if (length === 0) return "0000-00-00 00:00:00";
      const date = `${pad(body.u16(), 4)}-${pad(body.u8())}-${pad(body.u8())}`;
      if (length < 7) return date;
      const time = `${pad(body.u8())}:${pad(body.u8())}:${pad(body.u8())}`;
      const micros = length >= 11 ? body.u32() : 0;
      return `${date} ${time}${micros > 0 ? "." + pad(micros, 6) : ""}`;
    }
    case FieldType.time: {
      const length = reader.u8();
      const body = new PayloadReader(reader.bytesOf(length));
      if (length === 0) return "00:00:00";
      const negative = body.u8() === 1;
      const hours = body.u32() * 24 + body.u8();
      const time = `${negative ? "-" : ""}${pad(hours)}:${pad(body.u8())}:${pad(body.u8())}`;
      const micros = length >= 12 ? body.u32() : 0;
      return time + (micros > 0 ? "." + pad(micros, 6) : "");
    }
    case FieldType.tinyBlob:
    case FieldType.mediumBlob:
    case FieldType.longBlob:
    case FieldType.blob:
    case FieldType.bit:
      return reader.lenencBytes().slice();
    default: {
      // VARCHAR, VAR_STRING, STRING, DECIMAL, JSON: text when it is UTF-8, bytes otherwise.
      return textOrBytes(reader.lenencBytes());
    }
  }
}

/** `bytes` as text when they are UTF-8, else a copy of the bytes. */
function textOrBytes(bytes: Uint8Array): string | Uint8Array {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return bytes.slice();
  }
}
