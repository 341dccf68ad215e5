import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DetailedPeerCertificate } from 'node:tls';
import fc from 'fast-check';
import { API_KEY_PATTERN, apiKeyPrefix, generateApiKey } from './api-key.js';
import { parseBasic } from './basic.js';
import { bearerChallenge, quote } from './challenge.js';
import { identityFromCertificate } from './mtls.js';
import { csrfAllowed, readCookie } from './session.js';

const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019 !#$%&*+-./=?@[]^_{|}~é€'.split('')), maxLength: 30 });

describe('parseBasic (RFC 7617)', () => {
  test('round-trips any user-id without ":" and any password without control characters', () => {
    fc.assert(
      fc.property(
        printable.filter((u) => u !== '' && !u.includes(':')),
        printable,
        (user, password) => {
          const header = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
          assert.deepEqual(parseBasic(header), { username: user, password });
          assert.deepEqual(parseBasic(header.replace('Basic', 'basic')), { username: user, password });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('never throws on arbitrary input, and refuses what is not base64 of user:pass', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const result = parseBasic(`Basic ${text}`);
        if (result) assert.ok(result.username.length > 0 && !result.username.includes(':'));
      }),
      { numRuns: 500 },
    );
    for (const bad of [
      'Basic',
      'Basic !!!',
      `Basic ${Buffer.from('nocolon').toString('base64')}`,
      `Basic ${Buffer.from(':pw').toString('base64')}`,
      `Basic ${Buffer.from('u:p\r\nX-Evil: 1').toString('base64')}`,
      `Basic ${Buffer.from([0x75, 0x3a, 0xff]).toString('base64')}`,
      `Bearer ${Buffer.from('u:p').toString('base64')}`,
    ]) {
      assert.equal(parseBasic(bad), undefined, bad);
    }
  });

  test('bounded size (no hash-DoS through Basic)', () => {
    assert.equal(parseBasic(`Basic ${Buffer.from(`u:${'x'.repeat(5000)}`).toString('base64')}`), undefined);
  });
});

describe('API key format', () => {
  test('generated keys match the format and expose only their prefix', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const { key, prefix } = generateApiKey();
        assert.match(key, API_KEY_PATTERN);
        assert.equal(apiKeyPrefix(key), prefix);
        assert.ok(key.startsWith(`${prefix}_`));
      }),
      { numRuns: 200 },
    );
  });

  test('anything else has no prefix', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (text) => {
        if (!API_KEY_PATTERN.test(text)) assert.equal(apiKeyPrefix(text), undefined);
      }),
    );
  });
});

describe('challenges and cookies', () => {
  test('quoted strings never break out of the quotes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (realm) => {
        const q = quote(realm);
        assert.match(q, /^"(?:[^"\\\x00-\x1f\x7f-\uffff]|\\["\\])*"$/);
      }),
      { numRuns: 500 },
    );
    assert.equal(bearerChallenge('a"b', 'invalid_token'), 'Bearer realm="a\\"b", error="invalid_token"');
  });

  test('readCookie finds the exact name only', () => {
    assert.equal(readCookie('a=1; __Host-s=v; b=2', '__Host-s'), 'v');
    assert.equal(readCookie('x__Host-s=evil; __Host-s=good', '__Host-s'), 'good');
    assert.equal(readCookie('__Host-s="q"', '__Host-s'), 'q');
    assert.equal(readCookie(undefined, '__Host-s'), undefined);
    assert.equal(readCookie('__Host-sx=1', '__Host-s'), undefined);
  });

  test('CSRF: safe methods always pass; a same-site sibling is not same-origin', () => {
    const opts = { allowedOrigins: ['https://app.example'], tokenHeader: 'x-csrf-token' };
    assert.equal(csrfAllowed('GET', {}, opts, undefined), true);
    assert.equal(
      csrfAllowed('POST', { 'sec-fetch-site': 'same-site', origin: 'https://evil.app.example' }, opts, 't'),
      false,
    );
    assert.equal(csrfAllowed('POST', { origin: 'null' }, opts, 't'), false);
    assert.equal(csrfAllowed('PUT', { 'x-csrf-token': 't' }, opts, undefined), false, 'no session token, no pass');
  });
});

describe('mTLS subject extraction', () => {
  const root = { fingerprint256: 'AA:BB' } as DetailedPeerCertificate;
  (root as { issuerCertificate: DetailedPeerCertificate }).issuerCertificate = root;
  const cert = (san: string, cn?: string) =>
    ({
      raw: Buffer.from([1]),
      fingerprint256: '01:02',
      subject: cn ? { CN: cn } : {},
      subjectaltname: san,
      serialNumber: '1',
      valid_to: 'Jan  1 00:00:00 2030 GMT',
      issuerCertificate: root,
    }) as unknown as DetailedPeerCertificate;
  const subject = (c: DetailedPeerCertificate, from: ('san-uri' | 'san-dns' | 'san-email' | 'cn')[]) => {
    const r = identityFromCertificate(c, { caFingerprints: ['aabb'], subjectFrom: from });
    return r.ok ? r.identity.subject : r.reason;
  };

  test('sources are tried in order; quoted SAN values are unquoted', () => {
    const c = cert('DNS:a.example, URI:spiffe://x/y, email:ops@example.com', 'cn-name');
    assert.equal(subject(c, ['san-uri', 'cn']), 'spiffe://x/y');
    assert.equal(subject(c, ['san-email']), 'ops@example.com');
    assert.equal(subject(c, ['cn']), 'cn-name');
    assert.equal(subject(cert('URI:"spiffe://x/a, b"'), ['san-uri']), 'spiffe://x/a, b');
    assert.equal(subject(cert('DNS:a.example'), ['san-uri']), 'no_subject');
  });
});
