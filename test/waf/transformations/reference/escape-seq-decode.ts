import { isHexDigit, isOctalDigit, x2c } from './bytes.js';
import type { Transformation } from './types.js';

const SIMPLE: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 0x5c,
  '?': 0x3f,
  "'": 0x27,
  '"': 0x22,
};

/**
 * Description: Decodes ANSI C escape sequences: `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH`
 * (also `\XHH`) and octal `\O` to `\OOO` (low byte kept). For any other `\C`, the backslash is
 * dropped and C kept; an `\x` without two hex digits and a trailing backslash are kept.
 * Syntax: `t:escapeSeqDecode`
 * Example: `\x41\102\n\q` becomes `AB`, a newline, then `q`.
 */
export const escapeSeqDecode: Transformation = (input) => {
  if (input.indexOf('\\') === -1) return input;
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    if (input.charCodeAt(i) !== 0x5c || i + 1 >= n) {
      out += input[i++];
      continue;
    }
    const c = input[i + 1] as string;
    const next = input.charCodeAt(i + 1);
    const simple = SIMPLE[c];
    if (simple !== undefined) {
      out += String.fromCharCode(simple);
      i += 2;
    } else if (
      (next | 0x20) === 0x78 &&
      i + 3 < n &&
      isHexDigit(input.charCodeAt(i + 2)) &&
      isHexDigit(input.charCodeAt(i + 3))
    ) {
      out += String.fromCharCode(x2c(input.charCodeAt(i + 2), input.charCodeAt(i + 3)));
      i += 4;
    } else if ((next | 0x20) === 0x78) {
      // An `\x` without two hex digits is kept whole.
      out += input.slice(i, i + 2);
      i += 2;
    } else if (isOctalDigit(next)) {
      let digits = 1;
      while (digits < 3 && i + 1 + digits < n && isOctalDigit(input.charCodeAt(i + 1 + digits))) digits++;
      out += String.fromCharCode(Number.parseInt(input.slice(i + 1, i + 1 + digits), 8) & 0xff);
      i += 1 + digits;
    } else {
      out += c;
      i += 2;
    }
  }
  return out;
};
