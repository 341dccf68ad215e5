import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { createTestCa, issueServerCert, type TestCa } from '../../src/tls/index.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';

const APP = 'https://app.example.com';

function yaml(upstream: string): string {
  const privateRoute = `  - name: private
    match: { path: /private/*, methods: [GET, OPTIONS] }
    upstream: app
    auth: { accept: [jwt] }
    allow: { roles: { anyOf: [admin] } }
    cors: { origins: ["${APP}"], headers: [authorization] }
`;
  const authentication = `authentication:
  issuers:
    main:
      issuer: https://auth.example.com/
      audience: api.example.com
      algorithms: [HS256]
      secret: ${'s'.repeat(48)}
`;
  return `dataDir: ./data
listeners:
  - name: https
    protocol: https
    host: 127.0.0.1
    port: 0
    tls: { cert: cert.pem, key: key.pem }
  - name: internal
    protocol: http
    host: 127.0.0.1
    port: 0
    redirectToHttps: false
admin:
  enabled: false
log:
  access: false
upstreams:
  app:
    targets: ["${upstream}"]
${authentication}securityHeaders:
  referrerPolicy: strict-origin-when-cross-origin
routes:
${privateRoute}  - name: api
    match: { path: /api/*, methods: [GET, POST, OPTIONS] }
    upstream: app
    public: true
    cors:
      origins: ["${APP}"]
      headers: [content-type]
      exposeHeaders: [x-request-id]
      credentials: true
    headers:
      request: { set: { x-tenant: acme }, remove: [x-debug] }
      response: { set: { x-edge: portcullis } }
`;
}

function call(url: string, ca: string, method: string, path: string, headers: Record<string, string> = {}) {
  return request(`${url}${path}`, { method, headers, ca, servername: 'localhost' });
}

describe('security headers and CORS through the gateway', () => {
  let ca: TestCa;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let secureUrl: string;
  let plainUrl: string;

  before(async () => {
    ca = await createTestCa();
    const pair = await issueServerCert(ca, ['localhost', '127.0.0.1']);
    upstream = await startUpstream();
    gw = await startTestGateway(yaml(upstream.url), { files: { 'cert.pem': pair.certPem, 'key.pem': pair.keyPem } });
    secureUrl = `https://127.0.0.1:${gw.gateway.listeners[0]!.address.port}`;
    plainUrl = `http://127.0.0.1:${gw.gateway.listeners[1]!.address.port}`;
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('HTTPS answers carry the security headers; banners and edits are applied', async () => {
    const res = await call(secureUrl, ca.certPem, 'GET', '/api/items', { 'x-debug': '1' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'strict-origin-when-cross-origin');
    assert.equal(res.headers['content-security-policy'], "frame-ancestors 'none'");
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-edge'], 'portcullis');
    assert.equal(res.headers.server, undefined, 'the upstream sent Server: test-upstream');
    assert.equal(res.headers['x-powered-by'], undefined, 'the upstream sent X-Powered-By: test');
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.headers['x-tenant'], 'acme');
    assert.equal(seen.headers['x-debug'], undefined);
  });

  test('plain HTTP answers get no HSTS but the other headers', async () => {
    const res = await call(plainUrl, ca.certPem, 'GET', '/api/items');
    assert.equal(res.status, 200);
    assert.equal(res.headers['strict-transport-security'], undefined);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  test('an allowed preflight is answered by the gateway without calling the upstream', async () => {
    const before = upstream.seen.length;
    const res = await call(secureUrl, ca.certPem, 'OPTIONS', '/api/items', {
      origin: APP,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], APP);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(res.headers['access-control-allow-headers'], 'content-type');
    assert.equal(upstream.seen.length, before);
  });

  test('a foreign preflight is 403 problem+json PC_ERR_CORS', async () => {
    const before = upstream.seen.length;
    const res = await call(secureUrl, ca.certPem, 'OPTIONS', '/api/items', {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(JSON.parse(res.body).code, 'PC_ERR_CORS');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(upstream.seen.length, before);
  });

  test('actual requests: ACAO only for the allowed origin, Vary: Origin on both', async () => {
    const allowed = await call(secureUrl, ca.certPem, 'GET', '/api/items', { origin: APP });
    assert.equal(allowed.headers['access-control-allow-origin'], APP);
    assert.equal(allowed.headers['access-control-expose-headers'], 'x-request-id');
    assert.match(String(allowed.headers.vary), /Origin/);
    const foreign = await call(secureUrl, ca.certPem, 'GET', '/api/items', { origin: 'https://evil.example' });
    assert.equal(foreign.status, 200);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    assert.equal(foreign.headers['access-control-allow-credentials'], undefined);
    assert.match(String(foreign.headers.vary), /Origin/);
  });

  test('over HTTP/2 the same headers arrive and preflights are answered', async () => {
    const h2 = (method: string, headers: Record<string, string>) =>
      new Promise<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader>((resolve, reject) => {
        const session = http2.connect(secureUrl, { ca: ca.certPem, servername: 'localhost' });
        session.on('error', reject);
        const req = session.request({ ':method': method, ':path': '/api/items', ...headers });
        req.on('response', (response) => {
          req.resume();
          req.on('end', () => {
            session.close();
            resolve(response);
          });
        });
        req.on('error', reject);
        req.end();
      });
    const get = await h2('GET', { origin: APP });
    assert.equal(get[':status'], 200);
    assert.equal(get['strict-transport-security'], 'max-age=63072000; includeSubDomains');
    assert.equal(get['access-control-allow-origin'], APP);
    assert.equal(get.server, undefined);
    const preflight = await h2('OPTIONS', { origin: APP, 'access-control-request-method': 'GET' });
    assert.equal(preflight[':status'], 204);
    assert.equal(preflight['access-control-allow-origin'], APP);
  });

  test('a preflight on an authenticated route is answered before authentication', async () => {
    const preflight = await call(secureUrl, ca.certPem, 'OPTIONS', '/private/x', {
      origin: APP,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    });
    assert.equal(preflight.status, 204);
    const unauthenticated = await call(secureUrl, ca.certPem, 'GET', '/private/x', { origin: APP });
    assert.equal(unauthenticated.status, 401);
  });
});
