import assert from 'node:assert/strict';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { describe, test } from 'node:test';
import { createTestCa, generateDevCertificate, issueClientCert, issueServerCert } from './certificates.js';
import { checkCertificatePair } from './validate.js';

describe('generateDevCertificate', () => {
  test('is a self-signed ECDSA P-256 certificate with the hosts as SANs and a matching key', async () => {
    const { certPem, keyPem } = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1', '::1'], days: 30 });
    const cert = new NodeX509(certPem);
    assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(cert.subject.includes('CN=localhost'), true);
    assert.equal(cert.issuer, cert.subject);
    assert.equal(cert.verify(cert.publicKey), true);
    assert.equal(cert.ca, false);
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkHost('example.com'), undefined);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    const info = checkCertificatePair({ certPem, keyPem });
    assert.ok(info.daysLeft >= 29 && info.daysLeft <= 30, `daysLeft ${info.daysLeft}`);
  });

  test('defaults to localhost, 127.0.0.1 and ::1', async () => {
    const cert = new NodeX509((await generateDevCertificate()).certPem);
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  });

  test('each certificate gets a fresh key and serial', async () => {
    const [a, b] = await Promise.all([generateDevCertificate(), generateDevCertificate()]);
    assert.notEqual(a.keyPem, b.keyPem);
    assert.notEqual(new NodeX509(a.certPem).serialNumber, new NodeX509(b.certPem).serialNumber);
  });

  test('refuses bad host names and lifetimes with a plain message', async () => {
    await assert.rejects(generateDevCertificate({ hosts: [] }), /at least one host/);
    await assert.rejects(generateDevCertificate({ hosts: ['bad host'] }), /neither an IP address nor a DNS name/);
    await assert.rejects(generateDevCertificate({ days: 0 }), /1 to 366/);
    await assert.rejects(generateDevCertificate({ days: 400 }), /1 to 366/);
    await assert.rejects(generateDevCertificate({ days: 1.5 }), /1 to 366/);
  });
});

describe('test PKI', () => {
  test('the CA signs server and client certificates that chain to it', async () => {
    const ca = await createTestCa();
    const caCert = new NodeX509(ca.certPem);
    assert.equal(caCert.ca, true);

    const server = await issueServerCert(ca, ['gw.test', '10.0.0.1']);
    const serverCert = new NodeX509(server.certPem);
    assert.equal(serverCert.checkIssued(caCert), true);
    assert.equal(serverCert.verify(caCert.publicKey), true);
    assert.equal(serverCert.checkHost('gw.test'), 'gw.test');
    assert.equal(serverCert.checkIP('10.0.0.1'), '10.0.0.1');
    assert.deepEqual(serverCert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    checkCertificatePair(server);

    const client = await issueClientCert(ca, {
      cn: 'svc-a',
      sanUri: 'spiffe://example.org/svc-a',
      sanEmail: 'a@example.org',
    });
    const clientCert = new NodeX509(client.certPem);
    assert.equal(clientCert.verify(caCert.publicKey), true);
    assert.match(clientCert.subject, /CN=svc-a/);
    assert.match(clientCert.subjectAltName ?? '', /URI:spiffe:\/\/example\.org\/svc-a/);
    assert.match(clientCert.subjectAltName ?? '', /email:a@example\.org/);
    assert.deepEqual(clientCert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  });

  test('a certificate from another CA does not verify against this one', async () => {
    const [ca, other] = await Promise.all([createTestCa(), createTestCa({ name: 'Other CA' })]);
    const client = await issueClientCert(other, { cn: 'intruder' });
    assert.equal(new NodeX509(client.certPem).verify(new NodeX509(ca.certPem).publicKey), false);
  });

  test('an explicit validity window can produce an expired certificate', async () => {
    const ca = await createTestCa();
    const notAfter = new Date(Date.now() - 86_400_000);
    const client = await issueClientCert(ca, {
      cn: 'old',
      validity: { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter },
    });
    assert.ok(new Date(new NodeX509(client.certPem).validTo).getTime() < Date.now());
    await assert.rejects(issueClientCert(ca, { cn: '' }), /common name/);
  });
});
