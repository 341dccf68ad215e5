import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TEST_OPERATORS, TEST_TRANSFORMATIONS } from '../../../test/waf/helpers/operators.js';
import type { MatchedRule } from './types.js';
import { compileWaf } from './waf.js';

function waf(text: string) {
  return compileWaf({ text, operators: TEST_OPERATORS, transformations: TEST_TRANSFORMATIONS });
}

function get(text: string, uri: string, headers: Record<string, string> = {}, options = {}) {
  const logged: MatchedRule[] = [];
  const tx = waf(text).newTransaction(options, { onMatch: (_t, m) => logged.push(m) });
  tx.processUri('GET', uri, 'HTTP/1.1');
  for (const [k, v] of Object.entries(headers)) tx.addRequestHeader(k, v);
  const stop = tx.processRequestHeaders() ?? tx.processRequestBody();
  return { tx, stop, logged };
}

describe('rule evaluation', () => {
  test('deny interrupts with the status; DetectionOnly only logs', () => {
    const rules = 'SecRule ARGS "@rx evil" "id:1,phase:1,deny,status:418,msg:\'bad %{MATCHED_VAR_NAME}\'"';
    const on = get(`SecRuleEngine On\n${rules}`, '/?a=evil');
    assert.deepEqual(on.stop, { ruleId: 1, action: 'deny', status: 418, data: '' });
    assert.equal(on.logged[0]!.msg, 'bad ARGS:a');
    const det = get(`SecRuleEngine DetectionOnly\n${rules}`, '/?a=evil');
    assert.equal(det.stop, undefined);
    assert.equal(det.logged.length, 1);
    const off = get(`SecRuleEngine Off\n${rules}`, '/?a=evil');
    assert.equal(off.logged.length, 0);
  });

  test('a chain matches only when every member matches; setvar runs per match', () => {
    const rules = `
SecRule ARGS "@rx x" "id:1,phase:1,pass,setvar:tx.hits=+1,chain"
  SecRule REQUEST_HEADERS:Host "@streq good" "setvar:tx.chained=1"
SecRule TX:hits "@eq 2" "id:2,phase:1,pass,msg:'two hits'"`;
    const a = get(rules, '/?a=x&b=x', { Host: 'good' });
    assert.equal(a.tx.txVar('hits'), '2');
    assert.equal(a.tx.txVar('chained'), '1');
    assert.deepEqual(
      a.logged.map((m) => m.ruleId),
      [1, 2],
    );
    const b = get(rules, '/?a=x', { Host: 'bad' });
    assert.equal(b.tx.txVar('chained'), undefined);
    assert.deepEqual(
      b.logged.map((m) => m.ruleId),
      [],
    );
  });

  test('setvar arithmetic, macros in names, deletion', () => {
    const { tx } = get(
      `SecAction "id:1,phase:1,pass,nolog,setvar:tx.a=10,setvar:tx.a=-3,setvar:tx.b=+%{tx.a},setvar:'tx.%{tx.a}_k=v',setvar:tx.gone=1,setvar:!tx.gone,setvar:tx.n=+abc"`,
      '/',
    );
    assert.equal(tx.txVar('a'), '7');
    assert.equal(tx.txVar('b'), '7');
    assert.equal(tx.txVar('7_k'), 'v');
    assert.equal(tx.txVar('gone'), undefined);
    assert.equal(tx.txVar('n'), '0');
  });

  test('skipAfter jumps past the marker; skip counts rules', () => {
    const rules = `
SecAction "id:1,phase:1,pass,nolog,skipAfter:END"
SecAction "id:2,phase:1,pass,setvar:tx.skipped=1"
SecMarker END
SecAction "id:3,phase:1,pass,nolog,skip:1"
SecAction "id:4,phase:1,pass,setvar:tx.skipped2=1"
SecAction "id:5,phase:1,pass,setvar:tx.after=1"`;
    const { tx } = get(rules, '/');
    assert.equal(tx.txVar('skipped'), undefined);
    assert.equal(tx.txVar('skipped2'), undefined);
    assert.equal(tx.txVar('after'), '1');
  });

  test('counting, exclusions and regex selectors', () => {
    const rules = `
SecRule &ARGS "@eq 3" "id:1,phase:1,pass,setvar:tx.three=1"
SecRule ARGS|!ARGS:safe "@rx bad" "id:2,phase:1,pass,setvar:tx.hit=+1"
SecRule ARGS:/^id_/ "@rx ." "id:3,phase:1,pass,setvar:tx.ids=+1"
SecRule &REQUEST_HEADERS:X-Missing "@eq 0" "id:4,phase:1,pass,setvar:tx.missing=1"`;
    const { tx } = get(rules, '/?safe=bad&other=bad&ID_x=1');
    assert.equal(tx.txVar('three'), '1');
    assert.equal(tx.txVar('hit'), '1');
    assert.equal(tx.txVar('ids'), '1');
    assert.equal(tx.txVar('missing'), '1');
  });

  test('ctl:ruleRemoveById and ruleRemoveTargetById apply to later rules of the transaction', () => {
    const rules = `
SecRule REQUEST_HEADERS:X-Off "@rx ." "id:1,phase:1,pass,nolog,ctl:ruleRemoveById=10-19,ctl:ruleRemoveTargetById=20;ARGS:q"
SecRule ARGS "@rx bad" "id:10,phase:1,pass,setvar:tx.r10=1"
SecRule ARGS "@rx bad" "id:20,phase:1,pass,setvar:tx.r20=+1"`;
    const off = get(rules, '/?q=bad&p=bad', { 'X-Off': '1' });
    assert.equal(off.tx.txVar('r10'), undefined);
    assert.equal(off.tx.txVar('r20'), '1');
    const on = get(rules, '/?q=bad&p=bad');
    assert.equal(on.tx.txVar('r10'), '1');
    assert.equal(on.tx.txVar('r20'), '2');
  });

  test('ctl:ruleRemoveTargetByTag leaves out that variable for the tagged rules only, scalars too', () => {
    const rules = `
SecRule REQUEST_HEADERS:X-Off "@rx ." "id:1,phase:1,pass,nolog,ctl:ruleRemoveTargetByTag=perf;REQUEST_FILENAME,ctl:ruleRemoveTargetByTag=perf;ARGS:q"
SecRule REQUEST_FILENAME|ARGS "@rx bad" "id:30,phase:1,pass,tag:'perf',setvar:tx.r30=+1"
SecRule REQUEST_FILENAME|ARGS "@rx bad" "id:31,phase:1,pass,setvar:tx.r31=+1"`;
    const off = get(rules, '/bad?q=bad&p=bad', { 'X-Off': '1' });
    assert.equal(off.tx.txVar('r30'), '1');
    assert.equal(off.tx.txVar('r31'), '3');
    const on = get(rules, '/bad?q=bad&p=bad');
    assert.equal(on.tx.txVar('r30'), '3');
    assert.equal(on.tx.txVar('r31'), '3');
  });

  test('capture fills TX:0-9 for logdata; multiMatch tries each transformation step', () => {
    const { logged } = get(
      `SecRule ARGS "@rx (b)(a)d" "id:1,phase:1,pass,capture,logdata:'%{TX.0}/%{TX.2} in %{MATCHED_VAR_NAME}'"`,
      '/?x=bad',
    );
    assert.equal(logged[0]!.data, 'bad/a in ARGS:x');
    const mm = get(
      `SecRule ARGS "@rx ^%41$" "id:2,phase:1,pass,t:none,t:urlDecodeUni,multiMatch,setvar:tx.mm=1"`,
      '/?x=%2541',
    );
    assert.equal(mm.tx.txVar('mm'), '1');
    const single = get(
      `SecRule ARGS "@rx ^%41$" "id:2,phase:1,pass,t:none,t:urlDecodeUni,setvar:tx.mm=1"`,
      '/?x=%2541',
    );
    assert.equal(single.tx.txVar('mm'), undefined);
  });

  test('allow stops the remaining request rules', () => {
    const rules = `
SecRule REMOTE_ADDR "@streq 10.0.0.1" "id:1,phase:1,allow,nolog"
SecAction "id:2,phase:1,deny"`;
    assert.equal(get(rules, '/', {}, { clientIp: '10.0.0.1' }).stop, undefined);
    assert.equal(get(rules, '/', {}, { clientIp: '10.0.0.2' }).stop?.ruleId, 2);
  });

  test('request variables: URI parts, cookies, headers', () => {
    const { tx } = get('SecAction "id:1,phase:1,pass,nolog"', '/a/b%2Fc.php?x=1&y=%41#frag', {
      Cookie: 'sid=abc; theme=dark',
      Host: 'example.com:8080',
    });
    assert.equal(tx.scalar('REQUEST_FILENAME'), '/a/b/c.php');
    assert.equal(tx.scalar('REQUEST_BASENAME'), 'c.php');
    assert.equal(tx.scalar('QUERY_STRING'), 'x=1&y=%41');
    assert.equal(tx.scalar('REQUEST_URI_RAW'), '/a/b%2Fc.php?x=1&y=%41#frag');
    assert.equal(tx.collection('ARGS_GET')!.get('y'), 'A');
    assert.equal(tx.collection('REQUEST_COOKIES')!.get('theme'), 'dark');
    assert.equal(tx.scalar('SERVER_NAME'), 'example.com');
    assert.equal(tx.scalar('REQUEST_LINE'), 'GET /a/b%2Fc.php?x=1&y=%41#frag HTTP/1.1');
  });

  /** A rule set whose t:lowercase counts its runs. */
  function countingLowercase(text: string) {
    const counter = { calls: 0 };
    const transformations = new Map(TEST_TRANSFORMATIONS);
    transformations.set('lowercase', (s: string) => {
      counter.calls++;
      return s.toLowerCase();
    });
    return { waf: compileWaf({ text, operators: TEST_OPERATORS, transformations }), counter };
  }

  test('transformation results are reused across rules within a transaction', () => {
    const { waf: w, counter } = countingLowercase(
      `SecRule ARGS "@rx x" "id:1,phase:1,pass,t:lowercase"\nSecRule ARGS "@rx y" "id:2,phase:1,pass,t:lowercase"`,
    );
    const tx = w.newTransaction();
    tx.processUri('GET', '/?a=ABC&b=DEF', 'HTTP/1.1');
    tx.processRequestHeaders();
    assert.equal(counter.calls, 2);
  });

  test('after phase 2 the request caches are dropped; response phases rebuild what they read', () => {
    const { waf: w, counter } = countingLowercase(`SecRule ARGS "@rx abc" "id:1,phase:2,pass,t:lowercase,setvar:tx.p2=1"
SecRule ARGS "@rx abc" "id:2,phase:3,pass,t:lowercase,setvar:tx.p3=1"
SecRule ARGS_NAMES "@rx ^a$" "id:3,phase:4,pass,t:lowercase,setvar:tx.p4=1"`);
    const tx = w.newTransaction();
    tx.processUri('GET', '/?A=ABC', 'HTTP/1.1');
    tx.processRequestHeaders();
    tx.processRequestBody();
    assert.equal(tx.txVar('p2'), '1');
    assert.equal(counter.calls, 1);
    tx.processResponseHeaders(200);
    tx.processResponseBody();
    assert.equal(tx.txVar('p3'), '1');
    assert.equal(tx.txVar('p4'), '1');
    // The phase-3 rule transformed the value again: the phase-2 result was not kept.
    assert.equal(counter.calls, 3);
  });

  test('TIME* is read from the clock when asked for; ENV and FILES exist once written', () => {
    const { tx } = get(
      `SecRule TIME_YEAR "@gt 2000" "id:1,phase:1,pass,nolog,setvar:tx.year=%{TIME_YEAR}"
SecRule &FILES "@eq 0" "id:2,phase:1,pass,nolog,setvar:tx.nofiles=1"
SecAction "id:3,phase:1,pass,nolog,setenv:greeting=hello"
SecRule ENV:greeting "@streq hello" "id:4,phase:1,pass,nolog,setvar:tx.env=1"`,
      '/',
    );
    assert.equal(tx.txVar('year'), String(new Date().getFullYear()));
    assert.equal(tx.txVar('nofiles'), '1');
    assert.equal(tx.txVar('env'), '1');
    assert.ok(tx.snapshot().scalars.some(([name]) => name === 'TIME_EPOCH'));
  });

  test('request body: urlencoded, JSON and processor errors reach variables', () => {
    const w = waf(`SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule ARGS_POST:json.a.b.1 "@eq 2" "id:2,phase:2,pass,setvar:tx.json=1"
SecRule REQBODY_ERROR "!@eq 0" "id:3,phase:2,pass,setvar:tx.err=1"
SecRule ARGS:user "@streq bob" "id:4,phase:2,pass,setvar:tx.form=1"
SecRule REQUEST_HEADERS:Content-Type "@rx ^text/" "id:5,phase:1,pass,nolog,ctl:forceRequestBodyVariable=On"`);
    const run = (ct: string, body: string) => {
      const tx = w.newTransaction();
      tx.processUri('POST', '/', 'HTTP/1.1');
      tx.addRequestHeader('Content-Type', ct);
      tx.processRequestHeaders();
      tx.appendRequestBody(Buffer.from(body));
      tx.processRequestBody();
      return tx;
    };
    assert.equal(run('application/json', '{"a":{"b":[1,2]}}').txVar('json'), '1');
    const bad = run('application/json', '{"a":');
    assert.equal(bad.txVar('err'), '1');
    assert.match(bad.scalar('REQBODY_ERROR_MSG')!, /^JSON parsing error/);
    assert.equal(run('application/x-www-form-urlencoded', 'user=bob&x=1').txVar('form'), '1');
    assert.equal(run('text/plain', 'user=bob').scalar('REQUEST_BODY'), 'user=bob');
    assert.equal(run('application/json', '{"a":1}').scalar('REQUEST_BODY'), undefined);
  });

  test('phase 1 rules still run when the caller goes straight to the body phase', () => {
    const w = waf('SecAction "id:1,phase:1,pass,setvar:tx.p1=1"');
    const tx = w.newTransaction();
    tx.processUri('GET', '/', 'HTTP/1.1');
    tx.processRequestBody();
    assert.equal(tx.txVar('p1'), '1');
  });

  test('per-transaction TX seeds and rule removals', () => {
    const rules = `
SecRule &TX:level "@eq 0" "id:1,phase:1,pass,nolog,setvar:tx.level=1"
SecRule ARGS "@rx x" "id:2,phase:1,deny"`;
    const seeded = get(rules, '/?a=x', {}, { tx: { level: 3 }, removeRuleIds: [[2, 2]] });
    assert.equal(seeded.tx.txVar('level'), '3');
    assert.equal(seeded.stop, undefined);
    const targeted = get(rules, '/?a=x', {}, { removeTargets: [{ ids: [2, 2], targets: 'ARGS:a' }] });
    assert.equal(targeted.stop, undefined);
  });
});

