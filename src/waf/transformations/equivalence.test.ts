import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { REFERENCE } from '../../../test/waf/transformations/reference/index.js';
import { TRANSFORMATIONS } from './registry.js';

/** One char per byte, as the engine hands values to transformations. */
const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** Bytes that start, end or make up an escape, comment, entity or separator somewhere. */
const SPECIAL = [...'%+uU&#;xX\\/*-<!>0123456789abcdefABCDEF \t\r\n\v\f,^"\'(\0\xa0\xc3\xa9\xef\xbd\x81']
  .map((c) => c.charCodeAt(0))
  .concat([0x80, 0xbf, 0xe0, 0xed, 0xf0, 0xf4, 0xff]);
const byteString = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...SPECIAL)), { maxLength: 48 })
  .map((codes) => String.fromCharCode(...codes));
/** Whole escapes and markers, so that the rarer branches (valid `%uHHHH`, `&#x41;`, `\\101`) occur often. */
const PIECES = [
  '%41',
  '%u0041',
  '%uff41',
  '%u201c',
  '%u',
  '%',
  '+',
  '&lt;',
  '&AMP;',
  '&#60',
  '&#x3c;',
  '&#99999999999999999999;',
  '&constructor;',
  '&',
  '\\x41',
  '\\u0041',
  '\\101',
  '\\477',
  '\\n',
  '\\\n',
  '\\3c ',
  '\\ff41',
  '\\',
  '/*',
  '*/',
  '<!--',
  '-->',
  '--',
  '#',
  '0x414243',
  '0x4',
  ' ',
  '  ',
  ' /',
  ' (',
  '^',
  'A',
  'z',
  'é',
  'ａ',
];
const pieceString = fc.array(fc.constantFrom(...PIECES), { maxLength: 16 }).map((parts) => latin1(parts.join('')));
/** Everyday values, which most transformations leave alone. */
const PLAIN = [
  'Jane Doe',
  'jane.doe@example.com',
  '3f2c1c9e-8a7b-4d1e-9f55-2b6a0c4d7e81',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
  'en-US,en;q=0.9',
  '/api/items',
  'quantity',
  '9.99',
  '',
];

describe('transformations', () => {
  test('answer exactly as before their cost work', () => {
    fc.assert(
      fc.property(fc.oneof(byteString, pieceString, fc.constantFrom(...PLAIN)), (input) => {
        for (const [name, before] of REFERENCE) {
          const now = TRANSFORMATIONS.get(name);
          assert.ok(now, name);
          assert.equal(now(input), before(input), `${name}(${JSON.stringify(input)})`);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  test('a transformation that changes nothing returns the same string instance', () => {
    fc.assert(
      fc.property(fc.oneof(byteString, pieceString, fc.constantFrom(...PLAIN)), (input) => {
        for (const [name, t] of TRANSFORMATIONS) {
          if (NEW_REPRESENTATION.has(name) || t(input) !== input) continue;
          // Past its shortcut, normalizePath compares its result with the input (===), which a
          // String object defeats; the shortcut itself is checked here like the others.
          if (name.startsWith('normali') && !returnsItsArgument(t, input) && !isNormalPathShape(input)) continue;
          assert.ok(
            returnsItsArgument(t, input),
            `${name}(${JSON.stringify(input)}) rebuilt a value it did not change`,
          );
        }
      }),
      { numRuns: 5_000 },
    );
  });
});

/** The inputs normalizePath's shortcut must catch: no `.` before a separator or the end, no `//`, no trailing `/`, no `\\`. */
function isNormalPathShape(input: string): boolean {
  return !/\.(?:[/\\]|$)|[/\\]{2}|[\s\S][/\\]$|\\/.test(input);
}

/** Transformations whose output is another representation (a hash, an encoding, a length). */
const NEW_REPRESENTATION = new Set([
  'length',
  'md5',
  'sha1',
  'hexEncode',
  'hexDecode',
  'base64Encode',
  'base64Decode',
  'base64DecodeExt',
]);

/**
 * Strings have no identity JS can observe, so the input goes in as a String object: a
 * transformation that returns its argument returns that object, one that rebuilt the value
 * returns a primitive. The string methods the transformations call work on either.
 */
function returnsItsArgument(t: (input: string) => string, input: string): boolean {
  const boxed = new String(input);
  return (t(boxed as unknown as string) as unknown) === boxed;
}
