/**
 * Prepared statements with caches: `prepareTemplate` for tagged templates
 * (parsed once per call site: the TemplateStringsArray is the key) and
 * `prepareText` for `sql.unsafe` text with `?` (an LRU keyed by the text);
 * `bindParams` checks and converts `?` parameters.
 *
 * template / text → (this file, cached) → Prepared + params → (engine)
 *
 * A `${value}` hole is always a parameter (`?`), never text. A hole holding
 * an `ident()` is a name: it is back-quoted (back-quotes doubled) into the
 * text, so it lexes as exactly one identifier. Since identifiers change the
 * parse, a call site caches one Prepared per identifier choice.
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import { unsafeCacheEntriesMax } from "../limits.ts";
import type { Prepared, Value } from "./ast.ts";
import { Identifier } from "./identifier.ts";
import { parseStatement } from "./parser.ts";
import { bindValue } from "./values.ts";

/** Identifier choices cached per template call site; more is a misuse (names from data), not a hot loop. */
export const templateVariantsMax = 64;

interface TemplateEntry {
  /** The statement when no hole is an identifier (the common case). */
  plain: Prepared | null;
  /** Statements keyed by the identifiers' names, per hole ("\0"-joined; names hold no NUL). */
  variants: Map<string, Prepared>;
}

const templateCache = new WeakMap<TemplateStringsArray, TemplateEntry>();
const textCache = new Map<string, Prepared>();

/** A tagged template, prepared and its values bound. */
export interface BoundTemplate {
  prepared: Prepared;
  params: Value[];
}

function prepare(text: string): Prepared {
  const { statement, paramCount } = parseStatement(text);
  return { statement, paramCount, text };
}

/**
 * Parses SQL text with `?` placeholders, cached (LRU of
 * `unsafeCacheEntriesMax` texts). Throws ER_PARSE_ERROR and the parser's
 * other errors; failures are not cached.
 *
 * @example
 * ```ts
 * const prepared = prepareText("SELECT * FROM jobs WHERE id = ?");
 * console.log(prepared.paramCount); // 1
 * ```
 */
export function prepareText(text: string): Prepared {
  const cached = textCache.get(text);
  if (cached !== undefined) {
    textCache.delete(text);
    textCache.set(text, cached);
    return cached;
  }
  const prepared = prepare(text);
  if (textCache.size >= unsafeCacheEntriesMax) {
    textCache.delete(textCache.keys().next().value as string);
  }
  textCache.set(text, prepared);
  return prepared;
}

/**
 * Checks that `params` fits `prepared` (ER_WRONG_PARAMCOUNT otherwise) and
 * converts each with `bindValue`.
 *
 * @example
 * ```ts
 * const params = bindParams(prepareText("SELECT ?"), [true]);
 * console.log(params); // [1]
 * ```
 */
export function bindParams(prepared: Prepared, params: readonly unknown[]): Value[] {
  if (params.length !== prepared.paramCount) {
    throw new QueueError(
      "ER_WRONG_PARAMCOUNT",
      `Statement takes ${prepared.paramCount} parameters, got ${params.length}`,
    );
  }
  const values = new Array<Value>(params.length);
  for (let i = 0; i < params.length; i++) values[i] = bindValue(params[i]);
  return values;
}

function templateText(strings: TemplateStringsArray, values: readonly unknown[]): string {
  let text = strings[0];
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    text += (value instanceof Identifier ? value.toString() : "?") + strings[i + 1];
  }
  return text;
}

function prepareTemplateText(
  strings: TemplateStringsArray,
  values: readonly unknown[],
  valueCount: number,
): Prepared {
  const prepared = prepare(templateText(strings, values));
  if (prepared.paramCount !== valueCount) {
    // A `?` written in the template text would shift every later value.
    throw new QueueError(
      "ER_WRONG_PARAMCOUNT",
      "A tagged template takes values only through ${}, not '?' placeholders",
    );
  }
  return prepared;
}

/**
 * Prepares a tagged template: parsed once per call site (and identifier
 * choice), `${}` values bound as parameters in order, `ident()` holes as
 * names. Throws ER_PARSE_ERROR and friends for bad SQL, ER_WRONG_ARGUMENTS
 * for a value that cannot be bound.
 *
 * @example
 * ```ts
 * const tag = (strings: TemplateStringsArray, ...values: unknown[]) =>
 *   prepareTemplate(strings, values);
 * const { prepared, params } = tag`SELECT * FROM jobs WHERE id = ${7}`;
 * console.log(prepared.paramCount, params); // 1 [7]
 * ```
 */
export function prepareTemplate(
  strings: TemplateStringsArray,
  values: readonly unknown[],
): BoundTemplate {
  let entry = templateCache.get(strings);
  if (entry === undefined) {
    entry = { plain: null, variants: new Map() };
    templateCache.set(strings, entry);
  }
  let identifierCount = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] instanceof Identifier) identifierCount++;
  }
  let prepared: Prepared;
  if (identifierCount === 0) {
    prepared = entry.plain ?? (entry.plain = prepareTemplateText(strings, values, values.length));
    const params = new Array<Value>(values.length);
    for (let i = 0; i < values.length; i++) params[i] = bindValue(values[i]);
    return { prepared, params };
  }
  let key = "";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    key += (value instanceof Identifier ? "i" + value.name : "v") + "\0";
  }
  const cached = entry.variants.get(key);
  if (cached !== undefined) {
    prepared = cached;
  } else {
    prepared = prepareTemplateText(strings, values, values.length - identifierCount);
    if (entry.variants.size >= templateVariantsMax) entry.variants.clear();
    entry.variants.set(key, prepared);
  }
  const params: Value[] = [];
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] instanceof Identifier)) params.push(bindValue(values[i]));
  }
  return { prepared, params };
}
