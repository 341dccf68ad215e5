import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TEST_OPERATORS, TEST_TRANSFORMATIONS } from '../../../test/waf/helpers/operators.js';
import { planFor } from './plan.js';
import type { IdRange } from './ranges.js';
import type { TransactionOptions } from './transaction.js';
import { compileWaf } from './waf.js';

function compile(text: string, specialize = true) {
  return compileWaf({ text, operators: TEST_OPERATORS, transformations: TEST_TRANSFORMATIONS, specialize });
}

/**
 * Runs one GET through the rules with and without the plan and checks that both record the
 * same matches, TX and interruption; returns the matched rule ids and the plan's phase 1 ids.
 */
function run(text: string, uri: string, options: TransactionOptions = {}, headers: Record<string, string> = {}) {
  const outcome = (specialize: boolean) => {
    const waf = compile(text, specialize);
    const tx = waf.newTransaction(options);
    tx.processUri('GET', uri, 'HTTP/1.1');
    for (const [k, v] of Object.entries(headers)) tx.addRequestHeader(k, v);
    const stop = tx.processRequestHeaders() ?? tx.processRequestBody();
    return {
      matched: tx.matchedRules.map((m) => m.ruleId),
      stop,
      tx: ['pl', 'a', 'b', 'score'].map((k) => tx.txVar(k)),
      plan: planFor(waf.rules, options),
    };
  };
  const planned = outcome(true);
  const full = outcome(false);
  assert.deepEqual(planned.matched, full.matched, 'matched rules differ with the plan');
  assert.deepEqual(planned.stop, full.stop, 'interruption differs with the plan');
  assert.deepEqual(planned.tx, full.tx, 'TX differs with the plan');
  const phase1 = planned.plan?.phases.get(1)?.rules.map((r) => r.marker ?? r.id);
  return { matched: planned.matched, phase1, plan: planned.plan };
}

// A file the way CRS writes them: a gate per paranoia level, each skipping to the file's end.
const GATED = `
SecRule TX:PL "@lt 1" "id:10,phase:1,pass,nolog,skipAfter:END-FILE"
SecRule ARGS "@rx one" "id:11,phase:1,pass,msg:'pl1 rule'"
SecRule TX:PL "@lt 2" "id:12,phase:1,pass,nolog,skipAfter:END-FILE"
SecRule ARGS "@rx two" "id:13,phase:1,pass,msg:'pl2 rule'"
SecMarker "END-FILE"
SecRule TX:PL "@ge 2" "id:20,phase:1,pass,nolog,setvar:tx.score=+%{tx.b}"
SecRule TX:PL "@ge 1" "id:21,phase:1,pass,nolog,setvar:tx.score=+1"
`;

