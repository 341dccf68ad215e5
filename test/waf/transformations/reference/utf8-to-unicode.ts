import type { Transformation } from './types.js';

/**
 * Description: Rewrites each well-formed multi-byte UTF-8 sequence as `%uHHHH` (lower-case hex,
 * at least four digits), so that a following `t:urlDecodeUni` folds full-width and other
 * look-alike forms. Bytes that do not start a valid sequence (truncated, overlong, surrogates,
 * beyond U+10FFFF) are copied unchanged.
 * Syntax: `t:utf8toUnicode`
 * Example: `aé` (bytes 61 c3 a9) becomes `a%u00e9`; `ａ` (ef bd 81) becomes `%uff41`.
 */
export const utf8toUnicode: Transformation = (input) => {
  let out = '';
  let run = 0;
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c < 0x80) {
      i++;
      continue;
    }
    const width = sequenceLength(input, i, c);
    if (width === 0) {
      i++;
      continue;
    }
    let cp = c & (width === 2 ? 0x1f : width === 3 ? 0x0f : 0x07);
    for (let k = 1; k < width; k++) cp = (cp << 6) | (input.charCodeAt(i + k) & 0x3f);
    out += `${input.slice(run, i)}%u${cp.toString(16).padStart(4, '0')}`;
    i += width;
    run = i;
  }
  return run === 0 ? input : out + input.slice(run);
};

/** Length of the valid UTF-8 sequence starting at `i`, or 0 (RFC 3629 §4 well-formedness). */
function sequenceLength(s: string, i: number, c: number): number {
  const b1 = s.charCodeAt(i + 1);
  const cont = (b: number): boolean => b >= 0x80 && b <= 0xbf;
  if (c >= 0xc2 && c <= 0xdf) return cont(b1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return b1 >= lo && b1 <= hi && cont(s.charCodeAt(i + 2)) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return b1 >= lo && b1 <= hi && cont(s.charCodeAt(i + 2)) && cont(s.charCodeAt(i + 3)) ? 4 : 0;
  }
  return 0;
}
