/**
 * The exactly-once check: records every delivery a run's consumers receive
 * and reports, per run, duplicates, losses, foreign ids and wrong bodies.
 * The driver feeds it; the report goes into every workload's result.
 *
 * @module
 */

import { isBodyOf } from "./messages.ts";

/** What a run delivered compared to what it produced. */
export interface DeliveryCheck {
  /** Messages produced (ids 1..expectedCount). */
  expectedCount: number;
  /** Distinct ids received. */
  deliveredCount: number;
  /** Deliveries of an id already received (each extra delivery counts once). */
  duplicateCount: number;
  /** Produced ids never received. */
  lostCount: number;
  /** Deliveries whose id was never produced. */
  foreignCount: number;
  /** Deliveries whose body differs from the one produced. */
  badBodyCount: number;
  /** Up to a few lost ids, for a bug report. */
  lostIdsSample: number[];
  /** Up to a few duplicated ids, for a bug report. */
  duplicateIdsSample: number[];
  /** True when every id arrived exactly once with its body. */
  exactlyOnce: boolean;
}

/** Ids listed in a check's samples, so a report stays short. */
const sampleIdCountMax = 10;

/** Counts deliveries per id for ids 1..expectedCount. */
export class DeliveryLog {
  readonly #expectedCount: number;
  readonly #bodyBytes: number;
  // Uint32 so that even a pathological redelivery storm cannot wrap a count.
  readonly #countById: Uint32Array;
  #distinctCount = 0;
  #duplicateCount = 0;
  #foreignCount = 0;
  #badBodyCount = 0;
  readonly #duplicateIdsSample: number[] = [];

  /**
   * @param expectedCount ids 1..expectedCount are expected exactly once
   * @param bodyBytes length of every body, to check each one received
   */
  constructor(expectedCount: number, bodyBytes: number) {
    this.#expectedCount = expectedCount;
    this.#bodyBytes = bodyBytes;
    this.#countById = new Uint32Array(expectedCount + 1);
  }

  /** Distinct produced ids received so far. */
  get distinctCount(): number {
    return this.#distinctCount;
  }

  /** True once every produced id has been received at least once. */
  get complete(): boolean {
    return this.#distinctCount === this.#expectedCount;
  }

  /**
   * Records one delivery. Returns true when it was the first delivery of a
   * produced id (the one that counts for latency).
   */
  record(id: number, body: string): boolean {
    if (!Number.isInteger(id) || id < 1 || id > this.#expectedCount) {
      this.#foreignCount++;
      return false;
    }
    if (!isBodyOf(id, body, this.#bodyBytes)) this.#badBodyCount++;
    const previousCount = this.#countById[id] ?? 0;
    this.#countById[id] = previousCount + 1;
    if (previousCount === 0) {
      this.#distinctCount++;
      return true;
    }
    this.#duplicateCount++;
    if (this.#duplicateIdsSample.length < sampleIdCountMax) this.#duplicateIdsSample.push(id);
    return false;
  }

  /** The check as it stands. */
  check(): DeliveryCheck {
    const lostIdsSample: number[] = [];
    for (let id = 1; id <= this.#expectedCount && lostIdsSample.length < sampleIdCountMax; id++) {
      if (this.#countById[id] === 0) lostIdsSample.push(id);
    }
    const lostCount = this.#expectedCount - this.#distinctCount;
    return {
      expectedCount: this.#expectedCount,
      deliveredCount: this.#distinctCount,
      duplicateCount: this.#duplicateCount,
      lostCount,
      foreignCount: this.#foreignCount,
      badBodyCount: this.#badBodyCount,
      lostIdsSample,
      duplicateIdsSample: [...this.#duplicateIdsSample],
      exactlyOnce: lostCount === 0 && this.#duplicateCount === 0 && this.#foreignCount === 0 &&
        this.#badBodyCount === 0,
    };
  }
}
