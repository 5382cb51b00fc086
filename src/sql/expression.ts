/**
 * The expression grammar: tokens → Expr, with MySQL's operator precedence.
 * Used by the statement parser (`parser.ts`) and, for queue_wait conditions,
 * by `parseExpression`.
 *
 * Precedence, lowest first (MySQL's): `OR ||`, `XOR`, `AND &&`, `NOT`,
 * comparisons `= <=> <> != < <= > >= IS`, predicates `[NOT] IN/BETWEEN/LIKE`,
 * `|`, `&`, `<< >>`, `+ -`, `* / DIV % MOD`, `^`, unary `- + ~ !`.
 * Nesting (parentheses, unary chains) and the height of the resulting tree
 * are bounded by `expressionDepthMax`, so no input overflows the stack here
 * or in whoever walks the tree later.
 *
 * @module
 */

import { assert, QueueError } from "../errors.ts";
import { expressionDepthMax } from "../limits.ts";
import type { BinaryOp, Expr, Value } from "./ast.ts";
import { syntaxError, type Token } from "./lexer.ts";
import {
  fspMax,
  type IntervalUnit,
  intervalUnits,
  parseDateTime,
  parseTime,
  Temporal,
} from "./temporal.ts";

/** `DATE '…'`, `TIME '…'`, `TIMESTAMP '…'` (standard SQL literals MySQL takes), or null when invalid. */
function typedLiteral(word: string, text: string): Temporal | null {
  const fsp = Math.min(/\.(\d*)\s*$/.exec(text)?.[1]?.length ?? 0, fspMax);
  if (word === "TIME") return parseTime(text, fsp);
  if (word === "DATE") {
    const day = parseDateTime(text, "date");
    return day !== null && /^\s*[\d./-]+\s*$/.test(text) ? day : null;
  }
  return parseDateTime(text, "datetime", fsp);
}

/** Functions MySQL also accepts without parentheses (`CURRENT_TIMESTAMP`); reserved words there. */
const niladicFunctions: ReadonlySet<string> = new Set([
  "CURRENT_TIMESTAMP",
  "CURRENT_DATE",
  "CURRENT_TIME",
  "LOCALTIME",
  "LOCALTIMESTAMP",
  "UTC_TIMESTAMP",
  "UTC_DATE",
  "UTC_TIME",
]);

/** Words that are never a bare column name or alias (back-quote them to use them). */
export const reservedWords: ReadonlySet<string> = new Set([
  "ALTER",
  "AND",
  "AS",
  "ASC",
  "BETWEEN",
  "BY",
  "CASE",
  "CREATE",
  "DEFAULT",
  "DELETE",
  "DESC",
  "DIV",
  "DROP",
  "ELSE",
  "ESCAPE",
  "FALSE",
  "FROM",
  "GROUP",
  "HAVING",
  "IN",
  "INSERT",
  "INTERVAL",
  "INTO",
  "IS",
  "LIKE",
  "LIMIT",
  "MOD",
  "NOT",
  "NULL",
  "OR",
  "ORDER",
  "REPLACE",
  "SELECT",
  "SET",
  "TABLE",
  "THEN",
  "TRUE",
  "UNION",
  "UPDATE",
  "VALUES",
  "WHEN",
  "WHERE",
  "XOR",
]);

type Expression = Expr;

