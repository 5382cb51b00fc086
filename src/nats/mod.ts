/**
 * q4d on a replicated NATS JetStream cluster: the same `Database` (the same
 * `sql`, sessions, queue functions and `QueueError` codes) as the local
 * `open(dir)`, with each table an R3 work-queue stream. A separate entry
 * point (`@q4d/q4d/nats`) so that the core package keeps zero
 * dependencies; this one depends on the official NATS client packages
 * from npm. What weakens on this backend is in `db.capabilities` and the
 * README's "The NATS backend" section.
 *
 * @example
 * ```ts ignore
 * import { open } from "@q4d/q4d/nats";
 *
 * const db = await open("nats://h1:4222,h2:4222,h3:4222", { replicas: 3, namespace: "app" });
 * await db.sql`CREATE TABLE jobs (id INT NOT NULL, body TEXT) ENGINE=QUEUE`;
 * await db.sql`INSERT INTO jobs (id, body) VALUES (${1}, ${"hello"})`;
 * const s = db.session();
 * const [w] = await s.sql`SELECT queue_wait('jobs', 5) AS got`;
 * if (w.got > 0) {
 *   const [job] = await s.sql`SELECT * FROM jobs`;
 *   await s.sql`SELECT queue_end()`;
 * }
 * await s.close();
 * await db.close();
 * ```
 *
 * user code → this file → Engine (src/engine) → NatsBackend (backend.ts) → cluster
 *
 * @module
 */

import { type Database, openWithBackend } from "../engine/mod.ts";
import { type NatsOpenOptions, openNatsBackend } from "./backend.ts";

export type { NatsOpenOptions };

/**
 * Opens the q4d database in `namespace` on the NATS JetStream cluster at
 * `url` (`nats://host:port[,host:port…]`), creating its catalog if missing.
 */
export function open(url: string, options: NatsOpenOptions = {}): Promise<Database> {
  return openWithBackend((backendOptions) =>
    openNatsBackend(url, { ...options, ...backendOptions })
  );
}

export type { Database } from "../engine/mod.ts";
// The core package's types, which this entry's signatures name: its documentation stands alone.
export type * from "../../mod.ts";
