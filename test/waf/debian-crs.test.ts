/**
 * OWASP CRS 3.3 as Debian's modsecurity-crs package installs it (rules in
 * /usr/share/modsecurity-crs, setup in /etc/modsecurity/crs) loads unmodified and blocks. Its
 * REQUEST-920 rule 920600 uses PCRE possessive quantifiers (`\s*+`), which the regex translator
 * expresses exactly (src/waf/regex/parse.ts).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { crsFiles, prelude } from '../../src/stages/waf/index.js';
import { createWaf, type Waf } from '../../src/waf/index.js';

const DIR = '/usr/share/modsecurity-crs';
const installed = existsSync(`${DIR}/rules`) && existsSync('/etc/modsecurity/crs/crs-setup.conf');

function load(): Waf {
  const includes = crsFiles(DIR).map((f) => `Include "${f}"`);
  return createWaf({ text: `${prelude({})}\n${includes.join('\n')}\n`, textName: 'debian-crs' });
}

function get(waf: Waf, uri: string, accept = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8') {
  const tx = waf.newTransaction({ clientIp: '192.0.2.7', clientPort: 40000 });
  tx.processUri('GET', uri, 'HTTP/1.1');
  tx.addRequestHeader('Host', 'shop.example');
  tx.addRequestHeader('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0');
  tx.addRequestHeader('Accept', accept);
  const stop = tx.processRequestHeaders() ?? tx.processRequestBody();
  tx.processLogging();
  return { stop, ids: tx.matchedRules.map((m) => m.ruleId), score: tx.scores.inbound };
}

describe('Debian CRS 3.3 (modsecurity-crs package)', { skip: installed ? false : `${DIR} is not installed` }, () => {
  const waf = installed ? load() : undefined;

  test('loads every rule, 920600 included', () => {
    assert.ok(waf!.rules.ruleCount > 600, `${waf!.rules.ruleCount} rules`);
  });

  test('blocks SQL injection and XSS, lets a plain request through', () => {
    const sqli = get(waf!, "/search?q=1'%20OR%20'1'%3D'1'--");
    assert.equal(sqli.stop?.status, 403);
    assert.ok(sqli.ids.includes(942100), `${sqli.ids}`);
    const xss = get(waf!, '/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    assert.equal(xss.stop?.status, 403);
    assert.ok(xss.ids.includes(941100), `${xss.ids}`);
    const plain = get(waf!, '/search?q=blue+shoes&page=2');
    assert.equal(plain.stop, undefined);
    assert.equal(plain.score, 0, `${plain.ids}`);
  });

  test('920600 (possessive \\s*+) flags an Accept charset with nothing after the =', () => {
    assert.ok(!get(waf!, '/', 'text/html; charset=utf-8').ids.includes(920600));
    assert.ok(get(waf!, '/', 'text/html; charset= ').ids.includes(920600));
  });
});
