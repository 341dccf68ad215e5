import type { Transformation } from './types.js';

/**
 * Description: Converts ASCII letters a-z to upper case; other bytes are untouched.
 * Syntax: `t:uppercase`
 * Example: `SecRule REQUEST_METHOD "@streq GET" "id:1,t:uppercase"` matches `get`.
 */
export const uppercase: Transformation = (input) => {
  let first = -1;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) {
      first = i;
      break;
    }
  }
  if (first === -1) return input;
  // On ASCII, String#toUpperCase changes exactly a-z; above 0x7f it would also change Latin-1
  // letters (and `ß` to `SS`), which C's toupper leaves alone.
  if (!NON_ASCII.test(input)) return input.toUpperCase();
  let out = '';
  let run = 0;
  for (let i = first; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) {
      out += input.slice(run, i) + String.fromCharCode(c - 0x20);
      run = i + 1;
    }
  }
  return out + input.slice(run);
};

const NON_ASCII = /[^\0-\x7f]/;
