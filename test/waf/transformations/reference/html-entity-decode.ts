import { isAlnum, isDigit, isHexDigit } from './bytes.js';
import type { Transformation } from './types.js';

const NAMED: Readonly<Record<string, number>> = { quot: 0x22, amp: 0x26, lt: 0x3c, gt: 0x3e, nbsp: 0xa0 };

/**
 * Description: Decodes HTML entities: `&#DDD;`, `&#xHH;` (the terminating `;` is optional, the
 * value is truncated to one byte) and the named entities `&quot; &amp; &lt; &gt; &nbsp;`
 * (case-insensitive). Other named entities are left as they are — ModSecurity's decoder.
 * Syntax: `t:htmlEntityDecode`
 * Example: `&lt;script&#x3e;&#97` becomes `<script>a`.
 */
export const htmlEntityDecode: Transformation = (input) => {
  if (input.indexOf('&') === -1) return input;
  let out = '';
  let i = 0;
  const n = input.length;
  while (i < n) {
    if (input.charCodeAt(i) !== 0x26 || i + 1 >= n) {
      out += input[i++];
      continue;
    }
    if (input.charCodeAt(i + 1) === 0x23) {
      const hex = i + 2 < n && (input.charCodeAt(i + 2) | 0x20) === 0x78;
      const start = hex ? i + 3 : i + 2;
      let j = start;
      while (j < n && (hex ? isHexDigit(input.charCodeAt(j)) : isDigit(input.charCodeAt(j)))) j++;
      if (j === start) {
        out += input[i++];
        continue;
      }
      out += String.fromCharCode(numericByte(input, start, j, hex ? 16 : 10));
      i = j < n && input.charCodeAt(j) === 0x3b ? j + 1 : j;
      continue;
    }
    let j = i + 1;
    while (j < n && isAlnum(input.charCodeAt(j))) j++;
    // Fixed with the cost work: the object literal also found Object.prototype's `constructor`.
    const name = j > i + 1 ? input.slice(i + 1, j).toLowerCase() : '';
    const byte = Object.hasOwn(NAMED, name) ? NAMED[name] : undefined;
    if (byte === undefined) {
      // ModSecurity copies an unknown entity name through together with its `&`.
      out += input.slice(i, j);
      i = j;
      continue;
    }
    out += String.fromCharCode(byte);
    i = j < n && input.charCodeAt(j) === 0x3b ? j + 1 : j;
  }
  return out;
};

/**
 * strtol() then a cast to unsigned char: the low byte of the value, except that strtol saturates
 * at LONG_MAX (low byte 0xff) on overflow.
 */
function numericByte(input: string, from: number, to: number, radix: number): number {
  let value = 0;
  let big = false;
  for (let k = from; k < to; k++) {
    const c = input.charCodeAt(k);
    const d = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10;
    value = value * radix + d;
    if (value > 0x7fffffffffff) big = true;
    if (big) break;
  }
  if (big) return overflowsLong(input, from, to, radix) ? 0xff : lowByteExact(input, from, to, radix);
  return value % 256;
}

function overflowsLong(input: string, from: number, to: number, radix: number): boolean {
  let v = 0n;
  const r = BigInt(radix);
  for (let k = from; k < to; k++) {
    v = v * r + BigInt(Number.parseInt(input[k] as string, radix));
    if (v > 0x7fffffffffffffffn) return true;
  }
  return false;
}

function lowByteExact(input: string, from: number, to: number, radix: number): number {
  let v = 0;
  for (let k = from; k < to; k++) v = (v * radix + Number.parseInt(input[k] as string, radix)) % 256;
  return v;
}
