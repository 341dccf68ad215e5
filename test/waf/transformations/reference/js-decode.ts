import { isHexDigit, isOctalDigit, unicodeEscapeByte, x2c } from './bytes.js';
import type { Transformation } from './types.js';

const SIMPLE: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/**
 * Description: Decodes JavaScript escapes: `\uHHHH` (low byte kept, full-width ASCII folded back
 * to ASCII), `\xHH`, octal `\OOO` (at most one byte), `\a \b \f \n \r \t \v`, and `\C` for any
 * other C becomes C. A trailing lone backslash is kept.
 * Syntax: `t:jsDecode`
 * Example: `\x3cscript\u003e\'` becomes `<script>'`.
 */
export const jsDecode: Transformation = (input) => {
  if (input.indexOf('\\') === -1) return input;
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    if (input.charCodeAt(i) !== 0x5c) {
      out += input[i++];
      continue;
    }
    const next = input.charCodeAt(i + 1);
    if (
      next === 0x75 &&
      i + 5 < n &&
      isHexDigit(input.charCodeAt(i + 2)) &&
      isHexDigit(input.charCodeAt(i + 3)) &&
      isHexDigit(input.charCodeAt(i + 4)) &&
      isHexDigit(input.charCodeAt(i + 5))
    ) {
      out += String.fromCharCode(
        unicodeEscapeByte(
          input.charCodeAt(i + 2),
          input.charCodeAt(i + 3),
          input.charCodeAt(i + 4),
          input.charCodeAt(i + 5),
        ),
      );
      i += 6;
    } else if (
      next === 0x78 &&
      i + 3 < n &&
      isHexDigit(input.charCodeAt(i + 2)) &&
      isHexDigit(input.charCodeAt(i + 3))
    ) {
      out += String.fromCharCode(x2c(input.charCodeAt(i + 2), input.charCodeAt(i + 3)));
      i += 4;
    } else if (i + 1 < n && isOctalDigit(next)) {
      let digits = 1;
      while (digits < 3 && i + 1 + digits < n && isOctalDigit(input.charCodeAt(i + 1 + digits))) digits++;
      // ModSecurity: a three-digit escape starting above 3 would exceed one byte, so it takes two.
      if (digits === 3 && next > 0x33) digits = 2;
      out += String.fromCharCode(Number.parseInt(input.slice(i + 1, i + 1 + digits), 8));
      i += 1 + digits;
    } else if (i + 1 < n) {
      const c = input[i + 1] as string;
      const simple = SIMPLE[c];
      out += simple === undefined ? c : String.fromCharCode(simple);
      i += 2;
    } else {
      out += input.slice(i);
      i = n;
    }
  }
  return out;
};
