import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  followBus,
  isRevocation,
  MemoryRevocationBus,
  RedisRevocationBus,
  RevocationList,
} from '../../src/auth/revocation.js';
import type { StoreConfig } from '../../src/store/config.js';
import { MasterKey } from '../../src/store/crypto.js';
import { openStore } from '../../src/store/store.js';
import { REDIS_URL, redisSkipReason } from '../helpers/redis.js';
import {
  createTestDatabase,
  dropTestDatabase,
  pgConfig,
  pgSkipReason,
  silentLogger as silent,
} from '../store/helpers.js';

const worker = fileURLToPath(new URL('./revocation-worker.ts', import.meta.url));

const skip = await redisSkipReason();

function start(
  args: readonly string[],
  role: string,
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args, role], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function next(lines: AsyncIterator<string>): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('worker said nothing in 15 s')), 15_000);
  });
  // Cleared, or the file's process would wait out the 15 s after its last test.
  const line = await Promise.race([lines.next(), timeout]).finally(() => clearTimeout(timer));
  if (line.done) throw new Error('worker exited early');
  return JSON.parse(line.value) as Record<string, unknown>;
}

/** Three processes: one listens, one publishes, a late one loads what is in force. */
async function acrossProcesses(
  t: { diagnostic(message: string): void },
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const children: { child: ChildProcess }[] = [];
  const spawnRole = (role: string) => {
    const p = start(args, role, env);
    children.push(p);
    return p;
  };
  try {
    const listener = spawnRole('listen');
    assert.equal((await next(listener.lines)).event, 'ready');
    const publisher = spawnRole('publish');
    const published = await next(publisher.lines);
    const revoked = await next(listener.lines);
    assert.equal(revoked.event, 'revoked');
    assert.equal(revoked.has, true);
    const latency = (revoked.at as number) - (published.at as number);
    assert.ok(latency < 1000, `took ${latency} ms`);
    t.diagnostic(`cross-process revocation latency: ${latency} ms`);

    const late = spawnRole('late');
    assert.deepEqual(await next(late.lines), { event: 'loaded', has: true });
  } finally {
    // Also when an assertion failed: a worker left running would keep the test file alive.
    for (const p of children) p.child.kill();
  }
}

describe('revocation across OS processes (Redis pub/sub)', { skip }, () => {
  test('a revocation published by one process is in force in another within 1 s, and loaded by a late one', async (t) => {
    await acrossProcesses(t, ['redis', REDIS_URL, `pc-test-${randomUUID()}:`]);
  });

  test('a cutoff ("sign out everywhere") crosses processes within 1 s: old credentials refused, new ones not', async (t) => {
    await acrossProcesses(t, ['redis', REDIS_URL, `pc-test-${randomUUID()}:`], { PC_TEST_REVOKE: 'cutoff' });
  });
});

