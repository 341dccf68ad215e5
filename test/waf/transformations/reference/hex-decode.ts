import { x2c } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Decodes pairs of hex digits into bytes. A final odd digit is dropped. Like
 * ModSecurity, the pairs are not validated: a non-hex pair still yields a byte.
 * Syntax: `t:hexDecode`
 * Example: `414243` becomes `ABC`.
 */
export const hexDecode: Transformation = (input) => {
  let out = '';
  for (let i = 0; i + 1 < input.length; i += 2)
    out += String.fromCharCode(x2c(input.charCodeAt(i), input.charCodeAt(i + 1)));
  return out;
};
