/**
 * INSERT … VALUES statements longer than `statementBytesMax` (what
 * mysqldump writes up to its net_buffer_length, and a served database
 * accepts up to max_allowed_packet): the text is cut between its row
 * tuples into statements of the same head, each short enough for the
 * ordinary lexer and parser, so no more than one piece's tokens and syntax
 * tree are alive at a time. The engine writes the rows of all pieces as one
 * append (engine/modify.ts `executeInsertPieces`), so the statement stays
 * all-or-nothing.
 *
 * text → splitLargeInsert → piece texts → parseStatement each (bounded)
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import { insertRowCountMax, statementBytesMax } from "../limits.ts";
import type { Prepared } from "./ast.ts";
import { openExecutableComments } from "./lexer.ts";
import { parseStatement } from "./parser.ts";

/** Characters of tuples per piece: each piece's UTF-8 (≤ 3 bytes a character) stays under the lexer's limit. */
const pieceCharsMax = Math.floor(statementBytesMax / 4);
/** Tuples per piece: far under the parser's row limit. */
const pieceRowsMax = Math.floor(insertRowCountMax / 4);

/**
 * The pieces of a long `INSERT|REPLACE [IGNORE] [INTO] t [(cols)] VALUES
 * (…), (…) [;]`, each `head (…), (…)`, made as they are iterated; null
 * when the text has no VALUES (INSERT … SET or … SELECT): the caller then
 * parses it whole, and the lexer's limit applies. A single tuple longer
 * than a piece is a piece of its own (one row: its tokens are few, and its
 * size is bounded by the caller's packet limit).
 */
export function splitLargeInsert(sql: string): Iterable<string> | null {
  const text = openExecutableComments(sql);
  if (!/^\s*(?:INSERT|REPLACE)\b/i.test(text)) return null;
  const scanner = new Scanner(text);
  // The head: everything up to VALUES / VALUE at depth 0.
  let valuesEnd = -1;
  while (!scanner.done) {
    const at = scanner.at;
    const word = scanner.word();
    if (word !== null) {
      const upper = word.toUpperCase();
      if (upper === "VALUES" || upper === "VALUE") {
        valuesEnd = scanner.at;
        break;
      }
      if (upper === "SET" || upper === "SELECT") return null;
      continue;
    }
    scanner.skipToken();
    if (scanner.at === at) return null;
  }
  if (valuesEnd < 0) return null;
  return pieces(text, valuesEnd, scanner);
}

/**
 * The pieces after the head `text[0, valuesEnd)`, one at a time. Text that
 * is not a tuple list where one is due ends the pieces with the head and
 * the rest of the text, for the parser to name the error.
 */
function* pieces(text: string, valuesEnd: number, scanner: Scanner): Generator<string> {
  const head = text.slice(0, valuesEnd);
  let pieceStart = -1;
  let pieceEnd = -1;
  let pieceRows = 0;
  for (;;) {
    scanner.skipSpace();
    const tupleStart = scanner.at;
    if (text[tupleStart] !== "(" || !scanner.skipTuple()) break;
    const tupleEnd = scanner.at;
    if (
      pieceStart >= 0 &&
      (tupleEnd - pieceStart > pieceCharsMax || pieceRows >= pieceRowsMax)
    ) {
      yield `${head} ${text.slice(pieceStart, pieceEnd)}`;
      pieceStart = -1;
      pieceRows = 0;
    }
    if (pieceStart < 0) pieceStart = tupleStart;
    pieceEnd = tupleEnd;
    pieceRows++;
    scanner.skipSpace();
    if (text[scanner.at] === ",") {
      scanner.at++;
      continue;
    }
    if (text[scanner.at] === ";") scanner.at++;
    scanner.skipSpace();
    if (!scanner.done) break;
    yield `${head} ${text.slice(pieceStart, pieceEnd)}`;
    return;
  }
  // Not a tuple list: the parser says what is wrong with the rest.
  yield `${head} ${text.slice(pieceStart < 0 ? valuesEnd : pieceStart)}`;
}

/** A cursor over SQL text that knows strings, quoted names and comments. */
class Scanner {
  readonly text: string;
  at = 0;

  constructor(text: string) {
    this.text = text;
  }

  get done(): boolean {
    return this.at >= this.text.length;
  }

  /** Skips white space and comments. */
  skipSpace(): void {
    const text = this.text;
    for (;;) {
      const c = text[this.at];
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v") {
        this.at++;
      } else if (
        c === "#" || (c === "-" && text[this.at + 1] === "-" && /\s/.test(text[this.at + 2] ?? " "))
      ) {
        const end = text.indexOf("\n", this.at);
        this.at = end < 0 ? text.length : end + 1;
      } else if (c === "/" && text[this.at + 1] === "*") {
        const end = text.indexOf("*/", this.at + 2);
        this.at = end < 0 ? text.length : end + 2;
      } else return;
    }
  }

  /** A bare word at the cursor (after space), consumed; null if none. */
  word(): string | null {
    this.skipSpace();
    const match = /[A-Za-z0-9_$\u0080-\uffff]+/y;
    match.lastIndex = this.at;
    const found = match.exec(this.text);
    if (found === null) return null;
    this.at += found[0].length;
    return found[0];
  }

  /** Skips one quoted string or name, or one other character. */
  skipToken(): void {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === "'" || c === '"' || c === "`") this.skipQuoted(c);
    else if (c === "(") this.skipTuple();
    else if (!this.done) this.at++;
  }

  /** Skips '…', "…" (backslash escapes, doubled quotes) or `…` (doubled). */
  skipQuoted(quote: string): void {
    const text = this.text;
    let i = this.at + 1;
    while (i < text.length) {
      const c = text[i];
      if (c === "\\" && quote !== "`") i += 2;
      else if (c === quote && text[i + 1] === quote) i += 2;
      else if (c === quote) break;
      else i++;
    }
    this.at = Math.min(i + 1, text.length);
  }

  /** Skips a parenthesised group at the cursor; false when it does not close. */
  skipTuple(): boolean {
    const text = this.text;
    let depth = 0;
    while (this.at < text.length) {
      this.skipSpace();
      const c = text[this.at];
      if (c === "'" || c === '"' || c === "`") {
        this.skipQuoted(c);
        continue;
      }
      this.at++;
      if (c === "(") depth++;
      else if (c === ")" && --depth === 0) return true;
    }
    return false;
  }
}

/**
 * The pieces of a long INSERT, each parsed when its turn comes: INSERT
 * statements of the same table and columns; null when `text` is not an
 * INSERT … VALUES. `bytesMax` bounds a piece of one long row (the server's
 * packet limit).
 */
export function prepareLargeInsert(text: string, bytesMax: number): Iterable<Prepared> | null {
  const texts = splitLargeInsert(text);
  if (texts === null) return null;
  return (function* () {
    for (const piece of texts) {
      const { statement, paramCount } = parseStatement(piece, bytesMax);
      if (statement.kind !== "insert" || paramCount !== 0) {
        throw new QueueError("ER_PARSE_ERROR", "a long INSERT takes no '?' placeholders");
      }
      yield { statement, paramCount, text: piece };
    }
  })();
}
