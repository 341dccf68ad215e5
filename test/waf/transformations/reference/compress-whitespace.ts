import { isCSpace } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Turns every run of whitespace (C `isspace` and the non-breaking space 0xA0) into
 * a single space.
 * Syntax: `t:compressWhitespace`
 * Example: `a \t\r\n b` becomes `a b`.
 */
export const compressWhitespace: Transformation = (input) => {
  let out = '';
  let inSpace = false;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (isCSpace(c) || c === 0xa0) {
      if (!inSpace) out += ' ';
      inSpace = true;
    } else {
      out += input[i];
      inSpace = false;
    }
  }
  return out;
};
