/**
 * Routing tokens (src/nats/routing.ts), without a cluster: every kind of
 * value maps to a valid NATS subject token (no `.`, `*`, `>`, whitespace,
 * never empty), distinct values to distinct tokens, and back to the value.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Decimal, Member, Temporal, type Value } from "../../src/sql/mod.ts";
import { consumerOf, suffixOf, tokenOf, tupleOf, valueOf } from "../../src/nats/routing.ts";

const values: Value[] = [
  null,
  "",
  "NULL",
  "_",
  "a.b",
  "x y\t",
  "*",
  ">",
  "ünï 😀",
  "A",
  "a",
  0,
  -0.5,
  1e300,
  42,
  "42",
  12345678901234567890n,
  -1n,
  new Uint8Array([]),
  new Uint8Array([0, 255, 46]),
  true,
  false,
  new Decimal(150n, 2),
  new Decimal(15n, 1),
  new Member("it's", 2),
  new Member("a,c", 5),
  new Temporal("datetime", 1_700_000_000, 123, 6),
  new Temporal("time", -3723, 0, 0),
];

describe("routing tokens", () => {
  it("are valid subject tokens, distinct, and decode to the value", () => {
    const tokens = values.map(tokenOf);
    for (const [i, token] of tokens.entries()) {
      assert.match(token, /^[A-Za-z0-9_-]+$/, `token of ${String(values[i])}`);
      assert.deepEqual(valueOf(token), values[i]);
    }
    assert.equal(new Set(tokens).size, tokens.length);
  });

  it("a tuple is a dotted suffix; too long is ER_DATA_TOO_LONG; bad tokens ER_CORRUPT", async () => {
    const tuple: Value[] = ["eu", null, 7];
    assert.deepEqual(tupleOf(suffixOf(tuple)), tuple);
    assert.throws(() => suffixOf(["x".repeat(400)]), { code: "ER_DATA_TOO_LONG" });
    assert.throws(() => valueOf("?abc"), { code: "ER_CORRUPT" });
    assert.throws(() => valueOf("d" + btoa("x")), { code: "ER_CORRUPT" });
    const name = await consumerOf("ns.t1.k.sZXU");
    assert.match(name, /^k[0-9a-f]{40}$/);
    assert.equal(await consumerOf("ns.t1.k.sZXU"), name);
    assert.notEqual(await consumerOf("ns.t1.k.sZXV"), name);
  });
});
