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
  let i = input.indexOf('\\');
  if (i === -1) return input;
  const n = input.length;
  // The text between escapes is copied as slices; `run` is where the next one starts. Every
  // backslash is consumed, so the value always changes.
  let out = '';
  let run = 0;
  while (i !== -1) {
    out += input.slice(run, i);
    const at = i + 1;
    if (at >= n) {
      // A trailing lone backslash is removed.
      run = n;
      break;
    }
    let j = 0;
    while (j < 6 && at + j < n && isHexDigit(input.charCodeAt(at + j))) j++;
    if (j > 0) {
      out += String.fromCharCode(hexEscapeByte(input, at, j));
      if (at + j < n && isCSpace(input.charCodeAt(at + j))) j++;
      run = at + j;
    } else if (input.charCodeAt(at) === 0x0a) {
      // `\` newline: a line continuation.
      run = at + 1;
    } else {
      out += input[at] as string;
      run = at + 1;
    }
    i = input.indexOf('\\', run);
  }
  return out + input.slice(run);
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
