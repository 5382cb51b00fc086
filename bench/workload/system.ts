/**
 * The adapter interface every queue system implements to run the standard
 * workload: producers put `{id, body}` messages in, consumers take them out
 * one at a time and acknowledge them. The driver (`workloads.ts`) only ever
 * talks to a system through this interface.
 *
 * @module
 */

/** One message as a consumer received it. */
export interface Delivery {
  /** The id the producer gave the message. */
  id: number;
  /** The body the producer gave the message. */
  body: string;
  /** Whatever the system needs to acknowledge this delivery. */
  handle: unknown;
}

/** One consumer: like one database connection or one worker. */
export interface QueueConsumer {
  /**
   * Takes one message, waiting at most `timeoutMs` for one to arrive.
   * Resolves to `null` when none arrived in time.
   */
  consume(timeoutMs: number): Promise<Delivery | null>;
  /** Acknowledges a delivery; resolves once the removal is durable. */
  ack(delivery: Delivery): Promise<void>;
  /** Ends the consumer; an unacknowledged message goes back to the queue. */
  close(): Promise<void>;
}

/** Options handed to {@linkcode QueueSystem.setup}. */
export interface SetupOptions {
  /** Length of every message body, in bytes (ASCII, so also characters). */
  bodyBytes: number;
}

/** A queue system under test. One instance holds one open queue. */
export interface QueueSystem {
  /** Short label used in tables and JSON, e.g. `"sqlite-autocommit"`. */
  readonly name: string;
  /**
   * What the system can and cannot promise (durability of produce and ack,
   * ordering, delivery semantics), printed with its results.
   */
  readonly notes: readonly string[];
  /** Creates (or opens) the queue in the empty directory `dir`. */
  setup(dir: string, options: SetupOptions): Promise<void>;
  /** Enqueues one message; resolves once it is durable. */
  produce(id: number, body: string): Promise<void>;
  /**
   * Optional fast path for filling a deep backlog: enqueue many messages at
   * once (for example a multi-row INSERT); resolves once all are durable.
   */
  produceMany?(messages: readonly { id: number; body: string }[]): Promise<void>;
  /** Opens one consumer. */
  openConsumer(): Promise<QueueConsumer>;
  /** Closes the queue and releases its files. */
  close(): Promise<void>;
}

/**
 * Creates a fresh, not yet set up, instance of a system. Throws
 * {@linkcode SystemUnavailableError} when the system cannot run here.
 */
export type SystemFactory = () => Promise<QueueSystem>;

/** Thrown by a {@linkcode SystemFactory} when its system cannot run here. */
export class SystemUnavailableError extends Error {
  /** @param reason why the system cannot run, one sentence */
  constructor(reason: string) {
    super(reason);
    this.name = "SystemUnavailableError";
  }
}
