import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { GatewayTokenSigner, jwksHandler } from './upstream-token.js';

const options = { issuer: 'portcullis', audience: 'backends', ttlSec: 60 };

test('instances starting together share one key (atomic creation, mode 0600)', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'pc-key-')), 'nested', 'identity.pem');
  const signers = await Promise.all(Array.from({ length: 8 }, () => GatewayTokenSigner.fromFile(file, options)));
  assert.equal(new Set(signers.map((s) => s.kid)).size, 1);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = await GatewayTokenSigner.fromFile(file, options);
  assert.equal(again.kid, signers[0]!.kid, 'a restart keeps the key');
});

test('tokens verify with the served JWKS and carry the identity', async () => {
  const signer = await GatewayTokenSigner.fromFile(join(mkdtempSync(join(tmpdir(), 'pc-key-')), 'k.pem'), options);
  const server = createServer(jwksHandler(signer));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/portcullis-jwks.json`;
    const res = await fetch(url);
    assert.equal(res.headers.get('content-type'), 'application/jwk-set+json');
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]!.d, undefined, 'never the private part');
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);
    const token = signer.sign(
      { subject: 'ann', method: 'apiKey', roles: ['r'], scopes: ['a', 'b'], claims: {}, plan: 'pro' },
      'req-9',
    );
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
      issuer: 'portcullis',
      audience: 'backends',
      algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.kid, signer.kid);
    assert.deepEqual(
      { sub: payload.sub, rid: payload.rid, amr: payload.amr, scope: payload.scope, plan: payload.plan },
      { sub: 'ann', rid: 'req-9', amr: ['apiKey'], scope: 'a b', plan: 'pro' },
    );
    assert.equal(payload.exp! - payload.iat!, 60);
    assert.notEqual(payload.jti, 'req-9');
  } finally {
    server.close();
  }
});
