/**
 * Indexing that fails the test instead of yielding `undefined`: with
 * `noUncheckedIndexedAccess`, a test says which elements it expects to exist.
 */

import assert from "node:assert/strict";

/** `items.at(index)` (negative counts from the end); a missing element fails the test. */
export function at<T>(
  items: { at(index: number): T | undefined; readonly length: number },
  index: number,
): T {
  const item = items.at(index);
  assert.ok(item !== undefined, `no element ${index} among ${items.length}`);
  return item;
}

/** The little-endian u16 at `offset` of a packet (errno, statement id, counts). */
export function u16At(bytes: Uint8Array, offset: number): number {
  return at(bytes, offset) | (at(bytes, offset + 1) << 8);
}
