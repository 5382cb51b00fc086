/**
 * Dynamic identifiers for templates: `ident("jobs")` marks a `${}` hole as
 * a table or column name instead of a value. The name goes into the AST as
 * a name (the template text gets it back-quoted), never spliced raw.
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import { identifierLengthMax } from "../limits.ts";

function checkName(name: string): void {
  if (typeof name !== "string") {
    throw new QueueError("ER_WRONG_ARGUMENTS", `ident() takes a string, not ${typeof name}`);
  }
  let length = 0;
  for (const _ of name) length++;
  if (length === 0) throw new QueueError("ER_WRONG_ARGUMENTS", "Identifier must not be empty");
  if (length > identifierLengthMax) {
    // The same code as a name in SQL text, so both ways in fail alike.
    throw new QueueError(
      "ER_TOO_LONG_IDENT",
      `Identifier must be 1 to ${identifierLengthMax} characters, got ${length}`,
    );
  }
  if (name.includes("\0")) {
    throw new QueueError("ER_WRONG_ARGUMENTS", "Identifier must not contain a NUL character");
  }
}

/** A validated table or column name for a template hole; made by {@linkcode ident}. */
export class Identifier {
  /** The name, exactly as given (matched like a back-quoted name). */
  readonly name: string;
  /** Brand for {@linkcode Identifier.is}: `#brand in value` runs no Proxy trap. */
  readonly #brand = true;

  /**
   * Whether `value` is an Identifier. Unlike `instanceof`, runs no user
   * code, so a throwing or revoked Proxy given as a value cannot throw here.
   */
  static is(value: unknown): value is Identifier {
    return typeof value === "object" && value !== null && #brand in value;
  }

  /** Validates the name like {@linkcode ident}. */
  constructor(name: string) {
    checkName(name);
    this.name = name;
  }

  /** The name back-quoted for SQL text, with back-quotes doubled. */
  toString(): string {
    return "`" + this.name.replaceAll("`", "``") + "`";
  }
}

/**
 * Makes a dynamic identifier for a template hole. The name must be 1 to 64
 * characters (longer is ER_TOO_LONG_IDENT) without NUL; anything else is
 * ER_WRONG_ARGUMENTS. Where the name is used, MySQL's rules for it apply: a
 * table name or a new column's name ending in a space is
 * ER_WRONG_TABLE_NAME / ER_WRONG_COLUMN_NAME when the statement is prepared.
 *
 * @example
 * ```ts
 * import { open, ident } from "@q4d/q4d";
 * const db = await open(await Deno.makeTempDir());
 * const table = ident("jobs");
 * await db.sql`CREATE TABLE ${table} (id INT)`;
 * await db.close();
 * ```
 */
export function ident(name: string): Identifier {
  return new Identifier(name);
}
