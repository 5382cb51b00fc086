/**
 * Child process of fault_test.ts: opens the NATS backend at argv URL and
 * namespace, takes one row of table "jobs", prints "owned <rowId>" and
 * then idles (renewing its lease) until the parent SIGKILLs it.
 */

import process from "node:process";
import { openNatsBackend } from "../../src/nats/backend.ts";

const [url, namespace, leaseMs] = process.argv.slice(-3);
const db = await openNatsBackend(url!, {
  namespace: namespace!,
  leaseMs: Number(leaseMs),
  compileCondition: () => {
    throw new Error("no conditions in this child");
  },
});
const table = db.tables().find((t) => t.name === "jobs");
if (table === undefined) throw new Error("no table jobs");
const session = db.openSession(1);
const got = await session.wait([{ tableId: table.tableId, text: "" }], 10_000);
console.log(`owned ${got.rowId}`);
setInterval(() => {}, 1000);
