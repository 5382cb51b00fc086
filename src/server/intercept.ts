/**
 * Statements the server answers itself, before the engine: what clients send
 * at connect or by habit (`SELECT @@version_comment`, `SET NAMES`, `SHOW
 * VARIABLES`, `SELECT DATABASE()`, `KILL`, `SHOW PROCESSLIST`).
 * Anything else goes to the engine, transactions (BEGIN, COMMIT, ROLLBACK,
 * savepoints) and USE included.
 *
 * SQL text → Outcome (answered here) | null (the engine's)
 *
 * @module
 */

import { defined } from "../errors.ts";
import { type Token, tokenize } from "./tokens.ts";
import { openExecutableComments } from "../sql/mod.ts";

/** What a statement produced, in wire terms. */
export type Outcome =
  | { kind: "rows"; names: string[]; rows: unknown[][] }
  | { kind: "ok"; affectedRows: number; insertId: number; info?: string };

/** An error the interceptor reports with a MySQL errno. */
export class ServerStatementError extends Error {
  readonly errno: number;
  readonly sqlState: string;

  /** An error with its errno and SQLSTATE. */
  constructor(errno: number, sqlState: string, message: string) {
    super(message);
    this.name = "ServerStatementError";
    this.errno = errno;
    this.sqlState = sqlState;
  }
}

/** One row of SHOW PROCESSLIST. */
export interface ProcessRow {
  id: number;
  user: string;
  host: string;
  db: string | null;
  command: string;
  timeSeconds: number;
  state: string;
  info: string | null;
}

/** The connection and server state the interceptor reads and changes. */
export interface InterceptContext {
  /** Session variables, lower-cased names. */
  readonly variables: Map<string, string | number | null>;
  /** User variables (`@name`). */
  readonly userVariables: Map<string, string | number | null>;
  /** The current database (the engine session's; USE goes to the engine). */
  readonly database: string;
  readonly user: string;
  readonly host: string;
  readonly connectionId: number;
  readonly lastInsertId: number;
  /** Ends a connection's pending wait (query) or the connection; false when no such id. */
  kill(id: number, queryOnly: boolean): boolean;
  processList(): ProcessRow[];
  /** q4d's own status variables (src/server/status.ts), after MySQL's in SHOW STATUS. */
  q4dStatus(): [string, string][];
}

const ok: Outcome = { kind: "ok", affectedRows: 0, insertId: 0 };

/** The token at `at`, which the caller's bounds check (or a lookahead) showed is there. */
function tokenAt(tokens: readonly Token[], at: number): Token {
  return defined(tokens[at], "a token index inside the statement");
}

function parseError(near: string): ServerStatementError {
  return new ServerStatementError(
    1064,
    "42000",
    `You have an error in your SQL syntax; check the manual near '${near.slice(0, 80)}'`,
  );
}

function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token !== undefined && token.kind === "word" &&
    words.includes(token.text.toUpperCase());
}

/** A read of a system variable; ERR 1193 when unknown. */
function readVariable(context: InterceptContext, name: string): string | number | null {
  if (name === "identity" || name === "last_insert_id") return context.lastInsertId;
  if (name === "warning_count" || name === "error_count") return 0;
  if (!context.variables.has(name)) {
    throw new ServerStatementError(1193, "HY000", `Unknown system variable '${name}'`);
  }
  return context.variables.get(name)!;
}

const serverFunctions = new Set([
  "DATABASE",
  "SCHEMA",
  "USER",
  "CURRENT_USER",
  "SESSION_USER",
  "SYSTEM_USER",
  "VERSION",
  "CONNECTION_ID",
  "LAST_INSERT_ID",
]);

/**
 * Parses one select-list item at `at`; returns its value getter and the index
 * after it, or null when it is not something the server answers.
 */
