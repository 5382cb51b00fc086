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
 * `prepareBoundText` (what `sql.unsafe` runs) adds a shape cache for INSERTs
 * with their values written inline, as clients without server-side
 * prepared statements send them (mysql2's `query`): every such text
 * differs, so the text cache misses, but the statement is the same once its
 * literals are taken out. See `prepareBoundText`.
 *
 * A `${value}` hole is always a parameter (`?`), never text. A hole holding
 * an `ident()` is a name: it is back-quoted (back-quotes doubled) into the
 * text, so it lexes as exactly one identifier. Since identifiers change the
 * parse, a call site caches one Prepared per identifier choice.
 *
 * @module
 */

import { assert, defined, QueueError } from "../errors.ts";
import { statementBytesMax, unsafeCacheBytesMax, unsafeCacheEntriesMax } from "../limits.ts";
import type { Expr, Prepared, Statement, Value } from "./ast.ts";
import { Identifier } from "./identifier.ts";
import { type Token, tokenAt, tokenize, type TokenKind } from "./lexer.ts";
import { parseStatement, parseTokens } from "./parser.ts";
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

function prepare(text: string, tokens?: Token[]): Prepared {
  const { statement, paramCount } = tokens === undefined
    ? parseStatement(text)
    : parseTokens(text, tokens);
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
  return rememberText(text, prepare(text));
}

/** Keeps `prepared` in the text cache under `text`, the least recently used out first. */
function rememberText(text: string, prepared: Prepared): Prepared {
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

/** INSERT shapes kept (least recently used out first). */
export const shapeCacheEntriesMax = 256;
/** Total length of the shape keys kept. */
export const shapeCacheKeyBytesMax = 1024 * 1024;
/** Literal values of one statement taken out as parameters at most; a longer INSERT is cached by text only. */
export const shapeLiteralsMax = 4096;

/**
 * An INSERT whose VALUES cells are single literals, those literals taken
 * out: `prepared` has each such cell as a parameter numbered after the
 * statement's own `?` placeholders, in the order the literals are written.
 */
interface Shape {
  prepared: Prepared;
  /** The statement's own `?` placeholders (what the caller binds). */
  paramCount: number;
  /**
   * For `matchRecent`: the text of a statement of this shape cut at its
   * literals (one piece more than literals), and each literal's token kind.
   */
  pieces: string[] | null;
  kinds: TokenKind[];
}

/**
 * Shape key (tokens with each literal's value taken out) → shape; null
 * for a key whose statement does not qualify (parsed every time). LRU,
 * bounded by `shapeCacheEntriesMax` and `shapeCacheKeyBytesMax`.
 */
const shapeCache = new Map<string, Shape | null>();
let shapeCacheKeyBytes = 0;
/** Off: `prepareBoundText` is `prepareText` + `bindParams` (tests compare the two). */
let shapeCacheOn = true;

/**
 * Turns the shape cache on or off (it starts on) and empties it; for tests
 * that compare its results with a fresh parse's.
 *
 * @example
 * ```ts
 * setShapeCache(false);
 * setShapeCache(true);
 * ```
 */
export function setShapeCache(on: boolean): void {
  shapeCacheOn = on;
  shapeCache.clear();
  shapeCacheKeyBytes = 0;
  recentShapes.length = 0;
}

/** Marks a literal in a shape key: its token kind, never its text (no token text holds \u0001). */
const literalMarks: Readonly<Record<string, string>> = {
  integer: "\u0001i",
  float: "\u0001f",
  string: "\u0001s",
  hex: "\u0001h",
};

/**
 * The shape key of an INSERT or REPLACE's tokens: every token's text, "\0"
 * between them, a literal (integer, float, string, hex) as its kind only.
 * The parser reads a literal token only for its kind and value (and its
 * position, for errors and node offsets), so two texts with one key parse
 * to the same statement but for literal values and offsets. Null when the
 * statement is not an INSERT or REPLACE, has too many literals, or has a
 * quoted name holding the separators.
 */
function shapeKey(tokens: readonly Token[]): string | null {
  const first = tokens[0];
  if (first === undefined || first.kind !== "word") return null;
  if (first.upper !== "INSERT" && first.upper !== "REPLACE") return null;
  let key = "";
  let literals = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = defined(tokens[i], "index within tokens");
    const mark = literalMarks[token.kind];
    if (mark !== undefined) {
      if (++literals > shapeLiteralsMax) return null;
      key += mark;
    } else {
      if (
        token.kind === "quoted" && (token.text.includes("\0") || token.text.includes("\u0001"))
      ) return null;
      key += token.text;
    }
    key += "\0";
  }
  return key;
}

/** Whether a token is a literal that a shape takes out. */
function isLiteralToken(token: Token): boolean {
  return literalMarks[token.kind] !== undefined;
}

/**
 * The shape of a parsed INSERT, or null when it does not qualify: every
 * literal token must be a whole VALUES cell by itself (not part of an
 * expression, a signed number or a DATE '…' literal), and every other cell
 * a `?`, NULL / TRUE / FALSE or a bare DEFAULT, so that no offset of the
 * first text lives on in what runs. The literal cells become parameters.
 */
function makeShape(
  statement: Statement,
  paramCount: number,
  tokens: readonly Token[],
  text: string,
): Shape | null {
  if (statement.kind !== "insert") return null;
  const slotByStart = new Map<number, { token: Token; index: number }>();
  for (const token of tokens) {
    if (isLiteralToken(token)) {
      slotByStart.set(token.byteStart, { token, index: paramCount + slotByStart.size });
    }
  }
  let used = 0;
  const rows: Expr[][] = [];
  for (const row of statement.rows) {
    const cells: Expr[] = [];
    for (const cell of row) {
      if (cell.kind === "literal") {
        const slot = slotByStart.get(cell.start);
        if (slot !== undefined) {
          if (slot.token.byteEnd !== cell.end || slot.token.value !== cell.value) return null;
          cells.push({ kind: "param", index: slot.index, start: cell.start, end: cell.end });
          used++;
          continue;
        }
        if (cell.value !== null && cell.value !== 0 && cell.value !== 1) return null;
      } else if (
        cell.kind !== "param" &&
        !(cell.kind === "call" && cell.name === "default" && cell.args.length === 0)
      ) {
        return null;
      }
      cells.push(cell);
    }
    rows.push(cells);
  }
  // A literal outside the cells (none in an INSERT's grammar today) would keep its first value.
  if (used !== slotByStart.size) return null;
  return {
    prepared: { statement: { ...statement, rows }, paramCount: paramCount + used, text },
    paramCount,
    pieces: null,
    kinds: [],
  };
}

/** Shapes `matchRecent` tries, most recently used first. */
const recentShapes: Shape[] = [];
/** How many shapes `matchRecent` tries before lexing the text. */
export const recentShapesMax = 4;

/**
 * Whether `text` cannot be matched piecewise: an executable comment would
 * change it before lexing (any comment opener is refused, cheaply), or it
 * may be over the length limit that `tokenize` checks.
 */
function unmatchable(text: string): boolean {
  return text.length > statementBytesMax / 3 || text.includes("/*");
}

/**
 * Makes `shape` the first one `matchRecent` tries, cut at the literal
 * tokens of `text` (a statement of that shape).
 */
function rememberRecent(shape: Shape, text: string, tokens: readonly Token[]): void {
  if (recentShapes[0] === shape) return;
  const index = recentShapes.indexOf(shape);
  if (index >= 0) recentShapes.splice(index, 1);
  else if (unmatchable(text)) return;
  else {
    const pieces: string[] = [];
    const kinds: TokenKind[] = [];
    let at = 0;
    for (const token of tokens) {
      if (!isLiteralToken(token)) continue;
      pieces.push(text.slice(at, token.start));
      kinds.push(token.kind);
      at = token.end;
    }
    pieces.push(text.slice(at));
    shape.pieces = pieces;
    shape.kinds = kinds;
  }
  recentShapes.unshift(shape);
  if (recentShapes.length > recentShapesMax) recentShapes.pop();
}

/**
 * Matches `text` against the recent shapes without lexing all of it: the
 * text must be a shape's pieces with, between them, one literal token
 * each, of the kind the shape has there (read by the lexer, `tokenAt`).
 * Every literal of a shape is a VALUES cell, right after `(` or `,` and
 * before `,` or `)` (spaces and line comments aside), so the lexer would
 * cut the text into the same tokens: the shape's, with these literals.
 * Null when no recent shape matches (or a literal does not lex).
 */
function matchRecent(text: string): { shape: Shape; values: Value[] } | null {
  if (recentShapes.length === 0 || unmatchable(text)) return null;
  for (const shape of recentShapes) {
    const pieces = shape.pieces!;
    const first = defined(pieces[0], "a shape has a first piece");
    if (!text.startsWith(first)) continue;
    let at = first.length;
    const values: Value[] = [];
    for (let i = 0; i < shape.kinds.length; i++) {
      let read: ReturnType<typeof tokenAt>;
      try {
        read = tokenAt(text, at);
      } catch {
        return null; // the full lexer reports it
      }
      if (read === null || read.token.kind !== shape.kinds[i]) break;
      values.push(read.token.value as Exclude<Value, null>);
      const piece = defined(pieces[i + 1], "a piece after each literal");
      if (!text.startsWith(piece, read.end)) break;
      at = read.end + piece.length;
    }
    if (values.length === shape.kinds.length && at === text.length) {
      if (recentShapes[0] !== shape) {
        recentShapes.splice(recentShapes.indexOf(shape), 1);
        recentShapes.unshift(shape);
      }
      return { shape, values };
    }
  }
  return null;
}

/** Keeps `shape` (or null: not a shape) under `key`, the least recently used out first. */
function rememberShape(key: string, shape: Shape | null): void {
  if (key.length > shapeCacheKeyBytesMax) return;
  while (
    shapeCache.size > 0 &&
    (shapeCache.size >= shapeCacheEntriesMax ||
      shapeCacheKeyBytes + key.length > shapeCacheKeyBytesMax)
  ) {
    const oldest = shapeCache.keys().next().value as string;
    shapeCache.delete(oldest);
    shapeCacheKeyBytes -= oldest.length;
  }
  shapeCache.set(key, shape);
  shapeCacheKeyBytes += key.length;
}

/** A statement of `sql.unsafe` and its parameters, bound. */
export interface BoundText {
  prepared: Prepared;
  params: Value[];
}

/**
 * `prepareText` then `bindParams`, with the same results and errors, and a
 * second cache for INSERTs written with their values inline: their tokens
 * with each literal's value taken out (`shapeKey`) find a statement that
 * has those literals as extra parameters, bound to the values just lexed.
 * Such a text skips the parser and the text cache, and reuses the plan the
 * engine compiled for its shape. Only INSERT / REPLACE whose VALUES cells
 * are each a literal, `?`, NULL, TRUE, FALSE or DEFAULT qualify (see
 * `makeShape`); every other text goes through `prepareText`.
 *
 * @example
 * ```ts
 * const a = prepareBoundText("INSERT INTO jobs VALUES (1, 'a')", []);
 * const b = prepareBoundText("INSERT INTO jobs VALUES (22, 'bb')", []);
 * console.log(a.prepared === b.prepared, b.params); // true [22, "bb"]
 * ```
 */
export function prepareBoundText(text: string, params: readonly unknown[]): BoundText {
  const cached = textCache.get(text);
  if (cached !== undefined) {
    textCache.delete(text);
    textCache.set(text, cached);
    return { prepared: cached, params: bindParams(cached, params) };
  }
  if (!shapeCacheOn) {
    const prepared = prepareText(text);
    return { prepared, params: bindParams(prepared, params) };
  }
  const matched = matchRecent(text);
  if (matched !== null) {
    const bound = bindCount(matched.shape.paramCount, params);
    for (const value of matched.values) bound.push(value);
    return { prepared: matched.shape.prepared, params: bound };
  }
  const tokens = tokenize(text);
  const key = shapeKey(tokens);
  let shape: Shape | null = null;
  if (key !== null) {
    const known = shapeCache.get(key);
    if (known === undefined) {
      // A new key: parse, and remember whether it is a shape.
      const { statement, paramCount } = parseTokens(text, tokens);
      shape = makeShape(statement, paramCount, tokens, text);
      rememberShape(key, shape);
      if (shape === null) {
        const prepared = rememberText(text, { statement, paramCount, text });
        return { prepared, params: bindParams(prepared, params) };
      }
    } else if (known !== null) {
      shapeCache.delete(key);
      shapeCache.set(key, known);
      shape = known;
    }
  }
  if (shape === null) {
    const prepared = rememberText(text, prepare(text, tokens));
    return { prepared, params: bindParams(prepared, params) };
  }
  const bound = bindCount(shape.paramCount, params);
  for (const token of tokens) {
    if (isLiteralToken(token)) bound.push(token.value as Exclude<Value, null>);
  }
  rememberRecent(shape, text, tokens);
  return { prepared: shape.prepared, params: bound };
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
  return bindCount(prepared.paramCount, params);
}

/** `bindParams` for a statement taking `paramCount` parameters. */
function bindCount(paramCount: number, params: readonly unknown[]): Value[] {
  const length = readParam(() => params.length);
  if (length !== paramCount) {
    throw new QueueError(
      "ER_WRONG_PARAMCOUNT",
      `Statement takes ${paramCount} parameters, got ${length}`,
    );
  }
  const values: Value[] = [];
  for (let i = 0; i < length; i++) values.push(bindValue(readParam(() => params[i])));
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
