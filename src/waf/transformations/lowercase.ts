import type { Transformation } from './types.js';

/**
 * Description: Converts ASCII letters A-Z to lower case; other bytes are untouched (C `tolower`
 * in the "C" locale, as ModSecurity).
 * Syntax: `t:lowercase`
 * Example: `SecRule ARGS "@streq select" "id:1,t:lowercase"` matches `SeLeCt`.
 */
export const lowercase: Transformation = (input) => {
  const first = input.search(UPPER);
  if (first === -1) return input;
  return NON_ASCII.test(input) ? asciiLower(input, first) : input.toLowerCase();
};

const UPPER = /[A-Z]/;

/**
 * On ASCII, String#toLowerCase changes exactly A-Z (native, one pass); above 0x7f it would also
 * fold Latin-1 letters (`À`), which C's tolower leaves alone, so such values take asciiLower.
 */
const NON_ASCII = /[^\0-\x7f]/;

function asciiLower(input: string, from: number): string {
  let out = input.slice(0, from);
  let run = from;
  for (let i = from; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      out += input.slice(run, i) + String.fromCharCode(c + 0x20);
      run = i + 1;
    }
  }
  return out + input.slice(run);
}
