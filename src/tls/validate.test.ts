import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { createTestCa, generateDevCertificate, issueServerCert } from './certificates.js';
import { CertificateError, checkCertificatePair, splitPemCertificates } from './validate.js';
import { x509 } from './x509.js';

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

describe('key strength (Mozilla intermediate: RSA 2048+ or ECDSA P-256/P-384)', () => {
  async function selfSigned(
    algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams,
    signing: { name: string; hash: string },
  ): Promise<{ certPem: string; keyPem: string }> {
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=weak',
      keys,
      signingAlgorithm: signing,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 10 * DAY),
    });
    const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(der, 'PRIVATE KEY') };
  }

  const rsa = (bits: number) =>
    selfSigned(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    );
  const ec = (namedCurve: string, hash: string) => selfSigned({ name: 'ECDSA', namedCurve }, { name: 'ECDSA', hash });

  test('refuses RSA 1024 and accepts RSA 2048', async () => {
    assert.throws(() => checkCertificatePair(weak), /1024 bits; at least 2048/);
    assert.equal(checkCertificatePair(await rsa(2048)).subject, 'CN=weak');
  });

  test('refuses P-521 and accepts P-384', async () => {
    assert.throws(() => checkCertificatePair(p521), /curve secp521r1; use P-256 or P-384/);
    assert.equal(checkCertificatePair(await ec('P-384', 'SHA-384')).subject, 'CN=weak');
  });

  let weak: { certPem: string; keyPem: string };
  let p521: { certPem: string; keyPem: string };
  before(async () => {
    [weak, p521] = await Promise.all([rsa(1024), ec('P-521', 'SHA-512')]);
  });
});
