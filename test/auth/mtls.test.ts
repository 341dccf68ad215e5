import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { createTestCa, issueClientCert, issueServerCert, type TestCa } from '../../src/tls/certificates.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';

function yaml(upstream: string): string {
  return `dataDir: ./data
listeners:
  - protocol: https
    host: 127.0.0.1
    port: 0
    tls:
      cert: cert.pem
      key: key.pem
      clientCa: trusted.pem
admin:
  enabled: false
log:
  access: false
upstreams:
  app:
    targets: ["${upstream}"]
authentication:
  mtls:
    caFile: pinned.pem
    subjectFrom: [san-uri, cn]
    roles: [service]
routes:
  - name: services
    match: { path: /svc/* }
    upstream: app
    auth: { accept: [mtls] }
`;
}

function get(
  port: number,
  ca: string,
  client?: { cert: string; key: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/svc/ping', ca, servername: 'localhost', agent: false, ...client },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('mTLS identity over a real TLS listener', () => {
  let ca: TestCa;
  let other: TestCa;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let port: number;

  before(async () => {
    ca = await createTestCa({ name: 'pinned CA' });
    other = await createTestCa({ name: 'other trusted CA' });
    const server = await issueServerCert(ca, ['localhost']);
    upstream = await startUpstream();
    gw = await startTestGateway(yaml(upstream.url), {
      files: {
        'cert.pem': server.certPem,
        'key.pem': server.keyPem,
        // The listener trusts both CAs (TLS succeeds for both); the route pins only one.
        'trusted.pem': `${ca.certPem}\n${other.certPem}`,
        'pinned.pem': ca.certPem,
      },
    });
    port = gw.gateway.listeners[0]!.address.port;
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('a client certificate from the pinned CA: 200, subject from the SAN URI', async () => {
    const client = await issueClientCert(ca, { cn: 'billing', sanUri: 'spiffe://corp/billing' });
    const res = await get(port, ca.certPem, { cert: client.certPem, key: client.keyPem });
    assert.equal(res.status, 200, res.body);
    const token = upstream.seen.at(-1)!.headers['x-portcullis-identity'] as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.sub, 'spiffe://corp/billing');
    assert.deepEqual(claims.amr, ['mtls']);
    assert.deepEqual(claims.roles, ['service']);
  });

  test('a certificate the listener trusts but from a CA the route does not pin: 401', async () => {
    const client = await issueClientCert(other, { cn: 'intruder', sanUri: 'spiffe://corp/billing' });
    const res = await get(port, ca.certPem, { cert: client.certPem, key: client.keyPem });
    assert.equal(res.status, 401);
    assert.equal(JSON.parse(res.body).code, 'PC_ERR_INVALID_TOKEN');
  });

  test('no client certificate: 401 unauthenticated', async () => {
    const res = await get(port, ca.certPem);
    assert.equal(res.status, 401);
    assert.equal(JSON.parse(res.body).code, 'PC_ERR_UNAUTHENTICATED');
  });
});
