/**
 * Tests that cannot run on this machine say so: `skipUnless(reason)` gives
 * the options of a test skipped with that reason. `node --test` prints the
 * reason beside the test (`# SKIP …`); `deno test` shows it as "ignored"
 * without the reason, so the reason is also logged once here. Inside a
 * running test, `t.skip()` is not enough: `deno test` reports it as "ok".
 *
 * @module
 */

/** Test options: skipped with `reason` when it is a string, run when null. */
export function skipUnless(reason: string | null): { skip: string | false } {
  if (reason === null) return { skip: false };
  console.log(`skip: ${reason}`);
  return { skip: reason };
}
