import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_JSON_LIMITS, parseStrictJson, parseStrictJsonBytes, parseStrictJsonReference } from './json.js';

const FORBIDDEN = new Set(['__proto__', 'constructor']);

function hasForbiddenKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasForbiddenKey);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => FORBIDDEN.has(k) || hasForbiddenKey(v));
  }
  return false;
}

describe('parseStrictJson', () => {
  test('agrees with JSON.parse on every document JSON.stringify writes', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }).filter((v) => !hasForbiddenKey(v)),
        (value) => {
          const text = JSON.stringify(value);
          const parsed = parseStrictJson(text);
          assert.ok(parsed.ok, text);
          assert.deepEqual(parsed.value, JSON.parse(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('agrees with JSON.parse on strings with every kind of escape', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const text = JSON.stringify({ s });
        const parsed = parseStrictJson(text);
        assert.ok(parsed.ok);
        assert.deepEqual(parsed.value, { s });
      }),
      { numRuns: 300 },
    );
  });

  test('rejects whatever JSON.parse rejects (arbitrary text)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        let native = true;
        try {
          JSON.parse(text);
        } catch {
          native = false;
        }
        if (!native) assert.equal(parseStrictJson(text).ok, false, text);
      }),
      { numRuns: 1000 },
    );
  });

  test('refuses duplicate member names, also when spelled with escapes', () => {
    assert.deepEqual(parseStrictJson('{"a":1,"a":2}'), { ok: false, rule: 'duplicateKey', location: '' });
    assert.deepEqual(parseStrictJson('{"x":{"role":"user","r\\u006fle":"admin"}}'), {
      ok: false,
      rule: 'duplicateKey',
      location: '/x',
    });
  });

  test('refuses __proto__ and constructor members at any depth', () => {
    assert.deepEqual(parseStrictJson('{"__proto__":{"admin":true}}'), {
      ok: false,
      rule: 'forbiddenKey',
      location: '',
    });
    assert.deepEqual(parseStrictJson('{"a":[{"constructor":{"prototype":{}}}]}'), {
      ok: false,
      rule: 'forbiddenKey',
      location: '/a/0',
    });
    assert.deepEqual(parseStrictJson('{"\\u005f_proto__":1}'), { ok: false, rule: 'forbiddenKey', location: '' });
  });

  test('enforces depth, array length and member count', () => {
    const limits = { maxDepth: 3, maxArrayLength: 2, maxProperties: 2 };
    assert.equal(parseStrictJson('[[[1]]]', limits).ok, true);
    assert.deepEqual(parseStrictJson('[[[[1]]]]', limits), { ok: false, rule: 'maxDepth', location: '/0/0/0' });
    assert.deepEqual(parseStrictJson('{"a":[1,2,3]}', limits), { ok: false, rule: 'maxItems', location: '/a' });
    assert.deepEqual(parseStrictJson('{"a":1,"b":2,"c":3}', limits), {
      ok: false,
      rule: 'maxProperties',
      location: '',
    });
  });

  test('a deeply nested document fails on depth, without a stack overflow', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.deepEqual(parseStrictJson(text, DEFAULT_JSON_LIMITS), {
      ok: false,
      rule: 'maxDepth',
      location: '/0'.repeat(32),
    });
  });

  test('follows the RFC 8259 grammar where JavaScript is looser', () => {
    for (const text of [
      '01',
      '1.',
      '.5',
      '+1',
      '-',
      '1e',
      '"\t"',
      '"\\x41"',
      '[1,]',
      '{"a":1,}',
      "'a'",
      'NaN',
      '\u00a01',
      '',
    ]) {
      assert.equal(parseStrictJson(text).ok, false, JSON.stringify(text));
    }
    assert.deepEqual(parseStrictJson(' \n\t{"a" : -0.5e+2 }\r\n'), { ok: true, value: { a: -50 } });
  });

  test('bytes must be UTF-8 without a byte order mark', () => {
    assert.equal(parseStrictJsonBytes(Buffer.from('{"name":"Zoë"}')).ok, true);
    assert.deepEqual(parseStrictJsonBytes(Buffer.from([0x22, 0xc3, 0x28, 0x22])), {
      ok: false,
      rule: 'encoding',
      location: '',
    });
    assert.deepEqual(parseStrictJsonBytes(Buffer.from('\ufeff{}')), { ok: false, rule: 'encoding', location: '' });
  });

  // parseStrictJson takes JSON.parse plus a scan for what it lets through; the reference parser
  // is the one-pass grammar. They must give the same answer, value or refusal, on any text.
  const tight = { maxDepth: 4, maxArrayLength: 3, maxProperties: 3 };
  const same = (text: string, limits = DEFAULT_JSON_LIMITS) =>
    assert.deepEqual(parseStrictJson(text, limits), parseStrictJsonReference(text, limits), JSON.stringify(text));

  test('fast path and reference parser agree on documents with duplicates, forbidden names and limits', () => {
    const name = fc.constantFrom(
      'a',
      'b',
      'r\\u006fle',
      'role',
      '__proto__',
      'constructor',
      '\\u005f_proto__',
      'x:y',
      '1',
      '0',
    );
    const leaf = fc.oneof(
      fc.constantFrom('1', '-0.5e+2', 'true', 'null', '"s"', '"a:b"', '"q\\"u:o\\\\"', '":"', '"\\u003a"'),
      fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
    );
    const doc = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
      object: fc
        .array(fc.tuple(name, tie('value')), { maxLength: 5 })
        .map((members) => `{${members.map(([k, v]) => `"${k}" : ${v}`).join(', ')}}`),
    })).value;
    fc.assert(
      fc.property(doc, (text) => {
        same(text);
        same(text, tight);
      }),
      { numRuns: 2000 },
    );
  });

  test('fast path and reference parser agree on mangled text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.string({ maxLength: 3 }), (value, at, insert) => {
        const text = JSON.stringify(value);
        const cut = at % (text.length + 1);
        same(text.slice(0, cut) + insert + text.slice(cut), tight);
        same(text + text.slice(0, cut));
      }),
      { numRuns: 2000 },
    );
  });

  test('an enumerable member on Object.prototype hides no duplicate', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['polluted'] = 1;
    try {
      assert.deepEqual(parseStrictJson('{"a":1,"a":2}'), { ok: false, rule: 'duplicateKey', location: '' });
    } finally {
      delete proto['polluted'];
    }
  });

  test('parsed objects do not touch Object.prototype', () => {
    const parsed = parseStrictJson('{"toString":1,"hasOwnProperty":2}');
    assert.ok(parsed.ok);
    assert.equal(({} as Record<string, unknown>).toString instanceof Function, true);
    assert.deepEqual(Object.keys(parsed.value as object), ['toString', 'hasOwnProperty']);
  });
});
