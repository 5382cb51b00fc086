/**
 * Column types of the DECIMAL, temporal, ENUM/SET and BIT families in
 * CREATE TABLE, and `DEFAULT CURRENT_TIMESTAMP` / `ON UPDATE
 * CURRENT_TIMESTAMP`. The statement parser (`parser.ts`) calls these for
 * the words it does not know itself.
 *
 * tokens → ColumnType (+ the type's text for SHOW-style output)
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { ColumnType } from "./ast.ts";
import { decimalPrecisionMax, decimalScaleMax } from "./decimal.ts";
import type { TokenStream } from "./expression.ts";
import { fspMax } from "./temporal.ts";

/** Most members of an ENUM (MySQL's limit). */
export const enumMembersMax = 65535;
/** Most members of a SET (MySQL's limit: one bit each in 64 bits). */
export const setMembersMax = 64;
/** Most bits of a BIT(n) column. */
export const bitWidthMax = 64;

/** A number in parentheses, or undefined; ER_PARSE_ERROR when not an integer. */
function parseNumbers(stream: TokenStream, countMax: number): number[] | undefined {
  if (!stream.acceptOp("(")) return undefined;
  const numbers: number[] = [];
  do {
    const token = stream.next();
    if (token.kind !== "integer" || typeof token.value !== "number") {
      throw stream.error("expected a number", token);
    }
    numbers.push(token.value);
  } while (numbers.length < countMax && stream.acceptOp(","));
  stream.expectOp(")");
  return numbers;
}

function parseFsp(stream: TokenStream, name: string): number {
  const fsp = parseNumbers(stream, 1)?.[0] ?? 0;
  if (fsp > fspMax) {
    throw new QueueError(
      "ER_TOO_BIG_PRECISION",
      `Too big precision ${fsp} specified for '${name}'. Maximum is ${fspMax}`,
    );
  }
  return fsp;
}

function quote(text: string): string {
  return "'" + text.replaceAll("'", "''") + "'";
}

function parseMembers(stream: TokenStream, kind: "ENUM" | "SET", name: string): string[] {
  stream.expectOp("(");
  const members: string[] = [];
  do {
    const token = stream.next();
    if (token.kind !== "string") throw stream.error(`expected a ${kind} member string`, token);
    // MySQL cuts trailing spaces of members.
    const member = (token.value as string).replace(/ +$/, "");
    if (kind === "SET" && member.includes(",")) {
      throw new QueueError(
        "ER_ILLEGAL_VALUE_FOR_TYPE",
        `Illegal set '${member}' value found during parsing`,
      );
    }
    if (members.some((other) => other.toLowerCase() === member.toLowerCase())) {
      throw new QueueError(
        "ER_DUP_FIELDNAME",
        `Column '${name}' has duplicated value '${member}' in ${kind}`,
      );
    }
    members.push(member);
  } while (stream.acceptOp(","));
  stream.expectOp(")");
  const max = kind === "ENUM" ? enumMembersMax : setMembersMax;
  if (members.length > max) {
    throw new QueueError(
      "ER_TOO_BIG_FIELDLENGTH",
      `Too many strings for column ${name} and ${kind}`,
    );
  }
  return members;
}

/**
 * Parses the rest of a type whose first word is `word` (upper-cased), or
 * returns null when the word is none of this file's types.
 */
export function parseTypedColumnType(
  stream: TokenStream,
  word: string,
  name: string,
): { type: ColumnType; typeText: string } | null {
  switch (word) {
    case "DECIMAL":
    case "DEC":
    case "NUMERIC":
    case "FIXED": {
      const [precision = 10, scale = 0] = parseNumbers(stream, 2) ?? [];
      if (precision > decimalPrecisionMax) {
        throw new QueueError(
          "ER_TOO_BIG_PRECISION",
          `Too big precision ${precision} specified for '${name}'. Maximum is ${decimalPrecisionMax}`,
        );
      }
      if (scale > decimalScaleMax) {
        throw new QueueError(
          "ER_TOO_BIG_SCALE",
          `Too big scale ${scale} specified for '${name}'. Maximum is ${decimalScaleMax}`,
        );
      }
      if (scale > precision) {
        throw new QueueError(
          "ER_M_BIGGER_THAN_D",
          `For float(M,D), double(M,D) or decimal(M,D), M must be >= D (column '${name}')`,
        );
      }
      const unsigned = stream.acceptWord("UNSIGNED");
      if (!unsigned) stream.acceptWord("SIGNED");
      const precisionWritten = precision === 0 ? 1 : precision;
      return {
        type: { kind: "decimal", precision: precisionWritten, scale, unsigned },
        typeText: `DECIMAL(${precisionWritten},${scale})${unsigned ? " UNSIGNED" : ""}`,
      };
    }
    case "DATE":
      return { type: { kind: "date" }, typeText: "DATE" };
    case "DATETIME":
    case "TIMESTAMP": {
      const fsp = parseFsp(stream, name);
      return {
        type: { kind: "datetime", fsp, timestamp: word === "TIMESTAMP" },
        typeText: fsp === 0 ? word : `${word}(${fsp})`,
      };
    }
    case "TIME": {
      const fsp = parseFsp(stream, name);
      return { type: { kind: "time", fsp }, typeText: fsp === 0 ? "TIME" : `TIME(${fsp})` };
    }
    case "YEAR": {
      const width = parseNumbers(stream, 1)?.[0];
      if (width !== undefined && width !== 4) throw stream.error("YEAR takes only (4)");
      return { type: { kind: "year" }, typeText: "YEAR" };
    }
    case "ENUM":
    case "SET": {
      const members = parseMembers(stream, word, name);
      return {
        type: { kind: word === "ENUM" ? "enum" : "set", members },
        typeText: `${word}(${members.map(quote).join(",")})`,
      };
    }
    case "BIT": {
      const bits = parseNumbers(stream, 1)?.[0] ?? 1;
      if (bits < 1 || bits > bitWidthMax) {
        throw new QueueError(
          "ER_TOO_BIG_FIELDLENGTH",
          `Column length too big for column '${name}' (max = ${bitWidthMax})`,
        );
      }
      return { type: { kind: "bit", bits }, typeText: `BIT(${bits})` };
    }
    default:
      return null;
  }
}

const nowWords: ReadonlySet<string> = new Set([
  "CURRENT_TIMESTAMP",
  "NOW",
  "LOCALTIME",
  "LOCALTIMESTAMP",
]);

/**
 * Consumes `CURRENT_TIMESTAMP[([fsp])]` (or NOW(), LOCALTIME,
 * LOCALTIMESTAMP) after DEFAULT or ON UPDATE; false when the next token is
 * something else.
 */
export function acceptNow(stream: TokenStream): boolean {
  const token = stream.peek();
  if (token.kind !== "word" || !nowWords.has(token.upper)) return false;
  stream.next();
  if (stream.acceptOp("(")) {
    if (!stream.isOp(")")) stream.next();
    stream.expectOp(")");
  } else if (token.upper === "NOW") {
    throw stream.error("expected '('");
  }
  return true;
}
