/**
 * The NATS JetStream backend: the seam of `src/backend/types.ts` over a
 * replicated JetStream cluster (issue 14). What maps to what:
 *
 * - table → one file stream `<ns>_t<id>` (work-queue retention, `replicas`
 *   copies, direct get allowed) with subject `<ns>.t<id>.r` and one durable
 *   pull consumer `q4d` (explicit ack, AckWait = the lease) shared by every
 *   session of every client;
 * - a table with routing columns (`PARTITION BY KEY`) → the same stream,
 *   rows on `<ns>.t<id>.k.<token>…` (src/nats/routing.ts) and one durable
 *   consumer per distinct value tuple filtered on exactly its subject (2.9
 *   refuses overlapping consumers on a work-queue stream, so no other); a
 *   condition over routing columns pulls only the matching values'
 *   consumers (server-side), others need client-side filtering;
 * - catalog → one key `catalog` in the KV bucket `<ns>_catalog`, replaced by
 *   compare-and-set (the revision), watched for other clients' DDL;
 * - row id = stream sequence; INSERT = publish, resolved on the PubAck (a
 *   multi-row INSERT publishes row by row: NATS 2.9 has no atomic batch);
 * - queue_wait = pulls on the consumers (an immediate pass in argument
 *   order, then one pull loop per table; the first delivery wins, later
 *   ones are nak'ed at once); ownership = the AckWait lease, renewed with
 *   in-progress acks while the session lives; queue_end = ack confirmed by
 *   the server (double ack); queue_abort = nak (with a delay); close = nak;
 * - relay mark = `Nats-Msg-Id` `<source>:<rowId>:<i>`, suppressed by the
 *   stream's duplicate window (not an exact watermark);
 * - delayed rows carry `Q4d-Visible-At`; delivered early they are nak'ed
 *   with the remaining delay;
 * - SELECT = message get by sequence from the stream's leader (not a
 *   direct get, which a lagging follower may answer); DELETE = delete by sequence (or ack of
 *   the owned row); TRUNCATE = purge; stats = stream and consumer info.
 *
 * State this module owns: the cached catalog, per-table stats caches and
 * in-process counters, the relay marks this process wrote, and each
 * session's owned message and pending wait. The cluster owns rows,
 * ownership leases and delivery counts.
 *
 * Engine → Backend (this file) → src/nats/client.ts → nats-server cluster
 *
 * @module
 */

import type {
  Backend,
  BackendCapabilities,
  BackendOpenOptions,
  BackendSession,
  CompiledCondition,
  InsertOptions,
  InsertResult,
  OwnedRow,
  TableInfo,
  TableStats,
  WaitArg,
  WaitCounters,
  WaitResult,
} from "../backend/mod.ts";
import { newWaitCounters } from "../backend/mod.ts";
import type { Value } from "../sql/mod.ts";
import { QueueError } from "../errors.ts";
import { base64Bytes, consumerOf, suffixOf, tupleOf } from "./routing.ts";
import {
  AckPolicy,
  connect,
  type ConsumerInfo,
  createInbox,
  DeliverPolicy,
  headers,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  type KV,
  type KvEntry,
  Kvm,
  type Msg,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
  type StreamInfo,
  type Subscription,
} from "./client.ts";

/**
 * Options of a NATS-backed database (`open` of `@q4d/q4d/nats`, `q4d serve
 * --backend`); {@linkcode NatsBackendOptions} adds what the engine passes.
 */
export interface NatsOpenOptions {
  /** Copies of each table's stream: 1, 3 or 5 (default 3). */
  replicas?: number;
  /** Prefix of every stream, subject and bucket, so tenants and tests share a cluster. Default "q4d". */
  namespace?: string;
  /**
   * The ownership lease in ms (the consumer's AckWait, set when a table is
   * created), renewed every third of it: a row whose owner stops renewing
   * it (a crashed or paused process) is delivered again after this long.
   * Default 30 000.
   */
  leaseMs?: number;
  /** De-duplication window of relay marks and publish retries, in ms (default 120 000). */
  duplicateWindowMs?: number;
  /**
   * Evaluate queue_wait conditions in this process on delivered rows (a
   * rejected row is nak'ed and hidden from every consumer for
   * `filterDelayMs`). Default false: a condition is ER_NOT_SUPPORTED_YET.
   */
  clientSideConditions?: boolean;
  /** How long a row a condition rejected stays hidden. Default 100 ms. */
  filterDelayMs?: number;
  /** How long writes (publish, ack) retry across a leader election before failing. Default 10 000 ms. */
  writeTimeoutMs?: number;
  /**
   * Most distinct routing-value tuples (one consumer each) a table with
   * routing columns may hold; an INSERT of a new one past it fails with
   * ER_NOT_SUPPORTED_YET. TRUNCATE starts the count again. Default 1000.
   */
  maxRoutingValues?: number;
}

/** Options of {@linkcode openNatsBackend}: the user's and the engine's. */
export interface NatsBackendOptions extends NatsOpenOptions, BackendOpenOptions {}

/** The consumer every session pulls from. */
const consumerName = "q4d";
/** Longest single pull request: a wait re-issues pulls, so a lost one (leader change) costs at most this. */
const pullSliceMs = 2_000;
/** How long an immediate-pass (no-wait) pull may take before it counts as "no row now". */
const immediatePullTimeoutMs = 250;
/** Upper bound of pulls per argument in one immediate pass (rows turned down before one is served). */
const immediatePassMaxPulls = 10_000;
/** One pull of an immediate pass waiting for a row the consumer has yet to deliver (see #pullNow). */
const catchUpPullMs = 100;
/**
 * How long an immediate pass waits at most for a row the stream holds and
 * the consumer has yet to deliver (a consumer leader's lag; a loaded
 * machine has shown more than 100 ms). Then "no row now".
 */
const catchUpMaxMs = 5_000;
/** Above this many matching routing values, an immediate pass first asks which hold rows. */
const routesPulledBlindly = 4;
/** How often a blocked wait on a routed table lists its consumers again (values another client added). */
const routeRefreshMs = 1_000;
/** The header with a delayed row's due time (ms since the epoch). */
const visibleAtHeader = "Q4d-Visible-At";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface CatalogDoc {
  nextTableId: number;
  tables: TableInfo[];
  /** The SQL databases besides the default one (the engine's list). */
  databases?: string[];
}

/**
 * A consumer a wait pulls from: the table's one consumer, or one routing
 * value's. `lastSeq` is the highest sequence this process published to it,
 * `seenSeq` the highest its consumer info showed delivered (a no-wait pull
 * that finds nothing checks the consumer caught up only when they differ).
 */
interface Source {
  consumer: string;
  lastSeq: number;
  seenSeq: number;
}

/** A routing value tuple of a routed table: its subject, consumer and values. */
interface Route extends Source {
  subject: string;
  tuple: Value[];
  /** When this process noted it (a listing that started earlier does not forget it). */
  since: number;
}

/** A routing value's consumer as this process notes it now. */
function newRoute(subject: string, consumer: string, tuple: Value[]): Route {
  return { subject, consumer, tuple, lastSeq: 0, seenSeq: 0, since: Date.now() };
}

interface TableState {
  info: TableInfo;
  stream: string;
  /** Where rows are published (unrouted) or the prefix of routed subjects (`<ns>.t<id>.k`). */
  subject: string;
  /** The routing columns' positions in an insert's values ([] for none: `plain` is set). */
  routing: readonly number[];
  /** The table's one consumer (no routing columns), else null. */
  plain: Source | null;
  /** Routed tables: the known routing values by subject (own inserts, advisories, listings). */
  routes: Map<string, Route> | null;
  /** When the routes were last listed from the server (0: never), and the listing in flight. */
  routesAt: number;
  routesRefresh: Promise<void> | null;
  /** Routes being created (subject → the creation). */
  ensuring: Map<string, Promise<Route>>;
  /** Relay watermarks this process wrote (64 slots). */
  marks: number[];
  counters: WaitCounters;
  /**
   * Rows this process nak'ed with a delay (abort with delay, a delayed
   * insert delivered early, a row a condition rejected): row id → due ms.
   * JetStream counts them as pending acks; COUNT(*) and rowsDelayed need them.
   */
  delayed: Map<number, number>;
  /** From the last stream info: last sequence, live rows, live bytes. */
  lastSeq: number;
  messages: number;
  bytes: number;
  statsAt: number;
  statsRefresh: Promise<void> | null;
  /**
   * Rows this process ended (row id → ms when the ack was confirmed). A
   * confirmed ack removes the row from a replicated work-queue stream a
   * little later (the consumer's and the stream's Raft groups apply it one
   * after the other), so stream info read right after can still count it;
   * these are subtracted until a stream info shows them gone
   * ({@linkcode NatsBackend.liveFromInfo}): read-your-ends in this process.
   */
  ended: Map<number, number>;
  /** Rows this process published while a stats refresh was in flight (their sequences). */
  publishedDuringRefresh: number[] | null;
  /**
   * Rows delivered to the pull of a wait already over, which gave them
   * back (a count), and those give-backs the server has not confirmed yet:
   * a no-wait pull that says "no messages" meanwhile may have missed such
   * a row.
   */
  givenBack: number;
  givingBack: Set<Promise<void>>;
  /**
   * Rows this process gave back (row id → when, and the consumer and its
   * delivery sequence of that delivery), until it sees one delivered
   * again: nats-server 2.9 has answered a confirmed give-back's next
   * no-wait pull with "no messages" (seen under load), so "none" is not
   * trusted while one is on its way back (see #pullNow).
   */
  returning: Map<number, { at: number; consumer: string; consumerSeq: number }>;
}

