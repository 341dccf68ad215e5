import type { Transformation } from './types.js';

/**
 * Description: Deletes the comment markers themselves — `/*`, `*\/`, `<!--`, `-->`, `--` and `#` —
 * keeping the text between them.
 * Syntax: `t:removeCommentsChar`
 * Example: `a/*b*\/c#d--e` becomes `abcde`.
 */
export const removeCommentsChar: Transformation = (input) => {
  // Every marker holds a `*`, a `-` or a `#`: three native scans settle most values.
  if (input.indexOf('*') === -1 && input.indexOf('-') === -1 && input.indexOf('#') === -1) return input;
  const n = input.length;
  // The text between markers is copied as slices; `run` is where the next one starts.
  let out = '';
  let run = 0;
  let i = 0;
  while (i < n) {
    const c = input.charCodeAt(i);
    const next = input.charCodeAt(i + 1);
    let marker = 0;
    if ((c === 0x2f && next === 0x2a) || (c === 0x2a && next === 0x2f)) marker = 2;
    else if (c === 0x3c && next === 0x21 && input.startsWith('--', i + 2)) marker = 4;
    else if (c === 0x2d && next === 0x2d) marker = input.charCodeAt(i + 2) === 0x3e ? 3 : 2;
    else if (c === 0x23) marker = 1;
    if (marker === 0) {
      i++;
      continue;
    }
    out += input.slice(run, i);
    i += marker;
    run = i;
  }
  return run === 0 ? input : out + input.slice(run);
};
