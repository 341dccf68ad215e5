import type { Transformation } from './types.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int16Array(256).fill(-1);
for (let k = 0; k < ALPHABET.length; k++) VALUE[ALPHABET.charCodeAt(k)] = k;

/**
 * Description: Decodes Base64. Decoding stops at the first byte outside the alphabet (`=`
 * padding included); an incomplete final group yields the bytes it fully determines.
 * Syntax: `t:base64Decode`
 * Example: `c2VsZWN0` becomes `select`; `c2VsZWN0!garbage` also becomes `select`.
 */
export const base64Decode: Transformation = (input) => decode(input, false);

/**
 * Description: Forgiving Base64 decode: bytes outside the alphabet (spaces, `.`, `=`...) are
 * skipped instead of ending the value, so split or padded fragments still decode.
 * Syntax: `t:base64DecodeExt`
 * Example: `c2Vs ZWN0` becomes `select`.
 */
export const base64DecodeExt: Transformation = (input) => decode(input, true);

function decode(input: string, forgiving: boolean): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    const v = c < 256 ? (VALUE[c] as number) : -1;
    if (v < 0) {
      if (forgiving) continue;
      break;
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((acc >> bits) & 0xff);
    }
  }
  return out;
}
