/**
 * q4d itself as a system of the standard workload, through its public API
 * only (`open`, `db.sql`, `db.session()`, `queue_wait`/`queue_end`). The
 * module is imported at run time, so the benchmark still runs (and reports
 * q4d unavailable) while the engine does not exist or does not load.
 *
 * @module
 */

import { join } from "node:path";
import type {
  Delivery,
  QueueConsumer,
  QueueSystem,
  SetupOptions,
  SystemFactory,
} from "../workload/mod.ts";
import { SystemUnavailableError } from "../workload/mod.ts";

/** A row as q4d returns it. */
type Row = Record<string, unknown>;

/** The `sql` tag of the contract in DESIGN.md. */
interface SqlTag {
  (strings: TemplateStringsArray, ...values: unknown[]): Promise<Row[]>;
  unsafe(text: string, params?: unknown[]): Promise<Row[]>;
}

interface Q4dSession {
  sql: SqlTag;
  close(): Promise<void>;
}

interface Q4dDatabase {
  sql: SqlTag;
  session(): Q4dSession;
  close(): Promise<void>;
}

interface Q4dModule {
  open(dir: string, options?: { sync?: "fdatasync" | "fsync" | "none" }): Promise<Q4dDatabase>;
}

/** Where the public surface lives, relative to this file. */
const moduleUrl = new URL("../../mod.ts", import.meta.url).href;

/** Rows per multi-row INSERT in produceMany (well under insertRowCountMax). */
const rowsPerInsertMax = 1_000;

async function loadQ4d(): Promise<Q4dModule> {
  let loaded: Partial<Q4dModule>;
  try {
    loaded = await import(moduleUrl);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new SystemUnavailableError(`mod.ts does not load (${reason})`);
  }
  if (typeof loaded.open !== "function") {
    throw new SystemUnavailableError("mod.ts does not export open()");
  }
  return loaded as Q4dModule;
}

/** `INSERT … VALUES (?, ?), (?, ?)…` for `rowCount` rows: placeholders only, no values in the text. */
function multiRowInsertText(rowCount: number): string {
  return `INSERT INTO jobs (id, body) VALUES ${new Array(rowCount).fill("(?, ?)").join(", ")}`;
}

class Q4dQueue implements QueueSystem {
  readonly name = "q4d";
  readonly notes: readonly string[] = [
    'open(dir, { sync: "fdatasync" }): INSERT and queue_end() resolve after their log records are datasynced (group commit)',
    "ownership from queue_wait is in memory only: after a crash an owned row is back in the queue (at-least-once across crashes, exactly-once otherwise)",
  ];
  readonly #q4d: Q4dModule;
  #database: Q4dDatabase | undefined;

  constructor(q4d: Q4dModule) {
    this.#q4d = q4d;
  }

  async setup(dir: string, options: SetupOptions): Promise<void> {
    const database = await this.#q4d.open(join(dir, "q4d"), { sync: "fdatasync" });
    this.#database = database;
    // The spec's table is VARCHAR(96); longer bodies (--body-bytes) need TEXT types.
    if (options.bodyBytes <= 96) {
      await database
        .sql`CREATE TABLE jobs (id INT NOT NULL, body VARCHAR(96) NOT NULL) ENGINE=QUEUE`;
    } else if (options.bodyBytes <= 65_535) {
      await database.sql`CREATE TABLE jobs (id INT NOT NULL, body TEXT NOT NULL) ENGINE=QUEUE`;
    } else {
      await database.sql`CREATE TABLE jobs (id INT NOT NULL, body LONGTEXT NOT NULL) ENGINE=QUEUE`;
    }
  }

  async produce(id: number, body: string): Promise<void> {
    await this.#database!.sql`INSERT INTO jobs (id, body) VALUES (${id}, ${body})`;
  }

  async produceMany(messages: readonly { id: number; body: string }[]): Promise<void> {
    for (let start = 0; start < messages.length; start += rowsPerInsertMax) {
      const slice = messages.slice(start, start + rowsPerInsertMax);
      const params: unknown[] = [];
      for (const message of slice) params.push(message.id, message.body);
      await this.#database!.sql.unsafe(multiRowInsertText(slice.length), params);
    }
  }

  openConsumer(): Promise<QueueConsumer> {
    const session = this.#database!.session();
    const consume = async (timeoutMs: number): Promise<Delivery | null> => {
      const timeoutSeconds = timeoutMs / 1000;
      const [wait] = await session.sql`SELECT queue_wait('jobs', ${timeoutSeconds}) AS got`;
      if (!(Number(wait?.got) > 0)) return null;
      const rows = await session.sql`SELECT id, body FROM jobs`;
      if (rows.length !== 1) {
        throw new Error(`owner-mode SELECT returned ${rows.length} rows, expected 1`);
      }
      return { id: Number(rows[0]?.id), body: String(rows[0]?.body), handle: session };
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
    await this.#database?.close();
    this.#database = undefined;
  }
}

/** Factory of q4d; unavailable while `mod.ts` does not load. */
export const createQ4d: SystemFactory = async () => new Q4dQueue(await loadQ4d());
