import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { bestFitAscii } from './best-fit.js';
import { normalizeBytes, normalizePath, normalizePathWin } from './normalize-path.js';
import { TRANSFORMATIONS } from './registry.js';

/** [input, expected output] pairs per transformation; bytes written as \xHH where needed. */
const CASES: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  none: [
    ['', ''],
    ['AbC \x00\xff', 'AbC \x00\xff'],
  ],
  lowercase: [
    ['SeLeCt', 'select'],
    ['ÀB\xc9', 'Àb\xc9'],
    ['', ''],
  ],
  uppercase: [
    ['get /x', 'GET /X'],
    ['\xe9a', '\xe9A'],
  ],
  urlDecode: [
    ['a%20b+c', 'a b c'],
    ['%41%4a%4A', 'AJJ'],
    ['%zz%4', '%zz%4'],
    ['%', '%'],
    ['100%', '100%'],
    ['%u0041', '%u0041'],
    ['%00', '\x00'],
    ['%ff', '\xff'],
  ],
  urlDecodeUni: [
    ['%u0041%uff41%u201c%41+', 'Aa"A '],
    ['%u00e9%u00C8', 'eE'],
    ['%u4e2d', '-'],
    ['%uff1c%U003e', '<>'],
    ['%u004', '%u004'],
    ['%u00zz', '%u00zz'],
    ['%2527', '%27'],
    ['%', '%'],
  ],
  urlEncode: [
    ['a b/c', 'a+b%2fc'],
    ['*-._', '*%2d%2e%5f'],
    ['\x00\xff', '%00%ff'],
  ],
  htmlEntityDecode: [
    ['&lt;script&#x3e;&#97', '<script>a'],
    ['&QUOT;&amp;&nbsp;&gt;', '"&\xa0>'],
    ['&foo;&', '&foo;&'],
    // Not a NUL byte: the entity table is a Map, not an object with Object.prototype's keys.
    ['&constructor;&toString', '&constructor;&toString'],
    ['&#;&#x;', '&#;&#x;'],
    ['&#256;&#x141;', '\x00A'],
    ['&#99999999999999999999999;', '\xff'],
    ['a&ltb', 'a&ltb'],
    ['a&lt;b&lt b', 'a<b< b'],
  ],
  jsDecode: [
    ['\\x3cscript\\u003e', '<script>'],
    ['\\\'\\"\\\\', '\'"\\'],
    ['\\n\\t\\r\\a\\b\\f\\v', '\n\t\r\x07\b\f\v'],
    ['\\101\\7\\400', 'A\x07 0'],
    ['\\uff41\\u0141', 'aA'],
    ['\\u12', 'u12'],
    ['\\x4', 'x4'],
    ['end\\', 'end\\'],
  ],
  cssDecode: [
    ['\\3c script\\3E', '<script>'],
    ['ja\\vascript', 'javascript'],
    ['\\00003c', '<'],
    ['\\ff41\\000041', 'aA'],
    ['\\1234567', 'V7'],
    ['a\\\nb', 'ab'],
    ['end\\', 'end'],
    ['\\41  x', 'A x'],
  ],
  cmdLine: [
    ['C^OMMAND /C DIR', 'command/c dir'],
    ['"c"md.exe', 'cmd.exe'],
    ["w'h'o\\ami", 'whoami'],
    ['a , ;\t\r\nb', 'a b'],
    ['echo (x)', 'echo(x)'],
  ],
  compressWhitespace: [
    ['a \t\r\n\v\f b', 'a b'],
    ['\xa0\xa0x', ' x'],
    ['ab', 'ab'],
  ],
  removeWhitespace: [
    ['s e\tl\ne\rc\vt\f\xa0', 'select'],
    ['', ''],
  ],
  removeNulls: [['a\x00b\x00', 'ab']],
  replaceNulls: [['a\x00b\x00', 'a b ']],
  replaceComments: [
    ['UNION/**/SELECT', 'UNION SELECT'],
    ['a/*x*/b/*y', 'a b '],
    ['a*/b', 'a*/b'],
  ],
  removeComments: [
    ['a/*x*/b<!--y-->c-- z', 'abc'],
    ['/*x*/', '\x00'],
    ['a#b', 'a'],
    ['a/*x', 'a '],
    ['a<!--x', 'a '],
  ],
  removeCommentsChar: [
    ['a/*b*/c#d--e', 'abcde'],
    ['<!--x-->', 'x'],
  ],
  normalizePath: [
    ['/a/./b//c/../d', '/a/b/d'],
    ['../..', '../..'],
    ['dir/../../foo', '../foo'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['dir/sub/..', 'dir'],
    ['./', ''],
    ['a/b/', 'a/b/'],
    ['', ''],
  ],
  normalisePath: [['/a/../b', '/b']],
  normalizePathWin: [
    ['\\a\\..\\..\\b\\', '/b/'],
    ['c:\\windows\\..\\boot.ini', 'c:/boot.ini'],
  ],
  normalisePathWin: [['a\\.\\b', 'a/b']],
  base64Decode: [
    ['c2VsZWN0', 'select'],
    ['c2VsZWN0!garbage', 'select'],
    ['YQ==', 'a'],
    ['YQ', 'a'],
    ['Y', ''],
    ['', ''],
  ],
  base64DecodeExt: [
    ['c2Vs ZWN0', 'select'],
    ['Y.Q=', 'a'],
  ],
  base64Encode: [
    ['select', 'c2VsZWN0'],
    ['\xff', '/w=='],
  ],
  hexDecode: [
    ['414243', 'ABC'],
    ['4142434', 'ABC'],
    ['', ''],
  ],
  hexEncode: [['AB\x00\xff', '414200ff']],
  length: [
    ['hello', '5'],
    ['', '0'],
  ],
  md5: [['abc', Buffer.from('900150983cd24fb0d6963f7d28e17f72', 'hex').toString('latin1')]],
  sha1: [['abc', Buffer.from('a9993e364706816aba3e25717850c26c9cd0d89d', 'hex').toString('latin1')]],
  sqlHexDecode: [
    ['SELECT 0x414243', 'SELECT ABC'],
    ['0x41424', 'AB4'],
    ['0x4', '0x4'],
    ['0xzz', '0xzz'],
  ],
  trim: [[' \t a b \n', 'a b']],
  trimLeft: [[' \t a b \n', 'a b \n']],
  trimRight: [[' \t a b \n', ' \t a b']],
  utf8toUnicode: [
    ['a\xc3\xa9', 'a%u00e9'],
    ['\xef\xbd\x81', '%uff41'],
    ['\xf0\x9f\x98\x80', '%u1f600'],
    ['\xc0\xaf', '\xc0\xaf'],
    ['\xed\xa0\x80', '\xed\xa0\x80'],
    ['\xe2\x82', '\xe2\x82'],
  ],
  escapeSeqDecode: [
    ['\\x41\\102\\n\\q', 'AB\nq'],
    ['\\xag\\', '\\xag\\'],
    ['\\?\\"\\\\', '?"\\'],
    ['\\777', '\xff'],
  ],
  parityEven7bit: [['\x01\x03\xc1', '\x81\x03\x41']],
  parityOdd7bit: [['\x01\x03', '\x01\x83']],
  parityZero7bit: [['\xc1\x41', 'AA']],
};