/** How long an ended row is assumed not yet applied by the stream at most (then forgotten). */
const endedMemoryMs = 10_000;

/** A message a session owns. */
interface Owned {
  tableId: number;
  rowId: number;
  reply: string;
  delivered: number;
  payload: Uint8Array;
  heartbeat: ReturnType<typeof setInterval>;
}

/** The parts of a JetStream ack subject `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.…`. */
function parseAckSubject(
  reply: string,
): { stream: string; consumer: string; delivered: number; seq: number; consumerSeq: number } {
  const tokens = reply.split(".");
  // 2.9 form: $JS ACK stream consumer delivered sseq cseq ts pending (9 tokens);
  // 2.10 adds domain and account hash in front (12 tokens).
  const base = tokens.length >= 12 ? 4 : 2;
  return {
    stream: tokens[base] ?? "",
    consumer: tokens[base + 1] ?? "",
    delivered: Number(tokens[base + 2]),
    seq: Number(tokens[base + 3]),
    consumerSeq: Number(tokens[base + 4]),
  };
}

/**
 * A plain Uint8Array view of a message's data: under Node the client hands
 * out Buffers, and BLOB values sliced from them would be Buffers too.
 */
function plainBytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function writeError(what: string, cause: unknown): QueueError {
  return new QueueError("ER_ERROR_ON_WRITE", `NATS: ${what} failed: ${String(cause)}`, { cause });
}

/** Same name and meta (the meta compared as the JSON the catalog stores). */
function sameInfo(a: TableInfo, b: TableInfo): boolean {
  return a === b || (a.name === b.name && JSON.stringify(a.meta) === JSON.stringify(b.meta));
}

function readError(what: string, cause: unknown): QueueError {
  return new QueueError("ER_ERROR_ON_READ", `NATS: ${what} failed: ${String(cause)}`, { cause });
}

/** True for JetStream API errors worth retrying during a leader election. */
function transient(error: unknown): boolean {
  const text = String((error as Error)?.message ?? error);
  return /timeout|no responders|503|not enabled|leader|not current|stream not found|disconnect|reconnect/i
    .test(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Parses `nats://h1:4222,h2:4222` into server addresses. */
export function parseNatsUrl(url: string): string[] {
  const match = /^nats:\/\/(.+)$/.exec(url);
  if (match === null || match[1] === undefined) {
    throw new QueueError("ER_WRONG_ARGUMENTS", `not a nats:// URL: ${url}`);
  }
  const servers = match[1].split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (servers.length === 0) throw new QueueError("ER_WRONG_ARGUMENTS", `no server in ${url}`);
  return servers;
}

/** Connects to the cluster at `url` and loads (or creates) the namespace's catalog. */
export async function openNatsBackend(
  url: string,
  options: NatsBackendOptions,
): Promise<NatsBackend> {
  const namespace = options.namespace ?? "q4d";
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(namespace)) {
    throw new QueueError("ER_WRONG_ARGUMENTS", `namespace must be 1-32 of [A-Za-z0-9_-]`);
  }
  const replicas = options.replicas ?? 3;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "replicas must be 1..5");
  }
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: parseNatsUrl(url),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
  } catch (error) {
    throw new QueueError("ER_CANT_OPEN_FILE", `NATS: cannot connect to ${url}: ${error}`, {
      cause: error,
    });
  }
  try {
    const jsm = await jetstreamManager(nc);
    const kv = await new Kvm(nc).create(`${namespace}_catalog`, { replicas, history: 1 });
    const backend = new NatsBackend(nc, jsm, jetstream(nc), kv, namespace, replicas, options);
    await backend.loadCatalog();
    return backend;
  } catch (error) {
    await nc.close();
    if (error instanceof QueueError) throw error;
    throw readError("open", error);
  }
}

/** A q4d database on a JetStream cluster (see the module comment for the mapping). */
export class NatsBackend implements Backend {
  readonly capabilities: BackendCapabilities;
  readonly recovery = null;
  readonly compactionErrorCount = 0;
  onCatalogChange: (() => void) | null = null;

  readonly nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #js: JetStreamClient;
  readonly #kv: KV;
  readonly namespace: string;
  readonly #replicas: number;
  readonly leaseMs: number;
  readonly #duplicateWindowMs: number;
  readonly #filterDelayMs: number;
  readonly #maxRoutingValues: number;
  readonly #routingColumns: NonNullable<BackendOpenOptions["routingColumns"]>;
  readonly writeTimeoutMs: number;
  readonly compile: BackendOpenOptions["compileCondition"];
  readonly #tables: Map<number, TableState> = new Map();
  readonly sessions: Set<NatsSession> = new Set();
  #databases: readonly string[] = [];
  #closing: Promise<void> | null = null;
  #watchStop: (() => void) | null = null;
  /** The KV revision of the catalog applied last (0: none yet). */
  #catalogRevision = 0;
  /** Set while {@linkcode holdCatalogWatch} holds the watch back. */
  #watchHeld: Promise<void> | null = null;

  constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    js: JetStreamClient,
    kv: KV,
    namespace: string,
    replicas: number,
    options: NatsBackendOptions,
  ) {
    this.nc = nc;
    this.#jsm = jsm;
    this.#js = js;
    this.#kv = kv;
    this.namespace = namespace;
    this.#replicas = replicas;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.#duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
    this.#filterDelayMs = options.filterDelayMs ?? 100;
    this.#maxRoutingValues = options.maxRoutingValues ?? 1000;
    this.#routingColumns = options.routingColumns ?? (() => []);
    this.writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
    this.compile = options.compileCondition;
    this.capabilities = {
      name: "nats",
      transactions: false,
      ownershipIsLease: true,
      synchronousReads: false,
      serverSideConditions: "routing",
      clientSideConditions: options.clientSideConditions ?? false,
      exactRelayMarks: false,
      delayedRows: true,
      strictPriorityAcrossTables: false,
      compaction: false,
      durability: "quorum",
    };
  }

  // --- catalog ---------------------------------------------------------

  /** Reads the catalog key and replaces the cached view; starts the watch once. */
  async loadCatalog(): Promise<void> {
    const entry = await this.#kv.get("catalog");
    this.#applyCatalog(
      entry === null || entry.length === 0 ? null : entry.json<CatalogDoc>(),
      entry?.revision ?? 0,
    );
    if (this.#watchStop === null) {
      // Consumers made or deleted by other clients: routing values appearing or going.
      const advisories = this.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.>", {
        callback: (_error, msg) => this.#consumerAdvisory(msg.subject),
      });
      const watcher = await this.#kv.watch({ key: "catalog", include: "updates" as never });
      this.#watchStop = () => {
        watcher.stop();
        advisories.unsubscribe();
      };
      (async () => {
        for await (const e of watcher) {
          if (this.#watchHeld !== null) await this.#watchHeld;
          if (this.#closing !== null) break;
          if (this.#applyCatalog(e.length === 0 ? null : e.json<CatalogDoc>(), e.revision)) {
            this.onCatalogChange?.();
          }
        }
      })().catch(() => {});
    }
  }

  /**
   * Replaces the cached view with the catalog at KV `revision`; false (and
   * nothing changes) when a newer one is applied already (the watch
   * delivers this process's own updates too, and may deliver them after a
   * later one was applied). A table whose meta changed (ALTER TABLE, here
   * or by another client) keeps its info object otherwise, and has the
   * conditions of blocked waits on it recompiled.
   */
  #applyCatalog(doc: CatalogDoc | null, revision: number): boolean {
    if (revision < this.#catalogRevision) return false;
    this.#catalogRevision = revision;
    this.#databases = doc?.databases ?? [];
    const seen = new Set<number>();
    const altered: number[] = [];
    for (const info of doc?.tables ?? []) {
      seen.add(info.tableId);
      const state = this.#tables.get(info.tableId);
      if (state === undefined) this.#tables.set(info.tableId, this.#newState(info));
      else if (!sameInfo(state.info, info)) {
        state.info = info;
        // Routing columns cannot be dropped (the engine refuses it): only their positions move.
        if (state.routes !== null) state.routing = this.#routingColumns(info);
        altered.push(info.tableId);
      }
    }
    for (const id of [...this.#tables.keys()]) if (!seen.has(id)) this.#tables.delete(id);
    for (const tableId of altered) {
      for (const session of this.sessions) session.tableAltered(tableId);
    }
    return true;
  }

  /**
   * Reads the catalog key and applies it when it is newer than the view
   * (telling the engine); true when it was. A wait whose condition failed
   * on a row asks this before failing: the row may have been written under
   * another client's ALTER that the watch has not brought yet.
   */
  async refreshCatalog(): Promise<boolean> {
    let entry;
    try {
      entry = await this.#kv.get("catalog");
    } catch {
      return false;
    }
    if (entry === null || entry.revision <= this.#catalogRevision) return false;
    this.#applyCatalog(entry.length === 0 ? null : entry.json<CatalogDoc>(), entry.revision);
    this.onCatalogChange?.();
    return true;
  }

  /**
   * Holds back the catalog watch: other clients' DDL is not applied from
   * it until the returned function is called (then what came meanwhile is
   * applied in order). For tests of the lag between the catalog and the
   * rows (refreshCatalog still reads the catalog). Not public API.
   *
   * @ignore
   */
  holdCatalogWatch(): () => void {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    this.#watchHeld = held;
    return () => {
      if (this.#watchHeld === held) this.#watchHeld = null;
      release();
    };
  }

  #newState(info: TableInfo): TableState {
    const routing = this.#routingColumns(info);
    const routed = routing.length > 0;
    return {
      info,
      stream: `${this.namespace}_t${info.tableId}`,
      subject: `${this.namespace}.t${info.tableId}.${routed ? "k" : "r"}`,
      routing,
      plain: routed ? null : { consumer: consumerName, lastSeq: 0, seenSeq: 0 },
      routes: routed ? new Map() : null,
      routesAt: 0,
      routesRefresh: null,
      ensuring: new Map(),
      marks: new Array(64).fill(0),
      delayed: new Map(),
      counters: newWaitCounters(),
      lastSeq: 0,
      messages: 0,
      bytes: 0,
      statsAt: 0,
      statsRefresh: null,
      ended: new Map(),
      publishedDuringRefresh: null,
      givenBack: 0,
      givingBack: new Set(),
      returning: new Map(),
    };
  }

  /**
   * Replaces the catalog with `change(current)` by compare-and-set on the
   * key's revision, retrying when another client changed it meanwhile.
   */
  async #updateCatalog<T>(change: (doc: CatalogDoc) => { doc: CatalogDoc; result: T }): Promise<T> {
    for (let attempt = 0;; attempt++) {
      const entry = await this.#readCatalogAfter(this.#catalogRevision);
      const current: CatalogDoc = entry === null || entry.length === 0
        ? { nextTableId: 1, tables: [] }
        : entry.json<CatalogDoc>();
      const { doc, result } = change(current);
      const bytes = encoder.encode(JSON.stringify(doc));
      try {
        const revision = entry === null
          ? await this.#kv.create("catalog", bytes)
          : await this.#kv.update("catalog", bytes, entry.revision);
        this.#applyCatalog(doc, revision);
        return result;
      } catch (error) {
        if (attempt < 20 && /wrong last sequence|key exists/i.test(String(error))) continue;
        throw writeError("catalog update", error);
      }
    }
  }

  /**
   * The catalog key at `revision` or later. A KV get is a direct get any
   * replica may answer, and a replica that has not applied the latest
   * update yet returns the one before: after CREATE TABLE, an ALTER could
   * read a catalog without the table and fail with ER_NO_SUCH_TABLE (seen
   * under load). So a read older than what this process has applied is
   * read again, for up to `writeTimeoutMs`; then the older one is returned
   * (the compare-and-set of the update refuses to write on it).
   */
  async #readCatalogAfter(revision: number): Promise<KvEntry | null> {
    const deadline = Date.now() + this.writeTimeoutMs;
    for (;;) {
      const entry = await this.#kv.get("catalog");
      if ((entry?.revision ?? 0) >= revision || Date.now() >= deadline) return entry;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  databases(): readonly string[] {
    return this.#databases;
  }

  async setDatabases(names: readonly string[]): Promise<void> {
    this.#checkOpen();
    await this.#updateCatalog((doc) => ({ doc: { ...doc, databases: [...names] }, result: 0 }));
  }

  tables(): readonly TableInfo[] {
    return [...this.#tables.values()].map((t) => t.info).sort((a, b) => a.tableId - b.tableId);
  }

  table(tableId: number): TableInfo | undefined {
    return this.#tables.get(tableId)?.info;
  }

  /** The table's state, or ER_NO_SUCH_TABLE. */
  state(tableId: number): TableState {
    const state = this.#tables.get(tableId);
    if (state === undefined) {
      throw new QueueError("ER_NO_SUCH_TABLE", `no table with id ${tableId} in the NATS catalog`);
    }
    return state;
  }

  /** The stream name of a table (tests and benchmarks read it). */
  streamOf(tableId: number): string {
    return this.state(tableId).stream;
  }

  async createTable(name: string, meta: unknown): Promise<TableInfo> {
    this.#checkOpen();
    // Reserve an id first, so that no two clients ever share a stream.
    const tableId = await this.#updateCatalog((doc) => {
      if (doc.tables.some((t) => t.name === name)) {
        throw new QueueError("ER_TABLE_EXISTS_ERROR", `Table '${name}' already exists`);
      }
      return { doc: { ...doc, nextTableId: doc.nextTableId + 1 }, result: doc.nextTableId };
    });
    const stream = `${this.namespace}_t${tableId}`;
    const info: TableInfo = { tableId, name, meta };
    try {
      await this.#jsm.streams.add({
        name: stream,
        subjects: [`${this.namespace}.t${tableId}.>`],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        num_replicas: this.#replicas,
        allow_direct: true,
        duplicate_window: this.#duplicateWindowMs * 1e6,
      });
      // A routed table has a consumer per routing value instead, made by its first row.
      if (this.#routingColumns(info).length === 0) {
        await this.#addConsumer(stream, consumerName, undefined);
      }
    } catch (error) {
      await this.#jsm.streams.delete(stream).catch(() => {});
      throw writeError(`creating stream ${stream}`, error);
    }
    try {
      await this.#updateCatalog((doc) => {
        if (doc.tables.some((t) => t.name === name)) {
          throw new QueueError("ER_TABLE_EXISTS_ERROR", `Table '${name}' already exists`);
        }
        return { doc: { ...doc, tables: [...doc.tables, info] }, result: null };
      });
    } catch (error) {
      await this.#jsm.streams.delete(stream).catch(() => {});
      throw error;
    }
    return info;
  }

  async alterTable(tableId: number, meta: unknown): Promise<TableInfo> {
    this.#checkOpen();
    this.state(tableId);
    return await this.#updateCatalog((doc) => {
      const index = doc.tables.findIndex((t) => t.tableId === tableId);
      const old = doc.tables[index];
      if (old === undefined) {
        throw new QueueError("ER_NO_SUCH_TABLE", `no table with id ${tableId}`);
      }
      const info: TableInfo = { tableId, name: old.name, meta };
      const tables = doc.tables.slice();
      tables[index] = info;
      return { doc: { ...doc, tables }, result: info };
    });
  }

  async dropTable(tableId: number): Promise<void> {
    this.#checkOpen();
    const stream = this.state(tableId).stream;
    await this.#updateCatalog((doc) => {
      if (!doc.tables.some((t) => t.tableId === tableId)) {
        throw new QueueError("ER_NO_SUCH_TABLE", `no table with id ${tableId}`);
      }
      return {
        doc: { ...doc, tables: doc.tables.filter((t) => t.tableId !== tableId) },
        result: 0,
      };
    });
    await this.#jsm.streams.delete(stream).catch(() => {});
    for (const session of this.sessions) session.tableDropped(tableId);
  }

  // --- rows ------------------------------------------------------------

  async insert(
    tableId: number,
    payloads: readonly Uint8Array[],
    values: readonly (readonly Value[])[],
    options: InsertOptions = {},
  ): Promise<InsertResult> {
    this.#checkOpen();
    const state = this.state(tableId);
    // A routed row goes to its value's subject, whose consumer exists before it is published.
    let routes: Source[] | null = null;
    if (state.routes !== null) {
      const subjects = values.map((row) =>
        `${state.subject}.${suffixOf(state.routing.map((p) => row[p] ?? null))}`
      );
      const known = subjects.map((subject) => state.routes!.get(subject));
      routes = known.every((r) => r !== undefined) ? known as Route[] : await Promise.all(
        subjects.map((subject, i) => known[i] ?? this.#ensureRoute(state, subject)),
      );
    }
    const mark = options.mark;
    if (mark !== undefined && mark.mode === "a" && mark.rowId <= (state.marks[mark.source] ?? 0)) {
      return { firstRowId: 0, rowCount: 0 };
    }
    const visibleAt = options.visibleAt ?? 0;
    // One id per row: a relay mark's, or a random one so that a publish
    // retried after a leader change is stored once.
    const base = mark !== undefined && mark.mode === "a"
      ? `${mark.source}:${mark.rowId}`
      : crypto.randomUUID();
    const acks = await Promise.all(payloads.map((payload, i) => {
      const h = headers();
      if (visibleAt > 0) h.set(visibleAtHeader, String(visibleAt));
      const subject = routes === null ? state.subject : (routes[i] as Route).subject;
      return this.#publish(subject, payload, `${base}:${i}`, visibleAt > 0 ? h : undefined);
    }));
    const first = acks[0];
    if (first === undefined) return { firstRowId: 0, rowCount: 0 };
    // A relay duplicate (its first row already in the stream within the window) is dropped.
    if (mark !== undefined && mark.mode === "a" && first.duplicate) {
      return { firstRowId: 0, rowCount: 0 };
    }
    if (mark !== undefined) {
      state.marks[mark.source] = Math.max(state.marks[mark.source]!, mark.rowId);
    }
    for (const [i, ack] of acks.entries()) {
      state.lastSeq = Math.max(state.lastSeq, ack.seq);
      const source = routes === null ? state.plain! : routes[i]!;
      source.lastSeq = Math.max(source.lastSeq, ack.seq);
      // Until the next stream info, count what this process did.
      if (!ack.duplicate) {
        state.messages++;
        state.publishedDuringRefresh?.push(ack.seq);
      }
    }
    return { firstRowId: first.seq, rowCount: acks.length };
  }

  /** Publishes one row and waits for its PubAck, retrying (same msg id) while the stream elects a leader. */
  async #publish(
    subject: string,
    payload: Uint8Array,
    msgID: string,
    h: ReturnType<typeof headers> | undefined,
  ): Promise<{ seq: number; duplicate: boolean }> {
    const deadline = Date.now() + this.writeTimeoutMs;
    for (let attempt = 0;; attempt++) {
      try {
        const ack = await this.#js.publish(subject, payload, {
          msgID,
          ...(h === undefined ? {} : { headers: h }),
          timeout: Math.min(2000, Math.max(100, deadline - Date.now())),
        });
        return { seq: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        if (Date.now() >= deadline || !transient(error) || this.#closing !== null) {
          throw writeError("publish", error);
        }
        await sleep(Math.min(50 * 2 ** attempt, 500));
      }
    }
  }

  /** Adds a durable pull consumer (explicit ack, AckWait = the lease), filtered on `subject` when given. */
  async #addConsumer(stream: string, name: string, subject: string | undefined): Promise<void> {
    await this.#jsm.consumers.add(stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: this.leaseMs * 1e6,
      max_ack_pending: -1,
      max_deliver: -1,
      ...(subject === undefined ? {} : { filter_subject: subject }),
    });
  }

  /**
   * The route of a routed subject, its consumer made first (idempotently:
   * another client may make the same one; one made with another lease is
   * used as it is). A new value past `maxRoutingValues` is refused, unless
   * `repair` (rows are already stored on it).
   */
  #ensureRoute(state: TableState, subject: string, repair = false): Promise<Route> {
    const known = state.routes?.get(subject);
    if (known !== undefined) return Promise.resolve(known);
    let making = state.ensuring.get(subject);
    if (making !== undefined) return making;
    making = (async () => {
      const tuple = tupleOf(subject.slice(state.subject.length + 1));
      // The bound counts the values other clients made too (a failed listing: those known).
      if (!repair && state.routesAt === 0) {
        await this.refreshRoutes(state.info.tableId, 0).catch(() => {});
      }
      if (!repair && state.routes!.size >= this.#maxRoutingValues) {
        throw new QueueError(
          "ER_NOT_SUPPORTED_YET",
          `Table '${state.info.name}' has ${state.routes!.size} routing values, the most a NATS ` +
            `table holds (maxRoutingValues; one consumer each): TRUNCATE it or route on fewer values`,
        );
      }
      const consumer = await consumerOf(subject);
      await this.#retry("creating a routing consumer", async () => {
        try {
          await this.#addConsumer(state.stream, consumer, subject);
        } catch (error) {
          if (!/already exists/i.test(String(error))) throw error;
        }
      });
      return this.#addRoute(state, newRoute(subject, consumer, tuple));
    })().finally(() => state.ensuring.delete(subject));
    state.ensuring.set(subject, making);
    return making;
  }

  /** Notes a route (the known one when there is one) and tells blocked waits; returns it. */
  #addRoute(state: TableState, route: Route): Route {
    const routes = state.routes;
    if (routes === null || this.#tables.get(state.info.tableId) !== state) return route;
    const known = routes.get(route.subject);
    if (known !== undefined) return known;
    routes.set(route.subject, route);
    for (const session of this.sessions) session.routeAdded(state.info.tableId);
    return route;
  }

  /**
   * Lists a routed table's consumers (routing values other clients made, or
   * removed with TRUNCATE) and makes the consumer of any subject holding
   * rows without one (a row another client published just after a
   * TRUNCATE here removed its consumer). At most once per `minAgeMs`.
   */
  refreshRoutes(tableId: number, minAgeMs: number): Promise<void> {
    const state = this.#tables.get(tableId);
    if (state?.routes == null) return Promise.resolve();
    if (state.routesRefresh !== null) return state.routesRefresh;
    if (state.routesAt !== 0 && Date.now() - state.routesAt < minAgeMs) return Promise.resolve();
    const routes = state.routes;
    const prefix = `${state.subject}.`;
    state.routesRefresh = (async () => {
      const startedAt = Date.now();
      try {
        const listed = new Map<string, string>();
        for await (const c of await this.#jsm.consumers.list(state.stream)) {
          const subject = c.config.filter_subject ?? "";
          if (subject.startsWith(prefix)) listed.set(subject, c.name);
        }
        for (const [subject, route] of [...routes]) {
          if (!listed.has(subject) && route.since < startedAt) routes.delete(subject);
        }
        for (const [subject, consumer] of listed) {
          const tuple = tupleOf(subject.slice(prefix.length));
          this.#addRoute(state, newRoute(subject, consumer, tuple));
        }
        const info = await this.#jsm.streams.info(state.stream, { subjects_filter: `${prefix}>` });
        for (const subject of Object.keys(info.state.subjects ?? {})) {
          if (!routes.has(subject)) await this.#ensureRoute(state, subject, true);
        }
        state.routesAt = Date.now();
      } catch (error) {
        if (this.#tables.get(tableId) === state) throw readError("consumer list", error);
      } finally {
        state.routesRefresh = null;
      }
    })();
    return state.routesRefresh;
  }

  /**
   * A consumer advisory (`$JS.EVENT.ADVISORY.CONSUMER.<action>.<stream>.<consumer>`):
   * a routing consumer made or deleted by another client is noted, or forgotten
   * once the server confirms it is gone.
   */
  #consumerAdvisory(subject: string): void {
    const [action, stream, consumer] = subject.split(".").slice(4);
    if (stream === undefined || consumer === undefined) return;
    const state = this.tableOfStream(stream);
    if (state?.routes == null || this.#closing !== null) return;
    const routes = state.routes;
    const known = [...routes.values()].find((r) => r.consumer === consumer);
    if ((action === "CREATED") === (known !== undefined)) return;
    this.#jsm.consumers.info(stream, consumer).then((info) => {
      const filter = info.config.filter_subject ?? "";
      if (!filter.startsWith(`${state.subject}.`)) return;
      const tuple = tupleOf(filter.slice(state.subject.length + 1));
      this.#addRoute(state, newRoute(filter, consumer, tuple));
    }, (error) => {
      if (known !== undefined && /not found/i.test(String(error))) {
        if (routes.get(known.subject) === known) routes.delete(known.subject);
      }
    });
  }

  /** The consumers a wait argument pulls from, in order: the table's, or the routing values its condition matches. */
  sourcesOf(tableId: number, condition: CompiledCondition | null): Source[] {
    const state = this.state(tableId);
    if (state.routes === null) return [state.plain!];
    const routes = [...state.routes.values()];
    const routing = condition?.routing;
    return routing ? routes.filter((route) => routing(route.tuple)) : routes;
  }

  /**
   * The subjects of a routed table that hold rows now (owned and delayed
   * ones included), from one stream info; null when it cannot be read.
   */
  async subjectsWithRows(tableId: number): Promise<Set<string> | null> {
    const state = this.state(tableId);
    try {
      const info = await this.#jsm.streams.info(state.stream, {
        subjects_filter: `${state.subject}.>`,
      });
      return new Set(Object.keys(info.state.subjects ?? {}));
    } catch {
      return null;
    }
  }

  /** The route of a delivered routed subject (null for an unrouted table or one not known here). */
  routeOf(state: TableState, subject: string): Route | null {
    return state.routes?.get(subject) ?? null;
  }

  relayMarks(tableId: number): readonly number[] {
    return this.state(tableId).marks;
  }

  async truncate(tableId: number): Promise<void> {
    this.#checkOpen();
    const state = this.state(tableId);
    await this.#retry("purge", () => this.#jsm.streams.purge(state.stream));
    if (state.routes !== null) {
      // The routing values' consumers go too (the count of values starts again).
      const routes = [...state.routes.values()];
      state.routes.clear();
      await Promise.all(
        routes.map((route) =>
          this.#retry("deleting a routing consumer", async () => {
            try {
              await this.#jsm.consumers.delete(state.stream, route.consumer);
            } catch (error) {
              if (!/not found/i.test(String(error))) throw error;
            }
          })
        ),
      );
      state.routesAt = 0;
    }
    state.messages = 0;
    state.delayed.clear();
    state.ended.clear();
    state.returning.clear();
    // Owned rows vanish with the purge: their owners here stop renewing them.
    for (const session of this.sessions) session.tableTruncated(tableId);
  }

  /** Runs a JetStream API call, retrying transient failures until writeTimeoutMs. */
  async #retry<T>(what: string, call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.writeTimeoutMs;
    for (let attempt = 0;; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (Date.now() >= deadline || !transient(error)) throw writeError(what, error);
        await sleep(Math.min(50 * 2 ** attempt, 500));
      }
    }
  }

  /** Deletes one row by sequence; false when it was not there. */
  async deleteRow(tableId: number, rowId: number): Promise<boolean> {
    const state = this.state(tableId);
    try {
      const deleted = await this.#retry(
        "delete",
        () => this.#jsm.streams.deleteMessage(state.stream, rowId),
      );
      if (deleted) this.countRemoved(tableId);
      this.undelay(tableId, rowId);
      return deleted;
    } catch (error) {
      if (/no message found|not found/i.test(String(error))) return false;
      throw error;
    }
  }

  /**
   * Reads one row by sequence from the stream's leader (the stream message
   * get API); with `next`, the first row at or after `rowId` (on `subject`:
   * by default any of the table's). Null when none.
   * Not a direct get: any replica answers those, and a follower that has not
   * applied the latest publish or delete yet would hide a row whose INSERT
   * resolved or show one already ended.
   */
  async getRow(
    tableId: number,
    rowId: number,
    next: boolean,
    subject?: string,
  ): Promise<{ rowId: number; payload: Uint8Array } | null> {
    const state = this.state(tableId);
    subject ??= state.routes === null ? state.subject : `${state.subject}.>`;
    const body = next ? { seq: rowId, next_by_subj: subject } : { seq: rowId };
    let answer: {
      error?: { code?: number; description?: string };
      message?: { seq?: number; data?: string };
    };
    try {
      const reply = await this.nc.request(
        `$JS.API.STREAM.MSG.GET.${state.stream}`,
        encoder.encode(JSON.stringify(body)),
        { timeout: this.writeTimeoutMs },
      );
      answer = JSON.parse(decoder.decode(reply.data));
    } catch (error) {
      throw readError("message get", error);
    }
    if (answer.error !== undefined) {
      if (answer.error.code === 404) return null;
      throw readError("message get", `${answer.error.code} ${answer.error.description}`);
    }
    const message = answer.message;
    if (message === undefined || typeof message.seq !== "number") {
      throw readError("message get", "a reply without a message");
    }
    return { rowId: message.seq, payload: base64Bytes(message.data ?? "") };
  }

  // --- sessions, stats, lifetime ---------------------------------------

  openSession(sessionId: number): NatsSession {
    this.#checkOpen();
    const session = new NatsSession(this, sessionId);
    this.sessions.add(session);
    return session;
  }

  /** Counters as of the last refresh (see {@linkcode refreshStats}); starts a refresh when stale. */
  stats(tableId: number): TableStats {
    const state = this.state(tableId);
    if (Date.now() - state.statsAt > 250) this.refreshStats(tableId).catch(() => {});
    const lastSeq = state.lastSeq;
    return {
      rowsWritten: lastSeq,
      rowsRemoved: Math.max(0, lastSeq - state.messages),
      rowsLive: state.messages,
      ...state.counters,
      bytesTotal: state.bytes,
      bytesRemoved: 0,
      rowsDelayed: this.delayedCount(tableId),
    };
  }

  /** Rows of the table this process holds back with a delayed nak, still not due. */
  delayedCount(tableId: number): number {
    const state = this.#tables.get(tableId);
    if (state === undefined) return 0;
    const now = Date.now();
    for (const [rowId, due] of state.delayed) if (due <= now) state.delayed.delete(rowId);
    return state.delayed.size;
  }

  /** Hides a delivered row for `delayMs` (nak with delay), noted for COUNT(*) and rowsDelayed. */
  delay(tableId: number, rowId: number, reply: string, delayMs: number): void {
    this.#tables.get(tableId)?.delayed.set(rowId, Date.now() + delayMs);
    this.nak(reply, delayMs);
  }

  /** A row delivered or removed is no longer held back by this process. */
  undelay(tableId: number, rowId: number): void {
    this.#tables.get(tableId)?.delayed.delete(rowId);
  }

  /** Reads stream info into the stats cache (queue_stats on this backend is as of the last refresh). */
  refreshStats(tableId: number): Promise<void> {
    const state = this.state(tableId);
    state.statsRefresh ??= (async () => {
      state.publishedDuringRefresh = [];
      try {
        const info = await this.#streamInfo(state);
        // Rows published here while the request was in flight that it missed.
        const missed = state.publishedDuringRefresh.filter((seq) => seq > info.state.last_seq);
        state.lastSeq = Math.max(state.lastSeq, info.state.last_seq);
        state.messages = this.liveFromInfo(state, info.state) + missed.length;
        state.bytes = info.state.bytes;
        state.statsAt = Date.now();
      } finally {
        state.publishedDuringRefresh = null;
        state.statsRefresh = null;
      }
    })();
    return state.statsRefresh;
  }

  /** Stream info, with the deleted sequences when rows ended here may still be in it. */
  #streamInfo(state: TableState): Promise<StreamInfo> {
    return state.ended.size === 0
      ? this.#jsm.streams.info(state.stream)
      : this.#jsm.streams.info(state.stream, { deleted_details: true });
  }

  /**
   * Live rows per a stream info, minus the rows this process ended that the
   * info still counts (an ended row is applied once it is below the first
   * sequence or among the deleted ones; those are forgotten here).
   */
  liveFromInfo(
    state: TableState,
    info: { messages: number; first_seq: number; last_seq: number; deleted?: number[] },
  ): number {
    if (state.ended.size === 0) return info.messages;
    const deleted = new Set(info.deleted ?? []);
    const oldest = Date.now() - endedMemoryMs;
    let pending = 0;
    for (const [rowId, at] of state.ended) {
      if (rowId < info.first_seq || deleted.has(rowId) || at < oldest) state.ended.delete(rowId);
      else if (rowId <= info.last_seq) pending++;
    }
    return Math.max(0, info.messages - pending);
  }

  /** Notes a row this process ended (see `TableState.ended`). */
  noteEnded(tableId: number, rowId: number): void {
    const state = this.#tables.get(tableId);
    if (state === undefined) return;
    state.ended.set(rowId, Date.now());
    // Oldest first (insertion order): forget those past the memory window.
    const oldest = Date.now() - endedMemoryMs;
    for (const [id, at] of state.ended) {
      if (at >= oldest) break;
      state.ended.delete(id);
    }
  }

  /** A consumer's info (delivered sequences, pending acks): the table's, or the named routing value's. */
  consumerInfo(tableId: number, consumer = consumerName): Promise<ConsumerInfo> {
    return this.#jsm.consumers.info(this.state(tableId).stream, consumer);
  }

  /** Every consumer of a table's stream (a routed table has one per routing value). */
  async consumers(tableId: number): Promise<ConsumerInfo[]> {
    const all: ConsumerInfo[] = [];
    for await (const c of await this.#jsm.consumers.list(this.state(tableId).stream)) all.push(c);
    return all;
  }

  /** Rows not owned by anyone (stream messages minus the consumer's pending acks). */
  async unownedCount(tableId: number): Promise<number> {
    const state = this.state(tableId);
    try {
      const [info, consumers] = await Promise.all([
        this.#streamInfo(state),
        state.routes === null
          ? this.#jsm.consumers.info(state.stream, consumerName).then((c) => [c])
          : this.consumers(tableId),
      ]);
      const live = this.liveFromInfo(state, info.state);
      const pending = consumers.reduce((sum, c) => sum + c.num_ack_pending, 0);
      // Pending acks include rows nak'ed with a delay: those of this process count as visible.
      const unowned = live - pending + this.delayedCount(tableId);
      return Math.min(live, Math.max(0, unowned));
    } catch (error) {
      throw readError("stream info", error);
    }
  }

  compact(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const session of [...this.sessions]) session.close();
      this.#watchStop?.();
      // Flushes the naks of closed sessions before the connection goes.
      await this.nc.flush().catch(() => {});
      await this.nc.close();
    })();
    return this.#closing;
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  #checkOpen(): void {
    if (this.#closing !== null) throw new QueueError("ER_CLOSED", "the database is closed");
  }

  /** Counts a finished wait in its table's counters. */
  countWait(tableId: number, kind: "waitImmediate" | "waitDelayed" | "waitTimeout"): void {
    const state = this.#tables.get(tableId);
    if (state !== undefined) state.counters[kind]++;
  }

  /** One row this process removed, in the stats cache until the next stream info. */
  countRemoved(tableId: number, failed = false): void {
    const state = this.#tables.get(tableId);
    if (state === undefined) return;
    if (state.messages > 0) state.messages--;
    if (failed) state.counters.rowsFailed++;
  }

  countRestore(tableId: number, kind: "restoredByAbort" | "restoredByClose"): void {
    const state = this.#tables.get(tableId);
    if (state !== undefined) state.counters[kind]++;
  }

  /** Hides a row from every consumer for `delayMs` (nak with delay); fire and forget. */
  nak(reply: string, delayMs: number): void {
    const body = delayMs > 0 ? `-NAK {"delay": ${Math.round(delayMs * 1e6)}}` : "-NAK";
    try {
      this.nc.publish(reply, encoder.encode(body));
    } catch {
      // The connection is closing: the lease runs out and the row comes back.
    }
  }

  /**
   * Gives a delivered row back at once (aborted, or delivered to the pull
   * of a wait already over): a nak the consumer's leader confirms, tracked
   * in the table's state until it has (see `givingBack`). The promise
   * resolves on the confirmation, or after `immediatePullTimeoutMs` without
   * one (the nak was sent; a no-wait pull meanwhile waits for it).
   */
  giveBack(tableId: number, reply: string): Promise<void> {
    const state = this.#tables.get(tableId);
    if (state === undefined || this.#closing !== null) {
      this.nak(reply, 0);
      return Promise.resolve();
    }
    state.givenBack++;
    const ack = parseAckSubject(reply);
    state.returning.set(ack.seq, {
      at: Date.now(),
      consumer: ack.consumer,
      consumerSeq: ack.consumerSeq,
    });
    let confirmed: Promise<void>;
    try {
      confirmed = this.nc.request(reply, encoder.encode("-NAK"), {
        timeout: immediatePullTimeoutMs,
      }).then(() => {}, () => {}).finally(() => state.givingBack.delete(confirmed));
    } catch {
      this.nak(reply, 0); // the connection is closing
      return Promise.resolve();
    }
    state.givingBack.add(confirmed);
    return confirmed;
  }

  /**
   * A row of `tableId` was delivered to a pull of this process: no longer
   * on its way back (see `returning`).
   */
  delivered(tableId: number, reply: string): void {
    const returning = this.#tables.get(tableId)?.returning;
    if (returning !== undefined && returning.size > 0) {
      returning.delete(parseAckSubject(reply).seq);
    }
  }

  /**
   * Whether a row this process gave back less than `withinMs` ago may
   * still be on its way back to `consumer`, whose info says it has made
   * `deliveries` deliveries: none since that give-back's delivery (else
   * the row went to a pull of another process, or another row came first;
   * forgotten, as are older ones).
   */
  rowsReturning(tableId: number, consumer: string, deliveries: number, withinMs: number): boolean {
    const returning = this.#tables.get(tableId)?.returning;
    if (returning === undefined) return false;
    const oldest = Date.now() - withinMs;
    let waiting = false;
    for (const [seq, row] of returning) {
      if (row.at < oldest) returning.delete(seq);
      else if (row.consumer !== consumer) continue;
      else if (deliveries > row.consumerSeq) returning.delete(seq);
      else waiting = true;
    }
    return waiting;
  }

  get filterDelayMs(): number {
    return this.#filterDelayMs;
  }

  /** The table of a delivered message, by its stream name. */
  tableOfStream(stream: string): TableState | undefined {
    for (const state of this.#tables.values()) if (state.stream === stream) return state;
    return undefined;
  }
}

