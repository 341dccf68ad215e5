import type { Transformation } from './types.js';

/**
 * Description: Deletes the comment markers themselves — `/*`, `*\/`, `<!--`, `-->`, `--` and `#` —
 * keeping the text between them.
 * Syntax: `t:removeCommentsChar`
 * Example: `a/*b*\/c#d--e` becomes `abcde`.
 */
export const removeCommentsChar: Transformation = (input) => {
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    const next = input.charCodeAt(i + 1);
    if ((c === 0x2f && next === 0x2a) || (c === 0x2a && next === 0x2f)) i += 2;
    else if (c === 0x3c && input.startsWith('!--', i + 1)) i += 4;
    else if (c === 0x2d && next === 0x2d) i += input.charCodeAt(i + 2) === 0x3e ? 3 : 2;
    else if (c === 0x23) i++;
    else out += input[i++];
  }
  return out;
};
