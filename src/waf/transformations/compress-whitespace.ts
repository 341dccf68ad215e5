import { isCSpace } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Turns every run of whitespace (C `isspace` and the non-breaking space 0xA0) into
 * a single space.
 * Syntax: `t:compressWhitespace`
 * Example: `a \t\r\n b` becomes `a b`.
 */
export const compressWhitespace: Transformation = (input) => {
  // Nothing to do unless some whitespace is not a lone space: one regex search settles it.
  let i = input.search(NOT_A_LONE_SPACE);
  if (i === -1) return input;
  const n = input.length;
  let out = '';
  let run = 0;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (!isWhitespace(c)) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < n && isWhitespace(input.charCodeAt(end))) end++;
    // A lone space is already what the run becomes.
    if (end - i > 1 || c !== 0x20) {
      out += `${input.slice(run, i)} `;
      run = end;
    }
    i = end;
  }
  return run === 0 ? input : out + input.slice(run);
};

/** Whitespace other than a space, or two whitespace bytes in a row (the second may be any). */
const NOT_A_LONE_SPACE = /[\t\n\v\f\r\xa0]| [ \t\n\v\f\r\xa0]/;

function isWhitespace(c: number): boolean {
  return isCSpace(c) || c === 0xa0;
}
