/**
 * The MySQL packet layer: framing (3-byte length + sequence id, payloads of
 * 16 MiB and more split and joined), and the readers and writers of the
 * protocol's integers and strings. Knows nothing of SQL.
 *
 * socket bytes → PacketFramer → payloads → PayloadReader
 * PayloadWriter → payload → framePackets → socket bytes
 *
 * @module
 */

import { assert, defined } from "../errors.ts";

/** Largest payload of one wire packet; a longer payload continues in the next. */
export const packetPayloadBytesMax = 0xffffff;

/** A malformed packet: the connection that sent it is closed. */
export class ProtocolError extends Error {
  /** Makes a protocol error with a one-sentence message. */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** A logical packet: its joined payload and the sequence id of its last wire packet. */
export interface Packet {
  payload: Uint8Array;
  sequenceId: number;
}

/**
 * Splits a byte stream into logical packets, joining 16 MiB continuations.
 * A payload longer than `payloadBytesMax` is reported as soon as its header
 * says so, before its bytes arrive (a lying length never makes us buffer).
 */
export class PacketFramer {
  /** Received bytes not yet framed, kept as chunks so a large packet is copied once. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Bytes needed before framing can make progress. */
  #neededBytes = 4;
  #parts: Uint8Array[] = [];
  #partsBytes = 0;
  payloadBytesMax: number;
  /** The sequence id of the last packet header read. */
  sequenceIdLast = 0;

  /** A framer refusing payloads longer than `payloadBytesMax`. */
  constructor(payloadBytesMax: number) {
    this.payloadBytesMax = payloadBytesMax;
  }

