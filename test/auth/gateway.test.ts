import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { nowSec, rawToken, signHs } from '../../src/auth/jwt/test-tokens.js';
import type { GatewayTokenSigner } from '../../src/auth/upstream-token.js';
import { ConfigErrors } from '../../src/config/errors.js';
import { AUTH_SHARED_KEYS } from '../../src/stages/authn/shared-keys.js';
import { STAGE_DEFINITIONS } from '../../src/stages/registry.js';
import {
  gatewayYaml,
  startTestGateway,
  startUpstream,
  type TestGateway,
  type TestUpstream,
} from '../helpers/gateway.js';

const registered = ['authenticate', 'authorize'].every((n) => STAGE_DEFINITIONS.some((d) => d.name === n));
// These stages are part of the product: their absence is a failure, never a skip.
if (!registered) throw new Error('authenticate/authorize are missing from src/stages/registry.ts');

const SECRET = 'g'.repeat(48);
const ISS = 'https://auth.example.com/';

function yaml(upstream: string, routes: string): string {
  return gatewayYaml(
    upstream,
    `authentication:
  realm: api
  issuers:
    main:
      issuer: ${ISS}
      audience: api.example.com
      algorithms: [HS256]
      secret: \${env:JWT_SECRET}
authorization:
  roles:
    reader: { permissions: [orders:read] }
routes:
${routes}`,
  );
}

const ROUTES = `  - name: public
    match: { path: /public/* }
    upstream: app
    public: true
  - name: orders
    match: { path: /api/:tenant/orders }
    upstream: app
    auth: { accept: [jwt] }
    allow:
      permissions: [orders:read]
      scopes: [orders]
      when: identity.claims.tenant == request.params.tenant
`;

function token(extra: Record<string, unknown> = {}): string {
  return signHs(
    { alg: 'HS256', typ: 'JWT' },
    {
      iss: ISS,
      aud: 'api.example.com',
      sub: 'ann',
      exp: nowSec() + 300,
      roles: ['reader'],
      scope: 'orders',
      tenant: 'acme',
      ...extra,
    },
    SECRET,
  );
}

describe('authentication and authorization over real sockets', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(yaml(upstream.url, ROUTES), { env: { JWT_SECRET: SECRET } });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  async function get(path: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${gw.url}${path}`, { headers });
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  test('no token: 401 problem+json with a Bearer challenge and no upstream call', async () => {
    const before = upstream.seen.length;
    const res = await get('/api/acme/orders');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"');
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(JSON.parse(res.body).code, 'PC_ERR_UNAUTHENTICATED');
    assert.equal(upstream.seen.length, before);
  });

  test('valid token: 200; upstream gets a gateway identity token verifiable with the JWKS, never the forged header', async () => {
    const res = await get('/api/acme/orders', { authorization: `Bearer ${token()}`, 'x-user-id': 'admin' });
    assert.equal(res.status, 200);
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.headers['x-user-id'], undefined);
    const signer = gw.gateway.current().services.shared.get(AUTH_SHARED_KEYS.gatewaySigner) as GatewayTokenSigner;
    const identityToken = seen.headers['x-portcullis-identity'] as string;
    const { payload } = await jwtVerify(identityToken, createLocalJWKSet(signer.jwks()), {
      issuer: 'portcullis',
      algorithms: ['ES256'],
    });
    assert.equal(payload.sub, 'ann');
    assert.deepEqual(payload.amr, ['jwt']);
    assert.deepEqual(payload.roles, ['reader']);
  });

  test('alg none, expired and foreign-audience tokens: 401 invalid_token', async () => {
    for (const bad of [
      rawToken('{"alg":"none"}', JSON.stringify({ iss: ISS, aud: 'api.example.com', sub: 'x', exp: nowSec() + 60 })),
      token({ exp: nowSec() - 3600 }),
      token({ aud: 'other' }),
    ]) {
      const res = await get('/api/acme/orders', { authorization: `Bearer ${bad}` });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_token"');
      assert.equal(JSON.parse(res.body).code, 'PC_ERR_INVALID_TOKEN');
    }
  });

  test('missing scope: 403 insufficient_scope; other tenant: 403 forbidden', async () => {
    const scope = await get('/api/acme/orders', { authorization: `Bearer ${token({ scope: 'profile' })}` });
    assert.equal(scope.status, 403);
    assert.equal(
      scope.headers.get('www-authenticate'),
      'Bearer realm="api", error="insufficient_scope", scope="orders"',
    );
    const tenant = await get('/api/globex/orders', { authorization: `Bearer ${token()}` });
    assert.equal(tenant.status, 403);
    assert.equal(JSON.parse(tenant.body).code, 'PC_ERR_FORBIDDEN');
  });

  test('public route: no auth needed, identity headers still stripped', async () => {
    const res = await get('/public/a', { 'x-portcullis-identity': 'forged', 'x-user-roles': 'admin' });
    assert.equal(res.status, 200);
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.headers['x-portcullis-identity'], undefined);
    assert.equal(seen.headers['x-user-roles'], undefined);
  });

  test('a route with neither public nor auth cannot start', async () => {
    const noPolicy = `  - name: open
    match: { path: /open }
    upstream: app
`;
    await assert.rejects(
      startTestGateway(yaml(upstream.url, noPolicy), { env: { JWT_SECRET: SECRET } }),
      (e: unknown) => e instanceof ConfigErrors && /route has no authentication policy/.test(e.message),
    );
  });
});
