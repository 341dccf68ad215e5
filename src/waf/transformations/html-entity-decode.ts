import { isAlnum, isDigit, isHexDigit } from './bytes.js';
import type { Transformation } from './types.js';

/** A Map, not an object literal: `&constructor;` must not find Object.prototype's. */
const NAMED: ReadonlyMap<string, number> = new Map([
  ['quot', 0x22],
  ['amp', 0x26],
  ['lt', 0x3c],
  ['gt', 0x3e],
  ['nbsp', 0xa0],
]);

/**
 * Description: Decodes HTML entities: `&#DDD;`, `&#xHH;` (the terminating `;` is optional, the
 * value is truncated to one byte) and the named entities `&quot; &amp; &lt; &gt; &nbsp;`
 * (case-insensitive). Other named entities are left as they are — ModSecurity's decoder.
 * Syntax: `t:htmlEntityDecode`
 * Example: `&lt;script&#x3e;&#97` becomes `<script>a`.
 */
export const htmlEntityDecode: Transformation = (input) => {
  let i = input.indexOf('&');
  if (i === -1) return input;
  const n = input.length;
  // The text between decoded entities is copied as slices; `run` is where the next one starts.
  let out = '';
  let run = 0;
  while (i !== -1 && i + 1 < n) {
    let byte: number | undefined;
    let end: number;
    if (input.charCodeAt(i + 1) === 0x23) {
      const hex = i + 2 < n && (input.charCodeAt(i + 2) | 0x20) === 0x78;
      const start = hex ? i + 3 : i + 2;
      end = start;
      while (end < n && (hex ? isHexDigit(input.charCodeAt(end)) : isDigit(input.charCodeAt(end)))) end++;
      if (end > start) byte = numericByte(input, start, end, hex ? 16 : 10);
      else end = i + 1;
    } else {
      end = i + 1;
      while (end < n && isAlnum(input.charCodeAt(end))) end++;
      // ModSecurity copies an unknown entity name through together with its `&`.
      if (end > i + 1) byte = NAMED.get(input.slice(i + 1, end).toLowerCase());
    }
    if (byte !== undefined) {
      out += input.slice(run, i) + String.fromCharCode(byte);
      run = end < n && input.charCodeAt(end) === 0x3b ? end + 1 : end;
      end = run;
    }
    i = input.indexOf('&', end);
  }
  return run === 0 ? input : out + input.slice(run);
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
