import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectSQLi, detectXSS, explainSQLi, explainXSS } from '../../../src/waf/libinjection/index.js';
import { BENIGN, SQLI, XSS } from './corpus.js';

describe('hand-made corpus', () => {
  test('benign values match neither detector', () => {
    const sqli = BENIGN.filter((v) => detectSQLi(v).matched).map((v) => [v, explainSQLi(v)]);
    const xss = BENIGN.filter((v) => detectXSS(v));
    assert.deepEqual(sqli, []);
    assert.deepEqual(xss, []);
  });

  test('every SQL injection is flagged, with a fingerprint', () => {
    const missed = SQLI.filter((v) => !detectSQLi(v).matched);
    assert.deepEqual(missed, []);
    for (const v of SQLI) assert.match(detectSQLi(v).fingerprint, /^[s1nvkEUBTfo&c(),;.:{}?]{1,8}$/, v);
  });

  test('every XSS vector is flagged', () => {
    assert.deepEqual(
      XSS.filter((v) => !detectXSS(v)),
      [],
    );
  });

  test('SQL injections are not taken for XSS', () => {
    assert.deepEqual(
      SQLI.filter((v) => detectXSS(v)),
      [],
    );
  });

  test('the explain functions agree with the detectors on every entry', () => {
    for (const v of [...BENIGN, ...SQLI, ...XSS]) {
      assert.equal(explainSQLi(v) !== undefined, detectSQLi(v).matched, v);
      assert.equal(explainXSS(v) !== undefined, detectXSS(v), v);
    }
  });
});
