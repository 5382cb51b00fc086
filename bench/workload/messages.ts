/**
 * Message bodies of the standard workload: deterministic from the id, so a
 * consumer can check that the body it received is the one produced.
 *
 * @module
 */

/** Characters repeated after the id prefix; ASCII, so one byte each. */
const fillerText = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * The body of message `id`, exactly `bodyBytes` ASCII characters long.
 *
 * @example
 * ```ts
 * makeBody(7, 12); // "7|abcdefghij"
 * ```
 */
export function makeBody(id: number, bodyBytes: number): string {
  const prefix = `${id}|`;
  let text = prefix;
  while (text.length < bodyBytes) text += fillerText;
  return text.slice(0, bodyBytes);
}

/** Whether `body` is exactly the body produced for message `id`. */
export function isBodyOf(id: number, body: string, bodyBytes: number): boolean {
  return body.length === bodyBytes && body === makeBody(id, bodyBytes);
}
