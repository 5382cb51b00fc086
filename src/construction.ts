/**
 * A construction slot: how a public class gets internal state into its
 * constructor without naming an internal type in its signature (so that
 * `deno doc` of the public surface shows no engine or connection types).
 * A module-private factory puts the state in the slot for the duration of
 * one `new`; the constructor takes it out, and throws when called any
 * other way.
 *
 * @module
 */

import { QueueError } from "./errors.ts";

/** One slot per pair of classes; hold it in a module-private constant. */
export class ConstructionSlot<T> {
  #value: T | null = null;
  readonly #howMade: string;

  /** `howMade` completes the error of a direct call: "made by open() and db.session()". */
  constructor(howMade: string) {
    this.#howMade = howMade;
  }

  /** Runs `make` (one `new`) with `value` in the slot. */
  with<R>(value: T, make: () => R): R {
    this.#value = value;
    try {
      return make();
    } finally {
      this.#value = null;
    }
  }

  /** Takes the value out (in a constructor); ER_WRONG_ARGUMENTS when the slot is empty. */
  take(className: string): T {
    const value = this.#value;
    this.#value = null;
    if (value === null) {
      throw new QueueError("ER_WRONG_ARGUMENTS", `${className} objects are ${this.#howMade}`);
    }
    return value;
  }
}
