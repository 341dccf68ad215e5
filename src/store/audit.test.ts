import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, chainHash, GENESIS_HASH } from './audit.js';
import type { JsonValue } from './types.js';

const json = fc.jsonValue() as fc.Arbitrary<JsonValue>;

function shuffleKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(shuffleKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).reverse();
    return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v)]));
  }
  return value;
}

describe('canonical JSON', () => {
  test('is valid JSON that round-trips to the same canonical text', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        assert.equal(canonicalJson(JSON.parse(text) as JsonValue), text);
      }),
      { numRuns: 300 },
    );
  });

  test('does not depend on key order', () => {
    fc.assert(
      fc.property(json, (value) => {
        assert.equal(canonicalJson(shuffleKeys(value)), canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  test('escapes control characters, so a record is one line', () => {
    assert.equal(canonicalJson({ b: 'x\r\ny', a: '\u2028' }), '{"a":"\u2028","b":"x\\r\\ny"}');
    fc.assert(
      fc.property(fc.string(), (s) => {
        assert.ok(!/[\r\n]/.test(canonicalJson({ s })));
      }),
    );
  });
});

describe('chain hash', () => {
  const base = { at: 1, type: 't', actor: 'a', subject: null, ip: '192.0.2.1', details: { k: 'v' } };

  test('changes with any field and with the previous hash', () => {
    const h = chainHash(GENESIS_HASH, base);
    assert.match(h, /^[0-9a-f]{64}$/);
    for (const changed of [
      { ...base, at: 2 },
      { ...base, type: 'u' },
      { ...base, actor: null },
      { ...base, subject: 'a' },
      { ...base, ip: '192.0.2.2' },
      { ...base, details: { k: 'w' } },
    ]) {
      assert.notEqual(chainHash(GENESIS_HASH, changed), h);
    }
    assert.notEqual(chainHash('1'.repeat(64), base), h);
  });

  test('null and empty string are different values', () => {
    assert.notEqual(chainHash(GENESIS_HASH, { ...base, actor: '' }), chainHash(GENESIS_HASH, { ...base, actor: null }));
  });
});
