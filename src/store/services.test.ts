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