describe('large values', () => {
  test('a multi-megabyte body is inspected without crashing and without caching every transformed copy', () => {
    let calls = 0;
    const transformations = new Map(TEST_TRANSFORMATIONS);
    transformations.set('lowercase', (s: string) => {
      calls++;
      return s.toLowerCase();
    });
    const w = compileWaf({
      text: `SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "@rx ^text/" "id:1,phase:1,pass,nolog,ctl:forceRequestBodyVariable=On"
SecRule REQUEST_BODY "@rx needle" "id:2,phase:2,pass,t:lowercase,setvar:tx.a=1"
SecRule REQUEST_BODY "@rx needle" "id:3,phase:2,pass,t:lowercase,setvar:tx.b=1"`,
      operators: TEST_OPERATORS,
      transformations,
    });
    const tx = w.newTransaction();
    tx.processUri('POST', '/', 'HTTP/1.1');
    tx.addRequestHeader('Content-Type', 'text/plain');
    tx.processRequestHeaders();
    tx.appendRequestBody(`${'x'.repeat(2_000_000)}NEEDLE`);
    tx.processRequestBody();
    assert.equal(tx.txVar('a'), '1');
    assert.equal(tx.txVar('b'), '1');
    assert.equal(calls, 2);
  });
});

describe('arbitrary requests', () => {
  test('never throw through the baseline rules and every body processor', async () => {
    const fc = (await import('fast-check')).default;
    const { BASELINE_SECLANG } = await import('../baseline/rules.js');
    const { createWaf } = await import('../index.js');
    const w = createWaf({
      text: `SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "@rx (?i)json" "id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "@rx (?i)xml" "id:2,phase:1,pass,nolog,ctl:requestBodyProcessor=XML"
${BASELINE_SECLANG}`,
    });
    const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }).map((a) => String.fromCharCode(...a));
    const contentType = fc.constantFrom(
      'application/json',
      'text/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=B',
      'multipart/form-data',
      'text/plain',
    );
    fc.assert(
      fc.property(bytes, bytes, contentType, bytes, (uri, header, ct, body) => {
        const tx = w.newTransaction();
        tx.processUri('POST', `/${uri}`, 'HTTP/1.1');
        tx.addRequestHeader('Content-Type', ct);
        tx.addRequestHeader('Cookie', header);
        tx.addRequestHeader('X-Any', header);
        tx.processRequestHeaders();
        tx.appendRequestBody(body);
        tx.processRequestBody();
        tx.processResponseHeaders(200);
        tx.processResponseBody();
        tx.processLogging();
      }),
      { numRuns: 300 },
    );
  });
});

