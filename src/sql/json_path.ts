/**
 * JSON path expressions (MySQL's syntax) and their evaluation over a parsed
 * document (json.ts), for JSON_EXTRACT, `->`, `->>`, JSON_LENGTH and
 * JSON_CONTAINS_PATH.
 *
 * Supported (MySQL 8's syntax): `$` (the document), `.key` (an ECMAScript
 * identifier: letters, digits, `_`, `$`, non-ASCII), `."any key"` (JSON
 * string escapes), `[n]`, `[last]`, `[last-n]`, ranges `[m to n]` (each end
 * a number or `last[-n]`; a range beyond the array is cut to it, an empty
 * one matches nothing), and the wildcards `.*`, `[*]` and `**` (any depth;
 * not last). An array step on a non-array treats it as an array of one
 * (`$[0]` and `$[last]` of `7` are `7`), as MySQL. Spaces between tokens
 * are allowed. Anything else is ER_INVALID_JSON_PATH with the character
 * position, as MySQL's error 3143.
 *
 * path text → parseJsonPath → legs → evaluateJsonPath(document) → matches
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import type { JsonValue } from "./json.ts";

/** One step of a path. */
export type PathLeg =
  | { kind: "member"; name: string }
  | { kind: "index"; at: ArrayPosition }
  | { kind: "range"; from: ArrayPosition; to: ArrayPosition }
  | { kind: "any_member" }
  | { kind: "any_index" }
  | { kind: "any_depth" };

/** An array position: `index`, or `last - index` when `fromEnd`. */
export interface ArrayPosition {
  index: number;
  fromEnd: boolean;
}

/** A parsed path; `wildcard` when it may match more than one value (wildcards, ranges). */
export interface JsonPath {
  legs: PathLeg[];
  wildcard: boolean;
}

function invalidPath(text: string, at: number): QueueError {
  return new QueueError(
    "ER_INVALID_JSON_PATH",
    `Invalid JSON path expression '${text}'. The error is around character position ${at + 1}`,
  );
}

const identifierStart = /[A-Za-z_$\u0080-\uffff]/;
const identifierPart = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Parses a path such as `$.a[0]."b c"`. Throws ER_INVALID_JSON_PATH for bad
 * syntax, ER_NOT_SUPPORTED_YET for `last` and ranges.
 *
 * @example
 * ```ts
 * console.log(parseJsonPath("$.region").legs); // [{ kind: "member", name: "region" }]
 * ```
 */
export function parseJsonPath(text: string): JsonPath {
  let at = 0;
  const space = (): void => {
    while (at < text.length && /\s/.test(text.charAt(at))) at++;
  };
  space();
  if (text[at] !== "$") throw invalidPath(text, at);
  at++;
  const legs: PathLeg[] = [];
  let wildcard = false;
  for (;;) {
    space();
    if (at >= text.length) break;
    const char = text[at];
    if (char === ".") {
      at++;
      space();
      if (text[at] === "*") {
        at++;
        legs.push({ kind: "any_member" });
        wildcard = true;
      } else if (text[at] === '"') {
        const end = quotedKeyEnd(text, at);
        if (end < 0) throw invalidPath(text, at);
        let name: unknown;
        try {
          name = JSON.parse(text.slice(at, end));
        } catch {
          throw invalidPath(text, at);
        }
        legs.push({ kind: "member", name: name as string });
        at = end;
      } else {
        const start = at;
        if (at >= text.length || !identifierStart.test(text.charAt(at))) {
          throw invalidPath(text, at);
        }
        while (at < text.length && identifierPart.test(text.charAt(at))) at++;
        legs.push({ kind: "member", name: text.slice(start, at) });
      }
    } else if (char === "[") {
      at++;
      space();
      if (text[at] === "*") {
        at++;
        legs.push({ kind: "any_index" });
        wildcard = true;
      } else {
        const position = (): ArrayPosition => {
          let fromEnd = false;
          let index = 0;
          if (/^last\b/.test(text.slice(at))) {
            fromEnd = true;
            at += 4;
            space();
            if (text[at] !== "-") return { index, fromEnd };
            at++;
            space();
          }
          const digits = /^\d+/.exec(text.slice(at));
          if (digits === null) throw invalidPath(text, at);
          at += digits[0].length;
          index = Number(digits[0]);
          if (!Number.isSafeInteger(index)) throw invalidPath(text, at);
          return { index, fromEnd };
        };
        const from = position();
        space();
        if (/^to\b/.test(text.slice(at))) {
          at += 2;
          space();
          legs.push({ kind: "range", from, to: position() });
          wildcard = true;
        } else {
          legs.push({ kind: "index", at: from });
        }
      }
      space();
      if (text[at] !== "]") throw invalidPath(text, at);
      at++;
    } else if (char === "*" && text[at + 1] === "*") {
      at += 2;
      legs.push({ kind: "any_depth" });
      wildcard = true;
    } else {
      throw invalidPath(text, at);
    }
  }
  if (legs.at(-1)?.kind === "any_depth") {
    throw invalidPath(text, text.length - 1);
  }
  return { legs, wildcard };
}

