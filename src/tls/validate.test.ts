import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestCa, generateDevCertificate, issueServerCert } from './certificates.js';
import { CertificateError, checkCertificatePair, splitPemCertificates } from './validate.js';

const DAY = 86_400_000;

describe('checkCertificatePair', () => {
  test('accepts a matching pair and reports the validity window', async () => {
    const pair = await generateDevCertificate({ days: 20 });
    const info = checkCertificatePair(pair);
    assert.equal(info.subject.startsWith('CN=localhost'), true);
    assert.equal(info.daysLeft, 19);
    assert.match(info.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(info.clientCaCount, 0);
  });

  test('refuses a key that belongs to another certificate', async () => {
    const [a, b] = await Promise.all([generateDevCertificate(), generateDevCertificate()]);
    assert.throws(
      () => checkCertificatePair({ certPem: a.certPem, keyPem: b.keyPem }),
      (error: unknown) => error instanceof CertificateError && /does not belong to the certificate/.test(error.message),
    );
  });

  test('refuses an expired and a not-yet-valid certificate', async () => {
    const pair = await generateDevCertificate({ days: 10 });
    assert.throws(() => checkCertificatePair(pair, new Date(Date.now() + 11 * DAY)), /expired on/);
    assert.throws(() => checkCertificatePair(pair, new Date(Date.now() - DAY)), /not valid before/);
  });

  test('refuses unreadable material with one plain sentence, never the key', async () => {
    const pair = await generateDevCertificate();
    assert.throws(() => checkCertificatePair({ certPem: 'garbage', keyPem: pair.keyPem }), /holds no PEM certificate/);
    const broken = pair.certPem.replace(/[A-Za-z]{10}\n/, 'AAAAAAAAAA\n');
    assert.throws(
      () => checkCertificatePair({ certPem: broken, keyPem: pair.keyPem }),
      /not a valid X\.509|does not belong/,
    );
    assert.throws(
      () => checkCertificatePair({ certPem: pair.certPem, keyPem: 'not a key' }),
      (error: unknown) =>
        error instanceof CertificateError &&
        /no readable unencrypted private key/.test(error.message) &&
        !error.message.includes('PRIVATE'),
    );
  });

  test('checks the client CA bundle: present, parseable, and a CA', async () => {
    const ca = await createTestCa();
    const other = await createTestCa({ name: 'Second CA' });
    const server = await issueServerCert(ca, ['localhost']);
    const info = checkCertificatePair({ ...server, caPem: ca.certPem + other.certPem });
    assert.equal(info.clientCaCount, 2);
    assert.throws(() => checkCertificatePair({ ...server, caPem: 'nothing' }), /client CA file holds no PEM/);
    assert.throws(() => checkCertificatePair({ ...server, caPem: server.certPem }), /is not a CA/);
  });

  test('the first certificate of a chain file is the leaf that must match the key', async () => {
    const ca = await createTestCa();
    const server = await issueServerCert(ca, ['localhost']);
    const chain = server.certPem + ca.certPem;
    assert.equal(splitPemCertificates(chain).length, 2);
    assert.equal(checkCertificatePair({ certPem: chain, keyPem: server.keyPem }).subject, 'CN=localhost');
    assert.throws(
      () => checkCertificatePair({ certPem: ca.certPem + server.certPem, keyPem: server.keyPem }),
      /does not belong/,
    );
  });
});
