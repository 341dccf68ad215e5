import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input is not well-formed UTF-8: a truncated sequence, a bad
 * continuation byte, an overlong form, a surrogate (U+D800-U+DFFF), a code point above U+10FFFF,
 * or a byte that cannot start a sequence (RFC 3629 §4).
 * Syntax: `@validateUtf8Encoding`
 * Example: `SecRule ARGS "@validateUtf8Encoding" "id:1"` matches bytes `c0 af` (overlong `/`).
 */
export const validateUtf8Encoding: OperatorFactory = () => ({
  evaluate(tx, input) {
    if (isWellFormedUtf8(input)) return false;
    tx.setMatchedData(input);
    return true;
  },
});

/** The first byte that is not ASCII; most values have none and are settled by this one scan. */
const NON_ASCII = /[^\0-\x7f]/;

export function isWellFormedUtf8(s: string): boolean {
  const n = s.length;
  let i = s.search(NON_ASCII);
  if (i === -1) return true;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      i++;
      continue;
    }
    let width: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) width = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      width = 3;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      width = 4;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return false;
    if (i + width > n) return false;
    const b1 = s.charCodeAt(i + 1);
    if (b1 < lo || b1 > hi) return false;
    for (let k = 2; k < width; k++) {
      const b = s.charCodeAt(i + k);
      if (b < 0x80 || b > 0xbf) return false;
    }
    i += width;
  }
  return true;
}
