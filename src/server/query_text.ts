/**
 * SQL text from a COM_QUERY / COM_STMT_PREPARE payload. Clients that quote
 * values themselves (PyMySQL, Perl DBD::mysql, PHP) put raw bytes of binary
 * values inside string literals, which no JS string holds losslessly: such a
 * literal is rewritten as a hex literal (`X'00ff'`), and the `_binary`
 * introducer some clients put before it is dropped (the engine's literals
 * take their type from the column).
 *
 * payload bytes → SQL text for the engine
 *
 * @module
 */

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const escapes: Record<number, number> = {
  0x30: 0x00, // \0
  0x6e: 0x0a, // \n
  0x74: 0x09, // \t
  0x72: 0x0d, // \r
  0x62: 0x08, // \b
  0x5a: 0x1a, // \Z
};

const binaryIntroducer = /_binary\s*$/i;

/** The SQL text of a query payload, binary string literals as hex. */
export function queryText(bytes: Uint8Array): string {
  let text: string | null = null;
  try {
    text = strict.decode(bytes);
  } catch {
    // Not UTF-8: some literal holds raw bytes.
  }
  if (text !== null && !/_binary/i.test(text)) return text;
  let out = "";
  let segmentStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i];
    if (c === 0x2d && bytes[i + 1] === 0x2d || c === 0x23) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++;
      continue;
    }
    if (c === 0x2f && bytes[i + 1] === 0x2a) {
      i += 2;
      while (i < bytes.length && !(bytes[i] === 0x2a && bytes[i + 1] === 0x2f)) i++;
      i += 2;
      continue;
    }
    if (c === 0x60) {
      i++;
      while (i < bytes.length && bytes[i] !== 0x60) i++;
      i++;
      continue;
    }
    if (c !== 0x27 && c !== 0x22) {
      i++;
      continue;
    }
    // A string literal: its value's bytes, with MySQL's escapes undone.
    const literalStart = i;
    const value: number[] = [];
    i++;
    for (let b = bytes[i]; b !== undefined; b = bytes[i]) {
      const next = bytes[i + 1];
      if (b === 0x5c && next !== undefined) {
        value.push(escapes[next] ?? next);
        i += 2;
        continue;
      }
      if (b === c) {
        if (next === c) {
          value.push(c);
          i += 2;
          continue;
        }
        break;
      }
      value.push(b);
      i++;
    }
    i++; // the closing quote
    let before = lenient.decode(bytes.subarray(segmentStart, literalStart));
    const introduced = binaryIntroducer.test(before);
    if (introduced) before = before.replace(binaryIntroducer, "");
    const valueBytes = new Uint8Array(value);
    out += before;
    if (isUtf8(valueBytes)) {
      out += lenient.decode(bytes.subarray(literalStart, Math.min(i, bytes.length)));
    } else {
      out += "X'" + Array.from(valueBytes, (b) => b.toString(16).padStart(2, "0")).join("") + "'";
    }
    segmentStart = Math.min(i, bytes.length);
  }
  return out + lenient.decode(bytes.subarray(segmentStart));
}
