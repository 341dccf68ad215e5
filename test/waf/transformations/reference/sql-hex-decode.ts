import { isHexDigit, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Decodes SQL hex literals: `0x` followed by hex digit pairs becomes those bytes; the
 * rest of the value is kept. A final unpaired digit stays as it is.
 * Syntax: `t:sqlHexDecode`
 * Example: `SELECT 0x414243` becomes `SELECT ABC`.
 */
export const sqlHexDecode: Transformation = (input) => {
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    if (
      input.charCodeAt(i) === 0x30 &&
      i + 3 < n &&
      (input.charCodeAt(i + 1) | 0x20) === 0x78 &&
      isHexDigit(input.charCodeAt(i + 2)) &&
      isHexDigit(input.charCodeAt(i + 3))
    ) {
      i += 2;
      while (i + 1 < n && isHexDigit(input.charCodeAt(i)) && isHexDigit(input.charCodeAt(i + 1))) {
        out += String.fromCharCode(x2c(input.charCodeAt(i), input.charCodeAt(i + 1)));
        i += 2;
      }
    } else {
      out += input[i++];
    }
  }
  return out;
};