function selectItem(
  tokens: Token[],
  at: number,
  context: InterceptContext,
  params: readonly unknown[],
): { value: () => unknown; next: number; server: boolean } | null {
  const token = tokens[at];
  if (token === undefined) return null;
  if (token.kind === "sysvar") {
    return { value: () => readVariable(context, token.text), next: at + 1, server: true };
  }
  if (token.kind === "uservar") {
    return {
      value: () => context.userVariables.get(token.text) ?? null,
      next: at + 1,
      server: true,
    };
  }
  if (
    token.kind === "word" && token.text.toUpperCase() === "CURRENT_USER" &&
    tokens[at + 1]?.text !== "("
  ) {
    return { value: () => `${context.user}@%`, next: at + 1, server: true };
  }
  if (
    token.kind === "word" && serverFunctions.has(token.text.toUpperCase()) &&
    tokens[at + 1]?.text === "(" && tokens[at + 2]?.text === ")"
  ) {
    const name = token.text.toUpperCase();
    const value = () => {
      switch (name) {
        case "DATABASE":
        case "SCHEMA":
          return context.database;
        case "USER":
        case "SESSION_USER":
        case "SYSTEM_USER":
          return `${context.user}@${context.host}`;
        case "CURRENT_USER":
          return `${context.user}@%`;
        case "VERSION":
          return context.variables.get("version") ?? null;
        case "CONNECTION_ID":
          return context.connectionId;
        default:
          return context.lastInsertId;
      }
    };
    return { value, next: at + 3, server: true };
  }
  if (token.kind === "number") {
    const number = Number(token.text);
    return { value: () => number, next: at + 1, server: false };
  }
  if (token.kind === "string") return { value: () => token.text, next: at + 1, server: false };
  if (token.kind === "param") {
    const index = tokens.slice(0, at).filter((t) => t.kind === "param").length;
    return { value: () => params[index] ?? null, next: at + 1, server: false };
  }
  return null;
}

/** SELECT of server values only (`@@x`, `DATABASE()`, …), with optional aliases and LIMIT. */
function interceptSelect(
  text: string,
  tokens: Token[],
  context: InterceptContext,
  params: readonly unknown[],
): Outcome | null {
  const names: string[] = [];
  const getters: (() => unknown)[] = [];
  let at = 1;
  let anyServer = false;
  for (;;) {
    const item = selectItem(tokens, at, context, params);
    if (item === null) return null;
    anyServer ||= item.server;
    const start = tokenAt(tokens, at).start;
    const end = tokenAt(tokens, item.next - 1).end;
    at = item.next;
    let name = text.slice(start, end);
    if (isWord(tokens[at], "AS")) at++;
    const alias = tokens[at];
    if (
      alias !== undefined &&
      (alias.kind === "quoted" || alias.kind === "string" ||
        (alias.kind === "word" && !isWord(alias, "LIMIT", "FROM")))
    ) {
      name = alias.text;
      at++;
    }
    names.push(name);
    getters.push(item.value);
    if (tokens[at]?.text === ",") {
      at++;
      continue;
    }
    break;
  }
  if (!anyServer) return null;
  if (isWord(tokens[at], "FROM") && isWord(tokens[at + 1], "DUAL")) at += 2;
  let limit = Infinity;
  if (isWord(tokens[at], "LIMIT") && tokens[at + 1]?.kind === "number") {
    limit = Number(tokenAt(tokens, at + 1).text);
    at += 2;
  }
  if (at !== tokens.length) return null;
  const row = getters.map((get) => get());
  return { kind: "rows", names, rows: limit > 0 ? [row] : [] };
}

