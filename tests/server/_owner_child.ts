/**
 * Child process for kill_test: one mysql2 connection takes a row of `q` and
 * keeps it, a second blocks in queue_wait on `w`; prints "ready" and waits to
 * be SIGKILLed.
 *
 * usage: _owner_child PORT PASSWORD
 */

import process from "node:process";
import mysql from "npm:mysql2@3.24.6/promise";

const [port, password = ""] = process.argv.slice(-2);
const options = { host: "127.0.0.1", port: Number(port), user: "root", password };
const owner = await mysql.createConnection(options);
const [[taken]] = (await owner.query("SELECT queue_wait('q', 0) AS got")) as unknown as [
  { got: number }[],
];
if (taken?.got !== 1) throw new Error("the child did not get the row");
const waiter = await mysql.createConnection(options);
void waiter.query("SELECT queue_wait('w', 60)").catch(() => {});
process.stdout.write("ready\n");
setInterval(() => {}, 1000);
