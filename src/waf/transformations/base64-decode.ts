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

/**
 * Decoded bytes go out three at a time, one whole group per append: short outputs (the usual
 * case, since most values stop at the first non-Base64 byte) cost no buffer round trip.
 */
function decode(input: string, forgiving: boolean): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  let held = 0;
  let b0 = 0;
  let b1 = 0;
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
      const byte = (acc >> bits) & 0xff;
      if (held === 0) b0 = byte;
      else if (held === 1) b1 = byte;
      else out += String.fromCharCode(b0, b1, byte);
      held = held === 2 ? 0 : held + 1;
    }
  }
  if (held === 1) out += String.fromCharCode(b0);
  else if (held === 2) out += String.fromCharCode(b0, b1);
  return out;
}
