import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import pino from 'pino';
import { JwtVerifier } from '../auth/jwt/verifier.js';
import { openStore } from '../store/store.js';
import { builtinIssuer, StoreKeySource } from './issuer.js';
import { LONGEST_SIGNED_TTL_MS, rotateSigningKeys } from './keys.js';

test('after a rotation, tokens signed by the retired key still verify; the private key is sealed at rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-keys-'));
  const store = await openStore(
    { driver: 'sqlite', path: join(dir, 'k.db'), masterKey: { env: 'MK' } },
    { dataDir: dir, configDir: dir, logger: pino({ level: 'silent' }), env: { MK: 'c'.repeat(64) } },
  );
  try {
    const first = await rotateSigningKeys(store);
    const sign = async (kid: string, pem: string, alg: string) =>
      new SignJWT({ sub: 'u1', roles: ['admin'] })
        .setProtectedHeader({ alg, kid })
        .setIssuer('https://idp.test')
        .setAudience('https://idp.test')
        .setExpirationTime('5m')
        .sign(createPrivateKey(pem));
    const oldToken = await sign(first.created.kid, first.created.privateKey, 'ES256');
    const second = await rotateSigningKeys(store, { alg: 'EdDSA' });
    assert.deepEqual(second.retired, [first.created.kid]);
    const retired = await store.signingKeys.get(first.created.kid);
    assert.ok((retired?.notAfter ?? 0) >= Date.now() + LONGEST_SIGNED_TTL_MS - 1000);
    const newToken = await sign(second.created.kid, second.created.privateKey, 'EdDSA');
    const verifier = new JwtVerifier([
      builtinIssuer('https://idp.test', 'https://idp.test', new StoreKeySource(store)),
    ]);
    assert.equal((await verifier.verify(oldToken)).ok, true);
    assert.equal((await verifier.verify(newToken)).ok, true);
    // A kid bound to ES256 does not verify an EdDSA signature (RFC 8725 §3.1).
    const confused = await sign(first.created.kid, second.created.privateKey, 'EdDSA');
    assert.equal((await verifier.verify(confused)).ok, false);
    await store.close();
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(join(dir, 'k.db'), { readonly: true });
    const dump = JSON.stringify(raw.prepare('select * from signing_keys').all());
    raw.close();
    assert.doesNotMatch(dump, /PRIVATE KEY/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
