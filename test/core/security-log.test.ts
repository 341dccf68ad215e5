import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { nowSec, signHs } from '../../src/auth/jwt/test-tokens.js';
import { gatewayYaml, startTestGateway, startUpstream } from '../helpers/gateway.js';

const SECRET = 'k'.repeat(48);
const ISS = 'https://auth.example.com/';

test('security log: one line per refusal (who, from where, which request, why), none for allowed requests, with the access log off', async () => {
  const upstream = await startUpstream();
  const yaml = gatewayYaml(
    upstream.url,
    `authentication:
  issuers:
    main:
      issuer: ${ISS}
      audience: api.example.com
      algorithms: [HS256]
      secret: ${SECRET}
authorization:
  roles:
    admin: { permissions: [admin:all] }
routes:
  - name: admin
    match: { path: /admin }
    upstream: app
    auth: { accept: [jwt] }
    allow: { roles: { anyOf: [admin] } }
`,
  ).replace('log:\n  access: false', 'log:\n  access: false\n  file: gateway.log');
  const gw = await startTestGateway(yaml, { configLogger: true });
  const token = (roles: string[]) =>
    signHs(
      { alg: 'HS256', typ: 'JWT' },
      { iss: ISS, aud: 'api.example.com', sub: 'u-7', roles, exp: nowSec() + 300 },
      SECRET,
    );
  const statuses: number[] = [];
  try {
    for (const authorization of [undefined, `Bearer ${token([])}`, `Bearer ${token(['admin'])}`]) {
      const res = await request(`${gw.url}/admin`, { headers: authorization ? { authorization } : {} });
      statuses.push(res.statusCode);
      await res.body.dump();
    }
  } finally {
    await gw.close();
    await upstream.close();
  }
  assert.deepEqual(statuses, [401, 403, 200]);
  await new Promise((r) => setTimeout(r, 200));
  const lines = readFileSync(join(gw.dir, 'gateway.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.filter((l) => l.kind === 'access').length, 0, 'access log off');
  const security = lines.filter((l) => l.kind === 'security');
  assert.deepEqual(
    security.map((l) => [l.decision, l.status, l.identity]),
    [
      ['unauthenticated', 401, undefined],
      ['forbidden', 403, 'u-7'],
    ],
  );
  for (const line of security) {
    assert.equal(line.event, 'request.refused');
    assert.equal(line.clientIp, '127.0.0.1');
    assert.equal(line.route, 'admin');
    assert.match(String(line.requestId), /\S/);
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'UTC timestamp');
    assert.doesNotMatch(JSON.stringify(line), /eyJ/, 'never the token');
  }
});
