/**
 * Errors and assertions shared by every layer.
 *
 * Two kinds of failure, never mixed: a {@linkcode QueueError} with a code is
 * about what a user did or what the disk holds; {@linkcode assert} guards
 * invariants whose failure can only be a bug in q4d and is never caught.
 *
 * @module
 */

/**
 * The code carried by every {@linkcode QueueError}. Names follow MySQL's where
 * MySQL has one; the last group is q4d's own.
 */
export type ErrorCode =
  | "ER_PARSE_ERROR"
  | "ER_NO_SUCH_TABLE"
  | "ER_TABLE_EXISTS_ERROR"
  | "ER_BAD_FIELD_ERROR"
  | "ER_DUP_FIELDNAME"
  | "ER_FIELD_SPECIFIED_TWICE"
  | "ER_NO_DEFAULT_FOR_FIELD"
  | "ER_NO_TABLES_USED"
  | "ER_WRONG_VALUE_COUNT_ON_ROW"
  | "ER_BAD_NULL_ERROR"
  | "ER_TRUNCATED_WRONG_VALUE"
  | "ER_WARN_DATA_OUT_OF_RANGE"
  | "ER_DATA_TOO_LONG"
  | "ER_INVALID_JSON_TEXT"
  | "ER_INVALID_DEFAULT"
  | "ER_TOO_BIG_FIELDLENGTH"
  | "ER_DATA_OUT_OF_RANGE"
  | "ER_NOT_SUPPORTED_YET"
  | "ER_WRONG_ARGUMENTS"
  | "ER_WRONG_PARAMCOUNT"
  | "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD"
  | "ER_WRONG_TABLE_NAME"
  | "ER_WRONG_COLUMN_NAME"
  | "ER_TOO_LONG_IDENT"
  | "ER_ILLEGAL_VALUE_FOR_TYPE"
  | "ER_WARN_DATA_TRUNCATED"
  | "ER_TOO_BIG_PRECISION"
  | "ER_TOO_BIG_SCALE"
  | "ER_M_BIGGER_THAN_D"
  | "ER_WRONG_VALUE"
  | "ER_DISK_FULL"
  | "ER_ERROR_ON_WRITE"
  | "ER_ERROR_ON_READ"
  | "ER_CANT_OPEN_FILE"
  | "ER_NOT_OWNER"
  | "ER_DB_LOCKED"
  | "ER_CORRUPT"
  | "ER_CLOSED"
  | "ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT"
  | "ER_INVALID_JSON_TEXT_IN_PARAM"
  | "ER_INVALID_JSON_PATH"
  | "ER_INVALID_JSON_PATH_WILDCARD"
  | "ER_QUERY_INTERRUPTED"
  | "ER_ACCESS_DENIED_ERROR"
  | "ER_BAD_DB_ERROR"
  | "ER_UNKNOWN_STORAGE_ENGINE"
  | "ER_TRANS_CACHE_FULL"
  | "ER_CANT_DO_THIS_DURING_AN_TRANSACTION"
  | "ER_LOCK_DEADLOCK"
  | "ER_SP_DOES_NOT_EXIST"
  | "ER_DB_CREATE_EXISTS"
  | "ER_DB_DROP_EXISTS";

/** Options for {@linkcode QueueError}. */
export interface QueueErrorOptions {
  /** Byte offset in the SQL text (parse errors) or in a file (corruption). */
  position?: number | undefined;
  /** The file a storage error is about. */
  path?: string | undefined;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Every error q4d reports to its users.
 *
 * @example
 * ```ts
 * import { open, QueueError } from "@q4d/q4d";
 * const db = await open(await Deno.makeTempDir());
 * try {
 *   await db.sql`SELECT * FROM missing`;
 * } catch (e) {
 *   if (e instanceof QueueError) console.log(e.code); // "ER_NO_SUCH_TABLE"
 * }
 * await db.close();
 * ```
 */
export class QueueError extends Error {
  /** What went wrong, as a stable machine-readable code. */
  readonly code: ErrorCode;
  /** Byte offset in the SQL text or file the error is about, when known. */
  readonly position: number | undefined;
  /** The file a storage error is about, when known. */
  readonly path: string | undefined;

  /** Creates an error with a code and a one-sentence message. */
  constructor(code: ErrorCode, message: string, options: QueueErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "QueueError";
    this.code = code;
    this.position = options.position;
    this.path = options.path;
  }
}

/**
 * Fails loudly when an invariant does not hold. Only for conditions that can be
 * false through a bug in q4d, never for bad input or disk contents.
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * Returns `value`, failing loudly when it is `undefined`: the expression form of
 * {@linkcode assert} for an index or key the code knows is present (an array
 * slot below its length, a map key it just set). Pass a constant message so a
 * hot path builds no string.
 */
export function defined<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new AssertionError(message);
  return value;
}

/** Thrown by {@linkcode assert} and {@linkcode defined}: a bug in q4d, never caught. */
export class AssertionError extends Error {
  /** Creates the error for the invariant `message` names. */
  constructor(message: string) {
    super(`q4d assertion failed: ${message}`);
    this.name = "AssertionError";
  }
}
