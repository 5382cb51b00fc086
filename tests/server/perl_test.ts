/**
 * Perl DBI + DBD::mysql (Debian `libdbd-mysql-perl`): the queue flow with
 * client-side placeholders and with `mysql_server_prepare=1`, over TCP and
 * the Unix socket, binary bytes, NULL, errors with `err`/`state`, a wrong
 * password. Skipped visibly when Perl or DBD::mysql is not installed.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { skipUnless } from "../_skip.ts";
import { startServer } from "./_helpers.ts";
import { perlMissing, runChild, tally } from "./_clients.ts";

const script = fileURLToPath(new URL("./_perl_client.pl", import.meta.url));

for (
  const [label, serverPrepare, overSocket] of [
    ["client-side placeholders over TCP", false, false],
    ["mysql_server_prepare=1 over TCP", true, false],
    ["client-side placeholders over the Unix socket", false, true],
  ] as const
) {
  test(`Perl DBD::mysql: ${label}`, skipUnless(perlMissing), async () => {
    const served = await startServer();
    try {
      const where = overSocket
        ? `mysql_socket=${served.socket}`
        : `host=127.0.0.1;port=${served.port}`;
      const dsn = `DBI:mysql:database=q4d;${where}` +
        (serverPrepare ? ";mysql_server_prepare=1" : "");
      const result = await runChild("perl", [script, dsn, "secret", "jobs"]);
      const counts = tally(result);
      assert.deepEqual(counts.failures, [], result.stdout + result.stderr);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(counts.fail, 0);
      assert.equal(counts.pass, 28);
    } finally {
      await served.close();
    }
  });
}
