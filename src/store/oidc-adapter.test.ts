import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { createOidcAdapterClass } from './oidc-adapter.js';
import { openStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-oidc-adapter-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('oidc-provider adapter over the store: expiry in seconds, consumed epoch, grant revocation', async () => {
  let t = 1_800_000_000_000;
  const now = () => t;
  const store = await openStore(undefined, {
    dataDir: dir,
    configDir: dir,
    logger: pino({ level: 'silent' }),
    clock: now,
  });
  try {
    const Adapter = createOidcAdapterClass(store, now);
    const codes = new Adapter('AuthorizationCode');
    const sessions = new Adapter('Session');
    const devices = new Adapter('DeviceCode');
    await codes.upsert('c1', { accountId: 'u1', grantId: 'g1', scope: 'openid' }, 60);
    await sessions.upsert('s1', { uid: 'uid-1', accountId: 'u1' }, 3600);
    await devices.upsert('d1', { userCode: 'WXYZ-1234', grantId: 'g1' }, 600);
    assert.deepEqual(await codes.find('c1'), { accountId: 'u1', grantId: 'g1', scope: 'openid' });
    assert.equal(await sessions.find('c1'), undefined, 'models are separate');
    assert.deepEqual(await sessions.findByUid('uid-1'), { uid: 'uid-1', accountId: 'u1' });
    assert.equal((await devices.findByUserCode('WXYZ-1234'))?.grantId, 'g1');
    await codes.consume('c1');
    assert.equal((await codes.find('c1'))?.consumed, Math.floor(t / 1000));
    t += 61_000;
    assert.equal(await codes.find('c1'), undefined, 'expired after expiresIn seconds');
    assert.ok(await sessions.find('s1'));
    await codes.upsert('c2', { grantId: 'g1' }, 60);
    await codes.revokeByGrantId('g1');
    assert.equal(await codes.find('c2'), undefined);
    assert.equal(await devices.findByUserCode('WXYZ-1234'), undefined);
    assert.ok(await sessions.find('s1'), 'other grants untouched');
    await sessions.destroy('s1');
    assert.equal(await sessions.find('s1'), undefined);
  } finally {
    await store.close();
  }
});