  /**
   * Adds received bytes; returns the complete packets, or "too_large" when
   * the next payload exceeds the limit.
   */
  push(chunk: Uint8Array): Packet[] | "too_large" {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes < this.#neededBytes) return [];
    const buffer = this.#pending.length === 1 ? chunk : concat(this.#pending);
    const packets: Packet[] = [];
    let at = 0;
    this.#neededBytes = 4;
    while (buffer.length - at >= 4) {
      // The loop condition leaves 4 header bytes at `at`: 3 length, 1 sequence id.
      const header = defined(buffer[at], "header byte 0") |
        (defined(buffer[at + 1], "header byte 1") << 8) |
        (defined(buffer[at + 2], "header byte 2") << 16);
      const length = header;
      const sequenceId = defined(buffer[at + 3], "header byte 3");
      this.sequenceIdLast = sequenceId;
      if (this.#partsBytes + length > this.payloadBytesMax) return "too_large";
      if (buffer.length - at - 4 < length) {
        this.#neededBytes = 4 + length;
        break;
      }
      const part = buffer.subarray(at + 4, at + 4 + length);
      at += 4 + length;
      if (length === packetPayloadBytesMax) {
        this.#parts.push(part.slice());
        this.#partsBytes += length;
        continue;
      }
      let payload: Uint8Array = part.slice();
      if (this.#parts.length > 0) {
        this.#parts.push(part);
        payload = concat(this.#parts);
        this.#parts = [];
        this.#partsBytes = 0;
      }
      packets.push({ payload, sequenceId });
    }
    const rest = buffer.subarray(at);
    this.#pending = rest.length === 0 ? [] : [rest.slice()];
    this.#pendingBytes = rest.length;
    return packets;
  }

  /** Takes the bytes received past the last packet (before a switch to TLS). */
  takeRest(): Uint8Array {
    const rest = concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#neededBytes = 4;
    return rest;
  }
}

/** Frames one payload as wire packets starting at `sequenceId`; returns the bytes and next id. */
export function framePackets(
  payload: Uint8Array,
  sequenceId: number,
): { bytes: Uint8Array; sequenceIdNext: number } {
  const pieces: Uint8Array[] = [];
  let at = 0;
  let sequence = sequenceId;
  for (;;) {
    const length = Math.min(packetPayloadBytesMax, payload.length - at);
    const header = new Uint8Array([
      length & 0xff,
      (length >> 8) & 0xff,
      (length >> 16) & 0xff,
      sequence & 0xff,
    ]);
    pieces.push(header, payload.subarray(at, at + length));
    at += length;
    sequence = (sequence + 1) & 0xff;
    // A payload of exactly n × 16 MiB - 1 ends with an empty packet.
    if (length < packetPayloadBytesMax) break;
  }
  return { bytes: concat(pieces), sequenceIdNext: sequence };
}

/**
 * Frames several payloads, back to back, into one buffer starting at
 * `sequenceId` (one socket write per response); returns the bytes and the
 * next id. Payloads under 16 MiB take one header each with a single copy.
 */
export function framePayloads(
  payloads: readonly Uint8Array[],
  sequenceId: number,
): { bytes: Uint8Array; sequenceIdNext: number } {
  let total = 0;
  for (const payload of payloads) {
    if (payload.length >= packetPayloadBytesMax) {
      const pieces: Uint8Array[] = [];
      let sequence = sequenceId;
      for (const each of payloads) {
        const framed = framePackets(each, sequence);
        pieces.push(framed.bytes);
        sequence = framed.sequenceIdNext;
      }
      return { bytes: concat(pieces), sequenceIdNext: sequence };
    }
    total += payload.length + 4;
  }
  const out = new Uint8Array(total);
  let at = 0;
  let sequence = sequenceId;
  for (const payload of payloads) {
    const length = payload.length;
    out[at] = length & 0xff;
    out[at + 1] = (length >> 8) & 0xff;
    out[at + 2] = (length >> 16) & 0xff;
    out[at + 3] = sequence;
    out.set(payload, at + 4);
    at += length + 4;
    sequence = (sequence + 1) & 0xff;
  }
  return { bytes: out, sequenceIdNext: sequence };
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Reads a payload front to back; reading past its end is a ProtocolError. */
export class PayloadReader {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  offset: number;

  /** A reader over `bytes`, from `offset`. */
  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  #need(count: number): number {
    if (count < 0 || this.offset + count > this.bytes.length) {
      throw new ProtocolError("Malformed packet: read past its end");
    }
    const at = this.offset;
    this.offset += count;
    return at;
  }

  u8(): number {
    return this.#view.getUint8(this.#need(1));
  }

  u16(): number {
    return this.#view.getUint16(this.#need(2), true);
  }

  u24(): number {
    const at = this.#need(3);
    return this.#view.getUint16(at, true) | (this.#view.getUint8(at + 2) << 16);
  }

  u32(): number {
    return this.#view.getUint32(this.#need(4), true);
  }

  i8(): number {
    return this.#view.getInt8(this.#need(1));
  }

  i16(): number {
    return this.#view.getInt16(this.#need(2), true);
  }

  i32(): number {
    return this.#view.getInt32(this.#need(4), true);
  }

  u64(): bigint {
    return this.#view.getBigUint64(this.#need(8), true);
  }

  i64(): bigint {
    return this.#view.getBigInt64(this.#need(8), true);
  }

  f32(): number {
    return this.#view.getFloat32(this.#need(4), true);
  }

  f64(): number {
    return this.#view.getFloat64(this.#need(8), true);
  }

  bytesOf(count: number): Uint8Array {
    const at = this.#need(count);
    return this.bytes.subarray(at, at + count);
  }

  rest(): Uint8Array {
    return this.bytesOf(this.remaining);
  }

  /** A length-encoded integer (null for the NULL marker 0xfb). */
  lenencInt(): number | null {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) return this.u24();
    if (first === 0xfe) {
      const value = this.u64();
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new ProtocolError("Malformed packet: length-encoded integer out of range");
      }
      return Number(value);
    }
    throw new ProtocolError("Malformed packet: bad length-encoded integer");
  }

