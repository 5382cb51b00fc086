/**
 * Commands that libraries send only in some modes, driven by hand:
 * COM_STMT_SEND_LONG_DATA and COM_STMT_RESET, COM_FIELD_LIST, COM_SET_OPTION,
 * COM_RESET_CONNECTION, and an unknown statement id.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { rawClient, startServer } from "./_helpers.ts";
import { at, u16At } from "../_at.ts";

const utf8 = new TextEncoder();

function bytes(...parts: (number[] | Uint8Array | string)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) out.push(...(typeof part === "string" ? utf8.encode(part) : part));
  return new Uint8Array(out);
}

const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

test("a prepared INSERT takes a parameter sent as long data in pieces", async () => {
  const served = await startServer({ password: "", authPlugin: "mysql_native_password" });
  const client = await rawClient(served.port);
  try {
    await served.db.sql`CREATE TABLE q (id INT NOT NULL, body TEXT) ENGINE=QUEUE`;
    // COM_STMT_PREPARE → OK header + 2 parameter definitions + EOF (no DEPRECATE_EOF here)
    const [prepared] = await client.command(bytes([0x16], "INSERT INTO q VALUES (?, ?)"), 4);
    assert.ok(prepared !== undefined);
    assert.equal(prepared[0], 0x00);
    const statementId = u16At(prepared, 1);
    assert.equal(u16At(prepared, 7), 2, "two parameters");
    // COM_STMT_SEND_LONG_DATA for parameter 1, twice; no reply.
    client.send(bytes([0x18], u32(statementId), [1, 0], "hello, "));
    client.send(bytes([0x18], u32(statementId), [1, 0], "world"));
    // COM_STMT_EXECUTE: flags 0, iterations 1, NULL bitmap 0, types bound: LONG, VAR_STRING.
    const [ok] = await client.command(
      bytes([0x17], u32(statementId), [0], u32(1), [0], [1], [0x03, 0, 0xfd, 0], u32(7)),
      1,
    );
    assert.ok(ok !== undefined);
    assert.equal(ok[0], 0x00, new TextDecoder().decode(ok));
    assert.deepEqual(await served.db.sql`SELECT * FROM q`, [{ id: 7, body: "hello, world" }]);
    // COM_STMT_RESET drops long data; COM_STMT_CLOSE has no reply; then the id is unknown.
    const [reset] = await client.command(bytes([0x1a], u32(statementId)), 1);
    assert.ok(reset !== undefined);
    assert.equal(reset[0], 0x00);
    client.send(bytes([0x19], u32(statementId)));
    const [unknown] = await client.command(bytes([0x1a], u32(statementId)), 1);
    assert.ok(unknown !== undefined);
    assert.equal(unknown[0], 0xff);
    assert.equal(u16At(unknown, 1), 1243);
  } finally {
    client.close();
    await served.close();
  }
});

test("COM_FIELD_LIST describes a table's columns; COM_SET_OPTION switches multi-statements", async () => {
  const served = await startServer({ password: "", authPlugin: "mysql_native_password" });
  const client = await rawClient(served.port);
  try {
    await served.db.sql`CREATE TABLE q (id INT NOT NULL, body TEXT) ENGINE=QUEUE`;
    const [id, body, eof] = await client.command(bytes([0x04], "q", [0]), 3);
    assert.ok(eof !== undefined);
    assert.ok(new TextDecoder().decode(id).includes("id"));
    assert.ok(new TextDecoder().decode(body).includes("body"));
    assert.equal(eof[0], 0xfe);
    const [missing] = await client.command(bytes([0x04], "nope", [0]), 1);
    assert.ok(missing !== undefined);
    assert.equal(u16At(missing, 1), 1146);
    const [on] = await client.command(bytes([0x1b], [0, 0]), 1);
    assert.ok(on !== undefined);
    assert.equal(on[0], 0xfe);
    // Two statements now give two results: each an OK packet (0x00) here.
    const [first, second] = await client.command(bytes([0x03], "DO 1; DO 2"), 2);
    assert.ok(first !== undefined);
    assert.ok(second !== undefined);
    assert.equal(first[0], 0x00);
    assert.equal(second[0], 0x00);
    assert.equal(at(first, -4) & 0x08, 0x08, "SERVER_MORE_RESULTS_EXISTS");
    const [reset] = await client.command(bytes([0x1f]), 1);
    assert.ok(reset !== undefined);
    assert.equal(reset[0], 0x00);
  } finally {
    client.close();
    await served.close();
  }
});

test("raw bytes in a quoted literal (client-side quoting) reach a BLOB unchanged", async () => {
  const served = await startServer({ password: "", authPlugin: "mysql_native_password" });
  const client = await rawClient(served.port);
  try {
    await served.db.sql`CREATE TABLE q (id INT NOT NULL, b BLOB, t TEXT) ENGINE=QUEUE`;
    // What PyMySQL sends for b"\x00\xff'": escapes for NUL and quote, 0xff as is.
    const [ok] = await client.command(
      bytes(
        [0x03],
        "INSERT INTO q VALUES (1, '\\0",
        [0xff],
        "\\'', 'é'), (2, _binary'",
        [0xfe],
        "', 'x')",
      ),
      1,
    );
    assert.ok(ok !== undefined);
    assert.equal(ok[0], 0x00, new TextDecoder().decode(ok));
    const rows = await served.db.sql`SELECT * FROM q`;
    assert.deepEqual(rows.map((r) => ({ ...r })), [
      { id: 1, b: new Uint8Array([0x00, 0xff, 0x27]), t: "é" },
      { id: 2, b: new Uint8Array([0xfe]), t: "x" },
    ]);
  } finally {
    client.close();
    await served.close();
  }
});

test("long data that is not UTF-8 reaches a BLOB byte for byte, as Connector/J sends it", async () => {
  const served = await startServer({ password: "", authPlugin: "mysql_native_password" });
  const client = await rawClient(served.port);
  try {
    await served.db.sql`CREATE TABLE q (id INT NOT NULL, b BLOB) ENGINE=QUEUE`;
    const [prepared] = await client.command(bytes([0x16], "INSERT INTO q VALUES (?, ?)"), 4);
    assert.ok(prepared !== undefined);
    const statementId = u16At(prepared, 1);
    // Connector/J's setBytes with useServerPrepStmts: long data, type VAR_STRING.
    client.send(bytes([0x18], u32(statementId), [1, 0], [0x00, 0xff, 0x27]));
    const [ok] = await client.command(
      bytes([0x17], u32(statementId), [0], u32(1), [0], [1], [0x03, 0, 0xfd, 0], u32(7)),
      1,
    );
    assert.ok(ok !== undefined);
    assert.equal(ok[0], 0x00, new TextDecoder().decode(ok));
    const rows = await served.db.sql`SELECT b FROM q` as { b: Uint8Array }[];
    assert.deepEqual([...at(rows, 0).b], [0x00, 0xff, 0x27]);
  } finally {
    client.close();
    await served.close();
  }
});
