import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { type LimiterAnswer, RateLimiter } from '../../src/ratelimit/limiter.js';
import { openRedis } from '../../src/ratelimit/redis-client.js';
import { RedisStore } from '../../src/ratelimit/redis-store.js';
import { limitSpec } from '../../src/ratelimit/spec.js';

// A private redis-server on a free port, so it can be killed and restarted without touching
// the shared one. Skips when the binary is missing (fails under CI=true).
const BINARY = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
  const deadline = Date.now() + 5000;
  while (!out.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`redis-server did not start: ${out.slice(-200)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

async function binarySkipReason(): Promise<string | false> {
  const child = spawn(BINARY, ['--version'], { stdio: 'ignore' });
  const [code] = (await Promise.race([once(child, 'exit'), once(child, 'error').then(() => [-1])])) as [number];
  if (code === 0) return false;
  if (process.env['CI'] === 'true') throw new Error(`${BINARY} not found; CI=true requires it`);
  return `${BINARY} not found`;
}

const skip = await binarySkipReason();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis outage mid-run', { skip }, () => {
  const children: ChildProcess[] = [];
  const clients: Redis[] = [];
  after(() => {
    for (const client of clients) client.disconnect();
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  test('fail-open limits locally, fail-closed answers unavailable; no request blocks; recovery < 2 s', async (t) => {
    const port = await freePort();
    children.push(await startRedis(port));
    const settings = { url: `redis://127.0.0.1:${port}`, keyPrefix: 'pctest:outage:', timeoutMs: 100 };
    const logger = pino({ level: 'silent' });
    const openClient = await openRedis(settings, logger);
    const closedClient = await openRedis(settings, logger);
    clients.push(openClient, closedClient);
    const open = new RateLimiter({
      store: new RedisStore(openClient, settings.keyPrefix),
      onStoreFailure: 'open',
      fallbackMaxKeys: 1000,
      logger,
    });
    let unavailable = 0;
    const closed = new RateLimiter({
      store: new RedisStore(closedClient, settings.keyPrefix),
      onStoreFailure: 'closed',
      fallbackMaxKeys: 1000,
      onStoreUnavailable: () => unavailable++,
    });
    const spec = limitSpec('gcra', 5, 3_600_000);
    let slowest = 0;
    const decide = async (limiter: RateLimiter, key: string): Promise<LimiterAnswer> => {
      const started = performance.now();
      const answer = await limiter.decide([{ key, spec }]);
      slowest = Math.max(slowest, performance.now() - started);
      return answer;
    };

    const healthy = await decide(open, 'k');
    assert.equal(healthy.kind === 'decided' && healthy.degraded, false);
    assert.equal((await decide(closed, 'k')).kind, 'decided');

    // Kill Redis while decisions are in flight. The bound on each decision is the 100 ms timeout
    // plus scheduling slack on a busy machine; without the client options it would be seconds.
    const inFlight = Array.from({ length: 20 }, (_, i) => decide(i % 2 ? open : closed, `burst${i}`));
    children[0]!.kill('SIGKILL');
    await Promise.all(inFlight);
    await sleep(50);

    const degraded = [];
    for (let i = 0; i < 7; i++) degraded.push(await decide(open, 'local'));
    assert.ok(degraded.every((a) => a.kind === 'decided' && a.degraded));
    // The local fallback still limits: 5 admitted, then refused.
    assert.deepEqual(
      degraded.map((a) => a.kind === 'decided' && a.outcomes[0]!.allowed),
      [true, true, true, true, true, false, false],
    );
    const before = unavailable;
    assert.equal((await decide(closed, 'k')).kind, 'unavailable');
    assert.equal(unavailable, before + 1);
    assert.ok(slowest < 500, `slowest decision ${slowest.toFixed(1)} ms with timeoutMs 100`);

    // Restart on the same port; both clients must reconnect on their own.
    children.push(await startRedis(port));
    const restartedAt = performance.now();
    let recoveredAfter = Number.POSITIVE_INFINITY;
    while (performance.now() - restartedAt < 3000) {
      const a = await decide(open, 'after');
      const b = await decide(closed, 'after');
      if (a.kind === 'decided' && !a.degraded && b.kind === 'decided') {
        recoveredAfter = performance.now() - restartedAt;
        break;
      }
      await sleep(20);
    }
    assert.ok(recoveredAfter < 2000, `recovered after ${recoveredAfter.toFixed(0)} ms`);
    t.diagnostic(`recovered ${recoveredAfter.toFixed(0)} ms after restart; slowest decision ${slowest.toFixed(1)} ms`);
    assert.ok(slowest < 500, `slowest decision ${slowest.toFixed(1)} ms with timeoutMs 100`);
  });
});
