import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { MasterKey, writeKeyFile } from '../../src/store/crypto.js';
import { openStore } from '../../src/store/store.js';
import { silentLogger } from './helpers.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'pc-procs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('two processes appending to one SQLite file still form one valid chain', async () => {
  const file = join(dir, 'shared.db');
  const keyFile = join(dir, 'master.key');
  writeKeyFile(keyFile, MasterKey.generate());
  const config = { driver: 'sqlite' as const, path: file, masterKey: { file: keyFile } };
  const first = await openStore(config, { dataDir: dir, configDir: dir, logger: silentLogger });
  await first.close();
  const worker = join(import.meta.dirname, 'append-worker.ts');
  const start = String(Date.now() + 4000);
  await Promise.all(
    ['a', 'b'].map((name) =>
      run(process.execPath, ['--import', 'tsx', worker, file, keyFile, '150', name, start], { timeout: 60_000 }),
    ),
  );
  const store = await openStore(config, { dataDir: dir, configDir: dir, logger: silentLogger });
  try {
    const result = await store.audit.verify();
    assert.equal(result.ok, true);
    assert.equal(result.count, 300);
    const actors = (await store.audit.list({ limit: 1000 })).map((r) => r.actor);
    const switches = actors.filter((a, i) => i > 0 && a !== actors[i - 1]).length;
    assert.ok(switches > 1, `the two writers interleaved (${switches} switches)`);
  } finally {
    await store.close();
  }
});
