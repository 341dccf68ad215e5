import type { Transformation } from './types.js';

const HEX = '0123456789abcdef';

/**
 * Description: URL-encodes the value: ASCII letters, digits and `*` are kept, a space becomes
 * `+`, every other byte becomes `%hh` (lower-case hex), as ModSecurity's url_encode.
 * Syntax: `t:urlEncode`
 * Example: `a b/c` becomes `a+b%2fc`.
 */
export const urlEncode: Transformation = (input) => {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x20) out += '+';
    else if (c === 0x2a || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))
      out += input[i];
    else out += `%${HEX[c >> 4]}${HEX[c & 0x0f]}`;
  }
  return out;
};