/** What a delivery means for the wait arguments. */
interface Candidate {
  argIndex: number;
  msg: Msg;
  tableId: number;
}

/** One pending queue_wait. */
interface PendingWait {
  args: readonly WaitArg[];
  conditions: (CompiledCondition | null)[];
  resolve: (result: WaitResult) => void;
  reject: (error: unknown) => void;
  done: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  subscriptions: Subscription[];
  keepAlive: object | undefined;
  /** Tables whose pull loops ended because the table was dropped. */
  dropped: Set<number>;
  /** Run once the wait is done: each pull loop unsubscribes when its last pull has expired. */
  cleanups: (() => void)[];
  /** Once blocked: when it times out, and the pull loops running (`<tableId> <consumer>`). */
  deadline: number;
  pulling: Set<string> | null;
  /** Lists the consumers of its routed tables every `routeRefreshMs` while blocked. */
  refresher: ReturnType<typeof setInterval> | null;
}

/** A session on the NATS backend: the message it owns and its pending wait. */
export class NatsSession implements BackendSession {
  readonly sessionId: number;
  readonly #backend: NatsBackend;
  #owned: Owned | null = null;
  #wait: PendingWait | null = null;
  #closed = false;

  constructor(backend: NatsBackend, sessionId: number) {
    this.#backend = backend;
    this.sessionId = sessionId;
  }

