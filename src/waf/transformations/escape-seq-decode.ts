import { isHexDigit, isOctalDigit, x2c } from './bytes.js';
import type { Transformation } from './types.js';

/** `\a \b \f \n \r \t \v \\ \? \' \"`, by the char code after the backslash. */
const SIMPLE = new Map([
  [0x61, '\x07'],
  [0x62, '\b'],
  [0x66, '\f'],
  [0x6e, '\n'],
  [0x72, '\r'],
  [0x74, '\t'],
  [0x76, '\v'],
  [0x5c, '\\'],
  [0x3f, '?'],
  [0x27, "'"],
  [0x22, '"'],
]);

/**
 * Description: Decodes ANSI C escape sequences: `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH`
 * (also `\XHH`) and octal `\O` to `\OOO` (low byte kept). For any other `\C`, the backslash is
 * dropped and C kept; an `\x` without two hex digits and a trailing backslash are kept.
 * Syntax: `t:escapeSeqDecode`
 * Example: `\x41\102\n\q` becomes `AB`, a newline, then `q`.
 */
export const escapeSeqDecode: Transformation = (input) => {
  let i = input.indexOf('\\');
  if (i === -1) return input;
  const n = input.length;
  // The text between escapes is copied as slices; `run` is where the next one starts.
  let out = '';
  let run = 0;
  // A trailing backslash is kept: it is copied with the last run.
  while (i !== -1 && i + 1 < n) {
    const next = input.charCodeAt(i + 1);
    const simple = SIMPLE.get(next);
    let decoded: string;
    let end: number;
    if (simple !== undefined) {
      decoded = simple;
      end = i + 2;
    } else if ((next | 0x20) === 0x78) {
      if (!(i + 3 < n && isHexDigit(input.charCodeAt(i + 2)) && isHexDigit(input.charCodeAt(i + 3)))) {
        // An `\x` without two hex digits is kept whole.
        i = input.indexOf('\\', i + 2);
        continue;
      }
      decoded = String.fromCharCode(x2c(input.charCodeAt(i + 2), input.charCodeAt(i + 3)));
      end = i + 4;
    } else if (isOctalDigit(next)) {
      let digits = 1;
      while (digits < 3 && i + 1 + digits < n && isOctalDigit(input.charCodeAt(i + 1 + digits))) digits++;
      decoded = String.fromCharCode(Number.parseInt(input.slice(i + 1, i + 1 + digits), 8) & 0xff);
      end = i + 1 + digits;
    } else {
      decoded = input[i + 1] as string;
      end = i + 2;
    }
    out += input.slice(run, i) + decoded;
    run = end;
    i = input.indexOf('\\', end);
  }
  return run === 0 ? input : out + input.slice(run);
};
