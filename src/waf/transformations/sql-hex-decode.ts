import { byteBuffer, isHexDigit, latin1, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Decodes SQL hex literals: `0x` followed by hex digit pairs becomes those bytes; the
 * rest of the value is kept. A final unpaired digit stays as it is.
 * Syntax: `t:sqlHexDecode`
 * Example: `SELECT 0x414243` becomes `SELECT ABC`.
 */
export const sqlHexDecode: Transformation = (input) => {
  const n = input.length;
  // The text around the literals is copied as slices; `run` is where the next one starts.
  let out = '';
  let run = 0;
  let i = input.indexOf('0');
  while (i !== -1 && i + 3 < n) {
    if (
      (input.charCodeAt(i + 1) | 0x20) !== 0x78 ||
      !isHexDigit(input.charCodeAt(i + 2)) ||
      !isHexDigit(input.charCodeAt(i + 3))
    ) {
      i = input.indexOf('0', i + 1);
      continue;
    }
    let end = i + 2;
    while (end + 1 < n && isHexDigit(input.charCodeAt(end)) && isHexDigit(input.charCodeAt(end + 1))) end += 2;
    const bytes = byteBuffer((end - i - 2) >> 1);
    let length = 0;
    for (let k = i + 2; k < end; k += 2) bytes[length++] = x2c(input.charCodeAt(k), input.charCodeAt(k + 1));
    out += input.slice(run, i) + latin1(bytes, length);
    run = end;
    i = input.indexOf('0', end);
  }
  return run === 0 ? input : out + input.slice(run);
};
