// Tests for LIKE (src/sql/like.ts through src/sql/compile.ts): patterns that
// made the old regular-expression matcher backtrack exponentially finish, and
// the matcher agrees with a plain reference on random small inputs (seeded,
// Q4D_SEED replays).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compileExpr } from "../../src/sql/compile.ts";
import { parseStatement } from "../../src/sql/parser.ts";
import type { Expr, Value } from "../../src/sql/ast.ts";
import { likeMatches, likePattern } from "../../src/sql/like.ts";
import { prng, testSeed } from "../_random.ts";
import { at } from "../_at.ts";

const noColumns = { columnIndex: () => -1 };

/** The expression of `SELECT <text>`, which may hold `?`. */
function selected(text: string): Expr {
  const { statement } = parseStatement(`SELECT ${text}`);
  assert.ok(statement.kind === "select" && statement.items[0]?.kind === "expr");
  return statement.items[0]?.expr;
}

/** `? LIKE ?` evaluated through the compiler, as statements and queue_wait conditions do. */
function like(value: string, pattern: string): Value {
  return compileExpr(selected("? LIKE ?"), noColumns)([], [value, pattern]);
}

/**
 * The reference: the pattern as an anchored regular expression, one code
 * point per `_`; exponential on some patterns, so only for small inputs.
 */
function referenceMatches(text: string, pattern: string, escape: string | null): boolean {
  let source = "^";
  const characters = Array.from(pattern);
  for (let i = 0; i < characters.length; i++) {
    const character = characters[i];
    assert.ok(character !== undefined);
    if (character === escape && i + 1 < characters.length) {
      source += characters[++i]?.replace(/[\\^$.*+?()[\]{}|]/, "\\$&");
    } else if (character === "%") source += "[^]*";
    else if (character === "_") source += "[^]";
    else source += character.replace(/[\\^$.*+?()[\]{}|]/, "\\$&");
  }
  return new RegExp(source + "$", "u").test(text);
}

describe("LIKE", () => {
  test("a pattern that backtracks exponentially in a regular expression finishes (60 chars, 12 '%a')", () => {
    // The old matcher took minutes here (the failure signal is the test run's timeout).
    const text = "a".repeat(60);
    assert.equal(like(text, "%a".repeat(12) + "b"), 0);
    assert.equal(like(text, "%a".repeat(12) + "%"), 1);
    assert.equal(like(text + "b", "%a".repeat(12) + "b"), 1);
    assert.equal(like("a".repeat(2000), "%a".repeat(40) + "_b"), 0);
  });

  test("a pathological condition pattern finishes in a NOT LIKE too", () => {
    const text = "ab".repeat(40);
    assert.equal(like(text, "%ab".repeat(14) + "%c"), 0);
    const notLike = compileExpr(selected("? NOT LIKE ?"), noColumns);
    assert.equal(notLike([], [text, "%ab".repeat(14) + "%c"]), 1);
  });

  test("agrees with the reference on random small inputs", () => {
    const seed = testSeed();
    const random = prng(seed);
    const alphabet = ["a", "b", "%", "_", "\\", "|", "😀", "\ud800"];
    const word = (lengthMax: number) => {
      let out = "";
      const length = Math.floor(random() * (lengthMax + 1));
      for (let i = 0; i < length; i++) out += at(alphabet, Math.floor(random() * alphabet.length));
      return out;
    };
    const escapes = ["\\", "|", "%", "_", "😀", null];
    for (let i = 0; i < 20_000; i++) {
      const text = word(8);
      const pattern = word(6);
      const escape = at(escapes, Math.floor(random() * escapes.length));
      const expected = referenceMatches(text, pattern, escape);
      const actual = likeMatches(likePattern(pattern, escape), text);
      assert.equal(
        actual,
        expected,
        `seed ${seed}: ${JSON.stringify(text)} LIKE ${JSON.stringify(pattern)} ESCAPE ${
          JSON.stringify(escape)
        }`,
      );
    }
  });
});
