/**
 * MariaDB Connector/J (Debian `libmariadb-java`, run with Java 17's
 * single-file source launcher) with `useServerPrepStmts=true`: the queue
 * flow, PreparedStatement parameters, ResultSetMetaData and an
 * SQLException's getErrorCode/getSQLState. Skipped visibly when Java or the
 * jar is not installed. Also the statement Connector/J sends at connect,
 * through mysql2 so that it runs everywhere.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { skipUnless } from "../_skip.ts";
import { startServer } from "./_helpers.ts";
import { probe, runChild, tally } from "./_clients.ts";

const source = fileURLToPath(new URL("./_jdbc_client/Client.java", import.meta.url));
const jar = ["/usr/share/java/mariadb-java-client.jar"].find((candidate) =>
  nodeFs.existsSync(candidate)
);
// The single-file source launcher needs the JDK's compiler, not only a JRE.
const jdbcMissing: string | null = !probe("java", ["-version"]) || !probe("javac", ["-version"])
  ? "java and javac not installed (apt-get install default-jdk-headless)"
  : jar === undefined
  ? "MariaDB Connector/J not installed (apt-get install libmariadb-java)"
  : null;

test("SET sql_mode = CONCAT(@@sql_mode, ...), as Connector/J sends at connect", async () => {
  const served = await startServer();
  try {
    const connection = await served.connect();
    try {
      const [before] = await connection.query("SELECT @@sql_mode AS mode");
      const mode = (before as { mode: string }[])[0]?.mode;
      await connection.query(
        "set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')",
      );
      const [after] = await connection.query("SELECT @@sql_mode AS mode, @@autocommit AS ac");
      assert.deepEqual(after, [{ mode: `${mode},STRICT_TRANS_TABLES`, ac: 1 }]);
    } finally {
      await connection.end();
    }
  } finally {
    await served.close();
  }
});

test(
  "MariaDB Connector/J with useServerPrepStmts: queue flow, parameters, metadata, errors",
  skipUnless(jdbcMissing),
  async () => {
    const served = await startServer();
    try {
      const url = `jdbc:mariadb://127.0.0.1:${served.port}/q4d` +
        "?user=root&password=secret&useServerPrepStmts=true";
      const result = await runChild("java", ["-cp", jar!, source, url, "jobs"], {
        cwd: os.tmpdir(),
      });
      const counts = tally(result);
      assert.deepEqual(counts.failures, [], result.stdout + result.stderr);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(counts.fail, 0);
      assert.equal(counts.pass, 47);
    } finally {
      await served.close();
    }
  },
);