describe('rule-set plan', () => {
  test('gates decided by the seeds are left out with the levels they skip', () => {
    const pl1 = run(GATED, '/?q=one+two', { tx: { pl: 1 } });
    assert.deepEqual(pl1.phase1, [11, 'END-FILE', 21]);
    assert.deepEqual(pl1.matched, [11]);
    const pl2 = run(GATED, '/?q=one+two', { tx: { pl: 2 } });
    assert.deepEqual(pl2.phase1, [11, 13, 'END-FILE', 20, 21]);
    assert.deepEqual(pl2.matched, [11, 13]);
  });

  test('a rule that always matches and writes TX stays, and what it writes is known after it', () => {
    const rules = `
SecAction "id:1,phase:1,pass,nolog,setvar:tx.pl=2"
${GATED}`;
    const r = run(rules, '/?q=two');
    assert.deepEqual(r.phase1, [1, 11, 13, 'END-FILE', 20, 21]);
    assert.deepEqual(r.matched, [13]);
  });

  test('defaults set only where the seeds left a variable missing are decided both ways', () => {
    const rules = `
SecRule &TX:pl "@eq 0" "id:1,phase:1,pass,nolog,setvar:tx.pl=1"
${GATED}`;
    assert.deepEqual(run(rules, '/?q=two', { tx: { pl: 2 } }).phase1, [11, 13, 'END-FILE', 20, 21]);
    assert.deepEqual(run(rules, '/?q=two').phase1, [1, 11, 'END-FILE', 21]);
  });

  test('a rule that depends on the request and may write a gate variable keeps the gates', () => {
    const rules = `
SecRule ARGS:raise "@streq yes" "id:1,phase:1,pass,nolog,setvar:tx.pl=2"
${GATED}`;
    assert.deepEqual(run(rules, '/?q=two&raise=yes', { tx: { pl: 1 } }).matched, [13]);
    assert.deepEqual(run(rules, '/?q=two&raise=no', { tx: { pl: 1 } }).matched, []);
    assert.deepEqual(run(rules, '/?q=two', { tx: { pl: 1 } }).phase1, [1, 10, 11, 12, 13, 'END-FILE', 20, 21]);
  });

  test('a write to a macro-named key hides only the keys with its prefix', () => {
    const other = `
SecRule ARGS "@rx ^(.*)$" "id:1,phase:1,pass,nolog,capture,setvar:'tx.seen_%{tx.1}=1'"
${GATED}`;
    assert.deepEqual(run(other, '/?q=two', { tx: { pl: 1 } }).phase1, [1, 11, 'END-FILE', 21]);
    const same = `
SecRule ARGS "@rx ^(.*)$" "id:1,phase:1,pass,msg:'capture',capture,setvar:'tx.p%{tx.1}=2'"
${GATED}`;
    // tx.pl may be written (q=l writes it): nothing about it is known any more.
    assert.deepEqual(run(same, '/?q=l&r=two', { tx: { pl: 1 } }).matched, [1, 13]);
    assert.deepEqual(run(same, '/?q=x&r=two', { tx: { pl: 1 } }).matched, [1]);
    assert.deepEqual(run(same, '/?q=l', { tx: { pl: 1 } }).phase1, [1, 10, 11, 12, 13, 'END-FILE', 20, 21]);
  });

  test('a skipAfter that may or may not be taken joins what both paths know', () => {
    const rules = `
SecRule ARGS:jump "@streq yes" "id:1,phase:1,pass,msg:'jump',skipAfter:AFTER-SET"
SecAction "id:2,phase:1,pass,nolog,setvar:tx.pl=2"
SecMarker "AFTER-SET"
${GATED}`;
    // tx.pl is 2 on one path and 1 on the other: the gates stay.
    const jumped = run(rules, '/?q=two&jump=yes', { tx: { pl: 1 } });
    assert.deepEqual(jumped.matched, [1]);
    assert.deepEqual(jumped.phase1, [1, 2, 'AFTER-SET', 10, 11, 12, 13, 'END-FILE', 20, 21]);
    assert.deepEqual(run(rules, '/?q=two', { tx: { pl: 1 } }).matched, [13]);
    // Both paths agree on tx.pl = 2: decided again.
    const agree = run(rules, '/?q=two&jump=yes', { tx: { pl: 2 } });
    assert.deepEqual(agree.phase1, [1, 2, 'AFTER-SET', 11, 13, 'END-FILE', 20, 21]);
  });

  test('a jump into the middle of a skipped range keeps the rules it reaches', () => {
    const rules = `
SecRule ARGS:deep "@streq yes" "id:1,phase:1,pass,msg:'deep',skipAfter:MIDDLE"
SecRule TX:PL "@lt 2" "id:2,phase:1,pass,nolog,skipAfter:END"
SecRule ARGS "@rx a" "id:3,phase:1,pass,msg:'before middle'"
SecMarker "MIDDLE"
SecRule ARGS "@rx b" "id:4,phase:1,pass,msg:'after middle'"
SecMarker "END"`;
    assert.deepEqual(run(rules, '/?x=ab&deep=yes', { tx: { pl: 1 } }).matched, [1, 4]);
    assert.deepEqual(run(rules, '/?x=ab', { tx: { pl: 1 } }).matched, []);
    assert.deepEqual(run(rules, '/?x=ab', { tx: { pl: 1 } }).phase1, [1, 2, 'MIDDLE', 4, 'END']);
  });

  test('removing a decided gate at run time goes back to the full rules from there', () => {
    const rules = `
SecRule REQUEST_HEADERS:X-Open "@streq yes" "id:1,phase:1,pass,nolog,ctl:ruleRemoveById=12"
${GATED}`;
    assert.deepEqual(run(rules, '/?q=two', { tx: { pl: 1 } }, { 'X-Open': 'yes' }).matched, [13]);
    assert.deepEqual(run(rules, '/?q=two', { tx: { pl: 1 } }, { 'X-Open': 'no' }).matched, []);
    const byTag = `
SecRule REQUEST_HEADERS:X-Open "@streq yes" "id:1,phase:1,pass,nolog,ctl:ruleRemoveByTag=gate"
SecRule TX:PL "@lt 2" "id:12,phase:1,pass,nolog,tag:'gate',skipAfter:END"
SecRule ARGS "@rx two" "id:13,phase:1,pass,msg:'pl2 rule'"
SecMarker "END"`;
    assert.deepEqual(run(byTag, '/?q=two', { tx: { pl: 1 } }, { 'X-Open': 'yes' }).matched, [13]);
  });

  test('a TX target removed at run time or by configuration voids the plan', () => {
    const rules = `
SecRule REQUEST_HEADERS:X-Open "@streq yes" "id:1,phase:1,pass,nolog,ctl:ruleRemoveTargetById=12;TX:PL"
${GATED}`;
    assert.deepEqual(run(rules, '/?q=two', { tx: { pl: 1 } }, { 'X-Open': 'yes' }).matched, [13]);
    const configured = { tx: { pl: 1 }, removeTargets: [{ ids: [12, 12] as IdRange, targets: 'TX:PL' }] };
    assert.deepEqual(run(GATED, '/?q=two', configured).matched, [13]);
  });

  test('a configured removal of a decided rule means no plan; of another rule, the plan stays', () => {
    const gate: IdRange[] = [[12, 12]];
    const r = run(GATED, '/?q=two', { tx: { pl: 1 }, removeRuleIds: gate });
    assert.equal(r.plan, undefined);
    assert.deepEqual(r.matched, [13]);
    const other: IdRange[] = [[11, 11]];
    assert.notEqual(run(GATED, '/?q=one', { tx: { pl: 1 }, removeRuleIds: other }).plan, undefined);
  });

  test('rule sets with skip, allow or a starter reading MATCHED_VAR are not planned', () => {
    for (const extra of [
      'SecRule ARGS "@rx x" "id:90,phase:1,pass,nolog,skip:1"',
      'SecRule ARGS "@rx x" "id:90,phase:1,allow"',
      'SecRule MATCHED_VAR "@rx x" "id:90,phase:1,pass,nolog"',
    ]) {
      const r = run(`${GATED}\n${extra}`, '/?q=two', { tx: { pl: 1 } });
      assert.equal(r.plan, undefined, extra);
      assert.deepEqual(r.matched, [], extra);
    }
  });

  test('plans are computed once per seed set, by identity or by content', () => {
    const waf = compile(GATED);
    const seeds = { pl: 1 };
    const a = planFor(waf.rules, { tx: seeds });
    assert.equal(planFor(waf.rules, { tx: seeds }), a);
    assert.equal(planFor(waf.rules, { tx: { pl: '1' } }), a);
    assert.notEqual(planFor(waf.rules, { tx: { pl: 2 } }), a);
  });
});

