import type { Transformation } from './types.js';

/**
 * Description: Converts ASCII letters a-z to upper case; other bytes are untouched.
 * Syntax: `t:uppercase`
 * Example: `SecRule REQUEST_METHOD "@streq GET" "id:1,t:uppercase"` matches `get`.
 */
export const uppercase: Transformation = (input) => {
  let out = '';
  let run = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) {
      out += input.slice(run, i) + String.fromCharCode(c - 0x20);
      run = i + 1;
    }
  }
  return run === 0 ? input : out + input.slice(run);
};
