import { isHexDigit, isOctalDigit, unicodeEscapeByte, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/** `\a \b \f \n \r \t \v`, by the char code after the backslash. */
const SIMPLE = new Map([
  [0x61, '\x07'],
  [0x62, '\b'],
  [0x66, '\f'],
  [0x6e, '\n'],
  [0x72, '\r'],
  [0x74, '\t'],
  [0x76, '\v'],
]);

/**
 * Description: Decodes JavaScript escapes: `\uHHHH` (low byte kept, full-width ASCII folded back
 * to ASCII), `\xHH`, octal `\OOO` (at most one byte), `\a \b \f \n \r \t \v`, and `\C` for any
 * other C becomes C. A trailing lone backslash is kept.
 * Syntax: `t:jsDecode`
 * Example: `\x3cscript\u003e\'` becomes `<script>'`.
 */
export const jsDecode: Transformation = (input) => {
  let i = input.indexOf('\\');
  if (i === -1) return input;
  const n = input.length;
  // The text between escapes is copied as slices; `run` is where the next one starts.
  let out = '';
  let run = 0;
  // A trailing lone backslash is kept: it is copied with the last run.
  while (i !== -1 && i + 1 < n) {
    const next = input.charCodeAt(i + 1);
    let decoded: string;
    let end: number;
    if (
      next === 0x75 &&
      i + 5 < n &&
      isHexDigit(input.charCodeAt(i + 2)) &&
      isHexDigit(input.charCodeAt(i + 3)) &&
      isHexDigit(input.charCodeAt(i + 4)) &&
      isHexDigit(input.charCodeAt(i + 5))
    ) {
      decoded = String.fromCharCode(
        unicodeEscapeByte(
          input.charCodeAt(i + 2),
          input.charCodeAt(i + 3),
          input.charCodeAt(i + 4),
          input.charCodeAt(i + 5),
        ),
      );
      end = i + 6;
    } else if (
      next === 0x78 &&
      i + 3 < n &&
      isHexDigit(input.charCodeAt(i + 2)) &&
      isHexDigit(input.charCodeAt(i + 3))
    ) {
      decoded = String.fromCharCode(x2c(input.charCodeAt(i + 2), input.charCodeAt(i + 3)));
      end = i + 4;
    } else if (isOctalDigit(next)) {
      let digits = 1;
      while (digits < 3 && i + 1 + digits < n && isOctalDigit(input.charCodeAt(i + 1 + digits))) digits++;
      // ModSecurity: a three-digit escape starting above 3 would exceed one byte, so it takes two.
      if (digits === 3 && next > 0x33) digits = 2;
      decoded = String.fromCharCode(Number.parseInt(input.slice(i + 1, i + 1 + digits), 8));
      end = i + 1 + digits;
    } else {
      decoded = SIMPLE.get(next) ?? (input[i + 1] as string);
      end = i + 2;
    }
    out += input.slice(run, i) + decoded;
    run = end;
    i = input.indexOf('\\', end);
  }
  return run === 0 ? input : out + input.slice(run);
};
