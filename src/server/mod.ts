/**
 * q4d's MySQL protocol server: unmodified MySQL clients (the `mariadb` CLI,
 * mysql2, PyMySQL, Go, JDBC…) use a q4d database over TCP, TLS or a Unix
 * socket. A separate entry point, so the core import stays free of node:net.
 *
 * @example
 * ```ts
 * import { open } from "../../mod.ts";
 * import { serve } from "./mod.ts";
 * const db = await open(await Deno.makeTempDir());
 * const server = await serve(db, { port: 0 });
 * await server.close();
 * await db.close();
 * ```
 *
 * @module
 */

export { serve } from "./server.ts";
export { connect, RemoteDatabase, RemoteSession } from "./client.ts";
export type { ConnectOptions } from "./client.ts";
export type { ServeOptions, Server } from "./server.ts";
export type { AuthPlugin } from "./auth.ts";
export { errorCodeToMysql } from "./errno.ts";
export type { MysqlError } from "./errno.ts";
export { serverVersion } from "./variables.ts";
// The core package's types, which this entry's signatures name: its documentation stands alone.
export type * from "../../mod.ts";
