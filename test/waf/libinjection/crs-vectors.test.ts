import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectSQLi, detectXSS } from '../../../src/waf/libinjection/index.js';
import {
  argumentValues,
  CRS_TESTS_PATH,
  filenameValues,
  loadCrsTests,
  sqliTransforms,
  type Vector,
  vectorsFor,
  xssTransforms,
} from './crs-fixture.js';

const tests = loadCrsTests();
const missing = tests === undefined ? `CRS regression tests not found at ${CRS_TESTS_PATH.pathname}` : undefined;
if (missing !== undefined && process.env.CI === 'true') throw new Error(missing);

function check(vectors: readonly Vector[], detect: (v: string) => boolean): void {
  assert.ok(vectors.length > 0, 'the CRS file names this rule in no test');
  for (const vector of vectors) {
    const fired = vector.values.filter(detect);
    const where = `${vector.ruleId}-${vector.testId} stage ${vector.stage}`;
    if (vector.expected) assert.ok(fired.length > 0, `${where}: expected a match in ${JSON.stringify(vector.values)}`);
    else assert.deepEqual(fired, [], `${where}: expected no match`);
  }
}

describe('CRS regression vectors', { skip: missing }, () => {
  test('942100 (@detectSQLi on cookies, User-Agent, Referer, args, names, XML)', () => {
    const vectors = vectorsFor(tests!, 942100, (input) => argumentValues(input, true), sqliTransforms);
    assert.equal(vectors.length, 15);
    check(vectors, (v) => detectSQLi(v).matched);
  });

  test('941100 (@detectXSS on cookies, User-Agent, args, names, XML)', () => {
    const vectors = vectorsFor(tests!, 941100, (input) => argumentValues(input, false), xssTransforms);
    assert.equal(vectors.length, 7);
    check(vectors, detectXSS);
  });

  test('941101 (@detectXSS on the request filename and Referer)', () => {
    const vectors = vectorsFor(tests!, 941101, filenameValues, xssTransforms);
    assert.equal(vectors.length, 3);
    check(vectors, detectXSS);
  });
});
