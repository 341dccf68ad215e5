import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TEST_OPERATORS, TEST_TRANSFORMATIONS } from '../../../test/waf/helpers/operators.js';
import { FormCache } from './forms.js';
import { compileWaf } from './waf.js';

describe('FormCache', () => {
  test('returns the same form for the same text while it is cached', () => {
    const cache = new FormCache(4);
    const a = cache.formOf('Mozilla/5.0');
    assert.equal(cache.formOf('Mozilla/5.0'), a);
    assert.equal(a.text, 'Mozilla/5.0');
  });

  test('holds at most two generations of `limit` texts, however many arrive', () => {
    const cache = new FormCache(8);
    for (let i = 0; i < 1000; i++) cache.formOf(`value ${i}`);
    assert.ok(cache.size <= 16, `size ${cache.size}`);
    // The most recent texts are still there; the oldest were dropped.
    const recent = cache.formOf('value 999');
    assert.equal(cache.formOf('value 999'), recent);
  });

  test('a text of the previous generation moves to the current one', () => {
    const cache = new FormCache(2);
    const a = cache.formOf('a');
    cache.formOf('b');
    cache.formOf('c'); // current = {c}, previous = {a, b}
    assert.equal(cache.formOf('a'), a);
  });
});

describe('forms shared across transactions', () => {
  const rules = [
    'SecRuleEngine On',
    `SecRule REQUEST_HEADERS|REQUEST_HEADERS_NAMES "@rx <script" "id:1,phase:1,pass,t:none,t:urlDecodeUni,t:lowercase,msg:'xss in %{MATCHED_VAR_NAME}',setvar:tx.score=+5"`,
    `SecRule REQUEST_HEADERS "@rx select.+from" "id:2,phase:1,pass,t:none,t:lowercase,t:removeWhitespace,multiMatch,msg:'sqli',setvar:tx.score=+5"`,
    `SecRule REQUEST_HEADERS:User-Agent "@contains bot" "id:3,phase:1,pass,t:lowercase,msg:'bot',setvar:tx.score=+1"`,
  ].join('\n');
  const waf = compileWaf({ text: rules, operators: TEST_OPERATORS, transformations: TEST_TRANSFORMATIONS });

  function run(headers: [string, string][]): { ids: number[]; data: string[]; score: string | undefined } {
    const tx = waf.newTransaction({});
    tx.processUri('GET', '/', 'HTTP/1.1');
    for (const [k, v] of headers) tx.addRequestHeader(k, v);
    tx.processRequestHeaders();
    return {
      ids: tx.matchedRules.map((m) => m.ruleId),
      data: tx.matchedRules.flatMap((m) => m.matches.map((d) => `${d.key}=${d.value}`)),
      score: tx.txVar('score'),
    };
  }

  test('a header seen before gives the same matches as the first time', () => {
    const headers: [string, string][] = [
      ['User-Agent', 'EvilBot <SCRIPT>'],
      ['X-Query', 'SELECT a FROM b'],
      ['Accept', 'text/html'],
    ];
    const first = run(headers);
    assert.deepEqual(first.ids, [1, 2, 3]);
    assert.deepEqual(run(headers), first);
    // The same texts under other header names, in another order.
    const moved = run([
      ['X-Other', 'SELECT a FROM b'],
      ['Referer', 'EvilBot <SCRIPT>'],
    ]);
    assert.deepEqual(moved.ids, [1, 2]);
  });

  test('property: warm and cold caches agree on any headers', () => {
    const value = fc.stringMatching(/^[ -~]{0,40}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('User-Agent', 'X-A', 'Cookie2'), value), { maxLength: 4 }), (h) => {
        const cold = compileWaf({ text: rules, operators: TEST_OPERATORS, transformations: TEST_TRANSFORMATIONS });
        const tx = cold.newTransaction({});
        tx.processUri('GET', '/', 'HTTP/1.1');
        for (const [k, v] of h) tx.addRequestHeader(k, v);
        tx.processRequestHeaders();
        const expected = tx.matchedRules.map((m) => m.ruleId);
        // `waf` has seen earlier runs' headers: its shared forms are warm.
        run(h);
        assert.deepEqual(run(h).ids, expected);
      }),
      { numRuns: 150 },
    );
  });
});
