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
  return {
    evaluate(tx, input) {
      for (let i = 0; i < input.length; i++) {
        const c = input.charCodeAt(i);
        if (c > 255 || allowed[c] === 0) {
          tx.setMatchedData(input);
          return true;
        }
      }
      return false;
    },
  };
};
