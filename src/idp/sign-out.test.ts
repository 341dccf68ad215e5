import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Revocation } from '../auth/revocation.js';
import { openStore } from '../store/store.js';
import type { Store } from '../store/types.js';
import { ACCESS_TOKEN_TTL_SEC } from './issuer.js';
import { signOutEverywhere } from './sign-out.js';

describe('signOutEverywhere', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-signout-'));
    store = await openStore(
      { driver: 'sqlite', path: ':memory:', masterKey: { env: 'MK' } },
      { dataDir: dir, configDir: dir, logger: pino({ level: 'silent' }), env: { MK: 'c'.repeat(64) } },
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('publishes a cutoff living as long as the longest credential, cleans the store, waits out the second', async () => {
    const user = await store.users.create({ username: 'dora', passwordHash: null });
    await store.sessions.create('dora-1', { userId: user.id, expiresAt: Date.now() + 60_000 });
    await store.oidc.upsert({
      model: 'RefreshToken',
      id: 'rt-dora',
      payload: { accountId: user.id },
      accountId: user.id,
      expiresAt: Date.now() + 60_000,
    });
    await store.apiKeys.create({ prefix: 'pc_dora0001', hash: 'cd'.repeat(32), owner: user.id });
    const published: Revocation[] = [];
    const slept: number[] = [];
    const at = 1_800_000_000_250;
    const result = await signOutEverywhere(store, user.id, {
      publish: async (r) => void published.push(r),
      sessionLifetimeMs: 3_600_000,
      now: () => at,
      sleep: async (ms) => void slept.push(ms),
    });
    assert.deepEqual(published, [{ kind: 'cutoff', id: user.id, issuedBefore: at, until: at + 3_600_000 + 60_000 }]);
    assert.deepEqual(result, { cutoff: at, sessions: 1, oidcRecords: 1, apiKeys: 1 });
    assert.deepEqual(slept, [750], 'returns once the second of the cutoff is over (iat has whole seconds)');

    // Shorter sessions than access tokens: the access token lifetime bounds the cutoff's life.
    published.length = 0;
    await signOutEverywhere(store, user.id, {
      publish: async (r) => void published.push(r),
      sessionLifetimeMs: 1000,
      now: () => at,
      sleep: async () => undefined,
    });
    assert.equal(published[0]?.until, at + ACCESS_TOKEN_TTL_SEC * 1000 + 60_000);
  });

  test('a failed publish still cleans the store, then throws', async () => {
    const user = await store.users.create({ username: 'emil', passwordHash: null });
    await store.sessions.create('emil-1', { userId: user.id, expiresAt: Date.now() + 60_000 });
    await assert.rejects(
      signOutEverywhere(store, user.id, {
        publish: async () => {
          throw new Error('bus down');
        },
        sleep: async () => undefined,
      }),
      /bus down/,
    );
    assert.equal(await store.sessions.get('emil-1'), undefined);
  });

  test('by default the cutoff goes to the store feed', async () => {
    const user = await store.users.create({ username: 'fay', passwordHash: null });
    const { cutoff } = await signOutEverywhere(store, user.id, { sleep: async () => undefined });
    const rows = await store.revocations.after(0, Number.MAX_SAFE_INTEGER);
    assert.ok(rows.some((r) => r.kind === 'cutoff' && r.id === user.id && r.issuedBefore === cutoff));
  });
});
