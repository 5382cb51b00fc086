/**
 * Seeded randomness for the randomised tests: one PRNG and one rule for the
 * seed (env Q4D_SEED when set, else random), so every failure can be
 * replayed with `Q4D_SEED=<seed> deno task test`.
 *
 * @module
 */

import process from "node:process";

/** A deterministic PRNG in [0, 1) (mulberry32: small, fast, good enough to drive tests). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a randomised test: env Q4D_SEED when set, else random. */
export function testSeed(): number {
  const fromEnv = process.env.Q4D_SEED;
  if (fromEnv !== undefined && fromEnv !== "") return Number(fromEnv) >>> 0;
  return Math.floor(Math.random() * 0xffffffff) >>> 0;
}
