import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input holds a byte outside the allowed set: comma-separated
 * values and ranges from 0 to 255.
 * Syntax: `@validateByteRange <n|n-m>[,<n|n-m>...]`
 * Example: `SecRule ARGS "@validateByteRange 32-126" "id:1"` matches a value with a control byte.
 */
export const validateByteRange: OperatorFactory = (argument) => {
  const allowed = new Uint8Array(256);
  for (const part of argument.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^(\d{1,3})(?:\s*-\s*(\d{1,3}))?$/.exec(item);
    if (m === null) throw new Error(`@validateByteRange: invalid range ${JSON.stringify(item)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 255 || to > 255) throw new Error(`@validateByteRange: ${item} is outside 0-255`);
    if (to < from) throw new Error(`@validateByteRange: range ${item} is reversed`);
    allowed.fill(1, from, to + 1);
  }
  // One negated character class of the allowed bytes: V8's regex engine scans a value for the
  // first byte outside it faster than a charCode loop over a table, and allocates nothing.
  // Without the `u` flag every UTF-16 unit is one char, so codes above 0xff are outside too.
  const outside = new RegExp(`[^${classRanges(allowed)}]`);
  return {
    evaluate(tx, input) {
      if (!outside.test(input)) return false;
      tx.setMatchedData(input);
      return true;
    },
  };
};

/** The allowed bytes as character-class ranges: `\x20-\x24\x26-\x7e`. */
function classRanges(allowed: Uint8Array): string {
  let out = '';
  for (let from = 0; from < 256; from++) {
    if (allowed[from] === 0) continue;
    let to = from;
    while (to + 1 < 256 && allowed[to + 1] === 1) to++;
    out += to === from ? hexByte(from) : `${hexByte(from)}-${hexByte(to)}`;
    from = to;
  }
  return out;
}

function hexByte(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}
