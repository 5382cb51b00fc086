/**
 * CRC32C (Castagnoli), table-driven slicing-by-8: the checksum of every log
 * batch header, log record and the catalog. Pure computation, no I/O.
 *
 * @module
 */

import { assert, AssertionError, defined } from "../errors.ts";

const polynomialReversed = 0x82f63b78;

/** Eight 256-entry tables in one array: table k at offset 256·k. */
const tables: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const table = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ polynomialReversed : crc >>> 1;
    }
    table[n] = crc;
  }
  for (let n = 0; n < 256; n++) {
    let crc = defined(table[n], "n < 256 is inside the table");
    for (let k = 1; k < 8; k++) {
      crc = defined(table[crc & 0xff], "a masked byte is inside the table") ^ (crc >>> 8);
      table[k * 256 + n] = crc;
    }
  }
  return table;
}

/**
 * The CRC32C of `bytes[start, end)`, continuing from `previous` (the CRC of
 * the bytes before; 0 to start fresh).
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode("123456789")); // 0xe3069283
 * ```
 */
export function crc32c(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
  previous = 0,
): number {
  assert(0 <= start && start <= end && end <= bytes.length, "crc32c range inside the bytes");
  let crc = ~previous;
  let i = start;
  // Align nothing: byte loads are as fast as a DataView here and need no alignment.
  const end8 = end - 7;
  while (i < end8) {
    const low = crc ^
      (byteAt(bytes, i) | (byteAt(bytes, i + 1) << 8) | (byteAt(bytes, i + 2) << 16) |
        (byteAt(bytes, i + 3) << 24));
    crc = entry(1792 + (low & 0xff)) ^ entry(1536 + ((low >>> 8) & 0xff)) ^
      entry(1280 + ((low >>> 16) & 0xff)) ^ entry(1024 + (low >>> 24)) ^
      entry(768 + byteAt(bytes, i + 4)) ^ entry(512 + byteAt(bytes, i + 5)) ^
      entry(256 + byteAt(bytes, i + 6)) ^ entry(byteAt(bytes, i + 7));
    i += 8;
  }
  while (i < end) {
    crc = entry((crc ^ byteAt(bytes, i)) & 0xff) ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}

// The two lookups of the loop, small enough for V8 to inline: the range
// assertion above keeps `i` inside `bytes`, and every table index is a byte
// plus 256·k for k < 8, so neither fallback runs unless this file has a bug.
function byteAt(bytes: Uint8Array, i: number): number {
  return bytes[i] ?? lookupFailed("crc32c reads inside its range");
}

function entry(index: number): number {
  return tables[index] ?? lookupFailed("crc32c table index below 2048");
}

function lookupFailed(message: string): never {
  throw new AssertionError(message);
}
