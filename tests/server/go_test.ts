/**
 * Go's go-sql-driver/mysql (Debian `golang-go` and
 * `golang-github-go-sql-driver-mysql-dev`, built offline from GOPATH
 * /usr/share/gocode): the queue flow, parameters of each Go type, server-side
 * prepared statements (COM_STMT_*) and, with `interpolateParams=true`,
 * client-side quoting, and MySQLError.Number. Skipped visibly when Go or the
 * driver is not installed.
 */

import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { skipUnless } from "../_skip.ts";
import { startServer } from "./_helpers.ts";
import { probe, runChild, tally } from "./_clients.ts";

const source = fileURLToPath(new URL("./_go_client", import.meta.url));
const goEnv: Record<string, string> = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: os.tmpdir(),
  // Offline: the Debian package's GOPATH, no modules, no proxy.
  GO111MODULE: "off",
  GOPATH: "/usr/share/gocode",
  GOFLAGS: "",
  GOPROXY: "off",
  GOCACHE: path.join(os.tmpdir(), "q4d-go-cache"),
};
const goMissing: string | null = !probe("go", ["version"], goEnv)
  ? "go not installed (apt-get install golang-go)"
  : !nodeFs.existsSync("/usr/share/gocode/src/github.com/go-sql-driver/mysql")
  ? "go-sql-driver/mysql not installed (apt-get install golang-github-go-sql-driver-mysql-dev)"
  : null;

let built: Promise<string> | undefined;
let buildDirectory: string | undefined;
after(() => {
  if (buildDirectory !== undefined) nodeFs.rmSync(buildDirectory, { recursive: true, force: true });
});
/** Builds the client once per run into a temp directory. */
function buildClient(): Promise<string> {
  built ??= (async () => {
    buildDirectory = nodeFs.mkdtempSync(path.join(os.tmpdir(), "q4d-go-"));
    const out = path.join(buildDirectory, "client");
    const result = await runChild("go", ["build", "-o", out, "."], { env: goEnv, cwd: source });
    assert.equal(result.status, 0, `go build failed:\n${result.stderr}`);
    return out;
  })();
  return built;
}

for (
  const [label, interpolate, overSocket, fullAuthOverTcp] of [
    ["server-side prepared statements over TCP", false, false, false],
    ["interpolateParams=true over TCP", true, false, false],
    ["server-side prepared statements over the Unix socket", false, true, false],
    // caching_sha2_password full authentication: the driver fetches the RSA public key.
    ["RSA full authentication over plain TCP", false, false, true],
  ] as const
) {
  test(
    `go-sql-driver/mysql: ${label}`,
    skipUnless(goMissing),
    async () => {
      const client = await buildClient();
      const served = await startServer({ fullAuthOverTcp });
      try {
        const address = overSocket ? `unix(${served.socket})` : `tcp(127.0.0.1:${served.port})`;
        const dsn = `root:secret@${address}/q4d?parseTime=true&loc=UTC` +
          (interpolate ? "&interpolateParams=true" : "");
        const result = await runChild(client, [dsn, "jobs"]);
        const counts = tally(result);
        assert.deepEqual(counts.failures, [], result.stdout + result.stderr);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(counts.fail, 0);
        assert.equal(counts.pass, 39);
      } finally {
        await served.close();
      }
    },
  );
}
