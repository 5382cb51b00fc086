/**
 * ENUM and SET values at run time: the text MySQL prints and the number it
 * computes with (an ENUM's 1-based index, a SET's bit mask). A Member is
 * its text beside a string (`state = 'new'`, LIKE, CONCAT) and its number
 * beside a number (`state = 1`, `tags & 2`, `state + 0`); ORDER BY sorts
 * an ENUM by index, as MySQL.
 *
 * values.ts (ENUM/SET columns) → Member → compare/convert; results give its text
 *
 * @module
 */

import { assert } from "../errors.ts";

/**
 * One ENUM member or one SET of members.
 *
 * @example
 * ```ts
 * const retry = new Member("retry", 2);
 * console.log(String(retry), Number(retry.number)); // "retry" 2
 * ```
 */
export class Member {
  /** The member's text as declared (a SET's members joined by commas, in declared order). */
  readonly text: string;
  /** ENUM: the 1-based index; SET: the bit mask (bigint beyond 2^53). */
  readonly number: number | bigint;

  /** A member with its text and number. */
  constructor(text: string, number: number | bigint) {
    assert(
      typeof number === "bigint" ? number > BigInt(Number.MAX_SAFE_INTEGER) : number >= 0,
      "a member's number is a natural number, bigint only beyond 2^53",
    );
    this.text = text;
    this.number = number;
  }

  /** The text, as MySQL prints it. */
  toString(): string {
    return this.text;
  }
}

/** The SET member for a bit mask over `members` (the mask is checked by the caller). */
export function setMember(members: readonly string[], mask: bigint): Member {
  const text = members.filter((_, i) => (mask >> BigInt(i)) & 1n).join(",");
  return new Member(text, mask <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(mask) : mask);
}

/**
 * The member a stored ENUM or SET text names (rows store the text), or null
 * when the text names none of `members`.
 */
export function memberOfText(
  members: readonly string[],
  isSet: boolean,
  text: string,
): Member | null {
  if (!isSet) {
    const index = members.indexOf(text);
    return index < 0 ? null : new Member(text, index + 1);
  }
  let mask = 0n;
  if (text !== "") {
    for (const part of text.split(",")) {
      const index = members.indexOf(part);
      if (index < 0) return null;
      mask |= 1n << BigInt(index);
    }
  }
  return setMember(members, mask);
}