describe('revocation across OS processes (the store feed, no Redis)', () => {
  test('SQLite shared by processes on one host (node:cluster workers, the CLI): within 1 s, and loaded late (a jti, then a cutoff)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-revocation-'));
    const config = { driver: 'sqlite', path: join(dir, 'feed.db'), masterKey: { env: 'PC_TEST_MK' } };
    const env = { PC_TEST_MK: MasterKey.generate().encode() };
    // Created (and migrated) once, as `portcullis init` does, before the instances start.
    const store = await openStore(config as StoreConfig, { dataDir: dir, configDir: dir, logger: silent, env });
    await store.close();
    try {
      await acrossProcesses(t, ['store', JSON.stringify(config), dir], env);
      await acrossProcesses(t, ['store', JSON.stringify(config), dir], { ...env, PC_TEST_REVOKE: 'cutoff' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL LISTEN/NOTIFY across hosts sharing the database: within 1 s, and loaded late (a jti, then a cutoff)', async (t) => {
    const reason = await pgSkipReason();
    if (reason) {
      t.skip(reason);
      return;
    }
    const database = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'pc-revocation-pg-'));
    const config = pgConfig(database);
    const env = { PC_TEST_MK: MasterKey.generate().encode() };
    const store = await openStore(config, { dataDir: dir, configDir: dir, logger: silent, env, migrations: 'auto' });
    await store.close();
    try {
      await acrossProcesses(t, ['store', JSON.stringify(config), dir], env);
      await acrossProcesses(t, ['store', JSON.stringify(config), dir], { ...env, PC_TEST_REVOKE: 'cutoff' });
    } finally {
      await dropTestDatabase(database);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Redis bus without Redis', () => {
  test('opening while Redis is unreachable does not fail the start', async () => {
    const errors: unknown[] = [];
    const started = performance.now();
    const bus = await RedisRevocationBus.open('redis://127.0.0.1:1', {
      connectTimeoutMs: 300,
      onError: (e) => errors.push(e),
    });
    const list = new RevocationList();
    await followBus(bus, list, (e) => errors.push(e));
    assert.ok(errors.length > 0, 'the failure is reported');
    assert.ok(performance.now() - started < 5000);
    await bus.close();
  });
});

describe('RevocationList and the memory bus', () => {
  test('entries expire at their until time', () => {
    let now = 1000;
    const list = new RevocationList(() => now);
    list.add({ kind: 'apiKey', id: 'pc_a', until: 2000 });
    assert.equal(list.has('apiKey', 'pc_a'), true);
    assert.equal(list.has('session', 'pc_a'), false);
    now = 2000;
    assert.equal(list.has('apiKey', 'pc_a'), false);
  });

  test('a cutoff refuses credentials issued at or before it and accepts later ones', () => {
    let now = 10_000;
    const list = new RevocationList(() => now);
    list.add({ kind: 'cutoff', id: 'u1', issuedBefore: 5_000, until: 20_000 });
    assert.equal(list.cutsOff('u1', 4_000), true, 'issued before');
    assert.equal(list.cutsOff('u1', 5_000), true, 'issued at the cutoff');
    assert.equal(list.cutsOff('u1', 5_001), false, 'issued after (the new login)');
    assert.equal(list.cutsOff('u1', undefined), true, 'unknown issue time: cannot be shown to be later');
    assert.equal(list.cutsOff('u2', 4_000), false, 'another principal');
    assert.equal(list.has('subject', 'u1'), false, 'a cutoff is not a subject revocation');
    assert.equal(list.has('cutoff', 'u1'), true);
    now = 20_000;
    assert.equal(list.cutsOff('u1', 4_000), false, 'forgotten once past until');
    assert.equal(list.size, 0);
  });

  test('cutoffs for one principal merge to the latest time and the longest life, in any order', () => {
    let now = 0;
    const list = new RevocationList(() => now);
    list.add({ kind: 'cutoff', id: 'u1', issuedBefore: 300, until: 1_000 });
    list.add({ kind: 'cutoff', id: 'u1', issuedBefore: 100, until: 5_000 });
    assert.equal(list.cutsOff('u1', 250), true, 'the later cutoff still holds');
    assert.equal(list.cutsOff('u1', 301), false);
    now = 2_000;
    assert.equal(list.cutsOff('u1', 250), true, 'the longer life still holds');
    list.prune();
    assert.equal(list.size, 1);
    now = 5_000;
    list.prune();
    assert.equal(list.size, 0);
  });

  test('a subject revocation (user disable) refuses everything; a cutoff beside it does not lift it', () => {
    const list = new RevocationList(() => 0);
    list.add({ kind: 'subject', id: 'u1', until: 1_000 });
    list.add({ kind: 'cutoff', id: 'u1', issuedBefore: 10, until: 1_000 });
    assert.equal(list.has('subject', 'u1'), true);
    assert.equal(list.cutsOff('u1', 500), false);
  });

  test('isRevocation: a cutoff needs issuedBefore, other kinds must not carry it', () => {
    assert.equal(isRevocation({ kind: 'cutoff', id: 'u', until: 2, issuedBefore: 1 }), true);
    assert.equal(isRevocation({ kind: 'cutoff', id: 'u', until: 2 }), false);
    assert.equal(isRevocation({ kind: 'cutoff', id: 'u', until: 2, issuedBefore: '1' }), false);
    assert.equal(isRevocation({ kind: 'subject', id: 'u', until: 2, issuedBefore: 1 }), false);
    assert.equal(isRevocation({ kind: 'subject', id: 'u', until: 2 }), true);
  });

  test('the memory bus feeds subscribers and late followers', async () => {
    const bus = new MemoryRevocationBus();
    const first = new RevocationList();
    await followBus(bus, first);
    await bus.publish({ kind: 'session', id: 'h1', until: Date.now() + 10_000 });
    assert.equal(first.has('session', 'h1'), true);
    const late = new RevocationList();
    await followBus(bus, late);
    assert.equal(late.has('session', 'h1'), true);
  });
});
