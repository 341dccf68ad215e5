import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { coerce, parseCookies, parseQuery } from './params.js';

describe('parseQuery', () => {
  test('reads back every list of pairs URLSearchParams writes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 1, unit: 'grapheme' }), fc.string({ unit: 'grapheme' }))),
        (pairs) => {
          const parsed = parseQuery(new URLSearchParams(pairs).toString());
          assert.ok(parsed);
          const expected = new Map<string, string[]>();
          for (const [k, v] of pairs) expected.set(k, [...(expected.get(k) ?? []), v]);
          assert.deepEqual(parsed, expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a malformed escape or invalid UTF-8 is refused, not thrown', () => {
    for (const raw of ['a=%', 'a=%zz', '%E0%A4%A=1', 'a=%C3%28']) assert.equal(parseQuery(raw), undefined, raw);
    assert.deepEqual(
      parseQuery('a&&b=&=c'),
      new Map([
        ['a', ['']],
        ['b', ['']],
        ['', ['c']],
      ]),
    );
  });
});

describe('coerce', () => {
  test('numbers only from the JSON number grammar; booleans only from true/false', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        assert.equal(coerce(JSON.stringify(n), ['number']), JSON.parse(JSON.stringify(n)));
      }),
    );
    for (const text of ['', ' 1', '1 ', '0x10', '1e', '+1', '01', 'Infinity', 'NaN']) {
      assert.equal(coerce(text, ['integer']), text, JSON.stringify(text));
    }
    assert.equal(coerce('true', ['boolean']), true);
    assert.equal(coerce('1', ['boolean']), '1');
    assert.equal(coerce('12', ['string']), '12');
  });
});

describe('parseCookies', () => {
  test('pairs, quotes, percent-decoding and repeats', () => {
    const cookies = parseCookies('a=1; b="two%20words"; a=3; junk; c=%zz');
    assert.deepEqual(cookies.get('a'), ['1', '3']);
    assert.deepEqual(cookies.get('b'), ['two words']);
    assert.deepEqual(cookies.get('c'), ['%zz']);
    assert.equal(cookies.has('junk'), false);
  });
});
