import type { Transformation } from './types.js';

/**
 * Description: Sets the high bit of each byte so that it has even parity over its low seven bits
 * (`parityEven7bit`), odd parity (`parityOdd7bit`), or clears it (`parityZero7bit`) — for
 * protocols that use 7-bit data with a parity bit.
 * Syntax: `t:parityEven7bit`, `t:parityOdd7bit`, `t:parityZero7bit`
 * Example: `t:parityZero7bit` turns byte 0xC1 into `A`.
 */
export const parityEven7bit: Transformation = (input) => mapBytes(input, (c) => withParity(c, 0));

export const parityOdd7bit: Transformation = (input) => mapBytes(input, (c) => withParity(c, 1));

export const parityZero7bit: Transformation = (input) => mapBytes(input, (c) => c & 0x7f);

function withParity(c: number, want: number): number {
  const low = c & 0x7f;
  let ones = 0;
  for (let v = low; v !== 0; v >>= 1) ones += v & 1;
  return (ones & 1) === want ? low : low | 0x80;
}

function mapBytes(input: string, f: (c: number) => number): string {
  let out = '';
  for (let i = 0; i < input.length; i++) out += String.fromCharCode(f(input.charCodeAt(i)));
  return out;
}