/** A SET value: literal, keyword (ON, OFF, DEFAULT…), a variable or a parameter. */
function setValue(
  tokens: Token[],
  at: number,
  context: InterceptContext,
  params: readonly unknown[],
  name: string,
  defaults: ReadonlyMap<string, string | number | null>,
): { value: string | number | null; next: number } {
  const token = tokens[at];
  if (token === undefined) throw parseError("");
  let sign = 1;
  if (token.kind === "punct" && token.text === "-" && tokens[at + 1]?.kind === "number") {
    sign = -1;
    at++;
  }
  if (
    tokenAt(tokens, at).kind === "word" && tokenAt(tokens, at).text.startsWith("_") &&
    tokens[at + 1]?.kind === "string"
  ) {
    at++; // a character set introducer (_utf8 '…', _binary '…')
  }
  const value = tokenAt(tokens, at);
  switch (value.kind) {
    case "number":
      return { value: sign * Number(value.text), next: at + 1 };
    case "string":
    case "quoted":
      return { value: value.text, next: at + 1 };
    case "sysvar":
      return { value: readVariable(context, value.text), next: at + 1 };
    case "uservar":
      return { value: context.userVariables.get(value.text) ?? null, next: at + 1 };
    case "param": {
      const index = tokens.slice(0, at).filter((t) => t.kind === "param").length;
      const param = params[index];
      return {
        value: typeof param === "number" || typeof param === "string"
          ? param
          : param == null
          ? null
          : String(param),
        next: at + 1,
      };
    }
    case "word": {
      const upper = value.text.toUpperCase();
      if (upper === "CONCAT" && tokens[at + 1]?.text === "(") {
        // Connector/J at connect: sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES').
        const parts: (string | number | null)[] = [];
        let next = at + 2;
        for (;;) {
          const part = setValue(tokens, next, context, params, name, defaults);
          parts.push(part.value);
          next = part.next;
          if (tokens[next]?.text === ",") next++;
          else if (tokens[next]?.text === ")") break;
          else throw parseError(tokens[next]?.text ?? "");
        }
        return { value: parts.includes(null) ? null : parts.join(""), next: next + 1 };
      }
      if (upper === "DEFAULT") return { value: defaults.get(name) ?? null, next: at + 1 };
      if (upper === "NULL") return { value: null, next: at + 1 };
      if (upper === "ON" || upper === "TRUE") return { value: 1, next: at + 1 };
      if (upper === "OFF" || upper === "FALSE") return { value: 0, next: at + 1 };
      return { value: value.text, next: at + 1 };
    }
    default:
      throw parseError(value.text);
  }
}

const booleanVariables = new Set([
  "autocommit",
  "sql_auto_is_null",
  "sql_safe_updates",
  "unique_checks",
  "foreign_key_checks",
  "sql_notes",
  "sql_warnings",
  "transaction_read_only",
  "tx_read_only",
  "sql_log_bin",
]);

function interceptSet(
  tokens: Token[],
  context: InterceptContext,
  params: readonly unknown[],
  defaults: ReadonlyMap<string, string | number | null>,
): Outcome {
  let at = 1;
  if (
    isWord(tokens[at], "TRANSACTION") ||
    (isWord(tokens[at], "SESSION", "GLOBAL") && isWord(tokens[at + 1], "TRANSACTION"))
  ) {
    return ok; // q4d has one isolation behaviour (README, "Transactions")
  }
  for (;;) {
    const token = tokens[at];
    if (token === undefined) throw parseError("");
    if (isWord(token, "NAMES")) {
      const charset = tokens[at + 1];
      if (charset === undefined) throw parseError("");
      const name = isWord(charset, "DEFAULT") ? "utf8mb4" : charset.text.toLowerCase();
      at += 2;
      let collation: string | null = null;
      if (isWord(tokens[at], "COLLATE")) {
        collation = tokens[at + 1]?.text.toLowerCase() ?? null;
        at += 2;
      }
      for (
        const v of ["character_set_client", "character_set_connection", "character_set_results"]
      ) {
        context.variables.set(v, name);
      }
      context.variables.set("collation_connection", collation ?? `${name}_general_ci`);
    } else if (isWord(token, "CHARACTER", "CHARSET")) {
      at += isWord(token, "CHARACTER") ? 2 : 1;
      const charset = tokens[at];
      if (charset === undefined) throw parseError("");
      const name = isWord(charset, "DEFAULT") ? "utf8mb4" : charset.text.toLowerCase();
      at++;
      context.variables.set("character_set_client", name);
      context.variables.set("character_set_results", name);
    } else {
      let name: string;
      if (token.kind === "uservar") {
        name = token.text;
        at++;
        if (tokens[at]?.text !== "=" && tokens[at]?.text !== ":=") throw parseError(token.text);
        const { value, next } = setValue(tokens, at + 1, context, params, "", defaults);
        context.userVariables.set(name, value);
        at = next;
      } else {
        if (token.kind === "sysvar") {
          name = token.text;
          at++;
        } else {
          if (isWord(token, "SESSION", "LOCAL", "GLOBAL", "PERSIST")) at++;
          const nameToken = tokens[at];
          if (
            nameToken === undefined || (nameToken.kind !== "word" && nameToken.kind !== "quoted")
          ) {
            throw parseError(nameToken?.text ?? "");
          }
          name = nameToken.text.toLowerCase();
          at++;
          // SET @@session.x style after a scope word is tokenized as sysvar above.
        }
        if (tokens[at]?.text !== "=" && tokens[at]?.text !== ":=") {
          throw parseError(tokens[at]?.text ?? "");
        }
        let { value, next } = setValue(tokens, at + 1, context, params, name, defaults);
        if (booleanVariables.has(name) && typeof value === "string") {
          const upper = value.toUpperCase();
          value = upper === "ON" || upper === "1"
            ? 1
            : upper === "OFF" || upper === "0"
            ? 0
            : value;
        }
        context.variables.set(name, value);
        at = next;
      }
    }
    if (tokens[at]?.text === ",") {
      at++;
      continue;
    }
    if (at !== tokens.length) throw parseError(tokenAt(tokens, at).text);
    return ok;
  }
}

