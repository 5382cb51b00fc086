/**
 * A small SQL tokenizer for what the server answers itself (SET, SHOW
 * VARIABLES, SELECT @@…) and for splitting multi-statement text at `;`
 * outside strings, quoted names and comments.
 *
 * SQL text → tokens / statement texts
 *
 * @module
 */

import { openExecutableComments } from "../sql/mod.ts";

/** One token of SQL text. */
export type Token =
  | { kind: "word"; text: string; start: number; end: number }
  | { kind: "quoted"; text: string; start: number; end: number }
  | { kind: "string"; text: string; start: number; end: number }
  | { kind: "number"; text: string; start: number; end: number }
  | { kind: "sysvar"; text: string; scope: string | null; start: number; end: number }
  | { kind: "uservar"; text: string; start: number; end: number }
  | { kind: "param"; text: string; start: number; end: number }
  | { kind: "punct"; text: string; start: number; end: number };

const wordChar = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Index just past a comment starting at `i`, or `i` when none starts there. */
function skipComment(text: string, i: number): number {
  const c = text.charAt(i);
  if (c === "#") {
    const end = text.indexOf("\n", i);
    return end < 0 ? text.length : end + 1;
  }
  if (c === "-" && text[i + 1] === "-" && (i + 2 >= text.length || /\s/.test(text.charAt(i + 2)))) {
    const end = text.indexOf("\n", i);
    return end < 0 ? text.length : end + 1;
  }
  if (c === "/" && text[i + 1] === "*") {
    const end = text.indexOf("*/", i + 2);
    return end < 0 ? text.length : end + 2;
  }
  return i;
}

/** Index just past a quoted run starting at `i` (quote char at i), honouring doubling and backslash escapes. */
function skipQuoted(text: string, i: number): number {
  const quote = text[i];
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === "\\" && quote !== "`") {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (text[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return text.length;
}

function unquote(raw: string): string {
  const quote = raw.charAt(0);
  const body = raw.slice(1, raw.endsWith(quote) && raw.length > 1 ? -1 : undefined);
  if (quote === "`") return body.replaceAll("``", "`");
  return body.replace(/\\(.)|(['"])\2/gs, (_m, escaped: string | undefined, doubled) => {
    if (escaped === undefined) return doubled;
    return ({ n: "\n", t: "\t", r: "\r", "0": "\0", b: "\b", Z: "\x1a" } as Record<string, string>)[
      escaped
    ] ?? escaped;
  });
}

/** Tokens of `text`; comments and whitespace dropped. */
export function tokenize(sql: string): Token[] {
  const text = openExecutableComments(sql);
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const afterComment = skipComment(text, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === "`") {
      i = skipQuoted(text, i);
      const raw = text.slice(start, i);
      tokens.push({ kind: c === "`" ? "quoted" : "string", text: unquote(raw), start, end: i });
      continue;
    }
    if (c === "@" && text[i + 1] === "@") {
      i += 2;
      while (i < text.length && (wordChar.test(text.charAt(i)) || text[i] === ".")) i++;
      const name = text.slice(start + 2, i);
      const dot = name.indexOf(".");
      const scope = dot < 0 ? null : name.slice(0, dot).toLowerCase();
      tokens.push({
        kind: "sysvar",
        text: (dot < 0 ? name : name.slice(dot + 1)).toLowerCase(),
        scope,
        start,
        end: i,
      });
      continue;
    }
    if (c === "@") {
      i++;
      if (text[i] === "'" || text[i] === '"' || text[i] === "`") {
        const open = i;
        i = skipQuoted(text, i);
        tokens.push({ kind: "uservar", text: unquote(text.slice(open, i)), start, end: i });
      } else {
        while (i < text.length && (wordChar.test(text.charAt(i)) || text[i] === ".")) i++;
        tokens.push({ kind: "uservar", text: text.slice(start + 1, i), start, end: i });
      }
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      const match = /^(0x[0-9a-f]+|[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?)/i.exec(text.slice(i))!;
      i += match[0].length;
      if (i < text.length && wordChar.test(text.charAt(i)) && !/^0x/i.test(match[0])) {
        while (i < text.length && wordChar.test(text.charAt(i))) i++;
        tokens.push({ kind: "word", text: text.slice(start, i), start, end: i });
      } else {
        tokens.push({ kind: "number", text: match[0], start, end: i });
      }
      continue;
    }
    if (wordChar.test(c)) {
      while (i < text.length && wordChar.test(text.charAt(i))) i++;
      tokens.push({ kind: "word", text: text.slice(start, i), start, end: i });
      continue;
    }
    if (c === "?") {
      i++;
      tokens.push({ kind: "param", text: "?", start, end: i });
      continue;
    }
    const two = text.slice(i, i + 2);
    if ([":=", "<=", ">=", "<>", "!="].includes(two)) {
      i += 2;
      tokens.push({ kind: "punct", text: two, start, end: i });
      continue;
    }
    i++;
    tokens.push({ kind: "punct", text: c, start, end: i });
  }
  return tokens;
}

/**
 * Splits multi-statement text at `;` outside strings, quoted names and
 * comments. Empty statements (only whitespace or comments) are dropped.
 */
export function splitStatements(sql: string): string[] {
  const text = openExecutableComments(sql);
  const out: string[] = [];
  let start = 0;
  let i = 0;
  let content = false;
  while (i < text.length) {
    const c = text.charAt(i);
    const afterComment = skipComment(text, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      i = skipQuoted(text, i);
      content = true;
      continue;
    }
    if (c === ";") {
      if (content) out.push(text.slice(start, i));
      start = i + 1;
      content = false;
      i++;
      continue;
    }
    if (!/\s/.test(c)) content = true;
    i++;
  }
  if (content) out.push(text.slice(start));
  return out;
}

/** Number of `?` placeholders outside strings and comments. */
export function countPlaceholders(text: string): number {
  return tokenize(text).filter((token) => token.kind === "param").length;
}
