import { byteBuffer, latin1, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Decodes pairs of hex digits into bytes. A final odd digit is dropped. Like
 * ModSecurity, the pairs are not validated: a non-hex pair still yields a byte.
 * Syntax: `t:hexDecode`
 * Example: `414243` becomes `ABC`.
 */
export const hexDecode: Transformation = (input) => {
  const length = input.length >> 1;
  const out = byteBuffer(length);
  for (let k = 0; k < length; k++) out[k] = x2c(input.charCodeAt(2 * k), input.charCodeAt(2 * k + 1));
  return latin1(out, length);
};