/** End (exclusive) of a "…" key starting at `start`, or -1. */
function quotedKeyEnd(text: string, start: number): number {
  for (let at = start + 1; at < text.length; at++) {
    if (text[at] === "\\") at++;
    else if (text[at] === '"') return at + 1;
  }
  return -1;
}

/**
 * The values a path selects, in document order (duplicates from `**`
 * overlaps removed, as MySQL).
 *
 * @example
 * ```ts
 * const doc = new Map([["a", [1, 2]]]) as never;
 * console.log(evaluateJsonPath(doc, parseJsonPath("$.a")).length); // 1
 * ```
 */
export function evaluateJsonPath(document: JsonValue, path: JsonPath): JsonValue[] {
  let current: JsonValue[] = [document];
  for (const leg of path.legs) {
    const next: JsonValue[] = [];
    for (const value of current) step(value, leg, next);
    current = path.wildcard ? unique(next) : next;
    if (current.length === 0) break;
  }
  return current;
}

function step(value: JsonValue, leg: PathLeg, out: JsonValue[]): void {
  switch (leg.kind) {
    case "member":
      if (value instanceof Map && value.has(leg.name)) out.push(value.get(leg.name)!);
      return;
    case "index": {
      const items = Array.isArray(value) ? value : [value];
      const index = resolve(leg.at, items.length);
      const item = items[index];
      if (index >= 0 && item !== undefined) out.push(item);
      return;
    }
    case "range": {
      const items = Array.isArray(value) ? value : [value];
      const from = Math.max(0, resolve(leg.from, items.length));
      const to = Math.min(items.length - 1, resolve(leg.to, items.length));
      for (let i = from; i <= to; i++) out.push(defined(items[i], "from..to is inside the items"));
      return;
    }
    case "any_member":
      if (value instanceof Map) out.push(...value.values());
      return;
    case "any_index":
      if (Array.isArray(value)) out.push(...value);
      return;
    case "any_depth":
      descendants(value, out);
      return;
  }
}

function resolve(position: ArrayPosition, length: number): number {
  return position.fromEnd ? length - 1 - position.index : position.index;
}

/** The value and everything inside it, depth first (the `**` leg). */
function descendants(value: JsonValue, out: JsonValue[]): void {
  out.push(value);
  if (Array.isArray(value)) { for (const item of value) descendants(item, out); }
  else if (value instanceof Map) { for (const item of value.values()) descendants(item, out); }
}

/** Removes repeated containers (the same array/object reached twice through `**`). */
function unique(values: JsonValue[]): JsonValue[] {
  const seen = new Set<JsonValue>();
  const out: JsonValue[] = [];
  for (const value of values) {
    if (typeof value === "object" && value !== null) {
      if (seen.has(value)) continue;
      seen.add(value);
    }
    out.push(value);
  }
  return out;
}
