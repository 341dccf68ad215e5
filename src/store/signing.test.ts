import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { calculateJwkThumbprint, createLocalJWKSet, importPKCS8, type JWK, jwtVerify, SignJWT } from 'jose';
import pino from 'pino';
import { jwkThumbprint, rotateSigningKey } from './signing.js';
import { openStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-signing-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('RFC 7638 thumbprints match jose for EC and OKP keys', async () => {
  for (const pair of [generateKeyPairSync('ec', { namedCurve: 'P-256' }), generateKeyPairSync('ed25519')]) {
    const jwk = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
    assert.equal(jwkThumbprint({ ...jwk, kid: 'ignored', use: 'sig' }), await calculateJwkThumbprint(jwk as JWK));
  }
  assert.throws(() => jwkThumbprint({ kty: 'RSA' }), /unsupported/);
});

test('rotation: new key signs, old key stays verifiable until its publish window ends', async () => {
  let t = 1_800_000_000_000;
  const now = () => t;
  const store = await openStore(undefined, {
    dataDir: dir,
    configDir: dir,
    logger: pino({ level: 'silent' }),
    clock: now,
  });
  try {
    const first = await rotateSigningKey(store, 'ES256', 3_600_000, now);
    assert.deepEqual(first.retired, []);
    const key1 = await importPKCS8(first.created.privateKey, 'ES256');
    const token = await new SignJWT({ sub: 'u1' })
      .setProtectedHeader({ alg: 'ES256', kid: first.created.kid })
      .sign(key1);

    const second = await rotateSigningKey(store, 'EdDSA', 3_600_000, now);
    assert.deepEqual(second.retired, [first.created.kid]);
    const published = async () => (await store.signingKeys.list()).map((k) => k.publicJwk) as never[];
    const jwks = createLocalJWKSet({ keys: await published() });
    assert.equal((await jwtVerify(token, jwks)).payload.sub, 'u1', 'old tokens still verify');
    assert.equal((await store.signingKeys.list()).filter((k) => k.retiredAt === null).length, 1);

    t += 3_600_001;
    const later = createLocalJWKSet({ keys: await published() });
    await assert.rejects(jwtVerify(token, later), 'retired key no longer published');
    assert.deepEqual(
      (await store.signingKeys.list()).map((k) => k.kid),
      [second.created.kid],
    );
  } finally {
    await store.close();
  }
});
