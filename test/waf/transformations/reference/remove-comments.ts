import type { Transformation } from './types.js';

/**
 * Description: Removes comments: `/* ... *\/` and `<!-- ... -->` are deleted, and `--` or `#`
 * ends the value (SQL and shell end-of-line comments). An unterminated block comment is replaced
 * by one space. As in ModSecurity, the byte right after a closing `*\/` or `-->` is copied
 * without being inspected, and a NUL byte stands in for it when the comment closes the value.
 * Syntax: `t:removeComments`
 * Example: `a/*x*\/b<!--y-->c-- z` becomes `abc`; `/*x*\/` becomes one NUL byte.
 */
export const removeComments: Transformation = (input) => {
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === 0x2f && input.charCodeAt(i + 1) === 0x2a) {
      const close = input.indexOf('*/', i + 2);
      if (close === -1) return `${out} `;
      i = close + 2;
      out += i < n ? input[i++] : '\0';
    } else if (c === 0x3c && input.startsWith('!--', i + 1)) {
      const close = input.indexOf('-->', i + 4);
      if (close === -1) return `${out} `;
      i = close + 3;
      out += i < n ? input[i++] : '\0';
    } else if ((c === 0x2d && input.charCodeAt(i + 1) === 0x2d) || c === 0x23) {
      return out;
    } else {
      out += input[i++];
    }
  }
  return out;
};
