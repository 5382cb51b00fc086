/**
 * PacketWriter (src/server/packet.ts): a response's packets framed in place
 * are the bytes framePayloads makes of the same payloads, sequence ids and
 * 16 MiB continuations included, and the writer starts clean after `take`
 * or after a response left unfinished.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  framePayloads,
  PacketFramer,
  packetPayloadBytesMax,
  PacketWriter,
} from "../../src/server/packet.ts";

function payloadOf(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

test("packets framed in place equal framePayloads' bytes and next sequence id", () => {
  const writer = new PacketWriter();
  for (const lengths of [[0], [1, 2, 3], [250, 0, 70_000, 5], [300, 300, 300, 300, 300]]) {
    for (const sequenceId of [0, 1, 254, 255]) {
      const payloads = lengths.map((length, i) => payloadOf(length, i));
      writer.begin(sequenceId);
      for (const payload of payloads) writer.payload(payload);
      const mine = writer.take();
      const theirs = framePayloads(payloads, sequenceId);
      assert.deepEqual(mine.bytes, theirs.bytes);
      assert.equal(mine.sequenceIdNext, theirs.sequenceIdNext);
    }
  }
});

test("a payload written piece by piece is one packet; a 16 MiB one is split", () => {
  const writer = new PacketWriter();
  writer.begin(3);
  writer.packet().u8(0).lenencInt(1).lenencInt(0).u16(2).u16(0);
  writer.packet().string("héllo");
  const small = writer.take();
  assert.deepEqual(
    small.bytes,
    framePayloads(
      [new Uint8Array([0, 1, 0, 2, 0, 0, 0]), new TextEncoder().encode("héllo")],
      3,
    ).bytes,
  );
  assert.equal(small.sequenceIdNext, 5);

  const large = payloadOf(packetPayloadBytesMax + 10, 7);
  const exact = payloadOf(packetPayloadBytesMax, 9);
  writer.begin(0);
  writer.payload(new Uint8Array([1, 2]));
  writer.payload(large);
  writer.payload(exact);
  writer.payload(new Uint8Array([3]));
  const taken = writer.take();
  const expected = framePayloads([new Uint8Array([1, 2]), large, exact, new Uint8Array([3])], 0);
  assert.equal(taken.sequenceIdNext, expected.sequenceIdNext);
  assert.ok(taken.bytes.length === expected.bytes.length, "same length");
  assert.ok(Buffer.compare(taken.bytes, expected.bytes) === 0, "same bytes");
  // And the framer reads back the four payloads.
  const framer = new PacketFramer(64 * 1024 * 1024);
  const packets = framer.push(taken.bytes);
  assert.ok(packets !== "too_large");
  assert.deepEqual(packets.map((p) => p.payload.length), [2, large.length, exact.length, 1]);
  assert.ok(writer.oversized, "a 32 MiB response leaves the writer over what it keeps");
});

test("begin drops a response left unfinished; take leaves the writer empty", () => {
  const writer = new PacketWriter();
  writer.begin(0);
  writer.packet().string("never sent");
  writer.begin(1);
  writer.payload(new Uint8Array([9]));
  assert.deepEqual(writer.take().bytes, new Uint8Array([1, 0, 0, 1, 9]));
  writer.begin(0);
  assert.deepEqual(writer.take().bytes, new Uint8Array(0));
});
