/**
 * LIKE matching in time linear in the text for each pattern step (O(text ×
 * pattern) at worst), never exponential: a regular expression with several
 * `.*` backtracks exponentially on a near miss (`'%a%a…%ab'` against a run
 * of `a`), blocking the event loop for minutes.
 *
 * pattern text + escape → likePattern → LikePattern → likeMatches(text)
 *
 * Rules (q4d's binary collation): `%` matches any run of code points, `_`
 * exactly one code point, anything else itself, case-sensitive. The escape
 * character makes the next character literal; an escape character that ends
 * the pattern is itself. With no escape character (`ESCAPE ''`) nothing
 * escapes.
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { Value } from "./ast.ts";
import { valueToText } from "./convert.ts";

/** A code point of a compiled pattern that matches any run (`%`). */
const anyRun = -1;
/** A code point of a compiled pattern that matches one code point (`_`). */
const anyOne = -2;

/** A compiled LIKE pattern: code points, with `anyRun` / `anyOne` for the wildcards. */
export type LikePattern = Int32Array;

/**
 * Compiles a LIKE pattern with its escape character (null: none).
 *
 * @example
 * ```ts
 * const pattern = likePattern("a\\%%", "\\");
 * console.log(likeMatches(pattern, "a%bc"), likeMatches(pattern, "abc")); // true false
 * ```
 */
export function likePattern(pattern: string, escape: string | null): LikePattern {
  const escapeCode = escape === null ? -3 : escape.codePointAt(0) as number;
  const codes: number[] = [];
  for (let i = 0; i < pattern.length;) {
    let code = pattern.codePointAt(i) as number;
    i += code > 0xffff ? 2 : 1;
    if (code === escapeCode && i < pattern.length) {
      code = pattern.codePointAt(i) as number;
      i += code > 0xffff ? 2 : 1;
      codes.push(code);
    } else if (code === 37) codes.push(anyRun);
    else if (code === 95) codes.push(anyOne);
    else codes.push(code);
  }
  return Int32Array.from(codes);
}

/**
 * Whether `text` matches the whole compiled pattern. Greedy, and on a
 * mismatch it retries only from the last `%` with one more code point
 * consumed by it: earlier `%`s need no retry, since any placement the later
 * one could reach from them it reaches from here too.
 *
 * @example
 * ```ts
 * console.log(likeMatches(likePattern("%a_", "\\"), "xay")); // true
 * ```
 */
export function likeMatches(pattern: LikePattern, text: string): boolean {
  const patternLength = pattern.length;
  const textLength = text.length;
  let p = 0;
  let t = 0;
  let runP = -1;
  let runT = 0;
  while (t < textLength) {
    if (p < patternLength) {
      const want = pattern[p];
      if (want === anyRun) {
        runP = p++;
        runT = t;
        continue;
      }
      const code = text.codePointAt(t) as number;
      if (want === anyOne || want === code) {
        p++;
        t += code > 0xffff ? 2 : 1;
        continue;
      }
    }
    if (runP < 0) return false;
    // Let the last `%` take one more code point and match the rest from there.
    runT += (text.codePointAt(runT) as number) > 0xffff ? 2 : 1;
    t = runT;
    p = runP + 1;
  }
  while (p < patternLength && pattern[p] === anyRun) p++;
  return p === patternLength;
}

/** The escape character ESCAPE's value names: NULL is the default `\`, '' none. */
export function escapeCharacter(value: Value): string | null {
  if (value === null) return "\\";
  const text = valueToText(value);
  const characters = Array.from(text);
  if (characters.length > 1) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "Incorrect arguments to ESCAPE");
  }
  return characters[0] ?? null;
}

/**
 * A LIKE test for one compiled expression. It keeps the last compiled
 * pattern and compiles again only when the pattern text or escape differs
 * from the previous row's (rows usually share one pattern): one
 * `LikePattern` per expression, never more.
 */
export function likeTester(): (text: string, patternText: string, escape: Value) => boolean {
  let cachedKey: string | null = null;
  let cachedEscape: string | null = null;
  let cachedPattern: LikePattern = likePattern("", null);
  return (text, patternText, escapeValue) => {
    const escape = escapeCharacter(escapeValue);
    if (patternText !== cachedKey || escape !== cachedEscape) {
      cachedPattern = likePattern(patternText, escape);
      cachedKey = patternText;
      cachedEscape = escape;
    }
    return likeMatches(cachedPattern, text);
  };
}