/** MySQL's LIKE on a name: % and _ wildcards, backslash escape, case-insensitive. */
function likeMatcher(pattern: string): (name: string) => boolean {
  let source = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === "\\" && i + 1 < pattern.length) {
      source += pattern.charAt(++i).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    } else if (c === "%") source += ".*";
    else if (c === "_") source += ".";
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const regex = new RegExp(source + "$", "is");
  return (name) => regex.test(name);
}

/** `LIKE 'p'` or `WHERE Variable_name (=|LIKE) 'x' [OR …]` / `IN (…)`, as a name filter. */
function nameFilter(tokens: Token[], at: number, column: string): (name: string) => boolean {
  if (at === tokens.length) return () => true;
  if (isWord(tokens[at], "LIKE") && tokens[at + 1]?.kind === "string" && at + 2 === tokens.length) {
    return likeMatcher(tokenAt(tokens, at + 1).text);
  }
  if (!isWord(tokens[at], "WHERE")) throw parseError(tokenAt(tokens, at).text);
  at++;
  const tests: ((name: string) => boolean)[] = [];
  for (;;) {
    const subject = tokens[at];
    if (subject === undefined || subject.text.toLowerCase() !== column.toLowerCase()) {
      throw new ServerStatementError(
        1235,
        "42000",
        `SHOW … WHERE supports only conditions on ${column}`,
      );
    }
    const op = tokens[at + 1];
    if (op?.text === "=" && tokens[at + 2]?.kind === "string") {
      const wanted = tokenAt(tokens, at + 2).text.toLowerCase();
      tests.push((name) => name.toLowerCase() === wanted);
      at += 3;
    } else if (isWord(op, "LIKE") && tokens[at + 2]?.kind === "string") {
      tests.push(likeMatcher(tokenAt(tokens, at + 2).text));
      at += 3;
    } else if (isWord(op, "IN") && tokens[at + 2]?.text === "(") {
      at += 3;
      const wanted = new Set<string>();
      while (tokens[at]?.kind === "string") {
        wanted.add(tokenAt(tokens, at).text.toLowerCase());
        at++;
        if (tokens[at]?.text === ",") at++;
      }
      if (tokens[at]?.text !== ")") throw parseError(tokens[at]?.text ?? "");
      at++;
      tests.push((name) => wanted.has(name.toLowerCase()));
    } else {
      throw new ServerStatementError(
        1235,
        "42000",
        `SHOW … WHERE supports =, LIKE and IN on ${column}`,
      );
    }
    if (at === tokens.length) break;
    if (!isWord(tokens[at], "OR")) throw parseError(tokenAt(tokens, at).text);
    at++;
  }
  return (name) => tests.some((test) => test(name));
}