  lenencBytes(): Uint8Array {
    const length = this.lenencInt();
    if (length === null) throw new ProtocolError("Malformed packet: unexpected NULL");
    return this.bytesOf(length);
  }

  lenencString(): string {
    return utf8Decoder.decode(this.lenencBytes());
  }

  /** Bytes up to a NUL (consumed); to the end when there is none and `toEndOk`. */
  nulBytes(toEndOk = false): Uint8Array {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) {
      if (!toEndOk) throw new ProtocolError("Malformed packet: missing NUL terminator");
      return this.rest();
    }
    const out = this.bytes.subarray(this.offset, end);
    this.offset = end + 1;
    return out;
  }

  nulString(toEndOk = false): string {
    return utf8Decoder.decode(this.nulBytes(toEndOk));
  }
}

/** Builds a payload. */
export class PayloadWriter {
  #bytes: Uint8Array;
  #view: DataView;
  length = 0;

  /** A writer with room for `capacity` bytes to start with. */
  constructor(capacity = 256) {
    this.#bytes = new Uint8Array(capacity);
    this.#view = new DataView(this.#bytes.buffer);
  }

  #room(count: number): number {
    if (this.length + count > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.length + count));
      grown.set(this.#bytes.subarray(0, this.length));
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += count;
    return at;
  }

  u8(value: number): this {
    const at = this.#room(1);
    this.#bytes[at] = value;
    return this;
  }

  u16(value: number): this {
    const at = this.#room(2);
    this.#view.setUint16(at, value, true);
    return this;
  }

  u24(value: number): this {
    const at = this.#room(3);
    this.#bytes[at] = value & 0xff;
    this.#bytes[at + 1] = (value >> 8) & 0xff;
    this.#bytes[at + 2] = (value >> 16) & 0xff;
    return this;
  }

  u32(value: number): this {
    const at = this.#room(4);
    this.#view.setUint32(at, value >>> 0, true);
    return this;
  }

  i64(value: bigint): this {
    const at = this.#room(8);
    this.#view.setBigInt64(at, BigInt.asIntN(64, value), true);
    return this;
  }

  u64(value: bigint): this {
    const at = this.#room(8);
    this.#view.setBigUint64(at, BigInt.asUintN(64, value), true);
    return this;
  }

  f32(value: number): this {
    const at = this.#room(4);
    this.#view.setFloat32(at, value, true);
    return this;
  }

  f64(value: number): this {
    const at = this.#room(8);
    this.#view.setFloat64(at, value, true);
    return this;
  }

  zeros(count: number): this {
    this.#room(count);
    this.#bytes.fill(0, this.length - count, this.length);
    return this;
  }

  bytes(value: Uint8Array): this {
    const at = this.#room(value.length);
    this.#bytes.set(value, at);
    return this;
  }

  string(value: string): this {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: encode in place, no copy.
    const at = this.#room(value.length * 3);
    const { written } = utf8Encoder.encodeInto(value, this.#bytes.subarray(at));
    this.length = at + written;
    return this;
  }

  nulString(value: string): this {
    return this.string(value).u8(0);
  }

  lenencInt(value: number | bigint): this {
    if (typeof value === "number" && (value >>> 0) === value && value < 0x1000000) {
      if (value < 0xfb) return this.u8(value);
      if (value < 0x10000) return this.u8(0xfc).u16(value);
      return this.u8(0xfd).u24(value);
    }
    const n = typeof value === "bigint" ? value : BigInt(value);
    if (n < 0xfbn) return this.u8(Number(n));
    if (n < 0x10000n) return this.u8(0xfc).u16(Number(n));
    if (n < 0x1000000n) return this.u8(0xfd).u24(Number(n));
    return this.u8(0xfe).u64(n);
  }

  lenencBytes(value: Uint8Array): this {
    return this.lenencInt(value.length).bytes(value);
  }

  lenencString(value: string): this {
    // Short ASCII-or-not strings: encode in place after a 1-byte length when it fits.
    if (value.length < 0x54) {
      const lengthAt = this.#room(1);
      const at = this.#room(value.length * 3);
      const { written } = utf8Encoder.encodeInto(value, this.#bytes.subarray(at));
      this.#bytes[lengthAt] = written;
      this.length = at + written;
      return this;
    }
    return this.lenencBytes(utf8Encoder.encode(value));
  }

  /** Overwrites the byte at `at` (below `length`): headers filled in after their payload. */
  setU8At(at: number, value: number): void {
    assert(at >= 0 && at < this.length, "a byte already written");
    this.#bytes[at] = value;
  }

  /** Fills in the 4-byte wire packet header written (as zeros) at `at`. */
  setHeaderAt(at: number, length: number, sequenceId: number): void {
    if (at < 0 || at + 4 > this.length) throw new RangeError("a header already written");
    const bytes = this.#bytes;
    bytes[at] = length & 0xff;
    bytes[at + 1] = (length >> 8) & 0xff;
    bytes[at + 2] = (length >> 16) & 0xff;
    bytes[at + 3] = sequenceId;
  }

  /** The payload written so far. */
  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }

  /** How many bytes the writer holds room for. */
  get capacity(): number {
    return this.#bytes.length;
  }
}

