import { isHexDigit, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Decodes URL encoding: `%HH` becomes the byte, `+` becomes a space. An invalid or
 * truncated `%` sequence is kept as it is (ModSecurity's non-strict decoder).
 * Syntax: `t:urlDecode`
 * Example: `a%20b+c%zz` becomes `a b c%zz`.
 */
export const urlDecode: Transformation = (input) => {
  // Two native scans settle most values (no escape at all) faster than one charCode loop.
  if (input.indexOf('%') === -1 && input.indexOf('+') === -1) return input;
  const n = input.length;
  // The bytes between decoded escapes are copied as slices; `run` is where the next one starts.
  let out = '';
  let run = 0;
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x2b) {
      out += `${input.slice(run, i)} `;
      run = i + 1;
    } else if (c === 0x25 && i + 2 < n) {
      const h = input.charCodeAt(i + 1);
      const l = input.charCodeAt(i + 2);
      if (isHexDigit(h) && isHexDigit(l)) {
        out += input.slice(run, i) + String.fromCharCode(x2c(h, l));
        i += 2;
        run = i + 1;
      }
    }
  }
  return run === 0 ? input : out + input.slice(run);
};
