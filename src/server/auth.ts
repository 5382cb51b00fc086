/**
 * Password checks of MySQL's two common authentication plugins, against a
 * password the server knows in clear (from --password or the embedding API).
 *
 * nonce + client's scramble + known password → accepted or not
 *
 * @module
 */

import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { assert, defined } from "../errors.ts";

/** The plugins the server speaks. */
export type AuthPlugin = "mysql_native_password" | "caching_sha2_password";

/** Length of the nonce ("auth plugin data") sent in the handshake. */
export const nonceBytes = 20;

/** A fresh 20-byte nonce with no NUL bytes (it travels NUL-terminated). */
export function makeNonce(): Uint8Array {
  const bytes = new Uint8Array(randomBytes(nonceBytes));
  for (const [i, byte] of bytes.entries()) {
    bytes[i] = (byte & 0x7f) || 0x41;
  }
  return bytes;
}

function hash(algorithm: "sha1" | "sha256", ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(algorithm);
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  assert(a.length === b.length, "xor of equal lengths (SHA-1 digests)");
  for (const [i, byte] of a.entries()) out[i] = byte ^ defined(b[i], "i < equal lengths");
  return out;
}

/** What a client sends for `password` under `plugin` with `nonce` (empty for no password). */
export function scramble(plugin: AuthPlugin, password: string, nonce: Uint8Array): Uint8Array {
  if (password === "") return new Uint8Array(0);
  const pw = new TextEncoder().encode(password);
  if (plugin === "mysql_native_password") {
    const stage1 = hash("sha1", pw);
    return xor(stage1, hash("sha1", nonce, hash("sha1", stage1)));
  }
  const stage1 = hash("sha256", pw);
  return xor(stage1, hash("sha256", hash("sha256", stage1), nonce));
}

/** Whether `response` proves knowledge of `password` (constant time in the response). */
export function scrambleMatches(
  plugin: AuthPlugin,
  password: string,
  nonce: Uint8Array,
  response: Uint8Array,
): boolean {
  // Some clients send a trailing NUL after an empty or full scramble.
  const trimmed = response.length === 1 && response[0] === 0 ? response.subarray(0, 0) : response;
  const expected = scramble(plugin, password, nonce);
  if (trimmed.length !== expected.length) return false;
  return expected.length === 0 || timingSafeEqual(expected, trimmed);
}

/**
 * The server's RSA key pair for caching_sha2_password's full authentication
 * over plain TCP: the given PEM private key, or a fresh 2048-bit one.
 */
export interface RsaKeys {
  privateKey: KeyObject;
  /** The public key as SPKI PEM text: what a client asking for it (0x02) gets. */
  publicPem: string;
}

/** Loads `privatePem`, or generates a pair when it is undefined. */
export function rsaKeys(privatePem?: string): RsaKeys {
  const privateKey = privatePem !== undefined
    ? createPrivateKey(privatePem)
    : generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  if (privateKey.asymmetricKeyType !== "rsa") {
    throw new TypeError("the caching_sha2_password key must be an RSA private key");
  }
  // The public half as MySQL sends it: "-----BEGIN PUBLIC KEY-----" (SPKI).
  const publicPem = String(createPublicKey(privateKey).export({ format: "pem", type: "spki" }));
  return { privateKey, publicPem };
}

/** The password (NUL-terminated) XORed with the nonce, repeated: what goes under RSA. */
function xorWithNonce(bytes: Uint8Array, nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (const [i, byte] of bytes.entries()) {
    out[i] = byte ^ defined(nonce[i % nonce.length], "i % length < length");
  }
  return out;
}

/** What a client sends in full authentication over plain TCP: RSA-OAEP of password⊕nonce. */
export function encryptPassword(
  password: string,
  nonce: Uint8Array,
  publicPem: string,
): Uint8Array {
  const plain = xorWithNonce(new TextEncoder().encode(password + "\0"), nonce);
  return new Uint8Array(
    publicEncrypt({ key: publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING }, plain),
  );
}

/** The password a client encrypted with {@linkcode encryptPassword}; null when it does not decrypt. */
export function decryptPassword(
  encrypted: Uint8Array,
  nonce: Uint8Array,
  keys: RsaKeys,
): string | null {
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(
      privateDecrypt(
        { key: keys.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING },
        encrypted,
      ),
    );
  } catch {
    return null;
  }
  const bytes = xorWithNonce(plain, nonce);
  const end = bytes.indexOf(0);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(
      end < 0 ? bytes : bytes.subarray(0, end),
    );
  } catch {
    return null;
  }
}