function interceptShow(tokens: Token[], context: InterceptContext): Outcome | null {
  let at = 1;
  const full = isWord(tokens[at], "FULL");
  if (full) at++;
  if (isWord(tokens[at], "GLOBAL", "SESSION", "LOCAL")) at++;
  const what = tokens[at]?.kind === "word" ? tokenAt(tokens, at).text.toUpperCase() : "";
  at++;
  switch (what) {
    case "VARIABLES": {
      const filter = nameFilter(tokens, at, "Variable_name");
      const rows = [...context.variables.entries()]
        .filter(([name]) => filter(name))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map((
          [name, value],
        ) => [
          name,
          value === null ? "" : booleanVariables.has(name) ? (value ? "ON" : "OFF") : String(value),
        ]);
      return { kind: "rows", names: ["Variable_name", "Value"], rows };
    }
    case "STATUS": {
      const filter = nameFilter(tokens, at, "Variable_name");
      const status: [string, string][] = [
        ["Threads_connected", String(context.processList().length)],
        ["Uptime", String(Math.floor(performance.now() / 1000))],
        ...context.q4dStatus(),
      ];
      return {
        kind: "rows",
        names: ["Variable_name", "Value"],
        rows: status.filter(([name]) => filter(name)),
      };
    }
    case "WARNINGS":
    case "ERRORS":
      return { kind: "rows", names: ["Level", "Code", "Message"], rows: [] };
    case "PROCESSLIST": {
      if (at !== tokens.length) throw parseError(tokenAt(tokens, at).text);
      const rows = context.processList().map((p) => [
        p.id,
        p.user,
        p.host,
        p.db,
        p.command,
        p.timeSeconds,
        p.state,
        p.info === null ? null : full ? p.info : p.info.slice(0, 100),
      ]);
      return {
        kind: "rows",
        names: ["Id", "User", "Host", "db", "Command", "Time", "State", "Info"],
        rows,
      };
    }
    case "EVENTS":
      // mysqldump --events / --routines / --triggers, --order-by-primary: q4d has no events,
      // routines, triggers or keys, as a MySQL database without them.
      return { kind: "rows", names: ["Db", "Name", "Definer", "Type"], rows: [] };
    case "PROCEDURE":
    case "FUNCTION":
    case "PACKAGE":
      return { kind: "rows", names: ["Db", "Name", "Type", "Definer"], rows: [] };
    case "TRIGGERS":
      return { kind: "rows", names: ["Trigger", "Event", "Table", "Statement"], rows: [] };
    case "KEYS":
    case "INDEX":
    case "INDEXES":
      return { kind: "rows", names: ["Table", "Non_unique", "Key_name", "Column_name"], rows: [] };
    case "ENGINES":
      return {
        kind: "rows",
        names: ["Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"],
        rows: [["QUEUE", "DEFAULT", "q4d: tables as durable message queues", "NO", "NO", "NO"]],
      };
    case "COUNT":
      // SHOW COUNT(*) WARNINGS / ERRORS
      return {
        kind: "rows",
        names: [
          `@@session.${isWord(tokens[tokens.length - 1], "ERRORS") ? "error" : "warning"}_count`,
        ],
        rows: [[0]],
      };
    default:
      return null;
  }
}

/** The first word of a statement, after comments. */
const leadingWord = /^\s*(?:(?:\/\*[\s\S]*?\*\/|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$))\s*)*([A-Za-z]+)/;

/**
 * First words of statements the server always answers itself, never the
 * engine: COM_STMT_PREPARE counts their `?` without parsing them as SQL.
 */
export const serverStatementHeads: readonly string[] = [
  "SET",
  "SHOW",
  "KILL",
  "DO",
];

/** First words of statements the server may answer itself. */
const interceptedHeads = new Set([
  "SELECT",
  ...serverStatementHeads,
  "SAVEPOINT",
  "RELEASE",
  "LOCK",
  "UNLOCK",
  "FLUSH",
]);

/** Upper-case character codes the intercepted heads start with. */
const interceptedInitials = new Set([...interceptedHeads].map((head) => head.charCodeAt(0)));

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** A SELECT the server answers reads a variable or calls one of its functions. */
const serverValueHint =
  /@|\b(?:DATABASE|SCHEMA|USER|CURRENT_USER|SESSION_USER|SYSTEM_USER|VERSION|CONNECTION_ID|LAST_INSERT_ID)\b/i;

/**
 * information_schema views that are empty on q4d as they are on a MySQL
 * without tablespaces, partitions, routines, triggers or events (mysqldump
 * reads them).
 */