describe('skipValues (schema hints)', () => {
  const rules = [
    'SecRule ARGS "@rx 7" "id:1,phase:1,pass,log,msg:\'seven\'"',
    'SecRule &ARGS_GET:n "@eq 1" "id:2,phase:1,pass,log,msg:\'counted\'"',
    'SecRule ARGS_NAMES "@rx n" "id:3,phase:1,pass,log,msg:\'name\'"',
  ].join('\n');
  function matches(uri: string, keys: string[]): string[] {
    const logged: MatchedRule[] = [];
    const tx = waf(rules).newTransaction({}, { onMatch: (_t, m) => logged.push(m) });
    tx.processUri('GET', uri, 'HTTP/1.1');
    tx.skipValues('ARGS_GET', new Set(keys));
    tx.processRequestHeaders();
    return logged.flatMap((m) => m.matches.map((d) => `${m.ruleId}:${d.variable}:${d.key}`));
  }

  test('a skipped value is read by no rule; counts and names still see it', () => {
    assert.deepEqual(matches('/?n=7&free=7', []), ['1:ARGS:n', '1:ARGS:free', '2:ARGS_GET:n', '3:ARGS_NAMES:n']);
    assert.deepEqual(matches('/?n=7&free=7', ['n']), ['1:ARGS:free', '2:ARGS_GET:n', '3:ARGS_NAMES:n']);
  });

  test('a repeated or case-varied name is inspected, and keys compare exactly', () => {
    assert.deepEqual(matches('/?n=1&n=7', ['n']), ['1:ARGS:n', '3:ARGS_NAMES:n', '3:ARGS_NAMES:n']);
    // `@rx n` is case-sensitive: ARGS_NAMES matches the lower-case name only.
    assert.deepEqual(matches('/?n=1&N=7', ['n']), ['1:ARGS:N', '3:ARGS_NAMES:n']);
    assert.deepEqual(matches('/?N=7', ['n']), ['1:ARGS:N', '2:ARGS_GET:n']);
  });
});