const comparisonOps: Record<string, BinaryOp> = {
  "=": "=",
  "<=>": "<=>",
  "<>": "<>",
  "!=": "<>",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

/**
 * A cursor over tokens that parses expressions. The statement parser extends
 * its use with keyword helpers; everything fails with ER_PARSE_ERROR.
 */
export class TokenStream {
  /** The SQL text the tokens came from (for error messages and item names). */
  readonly text: string;
  /** The tokens, ending with an `end` token. */
  readonly tokens: Token[];
  /** Index of the current token. */
  at = 0;
  /** `?` placeholders met so far; the next one gets this index. */
  paramCount = 0;
  /** Whether `?` is allowed (not in queue_wait conditions). */
  readonly allowParams: boolean;
  private depth = 0;
  private readonly heights = new Map<Expression, number>();

  /** Starts at the first token. */
  constructor(text: string, tokens: Token[], allowParams: boolean) {
    this.text = text;
    this.tokens = tokens;
    this.allowParams = allowParams;
    const end = tokens[tokens.length - 1];
    assert(end?.kind === "end", "tokenize ends every stream with an end token");
    this.#end = end;
  }

  /** The stream's last token, kind "end". */
  readonly #end: Token;

  /** The current token. */
  peek(): Token {
    // `at` never passes the end token (next() stops there): reading past
    // it can only mean the end.
    return this.tokens[this.at] ?? this.#end;
  }

  /** The token after the current one. */
  peekNext(): Token {
    return this.tokens[this.at + 1] ?? this.#end;
  }

  /** Returns the current token and moves past it (never past `end`). */
  next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.at++;
    return token;
  }

  /** A syntax error at `token` (default: the current one). */
  error(detail: string, token: Token = this.peek()): QueueError {
    return syntaxError(this.text, token.start, detail);
  }

  /** Whether the current token is the keyword `upper`. */
  isWord(upper: string): boolean {
    const token = this.peek();
    return token.kind === "word" && token.upper === upper;
  }

  /** Consumes the keyword `upper` if present. */
  acceptWord(upper: string): boolean {
    if (!this.isWord(upper)) return false;
    this.at++;
    return true;
  }

  /** Consumes the keyword `upper` or fails. */
  expectWord(upper: string): void {
    if (!this.acceptWord(upper)) throw this.error(`expected ${upper}`);
  }

  /** Whether the current token is the operator/punctuation `op`. */
  isOp(op: string): boolean {
    const token = this.peek();
    return token.kind === "op" && token.text === op;
  }

  /** Consumes `op` if present. */
  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.at++;
    return true;
  }

  /** Consumes `op` or fails. */
  expectOp(op: string): void {
    if (!this.acceptOp(op)) throw this.error(`expected '${op}'`);
  }

  /** An identifier (bare non-reserved word or back-quoted name). */
  isIdentifier(): boolean {
    const token = this.peek();
    return token.kind === "quoted" || (token.kind === "word" && !reservedWords.has(token.upper));
  }

  /** Parses a full expression (the OR level). */
  parseExpr(): Expr {
    this.enter();
    let left = this.parseXor();
    for (;;) {
      if (this.acceptWord("OR") || this.acceptOp("||")) {
        left = this.binary("or", left, this.parseXor());
      } else break;
    }
    this.depth--;
    return left;
  }

  private enter(): void {
    if (++this.depth > expressionDepthMax) {
      throw this.error(`expression nested deeper than ${expressionDepthMax}`);
    }
  }

  private heightOf(expr: Expr): number {
    return this.heights.get(expr) ?? 1;
  }

  private track<E extends Expr>(expr: E, children: readonly Expr[]): E {
    let height = 0;
    for (const child of children) height = Math.max(height, this.heightOf(child));
    if (height + 1 > expressionDepthMax) {
      throw syntaxError(
        this.text,
        this.peek().start,
        `expression nested deeper than ${expressionDepthMax}`,
      );
    }
    if (height > 0) this.heights.set(expr, height + 1);
    return expr;
  }

  private binary(op: BinaryOp, left: Expr, right: Expr): Expr {
    return this.track({ kind: "binary", op, left, right, start: left.start, end: right.end }, [
      left,
      right,
    ]);
  }

  private parseXor(): Expr {
    let left = this.parseAnd();
    while (this.acceptWord("XOR")) left = this.binary("xor", left, this.parseAnd());
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.acceptWord("AND") || this.acceptOp("&&")) {
      left = this.binary("and", left, this.parseNot());
    }
    return left;
  }

  private parseNot(): Expr {
    const token = this.peek();
    if (this.acceptWord("NOT")) {
      this.enter();
      const operand = this.parseNot();
      this.depth--;
      return this.track(
        { kind: "unary", op: "not", operand, start: token.byteStart, end: operand.end },
        [operand],
      );
    }
    return this.parseComparison();
  }

  private parseComparison(): Expr {
    let left = this.parsePredicate();
    for (;;) {
      const token = this.peek();
      const op = token.kind === "op" ? comparisonOps[token.text] : undefined;
      if (op !== undefined) {
        this.at++;
        left = this.binary(op, left, this.parsePredicate());
        continue;
      }
      if (this.acceptWord("IS")) {
        const negated = this.acceptWord("NOT");
        const test = this.next();
        let kind: "true" | "false" | "null";
        if (test.kind === "word" && test.upper === "TRUE") kind = "true";
        else if (test.kind === "word" && test.upper === "FALSE") kind = "false";
        else if (test.kind === "word" && (test.upper === "NULL" || test.upper === "UNKNOWN")) {
          kind = "null";
        } else throw this.error("expected TRUE, FALSE or NULL after IS", test);
        left = this.track(
          { kind: "is", operand: left, test: kind, negated, start: left.start, end: test.byteEnd },
          [left],
        );
        continue;
      }
      return left;
    }
  }

  private parsePredicate(): Expr {
    const operand = this.parseBitOr();
    let negated = false;
    if (this.isWord("NOT")) {
      const after = this.peekNext();
      if (
        after.kind !== "word" ||
        (after.upper !== "IN" && after.upper !== "BETWEEN" && after.upper !== "LIKE")
      ) return operand;
      this.at++;
      negated = true;
    }
    if (this.acceptWord("IN")) {
      this.expectOp("(");
      const list: Expr[] = [];
      do list.push(this.parseExpr()); while (this.acceptOp(","));
      const close = this.peek();
      this.expectOp(")");
      return this.track(
        { kind: "in", operand, list, negated, start: operand.start, end: close.byteEnd },
        [operand, ...list],
      );
    }
    if (this.acceptWord("BETWEEN")) {
      const low = this.parseBitOr();
      this.expectWord("AND");
      const high = this.parsePredicate();
      return this.track(
        { kind: "between", operand, low, high, negated, start: operand.start, end: high.end },
        [operand, low, high],
      );
    }
    if (this.acceptWord("LIKE")) {
      const pattern = this.parseBitOr();
      const escape = this.acceptWord("ESCAPE") ? this.parseBitOr() : null;
      const end = escape === null ? pattern.end : escape.end;
      return this.track(
        { kind: "like", operand, pattern, escape, negated, start: operand.start, end },
        escape === null ? [operand, pattern] : [operand, pattern, escape],
      );
    }
    if (negated) throw this.error("expected IN, BETWEEN or LIKE after NOT");
    return operand;
  }

  private parseBitOr(): Expr {
    let left = this.parseBitAnd();
    while (this.acceptOp("|")) left = this.binary("|", left, this.parseBitAnd());
    return left;
  }

  private parseBitAnd(): Expr {
    let left = this.parseShift();
    while (this.acceptOp("&")) left = this.binary("&", left, this.parseShift());
    return left;
  }

  private parseShift(): Expr {
    let left = this.parseAdditive();
    for (;;) {
      if (this.acceptOp("<<")) left = this.binary("<<", left, this.parseAdditive());
      else if (this.acceptOp(">>")) left = this.binary(">>", left, this.parseAdditive());
      else return left;
    }
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    for (;;) {
      if (this.acceptOp("+")) left = this.binary("+", left, this.parseMultiplicative());
      else if (this.acceptOp("-")) left = this.binary("-", left, this.parseMultiplicative());
      else return left;
    }
  }

  private parseMultiplicative(): Expr {
    let left = this.parseBitXor();
    for (;;) {
      let op: BinaryOp;
      if (this.acceptOp("*")) op = "*";
      else if (this.acceptOp("/")) op = "/";
      else if (this.acceptOp("%") || this.acceptWord("MOD")) op = "%";
      else if (this.acceptWord("DIV")) op = "div";
      else return left;
      left = this.binary(op, left, this.parseBitXor());
    }
  }

  private parseBitXor(): Expr {
    let left = this.parseUnary();
    while (this.acceptOp("^")) left = this.binary("^", left, this.parseUnary());
    return left;
  }

  private parseUnary(): Expr {
    const token = this.peek();
    if (token.kind === "op") {
      const op = token.text === "-"
        ? "-"
        : token.text === "~"
        ? "~"
        : token.text === "!"
        ? "not"
        : token.text === "+"
        ? "+"
        : null;
      if (op !== null) {
        this.at++;
        this.enter();
        const operand = this.parseUnary();
        this.depth--;
        if (op === "+") return operand;
        // "-" before an integer literal folds into the literal, so that
        // -9223372036854775808 is a BIGINT like in MySQL.
        if (op === "-" && operand.kind === "literal") {
          const value = operand.value;
          if (typeof value === "bigint" && value === 9223372036854775808n) {
            return { kind: "literal", value: -value, start: token.byteStart, end: operand.end };
          }
        }
        return this.track(
          { kind: "unary", op, operand, start: token.byteStart, end: operand.end },
          [operand],
        );
      }
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const token = this.next();
    const start = token.byteStart;
    const end = token.byteEnd;
    switch (token.kind) {
      case "integer":
      case "float":
      case "string":
      case "hex":
        return { kind: "literal", value: token.value as Exclude<Value, null>, start, end };
      case "param":
        if (!this.allowParams) throw this.error("'?' placeholders are not allowed here", token);
        return { kind: "param", index: this.paramCount++, start, end };
      case "quoted":
        if (this.isOp("(")) return this.parseCall(token);
        if (this.isOp(".")) {
          return this.jsonArrow(this.parseQualifiedColumn(token.value as string, start));
        }
        return this.jsonArrow({
          kind: "column",
          name: token.value as string,
          quoted: true,
          start,
          end,
        });
      case "op":
        if (token.text === "(") {
          this.enter();
          const inner = this.parseExpr();
          this.depth--;
          this.expectOp(")");
          return inner;
        }
        break;
      case "word":
        if (token.upper === "NULL") return { kind: "literal", value: null, start, end };
        if (token.upper === "TRUE") return { kind: "literal", value: 1, start, end };
        if (token.upper === "FALSE") return { kind: "literal", value: 0, start, end };
        if (token.upper === "CASE") return parseCase(this, start);
        if (this.isOp("(")) return this.parseCall(token);
        if (niladicFunctions.has(token.upper)) {
          return { kind: "call", name: token.upper.toLowerCase(), args: [], start, end };
        }
        if (token.upper === "INTERVAL") return this.parseInterval(start);
        if (
          (token.upper === "DATE" || token.upper === "TIME" || token.upper === "TIMESTAMP") &&
          this.peek().kind === "string"
        ) {
          const text = this.next();
          const value = typedLiteral(token.upper, text.value as string);
          if (value === null) {
            throw new QueueError(
              "ER_WRONG_VALUE",
              `Incorrect ${token.upper} value: '${text.value as string}'`,
              { position: text.byteStart },
            );
          }
          return { kind: "literal", value, start, end: text.byteEnd };
        }
        if (reservedWords.has(token.upper)) break;
        if (this.isOp(".")) return this.jsonArrow(this.parseQualifiedColumn(token.text, start));
        return this.jsonArrow({ kind: "column", name: token.text, quoted: false, start, end });
      default:
        break;
    }
    throw this.error(
      token.kind === "end" ? "unexpected end of statement" : "unexpected token",
      token,
    );
  }

  /** `INTERVAL expr unit`; the INTERVAL word is consumed. */
  private parseInterval(start: number): Expr {
    this.enter();
    const value = this.parseExpr();
    this.depth--;
    const unit = this.next();
    if (unit.kind !== "word" || !intervalUnits.has(unit.upper)) {
      throw this.error("expected an interval unit (SECOND, MINUTE, HOUR, DAY, …)", unit);
    }
    return this.track(
      { kind: "interval", value, unit: unit.upper as IntervalUnit, start, end: unit.byteEnd },
      [value],
    );
  }

  /** `table.column` (either part back-quoted); the current token is the '.'. */
  private parseQualifiedColumn(table: string, start: number): Expr {
    this.expectOp(".");
    const token = this.next();
    if (token.kind === "quoted") {
      return {
        kind: "column",
        name: token.value as string,
        quoted: true,
        table,
        start,
        end: token.end,
      };
    }
    if (token.kind === "word") {
      return { kind: "column", name: token.text, quoted: false, table, start, end: token.end };
    }
    throw this.error("expected a column name after '.'", token);
  }

  /** `column->'path'` / `column->>'path'` after a column (MySQL allows them only there). */
  private jsonArrow(column: Expr): Expr {
    const unquote = this.isOp("->>");
    if (!unquote && !this.isOp("->")) return column;
    this.next();
    const path = this.next();
    if (path.kind !== "string") throw this.error("expected a JSON path string", path);
    const pathLiteral: Expr = {
      kind: "literal",
      value: path.value as string,
      start: path.byteStart,
      end: path.byteEnd,
    };
    const extract: Expr = {
      kind: "call",
      name: "json_extract",
      args: [column, pathLiteral],
      start: column.start,
      end: path.byteEnd,
    };
    if (!unquote) return extract;
    return {
      kind: "call",
      name: "json_unquote",
      args: [extract],
      start: column.start,
      end: path.byteEnd,
    };
  }

  /** Tracks a node built by a helper outside this class (depth bookkeeping). */
  tracked<E extends Expr>(expr: E, children: readonly Expr[]): E {
    return this.track(expr, children);
  }

  private parseCall(nameToken: Token): Expr {
    const written = nameToken.kind === "quoted" ? nameToken.value as string : nameToken.text;
    const name = written.toLowerCase();
    this.expectOp("(");
    if (name === "count" && this.isOp("*")) {
      this.at++;
      const close = this.peek();
      this.expectOp(")");
      return { kind: "count_star", start: nameToken.byteStart, end: close.byteEnd };
    }
    const args: Expr[] = [];
    let form: TrimForm | undefined;
    if (!this.isOp(")")) {
      this.enter();
      if (name === "trim") form = parseTrimArguments(this, args);
      else if (name === "position") {
        // POSITION(substr IN str): the first operand stops before IN (a predicate there).
        args.push(this.parseBitOr());
        this.expectWord("IN");
        args.push(this.parseExpr());
      } else {
        do args.push(this.parseExpr()); while (this.acceptOp(","));
        if ((name === "substring" || name === "substr") && args.length === 1) {
          parseSubstringFrom(this, args);
        }
      }
      this.depth--;
    }
    const close = this.peek();
    this.expectOp(")");
    const call: Expr = { kind: "call", name, args, start: nameToken.byteStart, end: close.byteEnd };
    if (form !== undefined) call.form = form;
    if (written !== name) call.written = written;
    return this.track(call, args);
  }
}

