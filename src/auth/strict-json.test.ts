import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseStrictJson, StrictJsonError } from './strict-json.js';

test('agrees with JSON.parse on every JSON text without duplicate names', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(0, 2), (value, indent) => {
      const text = JSON.stringify(value, null, indent);
      assert.deepEqual(parseStrictJson(text), JSON.parse(text));
    }),
    { numRuns: 300 },
  );
});

test('refuses any object with a repeated member name, at any depth', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 8 }),
      fc.jsonValue({ maxDepth: 2 }),
      fc.jsonValue({ maxDepth: 2 }),
      (key, a, b) => {
        const name = JSON.stringify(key);
        const text = `{"outer":[{${name}:${JSON.stringify(a)},${name}:${JSON.stringify(b)}}]}`;
        assert.throws(() => parseStrictJson(text), StrictJsonError);
      },
    ),
    { numRuns: 200 },
  );
});

test('throws StrictJsonError (never something else) on arbitrary text JSON.parse rejects', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (text) => {
      let native = true;
      try {
        JSON.parse(text);
      } catch {
        native = false;
      }
      if (native) return;
      assert.throws(() => parseStrictJson(text), StrictJsonError);
    }),
    { numRuns: 500 },
  );
});

test('"__proto__" stays a data member', () => {
  const parsed = parseStrictJson('{"__proto__":{"admin":true}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  assert.deepEqual(Object.keys(parsed), ['__proto__']);
  assert.equal((parsed as { admin?: boolean }).admin, undefined);
});

test('deep nesting is bounded', () => {
  assert.throws(() => parseStrictJson('['.repeat(100) + ']'.repeat(100)), StrictJsonError);
});
