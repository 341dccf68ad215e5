import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRequestId } from './handler.js';

// The loop replaced this expression; both must agree.
const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

describe('isRequestId', () => {
  test('agrees with the request-id pattern', () => {
    const samples = [
      '3f2c1c9e-8a7b-4d1e-9f55-2b6a0c4d7e81',
      'a',
      '',
      'A.b_c:d@e-f',
      'x'.repeat(128),
      'x'.repeat(129),
      'has space',
      'new\nline',
      'semi;colon',
      'slash/',
      'é',
      '\u0100',
      '\u007f',
      'tab\t',
    ];
    for (const s of samples) assert.equal(isRequestId(s), REQUEST_ID.test(s), JSON.stringify(s));
    for (let c = 0; c < 300; c++) {
      const s = `id${String.fromCharCode(c)}`;
      assert.equal(isRequestId(s), REQUEST_ID.test(s), `char ${c}`);
    }
  });
});
