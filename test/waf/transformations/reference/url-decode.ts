import { isHexDigit, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Decodes URL encoding: `%HH` becomes the byte, `+` becomes a space. An invalid or
 * truncated `%` sequence is kept as it is (ModSecurity's non-strict decoder).
 * Syntax: `t:urlDecode`
 * Example: `a%20b+c%zz` becomes `a b c%zz`.
 */
export const urlDecode: Transformation = (input) => {
  if (input.indexOf('%') === -1 && input.indexOf('+') === -1) return input;
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === 0x25 && i + 2 < n) {
      const h = input.charCodeAt(i + 1);
      const l = input.charCodeAt(i + 2);
      if (isHexDigit(h) && isHexDigit(l)) {
        out += String.fromCharCode(x2c(h, l));
        i += 3;
        continue;
      }
    }
    out += c === 0x2b ? ' ' : input[i];
    i++;
  }
  return out;
};