type TrimForm = "leading" | "trailing" | "both";

/**
 * TRIM's arguments: `TRIM([{BOTH|LEADING|TRAILING}] [remstr] FROM str)` or
 * `TRIM(str)`; pushes str then remstr (when given) and returns the form.
 */
function parseTrimArguments(stream: TokenStream, args: Expr[]): TrimForm | undefined {
  let form: TrimForm | undefined;
  if (stream.acceptWord("LEADING")) form = "leading";
  else if (stream.acceptWord("TRAILING")) form = "trailing";
  else if (stream.acceptWord("BOTH")) form = "both";
  if (form !== undefined && stream.acceptWord("FROM")) {
    args.push(stream.parseExpr());
    return form;
  }
  const first = stream.parseExpr();
  if (stream.acceptWord("FROM")) {
    args.push(stream.parseExpr(), first);
  } else {
    if (form !== undefined) throw stream.error("expected FROM");
    args.push(first);
  }
  return form;
}

/** `SUBSTRING(str FROM pos [FOR len])`: the part after str. */
function parseSubstringFrom(stream: TokenStream, args: Expr[]): void {
  if (!stream.acceptWord("FROM")) return;
  args.push(stream.parseExpr());
  if (stream.acceptWord("FOR")) args.push(stream.parseExpr());
}

/**
 * `CASE [operand] WHEN a THEN b … [ELSE c] END` as a call named "case":
 * form "simple" (args: operand, when, then, …[, else]) or "searched"
 * (args: when, then, …[, else]). The CASE word is consumed.
 */
function parseCase(stream: TokenStream, start: number): Expr {
  const args: Expr[] = [];
  const simple = !stream.isWord("WHEN");
  if (simple) args.push(stream.parseExpr());
  if (!stream.isWord("WHEN")) throw stream.error("expected WHEN");
  while (stream.acceptWord("WHEN")) {
    args.push(stream.parseExpr());
    stream.expectWord("THEN");
    args.push(stream.parseExpr());
  }
  if (stream.acceptWord("ELSE")) args.push(stream.parseExpr());
  const end = stream.peek();
  stream.expectWord("END");
  return stream.tracked({
    kind: "call",
    name: "case",
    args,
    form: simple ? "simple" : "searched",
    start,
    end: end.byteEnd,
  }, args);
}
