import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base32, hotp, matchTotp, newRecoveryCodes } from './totp.js';

// RFC 6238 Appendix B (SHA-1 seed "12345678901234567890"), last 6 digits of the 8-digit values.
const SEED = Buffer.from('12345678901234567890');
const VECTORS: [number, string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
];

test('RFC 6238 test vectors', () => {
  for (const [t, code] of VECTORS) assert.equal(hotp(SEED, Math.floor(t / 30)), code, String(t));
});

test('one step of drift either way is accepted, two are not; malformed codes never match', () => {
  const now = 1111111111_000;
  const step = Math.floor(now / 30_000);
  assert.equal(matchTotp(SEED, hotp(SEED, step), now), step);
  assert.equal(matchTotp(SEED, hotp(SEED, step - 1), now), step - 1);
  assert.equal(matchTotp(SEED, hotp(SEED, step + 1), now), step + 1);
  assert.equal(matchTotp(SEED, hotp(SEED, step + 2), now), undefined);
  for (const bad of ['', '12345', '1234567', 'abcdef', ' 050471']) assert.equal(matchTotp(SEED, bad, now), undefined);
});

test('base32 per RFC 4648 §10', () => {
  assert.equal(base32(Buffer.from('foobar')), 'MZXW6YTBOI');
  assert.equal(base32(Buffer.from('f')), 'MY');
});

test('recovery codes are distinct and readable', () => {
  const codes = newRecoveryCodes();
  assert.equal(new Set(codes).size, 10);
  for (const c of codes) assert.match(c, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
});
