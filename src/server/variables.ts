/**
 * The system variables a new connection starts with: what MySQL 8 clients
 * read at connect (`@@max_allowed_packet`, `@@sql_mode`, charsets…), kept
 * per connection and changed by SET.
 *
 * server options → default session variables
 *
 * @module
 */

/** q4d's version, named in the server version string clients read. */
export const q4dVersion = "0.1.0";

/** What the handshake and `@@version` report: MySQL 8 compatible, naming q4d. */
export const serverVersion = `8.0.36-q4d-${q4dVersion}`;

/** Settings the defaults depend on. */
export interface VariableSettings {
  maxAllowedPacketBytes: number;
  waitTimeoutSeconds: number;
  maxConnections: number;
  port: number;
  socket: string;
  hostname: string;
  tls: boolean;
}

/** The session variables of a new connection. */
export function defaultVariables(settings: VariableSettings): Map<string, string | number | null> {
  const sqlMode =
    "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";
  return new Map<string, string | number | null>([
    ["auto_increment_increment", 1],
    ["auto_increment_offset", 1],
    ["autocommit", 1],
    ["character_set_client", "utf8mb4"],
    ["character_set_connection", "utf8mb4"],
    ["character_set_database", "utf8mb4"],
    ["character_set_filesystem", "binary"],
    ["character_set_results", "utf8mb4"],
    ["character_set_server", "utf8mb4"],
    ["character_set_system", "utf8mb3"],
    ["collation_connection", "utf8mb4_general_ci"],
    ["collation_database", "utf8mb4_general_ci"],
    ["collation_server", "utf8mb4_general_ci"],
    ["connect_timeout", 10],
    ["default_storage_engine", "QUEUE"],
    ["foreign_key_checks", 1],
    ["have_openssl", settings.tls ? "YES" : "DISABLED"],
    ["have_ssl", settings.tls ? "YES" : "DISABLED"],
    ["hostname", settings.hostname],
    ["init_connect", ""],
    ["interactive_timeout", settings.waitTimeoutSeconds],
    ["license", "MIT"],
    ["lower_case_table_names", 0],
    ["max_allowed_packet", settings.maxAllowedPacketBytes],
    ["max_connections", settings.maxConnections],
    ["net_buffer_length", 16384],
    ["net_read_timeout", 30],
    ["net_write_timeout", 60],
    ["performance_schema", 0],
    ["port", settings.port],
    ["protocol_version", 10],
    ["query_cache_size", 0],
    ["query_cache_type", "OFF"],
    ["read_only", 0],
    ["require_secure_transport", 0],
    ["server_id", 0],
    ["socket", settings.socket],
    ["sql_auto_is_null", 0],
    ["sql_mode", sqlMode],
    ["sql_select_limit", "18446744073709551615"],
    ["sql_notes", 1],
    ["sql_safe_updates", 0],
    ["system_time_zone", "UTC"],
    ["time_zone", "SYSTEM"],
    ["transaction_isolation", "REPEATABLE-READ"],
    ["transaction_read_only", 0],
    ["tx_isolation", "REPEATABLE-READ"],
    ["tx_read_only", 0],
    ["unique_checks", 1],
    ["version", serverVersion],
    ["version_comment", "q4d server (MIT)"],
    ["version_compile_os", "Linux"],
    ["wait_timeout", settings.waitTimeoutSeconds],
  ]);
}
