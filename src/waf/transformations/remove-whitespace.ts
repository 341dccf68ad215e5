import { isCSpace } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Removes every whitespace byte (C `isspace` and the non-breaking space 0xA0).
 * Syntax: `t:removeWhitespace`
 * Example: `s e\tl\ne c t` becomes `select`.
 */
export const removeWhitespace: Transformation = (input) => {
  let out = '';
  let run = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (isCSpace(c) || c === 0xa0) {
      out += input.slice(run, i);
      run = i + 1;
    }
  }
  return run === 0 ? input : out + input.slice(run);
};
