import { isCSpace, isHexDigit, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Decodes CSS 2.x escapes: `\` followed by 1-6 hex digits becomes one byte (the
 * last two digits; full-width ASCII U+FF01-U+FF5E folded back to ASCII), and one whitespace
 * after a hex escape is dropped; `\` newline is removed (line continuation); `\C` becomes C; a
 * trailing lone backslash is removed. ModSecurity's css_decode.
 * Syntax: `t:cssDecode`
 * Example: `\3c script\3E` becomes `<script>`; `ja\vascript` becomes `javascript`.
 */
export const cssDecode: Transformation = (input) => {
  if (input.indexOf('\\') === -1) return input;
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    if (input.charCodeAt(i) !== 0x5c) {
      out += input[i++];
      continue;
    }
    if (i + 1 >= n) {
      i++;
      continue;
    }
    i++;
    let j = 0;
    while (j < 6 && i + j < n && isHexDigit(input.charCodeAt(i + j))) j++;
    if (j > 0) {
      out += String.fromCharCode(hexEscapeByte(input, i, j));
      if (i + j < n && isCSpace(input.charCodeAt(i + j))) j++;
      i += j;
    } else if (input.charCodeAt(i) === 0x0a) {
      i++;
    } else {
      out += input[i++];
    }
  }
  return out;
};

function hexEscapeByte(input: string, at: number, digits: number): number {
  if (digits === 1) return x2c(0x30, input.charCodeAt(at));
  let byte = x2c(input.charCodeAt(at + digits - 2), input.charCodeAt(at + digits - 1));
  // ModSecurity only folds full width when the code point can be U+FFxx: four digits, or five or
  // six with leading zeros.
  const fullWidthCandidate =
    digits === 4 ||
    (digits === 5 && input.charCodeAt(at) === 0x30) ||
    (digits === 6 && input.charCodeAt(at) === 0x30 && input.charCodeAt(at + 1) === 0x30);
  if (
    fullWidthCandidate &&
    byte > 0x00 &&
    byte < 0x5f &&
    (input.charCodeAt(at + digits - 3) | 0x20) === 0x66 &&
    (input.charCodeAt(at + digits - 4) | 0x20) === 0x66
  ) {
    byte += 0x20;
  }
  return byte;
}
