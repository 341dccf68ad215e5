import { bestFitAscii } from './best-fit.js';
import { hexValue, isHexDigit, unicodeEscapeByte, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Like urlDecode, and also decodes the IIS `%uHHHH` form to one byte: the US-ASCII
 * best fit of the code point (`%u00e9` gives `e`, `%u201c` gives `"`, `%uff41` gives `a`), as
 * ModSecurity with CRS's recommended `SecUnicodeMapFile unicode.mapping 20127`; a code point with
 * no fit keeps its low byte. A `%u` not followed by four hex digits is copied through.
 * Syntax: `t:urlDecodeUni`
 * Example: `%u0041%uff41%u201c%41+` becomes `Aa"A ` (with a trailing space).
 */
export const urlDecodeUni: Transformation = (input) => {
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
      continue;
    }
    if (c !== 0x25) continue;
    const next = input.charCodeAt(i + 1);
    if (next === 0x75 || next === 0x55) {
      const h1 = input.charCodeAt(i + 2);
      const h2 = input.charCodeAt(i + 3);
      const h3 = input.charCodeAt(i + 4);
      const h4 = input.charCodeAt(i + 5);
      // ModSecurity: `%u` needs five more bytes after `%`; otherwise the `%u` pair is copied.
      if (i + 5 < n && isHexDigit(h1) && isHexDigit(h2) && isHexDigit(h3) && isHexDigit(h4)) {
        const fit = bestFitAscii((hexValue(h1) << 12) | (hexValue(h2) << 8) | (hexValue(h3) << 4) | hexValue(h4));
        out += input.slice(run, i) + String.fromCharCode(fit >= 0 ? fit : unicodeEscapeByte(h1, h2, h3, h4));
        i += 5;
        run = i + 1;
      } else {
        i++;
      }
      continue;
    }
    if (i + 2 < n && isHexDigit(next) && isHexDigit(input.charCodeAt(i + 2))) {
      out += input.slice(run, i) + String.fromCharCode(x2c(next, input.charCodeAt(i + 2)));
      i += 2;
      run = i + 1;
    }
  }
  return run === 0 ? input : out + input.slice(run);
};
