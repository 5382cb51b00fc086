/**
 * Several log operations written as one: one batch, so all of them or none
 * are durable, also across a crash (a batch is applied only if every record
 * in it verifies). A transaction's COMMIT (engine) builds one through
 * `Store.atomically`; group commit never splits an operation.
 *
 * Store.atomically → AtomicOperation → group_commit.ts
 *
 * @module
 */

import type { LogOperation, RelayMarkWrite } from "./group_commit.ts";
import type { BatchEncoder } from "./record_codec.ts";
import type { Segment } from "./segments.ts";

/** Operations that commit, revert and settle together, in one batch. */
export class AtomicOperation implements LogOperation {
  readonly #parts: readonly LogOperation[];

  constructor(parts: readonly LogOperation[]) {
    this.#parts = parts;
  }

  /** The operations it is made of, in order (a checkpoint reads their relay marks). */
  parts(): readonly LogOperation[] {
    return this.#parts;
  }

  recordBytesMax(): number {
    let bytes = 0;
    for (const part of this.#parts) bytes += part.recordBytesMax();
    return bytes;
  }

  encode(encoder: BatchEncoder): void {
    for (const part of this.#parts) part.encode(encoder);
  }

  commit(segment: Segment, batchOffset: number): void {
    for (const part of this.#parts) part.commit(segment, batchOffset);
  }

  revert(): void {
    for (const part of this.#parts.toReversed()) part.revert();
  }

  relayMarks(): RelayMarkWrite[] {
    const marks: RelayMarkWrite[] = [];
    for (const part of this.#parts) {
      const mark = part.relayMark?.();
      if (mark != null) marks.push(mark);
    }
    return marks;
  }

  settle(error: unknown): void {
    for (const part of this.#parts) part.settle(error);
  }
}
