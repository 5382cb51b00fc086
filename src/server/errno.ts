/**
 * The one table from q4d's error codes to MySQL's errno and SQLSTATE, and the
 * server's own protocol-level errors. The README's "Errors over the wire"
 * table lists the same rows.
 *
 * QueueError.code → { errno, sqlState } → ERR packet
 *
 * @module
 */

import type { ErrorCode } from "../errors.ts";

/** A MySQL error number and its SQLSTATE. */
export interface MysqlError {
  /** MySQL's error number (e.g. 1146). */
  readonly errno: number;
  /** The five-character SQLSTATE (e.g. "42S02"). */
  readonly sqlState: string;
}

/** Every QueueError code as MySQL reports it. */
export const errorCodeToMysql: Readonly<Record<ErrorCode, MysqlError>> = {
  ER_PARSE_ERROR: { errno: 1064, sqlState: "42000" },
  ER_NO_SUCH_TABLE: { errno: 1146, sqlState: "42S02" },
  ER_TABLE_EXISTS_ERROR: { errno: 1050, sqlState: "42S01" },
  ER_BAD_FIELD_ERROR: { errno: 1054, sqlState: "42S22" },
  ER_DUP_FIELDNAME: { errno: 1060, sqlState: "42S21" },
  ER_FIELD_SPECIFIED_TWICE: { errno: 1110, sqlState: "42000" },
  ER_NO_DEFAULT_FOR_FIELD: { errno: 1364, sqlState: "HY000" },
  ER_NO_TABLES_USED: { errno: 1096, sqlState: "HY000" },
  ER_WRONG_VALUE_COUNT_ON_ROW: { errno: 1136, sqlState: "21S01" },
  ER_BAD_NULL_ERROR: { errno: 1048, sqlState: "23000" },
  ER_TRUNCATED_WRONG_VALUE: { errno: 1292, sqlState: "22007" },
  ER_WARN_DATA_OUT_OF_RANGE: { errno: 1264, sqlState: "22003" },
  ER_DATA_TOO_LONG: { errno: 1406, sqlState: "22001" },
  ER_INVALID_JSON_TEXT: { errno: 3140, sqlState: "22032" },
  ER_INVALID_DEFAULT: { errno: 1067, sqlState: "42000" },
  ER_TOO_BIG_FIELDLENGTH: { errno: 1074, sqlState: "42000" },
  ER_DATA_OUT_OF_RANGE: { errno: 1690, sqlState: "22003" },
  ER_NOT_SUPPORTED_YET: { errno: 1235, sqlState: "42000" },
  ER_WRONG_ARGUMENTS: { errno: 1210, sqlState: "HY000" },
  // MySQL's "Incorrect arguments to mysqld_stmt_execute" for a parameter count mismatch.
  ER_WRONG_PARAMCOUNT: { errno: 1210, sqlState: "HY000" },
  ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: { errno: 1366, sqlState: "HY000" },
  ER_WRONG_TABLE_NAME: { errno: 1103, sqlState: "42000" },
  ER_WRONG_COLUMN_NAME: { errno: 1166, sqlState: "42000" },
  ER_TOO_LONG_IDENT: { errno: 1059, sqlState: "42000" },
  ER_ILLEGAL_VALUE_FOR_TYPE: { errno: 1367, sqlState: "22007" },
  ER_WARN_DATA_TRUNCATED: { errno: 1265, sqlState: "01000" },
  ER_TOO_BIG_PRECISION: { errno: 1426, sqlState: "42000" },
  ER_TOO_BIG_SCALE: { errno: 1425, sqlState: "42000" },
  ER_M_BIGGER_THAN_D: { errno: 1427, sqlState: "42000" },
  ER_WRONG_VALUE: { errno: 1525, sqlState: "HY000" },
  ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT: { errno: 1582, sqlState: "42000" },
  ER_INVALID_JSON_TEXT_IN_PARAM: { errno: 3141, sqlState: "22032" },
  ER_INVALID_JSON_PATH: { errno: 3143, sqlState: "42000" },
  ER_INVALID_JSON_PATH_WILDCARD: { errno: 3149, sqlState: "42000" },
  ER_BAD_DB_ERROR: { errno: 1049, sqlState: "42000" },
  ER_DB_CREATE_EXISTS: { errno: 1007, sqlState: "HY000" },
  ER_DB_DROP_EXISTS: { errno: 1008, sqlState: "HY000" },
  ER_UNKNOWN_STORAGE_ENGINE: { errno: 1286, sqlState: "42000" },
  ER_DISK_FULL: { errno: 1021, sqlState: "HY000" },
  ER_ERROR_ON_WRITE: { errno: 1026, sqlState: "HY000" },
  ER_ERROR_ON_READ: { errno: 1024, sqlState: "HY000" },
  ER_CANT_OPEN_FILE: { errno: 1016, sqlState: "HY000" },
  ER_TRANS_CACHE_FULL: { errno: 1197, sqlState: "HY000" },
  ER_LOCK_DEADLOCK: { errno: 1213, sqlState: "40001" },
  ER_CANT_DO_THIS_DURING_AN_TRANSACTION: { errno: 1179, sqlState: "25000" },
  ER_SP_DOES_NOT_EXIST: { errno: 1305, sqlState: "42000" },
  // q4d's own codes: MySQL has no equivalent, so ER_UNKNOWN_ERROR's number with
  // the message naming what happened; ER_CORRUPT as a crashed table.
  ER_NOT_OWNER: { errno: 1105, sqlState: "HY000" },
  ER_DB_LOCKED: { errno: 1105, sqlState: "HY000" },
  ER_CORRUPT: { errno: 1194, sqlState: "HY000" },
  // Over the wire a closed session or database means the server is shutting down.
  ER_CLOSED: { errno: 1053, sqlState: "08S01" },
  ER_QUERY_INTERRUPTED: { errno: 1317, sqlState: "70100" },
  // Raised by connect() when the server refuses the credentials.
  ER_ACCESS_DENIED_ERROR: { errno: 1045, sqlState: "28000" },
};

/** Errors the server itself raises (protocol, authentication, limits). */
export const serverErrors = {
  accessDenied: { errno: 1045, sqlState: "28000" },
  tooManyConnections: { errno: 1040, sqlState: "08004" },
  packetTooLarge: { errno: 1153, sqlState: "08S01" },
  unknownCommand: { errno: 1047, sqlState: "08S01" },
  unknownStatement: { errno: 1243, sqlState: "HY000" },
  unknownSystemVariable: { errno: 1193, sqlState: "HY000" },
  noSuchThread: { errno: 1094, sqlState: "HY000" },
  secureTransportRequired: { errno: 3159, sqlState: "HY000" },
  handshakeError: { errno: 1043, sqlState: "08S01" },
  wrongArguments: { errno: 1210, sqlState: "HY000" },
  notSupported: { errno: 1235, sqlState: "42000" },
  parseError: { errno: 1064, sqlState: "42000" },
  serverShutdown: { errno: 1053, sqlState: "08S01" },
  netReadInterrupted: { errno: 1159, sqlState: "08S01" },
} as const satisfies Record<string, MysqlError>;
