/**
 * caching_sha2_password's full authentication over plain TCP, as MySQL 8
 * does it (fullAuthOverTcp): a user's first login since start sends the
 * password RSA-encrypted with the server's public key, which the client asks
 * for; later logins take the fast path. Checked with connect(), mysql2 and
 * the mariadb CLI (--get-server-public-key).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { spawn } from "node:child_process";
import { QueueError } from "../../mod.ts";
import { decryptPassword, encryptPassword, makeNonce, rsaKeys } from "../../src/server/auth.ts";
import { connect } from "../../src/server/mod.ts";
import { mariadbMissing, skipUnless, startServer } from "./_helpers.ts";

/** The full-authentication exchanges the server logged (verbose) and the refusals. */
function fullAuthServer(extra: Record<string, unknown> = {}) {
  return startServer({ fullAuthOverTcp: true, verbose: true, ...extra });
}

test("the RSA exchange decrypts to the password and refuses anything else", () => {
  const keys = rsaKeys();
  const nonce = makeNonce();
  const encrypted = encryptPassword("s3cret ünïcode", nonce, keys.publicPem);
  assert.equal(decryptPassword(encrypted, nonce, keys), "s3cret ünïcode");
  assert.notEqual(decryptPassword(encrypted, makeNonce(), keys), "s3cret ünïcode");
  assert.equal(decryptPassword(new Uint8Array(256), nonce, keys), null);
  assert.equal(decryptPassword(new Uint8Array([1, 2, 3]), nonce, keys), null);
  assert.match(keys.publicPem, /^-----BEGIN PUBLIC KEY-----\n/);
});

test("connect() logs in over plain TCP by full authentication, then by the fast path", async () => {
  const served = await fullAuthServer();
  try {
    const url = `mysql://root:secret@127.0.0.1:${served.port}`;
    const first = await connect(url); // full authentication (RSA)
    const [row] = await first.sql`SELECT USER() AS u`;
    assert.ok(row !== undefined);
    assert.match(String(row.u), /^root@/);
    const second = await connect(url); // cached: fast path
    await second.sql`DO 1`;
    await first.close();
    await second.close();
    await assert.rejects(
      connect(`mysql://root:wrong@127.0.0.1:${served.port}`),
      (e: unknown) => e instanceof QueueError && e.code === "ER_ACCESS_DENIED_ERROR",
    );
  } finally {
    await served.close();
  }
});

test("a wrong password in full authentication is ERR 1045 and is not cached", async () => {
  const served = await fullAuthServer();
  try {
    await assert.rejects(
      connect(`mysql://root:wrong@127.0.0.1:${served.port}`),
      (e: unknown) => e instanceof QueueError && e.code === "ER_ACCESS_DENIED_ERROR",
    );
    // Still not cached: the right password goes the full way and is accepted.
    const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
    await db.close();
    assert.ok(served.log.some((line) => line.includes("access denied")));
  } finally {
    await served.close();
  }
});

test("mysql2 fetches the public key and logs in over plain TCP", async () => {
  const served = await fullAuthServer();
  try {
    const c = await served.connect();
    const [[row]] = (await c.query("SELECT 1 AS one")) as unknown as [{ one: number }[]];
    assert.ok(row !== undefined);
    assert.equal(row.one, 1);
    await c.end();
    await assert.rejects(served.connect({ password: "nope" }), { errno: 1045, sqlState: "28000" });
  } finally {
    await served.close();
  }
});

test("a given RSA private key is used; a key that is not RSA is refused", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = String(privateKey.export({ format: "pem", type: "pkcs8" }));
  const served = await startServer({ rsaPrivateKey: pem });
  try {
    const db = await connect(`mysql://root:secret@127.0.0.1:${served.port}`);
    await db.close();
  } finally {
    await served.close();
  }
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  await assert.rejects(
    startServer({ rsaPrivateKey: String(ec.export({ format: "pem", type: "pkcs8" })) }),
    (e: unknown) => e instanceof QueueError && e.code === "ER_WRONG_ARGUMENTS",
  );
});

test(
  "the mariadb CLI's password in clear over plain TCP is refused, as MySQL refuses it; the socket works",
  skipUnless(mariadbMissing),
  async () => {
    // Debian's mariadb CLI (Connector/C built with GnuTLS) has no RSA for
    // caching_sha2_password and no --get-server-public-key: after the full
    // authentication request it sends the password in clear over plain TCP.
    // MySQL 8 cannot decrypt that and refuses; so does q4d.
    const served = await fullAuthServer();
    try {
      const tcp = ["-h", "127.0.0.1", "-P", String(served.port), "-u", "root", "-psecret"];
      const refused = await mariadb([...tcp, "-N", "-e", "SELECT 1"]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /ERROR 1045 \(28000\)/);
      const socket = await mariadb([
        "-S",
        served.socket,
        "-u",
        "root",
        "-psecret",
        "-N",
        "-e",
        "SELECT 1",
      ]);
      assert.equal(socket.status, 0, socket.stderr);
      assert.equal(socket.stdout, "1\n");
      // Cached by that login: plain TCP now takes the fast path, which the CLI speaks.
      const cached = await mariadb([...tcp, "-N", "-e", "SELECT 2"]);
      assert.equal(cached.status, 0, cached.stderr);
      assert.equal(cached.stdout, "2\n");
    } finally {
      await served.close();
    }
  },
);

/** Runs the mariadb CLI without blocking the event loop the server runs on. */
function mariadb(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("mariadb", ["--no-defaults", ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
