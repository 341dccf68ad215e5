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
  const n = input.length;
  // The text between comments is copied as slices; `run` is where the next one starts.
  let out = '';
  let run = 0;
  let i = 0;
  while (i < n) {
    const c = input.charCodeAt(i);
    let close: number;
    if (c === 0x2f && input.charCodeAt(i + 1) === 0x2a) {
      close = input.indexOf('*/', i + 2);
      if (close !== -1) close += 2;
    } else if (c === 0x3c && input.startsWith('!--', i + 1)) {
      close = input.indexOf('-->', i + 4);
      if (close !== -1) close += 3;
    } else if ((c === 0x2d && input.charCodeAt(i + 1) === 0x2d) || c === 0x23) {
      return out + input.slice(run, i);
    } else {
      i++;
      continue;
    }
    out += input.slice(run, i);
    if (close === -1) return `${out} `;
    i = close;
    if (i < n) {
      // Copied without being inspected: it starts the next run.
      run = i;
      i++;
    } else {
      out += '\0';
      run = n;
    }
  }
  return run === 0 ? input : out + input.slice(run);
};
