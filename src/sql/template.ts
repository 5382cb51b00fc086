/**
 * Prepared statements with caches: `prepareTemplate` for tagged templates
 * (parsed once per call site: the TemplateStringsArray is the key) and
 * `prepareText` for `sql.unsafe` text with `?` (an LRU keyed by the text);
 * `bindParams` checks and converts `?` parameters.
 *
 * template / text → (this file, cached) → Prepared + params → (engine)
 *
 * Only a frozen strings array (what a template literal makes) is a cache
 * key: a hand-made array could be mutated after its first use.
 *
 * A `${value}` hole is always a parameter (`?`), never text. A hole holding
 * an `ident()` is a name: it is back-quoted (back-quotes doubled) into the
 * text, so it lexes as exactly one identifier. Since identifiers change the
 * parse, a call site caches one Prepared per identifier choice.
 *
 * @module
 */

import { assert, defined, QueueError } from "../errors.ts";
import { unsafeCacheBytesMax, unsafeCacheEntriesMax } from "../limits.ts";
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

/**
 * Parsed tagged templates, keyed by the call site's `TemplateStringsArray`
 * (the same object on every call from one site, gone with its module):
 * bounded by the template call sites loaded, each holding at most
 * `templateVariantsMax` identifier variants.
 */
const templateCache = new WeakMap<TemplateStringsArray, TemplateEntry>();
/**
 * `sql.unsafe` texts → parsed statements, least recently used first: at most
 * `unsafeCacheEntriesMax` texts and `unsafeCacheBytesMax` of text (limits.ts).
 * One per process, shared by every database: a statement parses the same
 * wherever it runs.
 */
const textCache = new Map<string, Prepared>();
/** Sum of the lengths of the texts in `textCache`, kept within `unsafeCacheBytesMax`. */
let textCacheBytes = 0;

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
 * Parses SQL text with `?` placeholders, cached (LRU of at most
 * `unsafeCacheEntriesMax` texts holding at most `unsafeCacheBytesMax` of
 * text). Throws ER_PARSE_ERROR and the parser's other errors; failures are
 * not cached.
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
  // statementBytesMax < unsafeCacheBytesMax, so any accepted text fits once the oldest are out.
  while (
    textCache.size > 0 &&
    (textCache.size >= unsafeCacheEntriesMax || textCacheBytes + text.length > unsafeCacheBytesMax)
  ) {
    const oldest = textCache.keys().next().value as string;
    textCache.delete(oldest);
    textCacheBytes -= oldest.length;
  }
  textCache.set(text, prepared);
  textCacheBytes += text.length;
  assert(textCacheBytes <= unsafeCacheBytesMax, "sql.unsafe cache within its byte limit");
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
  const length = readParam(() => params.length);
  if (length !== prepared.paramCount) {
    throw new QueueError(
      "ER_WRONG_PARAMCOUNT",
      `Statement takes ${prepared.paramCount} parameters, got ${length}`,
    );
  }
  const values = new Array<Value>(length);
  for (let i = 0; i < length; i++) values[i] = bindValue(readParam(() => params[i]));
  return values;
}

/** Reads from the caller's parameter list; a throwing or revoked Proxy is the caller's error. */
function readParam<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "Parameter list cannot be read", { cause: error });
  }
}

function templateText(strings: TemplateStringsArray, values: readonly unknown[]): string {
  let text = defined(strings[0], "a template has at least one string");
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    text += (Identifier.is(value) ? value.toString() : "?") +
      defined(strings[i + 1], "a template has one string more than values");
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
 * choice; a strings array that is not frozen, so not a real template's, is
 * parsed on every call), `${}` values bound as parameters in order, `ident()` holes as
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
    // A real TemplateStringsArray is frozen; a hand-made array may change
    // between calls, so its statement is parsed anew each time.
    if (Object.isFrozen(strings) && Object.isFrozen(strings.raw)) templateCache.set(strings, entry);
  }
  let identifierCount = 0;
  for (let i = 0; i < values.length; i++) {
    if (Identifier.is(values[i])) identifierCount++;
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
    key += (Identifier.is(value) ? "i" + value.name : "v") + "\0";
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
    if (!Identifier.is(values[i])) params.push(bindValue(values[i]));
  }
  return { prepared, params };
}
