/**
 * Deno KV queues as a peer: `Deno.openKv(path)` (SQLite underneath),
 * produce = `kv.enqueue`, consume = a message handed to the `listenQueue`
 * handler, ack = the handler returning. Needs `--unstable-kv`; without it
 * the system reports itself unavailable. Used by `run.ts` as `deno-kv`.
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
import { Wakeups } from "./wakeups.ts";

/** The part of Deno KV this peer uses (typed here: its types are unstable). */
interface Kv {
  enqueue(value: unknown): Promise<{ ok: boolean }>;
  atomic(): KvAtomic;
  listenQueue(handler: (value: unknown) => Promise<void> | void): Promise<void>;
  close(): void;
}

interface KvAtomic {
  enqueue(value: unknown): KvAtomic;
  commit(): Promise<{ ok: boolean }>;
}

type OpenKv = (path?: string) => Promise<Kv>;

/** Enqueues per atomic commit in produceMany; Deno KV caps enqueues per atomic operation. */
const enqueuesPerAtomicMax = 100;

/** A message the handler holds until the consumer acknowledges it. */
interface HeldMessage {
  id: number;
  body: string;
  finish: () => void;
}

function findOpenKv(): OpenKv {
  const deno = (globalThis as { Deno?: { openKv?: OpenKv } }).Deno;
  if (!deno) throw new SystemUnavailableError("Deno KV needs the Deno runtime");
  if (typeof deno.openKv !== "function") {
    throw new SystemUnavailableError("Deno.openKv is missing: run with --unstable-kv");
  }
  return deno.openKv.bind(deno);
}

class DenoKvQueue implements QueueSystem {
  readonly name = "deno-kv";
  readonly notes: readonly string[] = [
    "enqueue resolves after KV commits to its SQLite file (WAL; denokv leaves PRAGMA synchronous at the SQLite build default)",
    "ack is the listenQueue handler returning; KV then deletes the message in its own later transaction, which the caller cannot await: ack durability is not observable",
    "delivery is at-least-once (a message whose handler throws or whose process dies is redelivered); order is by enqueue timestamp only, not strict FIFO",
    "listenQueue pushes messages to the one listener of a Kv handle (denokv dispatches up to 100 at once); 16 consumers here pull from that shared stream",
    "KV runs its SQLite work on its own thread; the handler deadline (5 s, kept alive while running) requeues messages of a dead process",
  ];
  readonly #openKv: OpenKv;
  #kv: Kv | undefined;
  #listening = false;
  readonly #held: HeldMessage[] = [];
  readonly #wakeups = new Wakeups();
  #closed = false;

  constructor(openKv: OpenKv) {
    this.#openKv = openKv;
  }

  async setup(dir: string, _options: SetupOptions): Promise<void> {
    this.#kv = await this.#openKv(join(dir, "kv.sqlite3"));
  }

  async produce(id: number, body: string): Promise<void> {
    const result = await this.#kv!.enqueue({ id, body });
    if (!result.ok) throw new Error(`kv.enqueue of id ${id} was not committed`);
  }

  async produceMany(messages: readonly { id: number; body: string }[]): Promise<void> {
    for (let start = 0; start < messages.length; start += enqueuesPerAtomicMax) {
      const atomic = this.#kv!.atomic();
      for (const message of messages.slice(start, start + enqueuesPerAtomicMax)) {
        atomic.enqueue({ id: message.id, body: message.body });
      }
      const result = await atomic.commit();
      if (!result.ok) throw new Error("kv atomic enqueue was not committed");
    }
  }

  #startListening(): void {
    if (this.#listening) return;
    this.#listening = true;
    // The promise settles when the Kv closes; errors surface as lost messages.
    this.#kv!.listenQueue((value) => {
      const message = value as { id: number; body: string };
      return new Promise<void>((resolve) => {
        if (this.#closed) return resolve();
        this.#held.push({ id: message.id, body: message.body, finish: resolve });
        this.#wakeups.wake();
      });
    }).catch(() => {});
  }

  openConsumer(): Promise<QueueConsumer> {
    this.#startListening();
    const consume = async (timeoutMs: number): Promise<Delivery | null> => {
      const deadlineMs = performance.now() + timeoutMs;
      while (true) {
        const message = this.#held.shift();
        if (message) return { id: message.id, body: message.body, handle: message.finish };
        const remainingMs = deadlineMs - performance.now();
        if (remainingMs <= 0 || this.#closed) return null;
        await this.#wakeups.wait(remainingMs);
      }
    };
    return Promise.resolve({
      consume,
      ack: (delivery: Delivery) => {
        (delivery.handle as () => void)();
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#wakeups.wakeAll();
    // Let pending handlers return so listenQueue can wind down; the run's
    // directory is discarded after close, so nothing is acknowledged that matters.
    for (const message of this.#held.splice(0)) message.finish();
    this.#kv?.close();
    this.#kv = undefined;
    return Promise.resolve();
  }
}

/** Factory of the Deno KV queue peer; unavailable without `--unstable-kv`. */
export const createDenoKv: SystemFactory = () => {
  try {
    return Promise.resolve(new DenoKvQueue(findOpenKv()));
  } catch (error) {
    return Promise.reject(error);
  }
};
