import type { Transformation } from './types.js';

/**
 * Description: Replaces each C-style comment `/* ... *\/` with one space; an unterminated comment
 * runs to the end of the value and is also replaced by one space. A lone `*\/` is kept.
 * Syntax: `t:replaceComments`
 * Example: `UNION/**\/SELECT` becomes `UNION SELECT`.
 */
export const replaceComments: Transformation = (input) => {
  let open = input.indexOf('/*');
  if (open === -1) return input;
  let out = '';
  let from = 0;
  while (open !== -1) {
    out += `${input.slice(from, open)} `;
    const close = input.indexOf('*/', open + 2);
    if (close === -1) return out;
    from = close + 2;
    open = input.indexOf('/*', from);
  }
  return out + input.slice(from);
};