  get owned(): OwnedRow | null {
    const o = this.#owned;
    return o === null ? null : { tableId: o.tableId, rowId: o.rowId };
  }

  ownedRowIn(tableId: number): number {
    return this.#owned !== null && this.#owned.tableId === tableId ? this.#owned.rowId : 0;
  }

  get waitingOn(): readonly number[] | null {
    return this.#wait === null ? null : this.#wait.args.map((a) => a.tableId);
  }

  /** The owned row's payload (owner-mode SELECT reads it without a round trip). */
  get ownedPayload(): Uint8Array | null {
    return this.#owned?.payload ?? null;
  }

  attempts(): number | null {
    return this.#owned?.delivered ?? null;
  }

  #compileConditions(args: readonly WaitArg[]): (CompiledCondition | null)[] {
    return args.map((arg) => {
      if (arg.text === "") return null;
      const state = this.#backend.state(arg.tableId);
      const compiled = this.#backend.compile(state.info, arg.text);
      // Over routing columns only: the subjects to pull from are chosen on the server's side.
      if (state.routes !== null && compiled.routing) return compiled;
      if (!this.#backend.capabilities.clientSideConditions) {
        throw new QueueError(
          "ER_NOT_SUPPORTED_YET",
          `queue_wait condition '${arg.text}' on the NATS backend needs clientSideConditions ` +
            `(only a condition over the table's routing columns, PARTITION BY KEY, runs on the server)`,
        );
      }
      return compiled;
    });
  }

  /**
   * The table's meta changed (ALTER TABLE here or by another client): the
   * pending wait's conditions on it are compiled again for the new columns,
   * so rows delivered from now on are judged as a wait started now would
   * judge them. A condition that no longer compiles (a dropped column)
   * fails the wait with that error.
   */
  tableAltered(tableId: number): void {
    const wait = this.#wait;
    if (wait === null || wait.done) return;
    let conditions: (CompiledCondition | null)[];
    try {
      conditions = wait.args.map((arg, i) =>
        arg.tableId === tableId && arg.text !== ""
          ? this.#backend.compile(this.#backend.state(tableId).info, arg.text)
          : wait.conditions[i] ?? null
      );
    } catch (error) {
      return this.#fail(wait, error);
    }
    wait.conditions = conditions;
  }

  wait(args: readonly WaitArg[], timeoutMs: number, keepAlive?: object): Promise<WaitResult> {
    try {
      return this.#start(args, timeoutMs, keepAlive);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #start(args: readonly WaitArg[], timeoutMs: number, keepAlive?: object): Promise<WaitResult> {
    if (this.#closed) throw new QueueError("ER_CLOSED", "the session is closed");
    if (this.#wait !== null) throw new QueueError("ER_WRONG_ARGUMENTS", "a wait is pending");
    if (this.#owned !== null) {
      throw new QueueError("ER_WRONG_ARGUMENTS", "end or abort the owned row before waiting");
    }
    const conditions = this.#compileConditions(args);
    for (const arg of args) this.#backend.state(arg.tableId);
    // Pending from the call on: waitingOn, cancelWait and close see it during the immediate pass too.
    let resolve!: (result: WaitResult) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<WaitResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const wait: PendingWait = {
      args,
      conditions,
      resolve,
      reject,
      done: false,
      timer: null,
      subscriptions: [],
      keepAlive,
      dropped: new Set(),
      cleanups: [],
      deadline: 0,
      pulling: null,
      refresher: null,
    };
    this.#wait = wait;
    this.#run(wait, timeoutMs).catch((error) => this.#fail(wait, error));
    return promise;
  }

  /**
   * The immediate pass (one no-wait pull per argument, in order: strict
   * priority; on a routed table, per matching routing value in turn), then
   * the pull loops. A routed table's values are listed first when this
   * process has not yet; when the pass finds nothing they are listed again
   * (at most every 250 ms) and new ones are tried too.
   */
  async #run(wait: PendingWait, timeoutMs: number): Promise<void> {
    const args = wait.args;
    const backend = this.#backend;
    const routed = [...new Set(args.map((a) => a.tableId))].filter((id) =>
      backend.state(id).routes !== null
    );
    await Promise.all(routed.map((id) => backend.refreshRoutes(id, Infinity)));
    const tried = new Set<Source>();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < args.length; i++) {
        const arg = args[i]!;
        if (backend.table(arg.tableId) === undefined) continue; // dropped meanwhile
        let sources = backend.sourcesOf(arg.tableId, wait.conditions[i] ?? null);
        if (sources.length > routesPulledBlindly) {
          // Many values: one stream info says which hold rows, instead of a pull per value.
          const holding = await backend.subjectsWithRows(arg.tableId);
          if (holding !== null) sources = sources.filter((r) => holding.has((r as Route).subject));
        }
        for (const source of sources) {
          if (tried.has(source)) continue;
          tried.add(source);
          if (await this.#immediate(wait, i, source)) return;
        }
      }
      if (wait.done || routed.length === 0 || round > 0) break;
      await Promise.all(routed.map((id) => backend.refreshRoutes(id, 250)));
    }
    if (wait.done) return;
    // A table dropped during the immediate pass: as during a blocked wait,
    // the wait goes on over the others and ends with 0 when none is left.
    const live = [...new Set(args.map((a) => a.tableId))].filter((id) =>
      backend.table(id) !== undefined
    );
    if (live.length === 0) return this.#finish(wait, { argIndex: 0, rowId: 0 });
    if (timeoutMs <= 0) {
      this.#countTimeout(args);
      return this.#finish(wait, { argIndex: 0, rowId: 0 });
    }
    wait.timer = setTimeout(() => {
      this.#countTimeout(args);
      this.#finish(wait, { argIndex: 0, rowId: 0 });
    }, timeoutMs);
    wait.deadline = Date.now() + timeoutMs;
    wait.pulling = new Set();
    for (const tableId of live) this.routeAdded(tableId);
    if (routed.length > 0) {
      wait.refresher = setInterval(() => {
        for (const id of routed) backend.refreshRoutes(id, routeRefreshMs).catch(() => {});
      }, routeRefreshMs);
    }
  }

  /**
   * Pulls one consumer without waiting for argument `i` until a row is
   * served (true: the wait is over) or it has none left (false). Rows
   * #accept turns down (not yet due, no condition matches) are hidden by
   * their nak, so the next pull reaches the following row: the pass goes on
   * until one is served, the consumer has none left or a turned-down row
   * comes round a third time (its hiding is shorter than the pass;
   * JetStream redelivers before it delivers new rows).
   */
  async #immediate(wait: PendingWait, i: number, source: Source): Promise<boolean> {
    const tableId = wait.args[i]!.tableId;
    const turnedDown = new Map<number, number>();
    for (let pulls = 0; pulls < immediatePassMaxPulls; pulls++) {
      if (this.#backend.table(tableId) === undefined) return false; // dropped meanwhile
      const msg = await this.#pullNow(tableId, source);
      if (msg !== null) this.#backend.delivered(tableId, msg.reply!);
      if (wait.done) {
        // Cancelled or closed meanwhile: the row goes back at once.
        if (msg !== null) this.#backend.giveBack(tableId, msg.reply!);
        return true;
      }
      if (msg === null) return false;
      const rowId = parseAckSubject(msg.reply!).seq;
      const judged = this.#judge(wait, msg, i, "waitImmediate");
      if (judged instanceof Promise ? await judged : judged) return true;
      const times = (turnedDown.get(rowId) ?? 0) + 1;
      if (times >= 3) return false;
      turnedDown.set(rowId, times);
    }
    return false;
  }

  /**
   * A blocked wait starts pull loops on `tableId`'s consumers its
   * arguments match and that it does not pull yet (a routing value made
   * since, here or by another client).
   */
  routeAdded(tableId: number): void {
    const wait = this.#wait;
    if (wait === null || wait.done || wait.pulling === null) return;
    if (this.#backend.table(tableId) === undefined) return;
    for (let i = 0; i < wait.args.length; i++) {
      if (wait.args[i]!.tableId !== tableId) continue;
      for (const source of this.#backend.sourcesOf(tableId, wait.conditions[i] ?? null)) {
        const key = `${tableId} ${source.consumer}`;
        if (wait.pulling.has(key)) continue;
        wait.pulling.add(key);
        this.#pullLoop(wait, tableId, source, key);
      }
    }
  }

  #countTimeout(args: readonly WaitArg[]): void {
    for (const tableId of new Set(args.map((a) => a.tableId))) {
      this.#backend.countWait(tableId, "waitTimeout");
    }
  }

  /**
   * One no-wait pull: the message, or null when the consumer has none now.
   * "No messages" is not trusted at once in three cases, where this process
   * knows a row is there: the pull of an earlier wait, over but not yet
   * expired (a 2.9 pull cannot be cancelled), took a row and is giving it
   * back; a row given back a moment ago has not been delivered again (the
   * server has said "no messages" right after confirming a give-back); or
   * the consumer has not delivered up to a row this process knows is
   * stored (the consumer's leader applies the stream's writes a little
   * after the PubAck, and hands a new row to the oldest waiting pull
   * first, maybe such a stale one). Then it pulls again, `catchUpPullMs`
   * at a time, until the row comes, for up to `catchUpMaxMs`: an INSERT
   * followed by queue_wait(t, 0) in this process finds its row even under
   * load.
   */
  async #pullNow(tableId: number, source: Source): Promise<Msg | null> {
    const state = this.#backend.state(tableId);
    const deadline = Date.now() + catchUpMaxMs;
    let givenBack = state.givenBack;
    let got = await this.#pullOnce(state.stream, source.consumer, { batch: 1, no_wait: true });
    for (;;) {
      if (got !== "empty") return got;
      if (state.givenBack !== givenBack || state.givingBack.size > 0) {
        givenBack = state.givenBack;
        await Promise.all(state.givingBack);
      } else if (
        !(await this.#behind(tableId, source)) && !(await this.#returning(tableId, source))
      ) {
        return null;
      }
      if (Date.now() >= deadline || this.#backend.table(tableId) === undefined) return null;
      got = await this.#pullOnce(state.stream, source.consumer, {
        batch: 1,
        expires: catchUpPullMs * 1_000_000,
      });
    }
  }

  /**
   * Whether a row this process gave back may still come back to `source`'s
   * consumer: one was given back less than `catchUpMaxMs` ago, and the
   * consumer's info shows no delivery since (see `returning`).
   */
  async #returning(tableId: number, source: Source): Promise<boolean> {
    if (this.#backend.state(tableId).returning.size === 0) return false;
    try {
      const info = await this.#backend.consumerInfo(tableId, source.consumer);
      return this.#backend.rowsReturning(
        tableId,
        source.consumer,
        info.delivered.consumer_seq,
        catchUpMaxMs,
      );
    } catch {
      return false;
    }
  }

  /**
   * Whether `source`'s consumer has yet to deliver a row the stream holds
   * at or below the last sequence this process knows of for it. Its info
   * alone cannot tell a consumer that lags from one whose rows up to there
   * were removed before delivery (DELETE): both show a delivered sequence
   * below it. So the stream's leader is asked for the first row after the
   * delivered one; when there is none up to that sequence, the consumer is
   * taken as caught up there (the next call costs no request).
   */
  async #behind(tableId: number, source: Source): Promise<boolean> {
    const state = this.#backend.state(tableId);
    // The table's consumer: every row this process knows of (stats included); a routing value's: its own.
    const stored = state.routes === null ? state.lastSeq : source.lastSeq;
    if (source.seenSeq >= stored) return false;
    try {
      const info = await this.#backend.consumerInfo(tableId, source.consumer);
      source.seenSeq = Math.max(source.seenSeq, info.delivered.stream_seq);
      if (source.seenSeq >= stored) return false;
      const subject = state.routes === null ? state.subject : (source as Route).subject;
      const next = await this.#backend.getRow(tableId, source.seenSeq + 1, true, subject);
      if (next !== null && next.rowId <= stored) return true;
    } catch {
      return false;
    }
    source.seenSeq = Math.max(source.seenSeq, stored);
    return false;
  }

  /** One pull request: the message, "empty" for the server's "no messages", null for no answer. */
  async #pullOnce(
    stream: string,
    consumer: string,
    request: object,
  ): Promise<Msg | "empty" | null> {
    let reply: Msg;
    try {
      reply = await this.#backend.nc.request(
        `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
        encoder.encode(JSON.stringify(request)),
        { timeout: immediatePullTimeoutMs, noMux: true },
      );
    } catch (error) {
      // No answer: 2.9 sometimes parks a no-wait pull behind deliveries in
      // flight to other pulls, or a leader election is under way. Nothing
      // now; the blocking pass pulls again.
      if (transient(error)) return null;
      throw readError("pull", error);
    }
    const code = reply.headers?.code ?? 0;
    if (code === 404 || code === 408) return "empty";
    if (code !== 0) return null;
    return reply.reply === undefined || reply.reply === "" ? null : reply;
  }

  /**
   * Offers a delivered message to the wait ({@linkcode NatsSession.#accept}
   * with its current conditions) and finishes the wait when it is served,
   * counting `kind`; true when the wait is over (served, or failed by a
   * condition's error). Synchronous unless a condition throws: the row may
   * have been written under another client's ALTER TABLE this process has
   * not heard of yet (the catalog watch and the stream are not ordered), so
   * the catalog is read once, and when the conditions were recompiled
   * meanwhile (tableAltered, by that read or by the watch) the row is judged
   * once more; otherwise the error fails the wait.
   */
  #judge(
    wait: PendingWait,
    msg: Msg,
    from: number,
    kind: "waitImmediate" | "waitDelayed",
  ): boolean | Promise<boolean> {
    let served: WaitResult | null;
    try {
      served = this.#accept(wait.args, wait.conditions, msg, from, false);
    } catch (error) {
      return this.#judgeAfterRefresh(wait, msg, from, kind, error);
    }
    return this.#served(wait, from, kind, served);
  }

  async #judgeAfterRefresh(
    wait: PendingWait,
    msg: Msg,
    from: number,
    kind: "waitImmediate" | "waitDelayed",
    error: unknown,
  ): Promise<boolean> {
    const before = wait.conditions;
    await this.#backend.refreshCatalog();
    // Recompiled by the read, or by the watch meanwhile: judged again.
    if (wait.done || wait.conditions === before) {
      this.#backend.giveBack(wait.args[from]!.tableId, msg.reply!);
      this.#fail(wait, error);
      return true;
    }
    let served: WaitResult | null;
    try {
      served = this.#accept(wait.args, wait.conditions, msg, from, true);
    } catch (again) {
      this.#fail(wait, again);
      return true;
    }
    return this.#served(wait, from, kind, served);
  }

  /** Finishes the wait with `served` (counted as `kind`); false when it is null. */
  #served(
    wait: PendingWait,
    from: number,
    kind: "waitImmediate" | "waitDelayed",
    served: WaitResult | null,
  ): boolean {
    if (served === null) return false;
    this.#backend.countWait(wait.args[from]!.tableId, kind);
    this.#finish(wait, served);
    return true;
  }

  /**
   * Decides on a delivered message for argument `from` (and the later ones
   * naming the same table): takes ownership and returns the result, or
   * nak's it (not yet visible, or no condition matches) and returns null.
   * A condition that throws nak's it at once when `nakOnError`.
   */
  #accept(
    args: readonly WaitArg[],
    conditions: readonly (CompiledCondition | null)[],
    msg: Msg,
    from: number,
    nakOnError: boolean,
  ): WaitResult | null {
    const reply = msg.reply!;
    const ack = parseAckSubject(reply);
    const table = this.#backend.tableOfStream(ack.stream);
    if (table === undefined) return null;
    const visibleAt = Number(msg.headers?.get(visibleAtHeader) || 0);
    const now = Date.now();
    if (visibleAt > now) {
      this.#backend.delay(table.info.tableId, ack.seq, reply, visibleAt - now);
      return null;
    }
    for (let i = from; i < args.length; i++) {
      const arg = args[i]!;
      if (arg.tableId !== table.info.tableId) continue;
      const condition = conditions[i];
      let matches = true;
      if (condition?.routing && table.routes !== null) {
        // Server-side: the row came from a consumer of its value; several
        // arguments on the table each check the value.
        const route = this.#backend.routeOf(table, msg.subject);
        matches = condition.routing(
          route?.tuple ?? tupleOf(msg.subject.slice(table.subject.length + 1)),
        );
      } else if (condition?.matches) {
        try {
          matches = condition.matches(msg.data);
        } catch (error) {
          if (nakOnError) this.#backend.nak(reply, 0);
          throw error;
        }
      }
      if (!matches) continue;
      this.#own(arg.tableId, msg, ack.seq, ack.delivered);
      return { argIndex: i + 1, rowId: ack.seq };
    }
    this.#backend.delay(table.info.tableId, ack.seq, reply, this.#backend.filterDelayMs);
    return null;
  }

  #own(tableId: number, msg: Msg, rowId: number, delivered: number): void {
    const reply = msg.reply!;
    const everyMs = Math.max(50, Math.floor(this.#backend.leaseMs / 3));
    const heartbeat = setInterval(() => {
      try {
        this.#backend.nc.publish(reply, encoder.encode("+WPI"));
      } catch {
        // Closed connection: the lease lapses and the row is delivered again.
      }
    }, everyMs);
    this.#owned = { tableId, rowId, reply, delivered, payload: plainBytes(msg.data), heartbeat };
    this.#backend.undelay(tableId, rowId);
  }

  /**
   * Pulls from one table until the wait is done: pull requests of at most
   * `pullSliceMs` (a pull lost in a leader change costs no more), each
   * delivery offered to the wait; a delivery after the wait is done is
   * nak'ed at once.
   */
  #pullLoop(wait: PendingWait, tableId: number, source: Source, key: string): void {
    const backend = this.#backend;
    const state = backend.state(tableId);
    const deadline = wait.deadline;
    const inbox = createInbox();
    let pullEndsAt = 0;
    let outstanding = false;
    const pull = (): void => {
      const remaining = deadline - Date.now();
      if (wait.done || remaining <= 0) return;
      const expiresMs = Math.min(remaining, pullSliceMs);
      pullEndsAt = Date.now() + expiresMs;
      outstanding = true;
      try {
        backend.nc.publish(
          `$JS.API.CONSUMER.MSG.NEXT.${state.stream}.${source.consumer}`,
          encoder.encode(JSON.stringify({ batch: 1, expires: expiresMs * 1e6 })),
          { reply: inbox },
        );
      } catch (error) {
        this.#fail(wait, readError("pull", error));
      }
    };
    const sub = backend.nc.subscribe(inbox, {
      callback: (_error, msg) => {
        const code = msg.headers?.code ?? 0;
        if (code !== 0 || msg.reply === undefined || msg.reply === "") {
          outstanding = false;
          if (wait.done) return sub.unsubscribe();
          if (backend.table(tableId) === undefined) {
            wait.dropped.add(tableId);
            if (wait.args.every((a) => wait.dropped.has(a.tableId))) {
              this.#finish(wait, { argIndex: 0, rowId: 0 });
            }
            return;
          }
          if (state.routes !== null && !state.routes.has((source as Route).subject)) {
            // A routing value TRUNCATE removed: pulled again if it is made again.
            wait.pulling?.delete(key);
            return;
          }
          // 408 (expired) pulls again at once; anything else (a leader change) after a pause.
          if (code === 408) pull();
          else setTimeout(pull, 100);
          return;
        }
        outstanding = false;
        backend.delivered(tableId, msg.reply);
        if (wait.done) {
          backend.giveBack(tableId, msg.reply);
          return sub.unsubscribe();
        }
        const first = wait.args.findIndex((a) => a.tableId === tableId);
        const judged = this.#judge(wait, msg, first, "waitDelayed");
        if (judged instanceof Promise) {
          judged.then((over) => over || pull()).catch((error) => this.#fail(wait, error));
        } else if (!judged) pull();
      },
    });
    wait.subscriptions.push(sub);
    // Once the wait is done, the subscription stays until its last pull
    // expires (a 2.9 pull cannot be cancelled), nak'ing what it still gets.
    const cleanup = (): void => {
      if (!outstanding || Date.now() > pullEndsAt + 1000) sub.unsubscribe();
      else setTimeout(cleanup, Math.max(50, pullEndsAt - Date.now() + 100));
    };
    wait.cleanups.push(cleanup);
    pull();
  }

  #finish(wait: PendingWait, result: WaitResult): void {
    if (wait.done) return;
    this.#end(wait);
    wait.resolve(result);
  }

  #fail(wait: PendingWait, error: unknown): void {
    if (wait.done) return;
    this.#end(wait);
    wait.reject(error);
  }

  #end(wait: PendingWait): void {
    wait.done = true;
    if (wait.timer !== null) clearTimeout(wait.timer);
    if (wait.refresher !== null) clearInterval(wait.refresher);
    if (this.#wait === wait) this.#wait = null;
    for (const cleanup of wait.cleanups) setTimeout(cleanup, 0);
  }

  cancelWait(error: Error): boolean {
    const wait = this.#wait;
    if (wait === null) return false;
    this.#fail(wait, error);
    return true;
  }

  /** Forgets the owned row and stops renewing its lease. */
  #release(): Owned | null {
    const owned = this.#owned;
    if (owned !== null) clearInterval(owned.heartbeat);
    this.#owned = null;
    return owned;
  }

  /** Consumes the owned row (double ack); `failed` also counts it in rowsFailed (this process). */
  async end(failed = false): Promise<void> {
    const owned = this.#owned;
    if (owned === null) return;
    // Double ack: the server confirms the ack, so "ended" survives a crash of this client.
    const deadline = Date.now() + this.#backend.writeTimeoutMs;
    for (let attempt = 0;; attempt++) {
      try {
        await this.#backend.nc.request(owned.reply, encoder.encode("+ACK"), {
          timeout: Math.min(2000, Math.max(100, deadline - Date.now())),
        });
        break;
      } catch (error) {
        if (Date.now() >= deadline || !transient(error)) throw writeError("ack", error);
        await sleep(Math.min(50 * 2 ** attempt, 500));
      }
    }
    if (this.#owned === owned) this.#release();
    this.#backend.noteEnded(owned.tableId, owned.rowId);
    this.#backend.countRemoved(owned.tableId, failed);
  }

  abort(delayMs: number): Promise<void> {
    const owned = this.#release();
    if (owned === null) return Promise.resolve();
    this.#backend.countRestore(owned.tableId, "restoredByAbort");
    if (delayMs <= 0) return this.#backend.giveBack(owned.tableId, owned.reply);
    this.#backend.delay(owned.tableId, owned.rowId, owned.reply, delayMs);
    return this.#backend.nc.flush().catch((error) => {
      throw writeError("nak", error);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.cancelWait(new QueueError("ER_CLOSED", "the session is closed"));
    const owned = this.#release();
    if (owned !== null) {
      this.#backend.nak(owned.reply, 0);
      this.#backend.countRestore(owned.tableId, "restoredByClose");
    }
    this.#backend.sessions.delete(this);
  }

  /** A truncated table: the owned row of it is gone (its end() removes and counts nothing). */
  tableTruncated(tableId: number): void {
    if (this.#owned?.tableId === tableId) this.#release();
  }

  /** A dropped table: the owned row of it is gone; a wait on only dropped tables ends with 0. */
  tableDropped(tableId: number): void {
    if (this.#owned?.tableId === tableId) this.#release();
    const wait = this.#wait;
    if (wait !== null && wait.args.every((a) => this.#backend.table(a.tableId) === undefined)) {
      this.#finish(wait, { argIndex: 0, rowId: 0 });
    }
  }

  async scan(
    tableId: number,
    ownerMode: boolean,
    visit: (rowId: number, payload: Uint8Array) => boolean,
  ): Promise<void> {
    if (ownerMode) {
      const owned = this.#owned;
      if (owned !== null && owned.tableId === tableId) visit(owned.rowId, owned.payload);
      return;
    }
    // Rows owned by sessions of this process are skipped; rows owned by other
    // clients cannot be told apart here and are visited (documented).
    const ownedHere = new Set<number>();
    for (const s of this.#backend.sessions) {
      const id = s.ownedRowIn(tableId);
      if (id !== 0 && s !== this) ownedHere.add(id);
    }
    // Rows this process ended may still be in the stream for a moment: not shown.
    const ended = this.#backend.state(tableId).ended;
    let seq = 1;
    for (;;) {
      const row = await this.#backend.getRow(tableId, seq, true);
      if (row === null) return;
      const hidden = ownedHere.has(row.rowId) || ended.has(row.rowId);
      if (!hidden && !visit(row.rowId, row.payload)) return;
      seq = row.rowId + 1;
    }
  }

  async visibleCount(tableId: number, ownerMode: boolean): Promise<number> {
    if (ownerMode) return this.ownedRowIn(tableId) === 0 ? 0 : 1;
    return await this.#backend.unownedCount(tableId) + (this.ownedRowIn(tableId) === 0 ? 0 : 1);
  }

  /** No transactions on this backend (JetStream 2.9 has no atomic batch). */
  begin(): void {
    throw new QueueError(
      "ER_NOT_SUPPORTED_YET",
      "transactions are not supported on the NATS backend (JetStream 2.9 has no atomic batch)",
    );
  }

  get inTransaction(): boolean {
    return false;
  }

  commit(): Promise<void> {
    return Promise.resolve();
  }

  rollback(): void {}

  async remove(tableId: number, rowIds: readonly number[]): Promise<void> {
    const ownedId = this.ownedRowIn(tableId);
    for (const rowId of rowIds) {
      if (rowId === ownedId) await this.end();
      else await this.#backend.deleteRow(tableId, rowId);
    }
  }
}
