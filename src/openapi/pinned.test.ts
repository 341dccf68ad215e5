import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collectPinnedPointers, isClosedPattern, isPinnedSchema } from './pinned.js';

describe('pinned schemas', () => {
  test('closed and open kinds of value', () => {
    const pinned = [
      { type: 'integer' },
      { type: 'boolean' },
      { type: ['integer', 'null'] },
      { type: 'number', minimum: 0, maximum: 10 },
      { type: 'number', exclusiveMinimum: 0, maximum: 10 },
      { enum: ['a', "b'c"] },
      { const: 'x' },
      { type: 'string', format: 'uuid' },
      { type: 'string', format: 'date-time' },
      { type: 'string', pattern: '^[A-Z]{2}$' },
    ];
    const open = [
      { type: 'string' },
      { type: 'number' },
      { type: 'number', minimum: 0 },
      { type: 'string', format: 'email' },
      { type: 'string', format: 'uri' },
      { type: 'string', pattern: '^.*$' },
      { type: ['integer', 'string'] },
      {},
      true,
    ];
    for (const s of pinned) assert.equal(isPinnedSchema(s), true, JSON.stringify(s));
    for (const s of open) assert.equal(isPinnedSchema(s), false, JSON.stringify(s));
  });

  test('a pattern is closed only when anchored, without wildcards, negations or quote characters', () => {
    for (const p of ['^[a-z0-9_-]{3,16}$', '^tok_[A-Za-z0-9]{24}$', '^\\+[1-9][0-9]{6,14}$', '^(red|green)$']) {
      assert.equal(isClosedPattern(p), true, p);
    }
    for (const p of ['[a-z]+', '^[a-z]+', '^.+$', '^[^<]+$', '^\\S+$', "^[a-z']+$", '^\\w+\\$', '^\\p{L}+$']) {
      assert.equal(isClosedPattern(p), false, p);
    }
  });

  test('pointers are collected through properties, items, additionalProperties and allOf, not anyOf', () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        text: { type: 'string' },
        list: {
          type: 'array',
          items: { type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string' } } },
        },
        map: { type: 'object', additionalProperties: { type: 'boolean' } },
        either: { anyOf: [{ type: 'integer' }, { type: 'boolean' }] },
        both: { allOf: [{ type: 'string' }, { enum: ['a', 'b'] }] },
      },
    };
    const out = new Set<string>();
    const doc = { id: 1, text: 't', list: [{ n: 1, s: 'x' }, { n: 2 }], map: { 'a/b': true }, either: 3, both: 'a' };
    collectPinnedPointers(schema, doc, '', out);
    assert.deepEqual([...out].sort(), ['/both', '/id', '/list/0/n', '/list/1/n', '/map/a~1b'].sort());
  });
});
