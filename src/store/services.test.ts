import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Services } from '../stages/definition.js';
import { attachStore, STORE_SHARED_KEY } from './services.js';

test('attachStore opens the configured store once and publishes it in services.shared', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-attach-'));
  const services: Services = {
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    configDir: dir,
    dataDir: join(dir, 'data'),
    config: { store: { driver: 'sqlite', path: 'gw.db' } },
    shared: new Map(),
  };
  try {
    const store = await attachStore(services);
    assert.equal(services.shared.get(STORE_SHARED_KEY), store);
    assert.equal(await attachStore(services), store);
    await store.users.create({ username: 'x' });
    assert.equal(store.driver, 'sqlite');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an in-memory SQLite store works (for other parts' tests)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-mem-'));
  try {
    const { openStore } = await import('./store.js');
    const store = await openStore(
      { driver: 'sqlite', path: ':memory:', masterKey: { env: 'MK' } },
      { dataDir: dir, configDir: dir, logger: pino({ level: 'silent' }), env: { MK: 'a'.repeat(64) } },
    );
    await store.secrets.put('s', 'v');
    assert.equal(await store.secrets.get('s'), 'v');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
