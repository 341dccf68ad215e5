import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { request } from 'undici';
import { createTestCa, issueClientCert, issueServerCert, type TestCa } from '../../src/tls/index.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';

function tlsYaml(upstream: string, extraTls = ''): string {
  return `dataDir: ./data
listeners:
  - name: https
    protocol: https
    host: 127.0.0.1
    port: 0
    tls:
      cert: cert.pem
      key: key.pem
${extraTls}  - name: redirect
    protocol: http
    host: 127.0.0.1
    port: 0
    httpsPort: 8443
admin:
  enabled: false
log:
  access: false
upstreams:
  app:
    targets: ["${upstream}"]
routes:
  - name: all
    match: { path: "/*" }
    upstream: app
    public: true
`;
}

interface Answer {
  status: number;
  body: string;
  protocol: string;
}

function h2Get(url: string, ca: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, { ca, servername: 'localhost' });
    session.on('error', reject);
    const req = session.request({ ':path': path });
    let status = 0;
    let body = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      session.close();
      resolve({ status, body, protocol: 'h2' });
    });
    req.end();
  });
}

function h1Get(
  port: number,
  ca: string,
  path: string,
  extra: https.RequestOptions = {},
): Promise<Answer & { headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca,
        servername: 'localhost',
        ALPNProtocols: ['http/1.1'],
        agent: false,
        ...extra,
      } as https.RequestOptions,
      (res) => {
        const protocol = (res.socket as tls.TLSSocket).alpnProtocol || '';
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS listener', () => {
  let ca: TestCa;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let port: number;
  before(async () => {
    ca = await createTestCa();
    const server = await issueServerCert(ca, ['localhost', '127.0.0.1']);
    upstream = await startUpstream();
    gw = await startTestGateway(tlsYaml(upstream.url), {
      files: { 'cert.pem': server.certPem, 'key.pem': server.keyPem },
    });
    port = gw.gateway.listeners[0]!.address.port;
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('serves HTTP/2 chosen by ALPN', async () => {
    const res = await h2Get(`https://127.0.0.1:${port}`, ca.certPem, '/hello');
    assert.equal(res.status, 200);
    assert.match(res.body, /"url":"\/hello"/);
    assert.equal(upstream.seen.at(-1)!.headers['x-forwarded-proto'], 'https');
  });

  test('serves HTTP/1.1 to clients that only offer it', async () => {
    const res = await h1Get(port, ca.certPem, '/one');
    assert.equal(res.status, 200);
    assert.equal(res.protocol, 'http/1.1');
  });

  test('refuses TLS 1.1 and accepts TLS 1.2 with an intermediate cipher', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = tls.connect({
          host: '127.0.0.1',
          port,
          ca: ca.certPem,
          servername: 'localhost',
          maxVersion: 'TLSv1.1',
          minVersion: 'TLSv1',
        });
        s.on('secureConnect', () => resolve(s.end()));
        s.on('error', reject);
      }),
    );
    const cipher = await new Promise<string>((resolve, reject) => {
      const s = tls.connect(
        { host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2' },
        () => {
          resolve(s.getCipher().name);
          s.end();
        },
      );
      s.on('error', reject);
    });
    assert.match(cipher, /ECDHE-(ECDSA|RSA)-(AES\d+-GCM|CHACHA20)/);
  });

  test('the plain listener redirects to HTTPS with 308', async () => {
    const redirect = gw.gateway.listeners[1]!.address.port;
    const res = await request(`http://127.0.0.1:${redirect}/demo/public?x=1`, { headers: { host: 'localhost:8080' } });
    assert.equal(res.statusCode, 308);
    assert.equal(res.headers.location, 'https://localhost:8443/demo/public?x=1');
    await res.body.dump();
  });

  test('reloads a new certificate from disk without a restart', async () => {
    const renewed = await issueServerCert(ca, ['localhost', '127.0.0.1'], { days: 3 });
    writeFileSync(join(gw.dir, 'cert.pem'), renewed.certPem);
    writeFileSync(join(gw.dir, 'key.pem'), renewed.keyPem);
    const expected = new crypto.X509Certificate(renewed.certPem).serialNumber;
    let serial = '';
    for (let i = 0; i < 60 && serial !== expected; i++) {
      await new Promise((r) => setTimeout(r, 100));
      serial = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' }, () => {
          resolve(s.getPeerX509Certificate()?.serialNumber ?? '');
          s.end();
        });
        s.on('error', reject);
      });
    }
    assert.equal(serial, expected);
  });
});

import crypto from 'node:crypto';

describe('mTLS', () => {
  test('requires and verifies a client certificate from the configured CA', async () => {
    const ca = await createTestCa();
    const other = await createTestCa({ name: 'someone else' });
    const server = await issueServerCert(ca, ['localhost']);
    const client = await issueClientCert(ca, { cn: 'service-a' });
    const stranger = await issueClientCert(other, { cn: 'intruder' });
    const upstream = await startUpstream();
    const gw = await startTestGateway(
      tlsYaml(upstream.url, '      clientCa: ca.pem\n      requireClientCert: true\n'),
      {
        files: { 'cert.pem': server.certPem, 'key.pem': server.keyPem, 'ca.pem': ca.certPem },
      },
    );
    const port = gw.gateway.listeners[0]!.address.port;
    try {
      const ok = await h1Get(port, ca.certPem, '/x', { cert: client.certPem, key: client.keyPem });
      assert.equal(ok.status, 200);
      await assert.rejects(h1Get(port, ca.certPem, '/x'));
      await assert.rejects(h1Get(port, ca.certPem, '/x', { cert: stranger.certPem, key: stranger.keyPem }));
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('answers the gateway makes itself', () => {
  test('carry HSTS and the security headers over TLS', async () => {
    const ca = await createTestCa();
    const server = await issueServerCert(ca, ['localhost', '127.0.0.1']);
    const upstream = await startUpstream();
    const gw = await startTestGateway(tlsYaml(upstream.url).replace('path: "/*"', 'path: /only'), {
      files: { 'cert.pem': server.certPem, 'key.pem': server.keyPem },
    });
    try {
      const res = await h1Get(gw.gateway.listeners[0]!.address.port, ca.certPem, '/missing');
      assert.equal(res.status, 404);
      assert.match(String(res.headers['strict-transport-security']), /^max-age=\d{8,}; includeSubDomains/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