/**
 * Builds one response (or request) of several wire packets in one buffer,
 * each packet's header written in place once its payload is done: no
 * buffer per payload and no copy to frame them. `take` copies the bytes
 * out (a socket may keep what it is given) and makes the writer ready for
 * the next response, so one writer serves every connection of a thread.
 *
 * @example
 * ```ts
 * const out = new PacketWriter();
 * out.begin(1);
 * out.packet().u8(0x00).u8(0).u8(0).u16(2).u16(0);
 * const { bytes, sequenceIdNext } = out.take();
 * console.log(bytes.length, sequenceIdNext); // 11 2
 * ```
 */
export class PacketWriter extends PayloadWriter {
  /** Where the open packet's header starts; -1 when none is open. */
  #packetAt = -1;
  #sequenceId = 0;
  /** Capacity kept between responses; a larger buffer is let go after `take`. */
  static readonly keptBytesMax = 256 * 1024;

  /** Starts a response whose first packet has `sequenceId`; drops anything left unfinished. */
  begin(sequenceId: number): this {
    this.length = 0;
    this.#packetAt = -1;
    this.#sequenceId = sequenceId & 0xff;
    return this;
  }

  /** Ends the open packet, if any, and opens the next: write its payload after this. */
  packet(): this {
    this.#close();
    this.#packetAt = this.length;
    this.zeros(4);
    return this;
  }

  /** A whole payload as the next packet. */
  payload(payload: Uint8Array): this {
    return this.packet().bytes(payload);
  }

  /** Ends the response: its bytes (a copy) and the sequence id after its last packet. */
  take(): { bytes: Uint8Array; sequenceIdNext: number } {
    this.#close();
    const bytes = this.finish().slice();
    this.length = 0;
    return { bytes, sequenceIdNext: this.#sequenceId };
  }

  /** True when a response grew this writer past what it keeps (the caller makes a new one). */
  get oversized(): boolean {
    return this.capacity > PacketWriter.keptBytesMax;
  }

  #close(): void {
    const at = this.#packetAt;
    if (at < 0) return;
    this.#packetAt = -1;
    const length = this.length - at - 4;
    if (length >= packetPayloadBytesMax) {
      // 16 MiB and more: split into continuation packets (rare; copied).
      const payload = this.finish().slice(at + 4);
      this.length = at;
      const framed = framePackets(payload, this.#sequenceId);
      this.bytes(framed.bytes);
      this.#sequenceId = framed.sequenceIdNext;
      return;
    }
    this.setHeaderAt(at, length, this.#sequenceId);
    this.#sequenceId = (this.#sequenceId + 1) & 0xff;
  }
}
