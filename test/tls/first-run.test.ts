import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nowSec, signHs } from '../../src/auth/jwt/test-tokens.js';
import { type DemoBackend, startDemoBackend } from '../../src/demo/index.js';
import { generateDevCertificate, type PemPair } from '../../src/tls/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';

const SECRET = 'd'.repeat(48);
const ISS = 'https://auth.example.com/';

function yaml(demoUrl: string): string {
  const authentication = `authentication:
  issuers:
    main:
      issuer: ${ISS}
      audience: api.example.com
      algorithms: [HS256]
      secret: ${SECRET}
`;
  const me = `  - name: demo-me
    match: { path: /demo/me, methods: [GET] }
    upstream: demo
    auth: { accept: [jwt] }
`;
  return `dataDir: ./data
listeners:
  - name: https
    protocol: https
    host: 127.0.0.1
    port: 0
    tls: { cert: dev-cert.pem, key: dev-key.pem }
admin:
  enabled: false
log:
  access: false
upstreams:
  demo:
    targets: ["${demoUrl}"]
${authentication}routes:
  - name: demo-public
    match: { path: /demo/public, methods: [GET] }
    upstream: demo
    public: true
${me}`;
}

/** Trusting the self-signed development certificate itself, as `curl --cacert dev-cert.pem` does. */
function get(port: number, ca: string, path: string, headers: Record<string, string> = {}) {
  return request(`https://localhost:${port}${path}`, { headers, ca });
}

describe('first run: development certificate, demo backend, security headers', () => {
  let dev: PemPair;
  let demo: DemoBackend;
  let gw: TestGateway;
  let port: number;

  before(async () => {
    dev = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1', '::1'], days: 90 });
    demo = await startDemoBackend({ port: 0 });
    gw = await startTestGateway(yaml(demo.url), { files: { 'dev-cert.pem': dev.certPem, 'dev-key.pem': dev.keyPem } });
    port = gw.gateway.listeners[0]!.address.port;
  });
  after(async () => {
    await gw.close();
    await demo.close();
  });

  test('GET /demo/public over HTTPS with the dev certificate as the only trust anchor', async () => {
    const res = await get(port, dev.certPem, '/demo/public');
    assert.equal(res.status, 200);
    const json = JSON.parse(res.body);
    assert.equal(json.endpoint, '/demo/public');
    assert.equal(json.identity, null);
    assert.equal(json.headers['x-forwarded-proto'], 'https');
    assert.equal(res.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
    assert.equal(res.headers['x-powered-by'], undefined, 'the demo sends X-Powered-By; the gateway removes it');
  });

  test('a client that does not trust the dev certificate is refused', async () => {
    const other = await generateDevCertificate();
    await assert.rejects(get(port, other.certPem, '/demo/public'), /self-signed|unable to verify|certificate/i);
  });

  test('/demo/me: 401 without a credential; with one, the demo shows the identity the gateway signed', async () => {
    const anonymous = await get(port, dev.certPem, '/demo/me');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['content-type'], 'application/problem+json');

    const token = signHs(
      { alg: 'HS256', typ: 'JWT' },
      { iss: ISS, aud: 'api.example.com', sub: 'ann', exp: nowSec() + 300, roles: ['reader'] },
      SECRET,
    );
    const res = await get(port, dev.certPem, '/demo/me', { authorization: `Bearer ${token}` });
    assert.equal(res.status, 200, res.body);
    const json = JSON.parse(res.body);
    assert.equal(json.identity.verified, false);
    assert.equal(json.identity.claims.sub, 'ann');
    assert.equal(res.body.includes(token), false, 'the client token is never echoed');
    assert.equal(res.headers['cache-control'], 'no-store');
  });
});