describe('transformations', () => {
  for (const [name, cases] of Object.entries(CASES)) {
    test(name, () => {
      const t = TRANSFORMATIONS.get(name);
      assert.ok(t, `${name} is registered`);
      for (const [input, expected] of cases) assert.equal(t(input), expected, `${name}(${JSON.stringify(input)})`);
    });
  }

  test('every registered transformation has known pairs', () => {
    for (const name of TRANSFORMATIONS.keys()) assert.ok(CASES[name], `no cases for ${name}`);
  });

  test('names are looked up case-insensitively, as CRS writes t:base64decode', () => {
    assert.equal(TRANSFORMATIONS.get('base64decode'), TRANSFORMATIONS.get('base64Decode'));
    assert.equal(TRANSFORMATIONS.get('URLDECODEUNI'), TRANSFORMATIONS.get('urlDecodeUni'));
    assert.equal(TRANSFORMATIONS.has('nope'), false);
  });

  test('every transformation CRS v4 uses is registered', () => {
    const used = [
      'none',
      'urlDecodeUni',
      'lowercase',
      'jsDecode',
      'htmlEntityDecode',
      'utf8toUnicode',
      'removeNulls',
      'cssDecode',
      'cmdLine',
      'removeWhitespace',
      'replaceComments',
      'normalizePath',
      'escapeSeqDecode',
      'compressWhitespace',
      'normalizePathWin',
      'length',
      'base64Decode',
      'sha1',
      'hexEncode',
      'removeCommentsChar',
    ];
    for (const name of used) assert.ok(TRANSFORMATIONS.has(name), name);
  });

  test('total on any byte string, and the output is a byte string', () => {
    const bytes = fc.array(
      fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x25, 0x5c, 0x26, 0x2f, 0x2e, 0x75)),
      {
        maxLength: 64,
      },
    );
    fc.assert(
      fc.property(bytes, (codes) => {
        const input = String.fromCharCode(...codes);
        for (const [name, t] of TRANSFORMATIONS) {
          const out = t(input);
          for (let i = 0; i < out.length; i++) assert.ok(out.charCodeAt(i) <= 255, `${name} produced a non-byte`);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('linear time: 128 KiB of each transformation’s worst-case shape runs quickly', () => {
    const shapes = ['%u%', '&#x', '\\u00', '/../', './/', '/*', '<!--', '0x4', '\\\\\\', '\xc3', '&amp', '\\x4', ' ,;'];
    for (const [name, t] of TRANSFORMATIONS) {
      for (const shape of shapes) {
        const input = shape.repeat(Math.ceil(131072 / shape.length));
        // CPU time, not wall time: a loaded machine (CI running tests in parallel) stretches the
        // latter without the code being any slower.
        const start = process.cpuUsage();
        t(input);
        const used = process.cpuUsage(start);
        const ms = (used.user + used.system) / 1000;
        // Linear code does this in a few milliseconds; a quadratic one would need minutes.
        assert.ok(
          ms < 1500,
          `${name} on ${JSON.stringify(shape)} x${input.length / shape.length}: ${ms.toFixed(0)} ms`,
        );
      }
    }
  });

  test('best fit agrees with the US-ASCII table on sampled code points', () => {
    assert.equal(bestFitAscii(0x41), 0x41);
    assert.equal(bestFitAscii(0x00e9), 0x65);
    assert.equal(bestFitAscii(0x0141), 0x4c);
    assert.equal(bestFitAscii(0x2019), 0x27);
    assert.equal(bestFitAscii(0xff5e), 0x7e);
    assert.equal(bestFitAscii(0x2122), 0x54);
    assert.equal(bestFitAscii(0x4e2d), -1);
    assert.equal(bestFitAscii(0x00bd), -1);
  });

  test("normalizePath: the unchanged-input shortcut gives the full algorithm's answer", () => {
    const path = fc
      .array(fc.constantFrom('a', 'b', '/', '.', '..', '\\', 'x.y', 'a.', '.a', '//'), { maxLength: 12 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(path, (input) => {
        assert.equal(normalizePath(input), normalizeBytes(input, false));
        assert.equal(normalizePathWin(input), normalizeBytes(input, true));
      }),
      { numRuns: 6000 },
    );
  });
});
