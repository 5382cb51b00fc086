/**
 * Routing values as NATS subject tokens: a routed table's row is published
 * on `<ns>.t<id>.k.<token>…` (one token per routing column), and one
 * consumer per distinct token tuple filters on exactly that subject. A token
 * is a type letter and the value's base64url text, so any value (dots,
 * spaces, `*`, `>`, unicode, bytes, NULL) is a valid token, distinct values
 * give distinct tokens, and a waiter that meets a subject another client
 * made decodes it back to the values its condition is evaluated on.
 *
 * NatsBackend (backend.ts) → this file → src/sql's value classes
 *
 * @module
 */

import type { Value } from "../sql/mod.ts";
import { Decimal, Member, Temporal } from "../sql/mod.ts";
import { QueueError } from "../errors.ts";

/** Longest routing part of a subject (all tokens with their dots): subjects travel in control lines. */
export const routingSubjectMax = 512;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The bytes of base64 text, in either alphabet (the URL-safe one of tokens,
 * or the standard one JetStream's JSON replies carry payloads in).
 *
 * @example
 * ```ts
 * import { base64Bytes } from "./routing.ts";
 * console.log(base64Bytes("_w"), base64Bytes("/w==")); // Uint8Array(1) [ 255 ] twice
 * ```
 */
export function base64Bytes(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const text = (value: string): string => base64url(encoder.encode(value));
const untext = (token: string): string => decoder.decode(base64Bytes(token));

/**
 * One value as a subject token.
 *
 * @example
 * ```ts
 * import { tokenOf, valueOf } from "./routing.ts";
 * console.log(tokenOf("eu.west")); // "sZXUud2VzdA"
 * console.log(valueOf(tokenOf(null))); // null
 * ```
 */
export function tokenOf(value: Value): string {
  if (value === null) return "_";
  if (typeof value === "string") return "s" + text(value);
  if (typeof value === "number") return "n" + text(String(value));
  if (typeof value === "bigint") return "i" + text(value.toString());
  if (typeof value === "boolean") return value ? "T" : "F";
  if (value instanceof Uint8Array) return "b" + base64url(value);
  if (value instanceof Decimal) {
    return "d" + text(`${value.unscaled}:${value.scale}:${value.decimals}`);
  }
  if (value instanceof Member) {
    return "m" + text(JSON.stringify([value.text, String(value.number)]));
  }
  return "t" + text(JSON.stringify([value.kind, value.seconds, value.micros, value.fsp]));
}

/** The value of a token made by {@linkcode tokenOf}; ER_CORRUPT for anything else. */
export function valueOf(token: string): Value {
  const kind = token[0];
  const rest = token.slice(1);
  try {
    switch (kind) {
      case "_":
        return null;
      case "T":
        return true;
      case "F":
        return false;
      case "s":
        return untext(rest);
      case "n":
        return Number(untext(rest));
      case "i":
        return BigInt(untext(rest));
      case "b":
        return base64Bytes(rest);
      case "d": {
        const [unscaled, scale, decimals] = untext(rest).split(":");
        return new Decimal(BigInt(unscaled!), Number(scale), Number(decimals));
      }
      case "m": {
        const [memberText, number] = JSON.parse(untext(rest)) as [string, string];
        const big = BigInt(number);
        return new Member(memberText, big > BigInt(Number.MAX_SAFE_INTEGER) ? big : Number(big));
      }
      case "t": {
        const [temporalKind, seconds, micros, fsp] = JSON.parse(untext(rest));
        return new Temporal(temporalKind, seconds, micros, fsp);
      }
    }
  } catch (error) {
    throw new QueueError("ER_CORRUPT", `NATS: bad routing token '${token}'`, { cause: error });
  }
  throw new QueueError("ER_CORRUPT", `NATS: bad routing token '${token}'`);
}

/**
 * The subject suffix of a routing tuple (tokens joined by dots);
 * ER_DATA_TOO_LONG past {@linkcode routingSubjectMax}.
 */
export function suffixOf(tuple: readonly Value[]): string {
  const suffix = tuple.map(tokenOf).join(".");
  if (suffix.length > routingSubjectMax) {
    throw new QueueError(
      "ER_DATA_TOO_LONG",
      `Routing values too long for a NATS subject (${suffix.length} > ${routingSubjectMax} characters encoded)`,
    );
  }
  return suffix;
}

/** The routing tuple of a subject suffix made by {@linkcode suffixOf}. */
export function tupleOf(suffix: string): Value[] {
  return suffix.split(".").map(valueOf);
}

/** The durable consumer name of a routed subject: `k` and 40 hex digits of its SHA-256. */
export async function consumerOf(subject: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(subject)));
  return "k" + Array.from(digest.slice(0, 20), (b) => b.toString(16).padStart(2, "0")).join("");
}