const emptyViewFrom =
  /\bFROM\s+`?INFORMATION_SCHEMA`?\s*\.\s*`?(?:FILES|PARTITIONS|ROUTINES|TRIGGERS|EVENTS)\b/i;

/** No rows, with the names of the outer select list's items. */
function emptyView(text: string): Outcome {
  const tokens = tokenize(text);
  const names: string[] = [];
  let depth = 0;
  let start = 1;
  for (let at = 1; at < tokens.length; at++) {
    const token = tokenAt(tokens, at);
    if (token.text === "(") depth++;
    else if (token.text === ")") depth--;
    const last = depth === 0 && isWord(token, "FROM");
    if (depth === 0 && (token.text === "," || last)) {
      const item = tokens.slice(start, at).filter((t) => !isWord(t, "DISTINCT"));
      const alias = item.length > 2 && isWord(item[item.length - 2], "AS") ? item.at(-1) : null;
      names.push(alias?.text ?? text.slice(item[0]?.start ?? 0, item.at(-1)?.end ?? 0));
      start = at + 1;
    }
    if (last) break;
  }
  return { kind: "rows", names, rows: [] };
}

/**
 * SELECT texts found to be the engine's by the regular expressions below
 * (the same texts come again and again: a consumer's queue_wait, SELECT
 * and queue_end()); emptied when full. Only texts up to
 * `engineSelectBytesMax` long are kept.
 */
const engineSelects = new Set<string>();
const engineSelectsMax = 1024;
const engineSelectBytesMax = 1024;

/**
 * Answers `text` when it is a statement the server handles; null when it is
 * the engine's. Throws {@linkcode ServerStatementError} for a bad one.
 */
export function intercept(
  text: string,
  context: InterceptContext,
  params: readonly unknown[],
  defaults: ReadonlyMap<string, string | number | null>,
): Outcome | null {
  // A text that starts with a letter no intercepted head starts with (INSERT, REPLACE…):
  // its first word is that word, so it is the engine's.
  if (!interceptedInitials.has(text.charCodeAt(0) & ~32) && isAsciiLetter(text.charCodeAt(0))) {
    return null;
  }
  if (engineSelects.has(text)) return null;
  const written = text;
  text = openExecutableComments(text);
  // Most statements are the engine's: decide from the first word, without tokenizing.
  const head = leadingWord.exec(text)?.[1]?.toUpperCase() ?? "";
  if (!interceptedHeads.has(head)) return null;
  if (head === "SELECT" && emptyViewFrom.test(text)) return emptyView(text);
  if (head === "SELECT" && !serverValueHint.test(text)) {
    if (written.length <= engineSelectBytesMax) {
      if (engineSelects.size >= engineSelectsMax) engineSelects.clear();
      engineSelects.add(written);
    }
    return null;
  }
  const tokens = tokenize(text);
  if (tokens.at(-1)?.text === ";") tokens.pop();
  const first = tokens[0];
  if (first === undefined || first.kind !== "word") return null;
  switch (first.text.toUpperCase()) {
    case "SELECT":
      return interceptSelect(text, tokens, context, params);
    case "SET":
      return interceptSet(tokens, context, params, defaults);
    case "SHOW":
      return interceptShow(tokens, context);
    case "KILL": {
      let at = 1;
      let queryOnly = false;
      if (isWord(tokens[at], "QUERY")) {
        queryOnly = true;
        at++;
      } else if (isWord(tokens[at], "CONNECTION")) at++;
      const id = tokens[at];
      if (id?.kind !== "number" || at + 1 !== tokens.length) throw parseError(id?.text ?? "");
      if (!context.kill(Number(id.text), queryOnly)) {
        throw new ServerStatementError(1094, "HY000", `Unknown thread id: ${id.text}`);
      }
      return ok;
    }
    case "DO":
      return ok;
    case "FLUSH":
      // FLUSH [LOCAL] TABLES [WITH READ LOCK], FLUSH LOGS… (mysqldump): nothing to flush.
      return ok;
    case "LOCK":
    case "UNLOCK":
      // LOCK TABLES t READ LOCAL / WRITE and UNLOCK TABLES (mysqldump, its dumps): no-ops.
      // Every statement is atomic on its own and queue rows are owned per connection, so
      // there is nothing a table lock would add; the statement is checked, then accepted.
      if (!isWord(tokens[1], "TABLES", "TABLE")) throw parseError(tokens[1]?.text ?? "");
      return ok;
    default:
      return null;
  }
}
