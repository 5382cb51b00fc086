/**
 * In-process wake-ups for peers whose consumers would otherwise poll: a
 * consumer that found nothing waits here until a producer signals new work
 * or its timeout passes. Giving pollers an in-process signal is generous to
 * the peers (a separate-process consumer would have to poll).
 *
 * @module
 */

interface Waiter {
  resolve: (woken: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Consumers waiting for new work, woken first in, first out. */
export class Wakeups {
  readonly #waiters: Waiter[] = [];

  /** Resolves true when woken, false when `timeoutMs` passed first. */
  wait(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          resolve(false);
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Wakes up to `count` waiters, oldest first. */
  wake(count: number = 1): void {
    for (let woken = 0; woken < count && this.#waiters.length > 0; woken++) {
      const waiter = this.#waiters.shift()!;
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
  }

  /** Wakes every waiter (used on close). */
  wakeAll(): void {
    this.wake(this.#waiters.length);
  }
}
