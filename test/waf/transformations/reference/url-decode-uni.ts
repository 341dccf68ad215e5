import { bestFitAscii } from './best-fit.js';
import { isHexDigit, unicodeEscapeByte, x2c } from './bytes.js';
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
  if (input.indexOf('%') === -1 && input.indexOf('+') === -1) return input;
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === 0x25) {
      const next = input.charCodeAt(i + 1);
      if (next === 0x75 || next === 0x55) {
        // ModSecurity: `%u` needs five more bytes after `%`; otherwise the `%u` pair is copied.
        if (
          i + 5 < n &&
          isHexDigit(input.charCodeAt(i + 2)) &&
          isHexDigit(input.charCodeAt(i + 3)) &&
          isHexDigit(input.charCodeAt(i + 4)) &&
          isHexDigit(input.charCodeAt(i + 5))
        ) {
          const fit = bestFitAscii(Number.parseInt(input.slice(i + 2, i + 6), 16));
          out += String.fromCharCode(
            fit >= 0
              ? fit
              : unicodeEscapeByte(
                  input.charCodeAt(i + 2),
                  input.charCodeAt(i + 3),
                  input.charCodeAt(i + 4),
                  input.charCodeAt(i + 5),
                ),
          );
          i += 6;
        } else {
          out += input.slice(i, i + 2);
          i += 2;
        }
        continue;
      }
      if (i + 2 < n && isHexDigit(next) && isHexDigit(input.charCodeAt(i + 2))) {
        out += String.fromCharCode(x2c(next, input.charCodeAt(i + 2)));
        i += 3;
        continue;
      }
      out += '%';
      i++;
      continue;
    }
    out += c === 0x2b ? ' ' : input[i];
    i++;
  }
  return out;
};
