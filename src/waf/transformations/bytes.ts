/**
 * Byte-level helpers shared by the transformations. Inputs are byte strings (one char code per
 * byte), so every test below works on codes 0-255 exactly as C's <ctype.h> does in the "C" locale,
 * which is what ModSecurity links against.
 */

/** C `isspace` in the "C" locale: SP, \t, \n, \v, \f, \r. */
export function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

export function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

export function isOctalDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x37;
}

export function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** C `isalnum` in the "C" locale. */
export function isAlnum(code: number): boolean {
  return isDigit(code) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** Value of one hex digit; callers check `isHexDigit` first. */
export function hexValue(code: number): number {
  if (code <= 0x39) return code - 0x30;
  return (code | 0x20) - 0x61 + 10;
}

/**
 * ModSecurity's `x2c`: two characters to one byte. It does not validate its input (hexDecode feeds
 * it arbitrary bytes), so the arithmetic below reproduces its result for non-hex characters too.
 */
export function x2c(high: number, low: number): number {
  return (x2cDigit(high) * 16 + x2cDigit(low)) & 0xff;
}

function x2cDigit(c: number): number {
  return c >= 0x41 ? (c & 0xdf) - 0x41 + 10 : c - 0x30;
}

/**
 * The byte a `%uHHHH`-style escape decodes to: ModSecurity keeps the low byte and, for the
 * full-width ASCII block U+FF01-U+FF5E, adds 0x20 so that `%uff41` becomes `a` again.
 */
export function unicodeEscapeByte(h1: number, h2: number, h3: number, h4: number): number {
  let byte = x2c(h3, h4);
  if (byte > 0x00 && byte < 0x5f && (h1 | 0x20) === 0x66 && (h2 | 0x20) === 0x66) byte += 0x20;
  return byte;
}

/** Joins byte codes into a byte string without hitting the argument-count limit of fromCharCode. */
export function bytesToString(bytes: ArrayLike<number>, length: number): string {
  let out = '';
  const chunk = 8192;
  for (let i = 0; i < length; i += chunk) {
    out += String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, i, Math.min(length, i + chunk)));
  }
  return out;
}

let scratch = new Uint8Array(1024);

/**
 * A byte buffer of at least `length` bytes for a transformation to write its output into, then
 * read back with latin1(). Shared: transformations are synchronous and never call one another
 * while writing, so one buffer serves them all and a call allocates none.
 */
export function byteBuffer(length: number): Uint8Array {
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, scratch.length * 2));
  return scratch;
}

/**
 * The first `length` bytes of `bytes` as a byte string: fromCharCode for short outputs (a call
 * into Buffer costs more than the copy), Buffer's latin1 decoder for long ones.
 */
export function latin1(bytes: Uint8Array, length: number): string {
  if (length <= 2)
    return length === 0
      ? ''
      : length === 1
        ? String.fromCharCode(bytes[0] as number)
        : String.fromCharCode(bytes[0] as number, bytes[1] as number);
  if (length <= 256) return String.fromCharCode.apply(null, bytes.subarray(0, length) as unknown as number[]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('latin1');
}