describe('rule-set plan: response body', () => {
  const rules = `
SecRule RESPONSE_BODY "@rx leak" "id:40,phase:4,pass,msg:'leak',capture"
SecRule RESPONSE_BODY "@rx ^$" "id:41,phase:4,pass,msg:'empty body'"`;

  function respond(text: string, body: string, specialize: boolean) {
    const tx = compile(text, specialize).newTransaction({ tx: { pl: 1 } });
    tx.processUri('GET', '/', 'HTTP/1.1');
    tx.processRequestHeaders();
    tx.processRequestBody();
    tx.addResponseHeader('Content-Type', 'text/html');
    tx.processResponseHeaders(200);
    if (tx.wantsResponseBody()) tx.appendResponseBody(body);
    tx.processResponseBody();
    return tx.matchedRules.map((m) => m.ruleId);
  }

  test('with body access off, rules that cannot match an empty body are left out', () => {
    const text = `SecResponseBodyAccess Off\n${rules}`;
    const plan = planFor(compile(text).rules, { tx: { pl: 1 } });
    assert.deepEqual(
      plan?.phases.get(4)?.rules.map((r) => r.id),
      [41],
    );
    assert.deepEqual(respond(text, 'a leak', true), respond(text, 'a leak', false));
    assert.deepEqual(respond(text, 'a leak', true), [41]);
  });

  test('with body access on, or a ctl that may turn it on, they stay', () => {
    for (const text of [
      `SecResponseBodyAccess On\nSecResponseBodyMimeType text/html\n${rules}`,
      `SecResponseBodyAccess Off\nSecResponseBodyMimeType text/html\nSecRule REQUEST_URI "@rx ^/x" "id:1,phase:1,pass,nolog,ctl:responseBodyAccess=On"\n${rules}`,
    ]) {
      const plan = planFor(compile(text).rules, { tx: { pl: 1 } });
      assert.deepEqual(
        plan?.phases.get(4)?.rules.map((r) => r.id),
        [40, 41],
      );
    }
    const on = `SecResponseBodyAccess On\nSecResponseBodyMimeType text/html\n${rules}`;
    assert.deepEqual(respond(on, 'a leak', true), [40]);
    assert.deepEqual(respond(on, 'a leak', false), [40]);
  });
});
