/**
 * The packet layer on its own: framing, 16 MiB split and join, the
 * max_allowed_packet check on the header, and payload writers that grow.
 * Plus the errno table covering every QueueError code.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  framePackets,
  type Packet,
  PacketFramer,
  packetPayloadBytesMax,
  PayloadReader,
  PayloadWriter,
  ProtocolError,
} from "../../src/server/packet.ts";
import { errorCodeToMysql } from "../../src/server/errno.ts";

test("a payload of 16 MiB or more is split into wire packets and joined back", () => {
  const payload = new Uint8Array(packetPayloadBytesMax + 10).map((_, i) => i & 0xff);
  const { bytes, sequenceIdNext } = framePackets(payload, 3);
  assert.equal(sequenceIdNext, 5);
  assert.equal(bytes.length, payload.length + 8);
  const framer = new PacketFramer(64 * 1024 * 1024);
  // Delivered in uneven chunks, as a socket would.
  const packets: Packet[] = [];
  for (let at = 0; at < bytes.length; at += 1_000_003) {
    const got = framer.push(bytes.subarray(at, at + 1_000_003));
    assert.notEqual(got, "too_large");
    packets.push(...(got as Packet[]));
  }
  assert.equal(packets.length, 1);
  assert.deepEqual(packets[0]?.payload, payload);
});

test("a payload of exactly 16 MiB - 1 ends with an empty packet", () => {
  const payload = new Uint8Array(packetPayloadBytesMax);
  const { bytes, sequenceIdNext } = framePackets(payload, 0);
  assert.equal(sequenceIdNext, 2);
  assert.deepEqual([...bytes.subarray(bytes.length - 4)], [0, 0, 0, 1]);
  const framer = new PacketFramer(32 * 1024 * 1024);
  const packets = framer.push(bytes);
  assert.notEqual(packets, "too_large");
  assert.equal((packets as { payload: Uint8Array }[])[0]?.payload.length, packetPayloadBytesMax);
});

test("a header claiming more than max_allowed_packet is refused before its bytes arrive", () => {
  const framer = new PacketFramer(1000);
  assert.equal(framer.push(new Uint8Array([0xe9, 0x03, 0x00, 0x00])), "too_large");
  assert.deepEqual(new PacketFramer(1000).push(new Uint8Array([0xe8, 0x03, 0x00, 0x00])), []);
});

test("a payload writer grows past its first buffer without losing bytes", () => {
  const writer = new PayloadWriter(4);
  const long = new Uint8Array(300).fill(7);
  writer.u8(1).u16(0x0302).lenencBytes(long).u32(0x07060504).f64(1.5).lenencString("é");
  const reader = new PayloadReader(writer.finish());
  assert.equal(reader.u8(), 1);
  assert.equal(reader.u16(), 0x0302);
  assert.deepEqual(reader.lenencBytes(), long);
  assert.equal(reader.u32(), 0x07060504);
  assert.equal(reader.f64(), 1.5);
  assert.equal(reader.lenencString(), "é");
  assert.equal(reader.remaining, 0);
});

test("reading past a payload's end is a ProtocolError", () => {
  const reader = new PayloadReader(new Uint8Array([0xfc, 0x10]));
  assert.throws(() => reader.lenencInt(), ProtocolError);
  assert.throws(() => new PayloadReader(new Uint8Array([1, 2])).nulString(), ProtocolError);
});

test("every QueueError code has a MySQL errno and a five-character SQLSTATE", () => {
  for (const [code, { errno, sqlState }] of Object.entries(errorCodeToMysql)) {
    assert.ok(errno >= 1000 && errno < 4000, `${code}: ${errno}`);
    assert.match(sqlState, /^[0-9A-Z]{5}$/, code);
  }
  assert.deepEqual(errorCodeToMysql.ER_QUERY_INTERRUPTED, { errno: 1317, sqlState: "70100" });
});

test("the README's errno table lists exactly the server's mapping", async () => {
  const { existsSync, readFileSync } = await import("node:fs");
  // Under Node the tests run in a scratch project where the README ships inside the package.
  const candidates = [
    new URL("../../README.md", import.meta.url),
    new URL("../../node_modules/@q4d/q4d/README.md", import.meta.url),
  ];
  const readme = readFileSync(candidates.find((url) => existsSync(url))!, "utf8");
  const listed: Record<string, { errno: number; sqlState: string }> = {};
  for (
    const match of readme.matchAll(/\|\s*(ER_[A-Z_]+)\s*\|\s*(\d+)\s*\|\s*([0-9A-Z]{5})\s*\|/g)
  ) {
    const [, code = "", errno, sqlState = ""] = match;
    listed[code] = { errno: Number(errno), sqlState };
  }
  assert.deepEqual(listed, { ...errorCodeToMysql });
});
