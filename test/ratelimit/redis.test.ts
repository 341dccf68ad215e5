import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { RedisBanManager } from '../../src/ratelimit/bans.js';
import { DEFAULT_AGGREGATION } from '../../src/ratelimit/ip.js';
import { DEFAULT_LOGIN_POLICY, LoginThrottle } from '../../src/ratelimit/login-throttle.js';
import { openRedis } from '../../src/ratelimit/redis-client.js';
import { RedisStore } from '../../src/ratelimit/redis-store.js';
import { limitSpec } from '../../src/ratelimit/spec.js';
import { StoreUnavailableError } from '../../src/ratelimit/store.js';
import { REDIS_URL, redisSkipReason, testPrefix } from './context.js';

/** Starts one worker process; resolves once it is connected and waiting for the go signal. */
async function worker(
  args: string[],
): Promise<{ go: () => void; result: Promise<{ admitted: number; errors: number }> }> {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk));
  const exited = once(child, 'exit');
  while (!out.startsWith('ready\n')) {
    if (child.exitCode !== null) throw new Error(`worker exited early: ${out}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    go: () => child.stdin.end('go\n'),
    result: exited.then(() => JSON.parse(out.slice('ready\n'.length)) as { admitted: number; errors: number }),
  };
}
const skip = await redisSkipReason();

describe('Redis store (shared Redis)', { skip }, () => {
  const prefix = testPrefix('redis');
  let client: Redis;

  before(async () => {
    client = await openRedis({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 500 });
  });

  after(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  test('GCRA and sliding window admit exactly the limit in a fresh window', async () => {
    const store = new RedisStore(client, prefix);
    for (const algorithm of ['gcra', 'sliding-window'] as const) {
      const spec = limitSpec(algorithm, 5, 3_600_000);
      const outcomes = [];
      for (let i = 0; i < 8; i++) outcomes.push(...(await store.decide([{ key: `fresh-${algorithm}`, spec }])));
      assert.deepEqual(
        outcomes.map((o) => o.allowed),
        [true, true, true, true, true, false, false, false],
        algorithm,
      );
      assert.deepEqual(
        outcomes.slice(0, 5).map((o) => o.remaining),
        [4, 3, 2, 1, 0],
      );
      assert.ok(outcomes[5]!.retryAfterUs > 0);
    }
  });

  test('the Lua twins refill and report retry times like the pure functions', async () => {
    const store = new RedisStore(client, prefix);
    const gcra = limitSpec('gcra', 2, 400);
    const take = async (key: string, spec: typeof gcra) => (await store.decide([{ key, spec }]))[0]!;
    assert.equal((await take('refill', gcra)).allowed, true);
    assert.equal((await take('refill', gcra)).allowed, true);
    const refused = await take('refill', gcra);
    assert.equal(refused.allowed, false);
    // Emission interval 200 ms: the retry time is at most that, and honest.
    assert.ok(refused.retryAfterUs > 0 && refused.retryAfterUs <= 200_000, `${refused.retryAfterUs}`);
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(refused.retryAfterUs / 1000) + 5));
    assert.equal((await take('refill', gcra)).allowed, true);

    const sliding = limitSpec('sliding-window', 3, 300);
    let outcome = await take('window', sliding);
    while (outcome.allowed) outcome = await take('window', sliding);
    // Refused within the window: the retry time never points past the end of the next window.
    assert.ok(outcome.retryAfterUs > 0 && outcome.retryAfterUs <= 600_000, `${outcome.retryAfterUs}`);
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(outcome.retryAfterUs / 1000) + 5));
    assert.equal((await take('window', sliding)).allowed, true);
  });

  test('decisions of one turn share one script call; each caller gets its own outcomes in order', async () => {
    const store = new RedisStore(client, `${prefix}batch:`);
    const gcra = limitSpec('gcra', 3, 3_600_000);
    const sliding = limitSpec('sliding-window', 2, 3_600_000);
    // Started in one turn: one batch of 1 + 2 + 1 buckets, two algorithms, one key twice.
    const [a, b, c] = await Promise.all([
      store.decide([{ key: 'g', spec: gcra }]),
      store.decide([
        { key: 'w', spec: sliding },
        { key: 'g', spec: gcra },
      ]),
      store.decide([{ key: 'w', spec: sliding }]),
    ]);
    assert.deepEqual(
      [a, b, c].map((outcomes) => outcomes.map((o) => [o.allowed, o.remaining])),
      [
        [[true, 2]],
        [
          [true, 1],
          [true, 1],
        ],
        [[true, 0]],
      ],
    );
    const [refusedGcra, refusedWindow] = await store.decide([
      { key: 'g', spec: gcra },
      { key: 'w', spec: sliding },
    ]);
    assert.equal(refusedGcra!.allowed, true);
    assert.equal(refusedWindow!.allowed, false);
    assert.ok(refusedWindow!.retryAfterUs > 0);
  });

  test('more decisions in one turn than one call takes: split, and the limit still holds exactly', async () => {
    const store = new RedisStore(client, `${prefix}split:`);
    const spec = limitSpec('gcra', 200, 3_600_000);
    const outcomes = (await Promise.all(Array.from({ length: 300 }, () => store.decide([{ key: 'k', spec }])))).map(
      ([outcome]) => outcome!,
    );
    const admitted = outcomes.filter((o) => o.allowed);
    assert.equal(admitted.length, 200);
    // Every admission saw its own counter value: 199 down to 0, each once, in order.
    assert.deepEqual(
      admitted.map((o) => o.remaining),
      Array.from({ length: 200 }, (_, i) => 199 - i),
    );
  });

  test('a batch the store cannot send fails every caller in it with StoreUnavailableError', async () => {
    const down = await openRedis({ url: 'redis://127.0.0.1:1', keyPrefix: prefix, timeoutMs: 100 });
    try {
      const store = new RedisStore(down, prefix);
      const spec = limitSpec('gcra', 5, 1000);
      const results = await Promise.allSettled([
        store.decide([{ key: 'a', spec }]),
        store.decide([
          { key: 'b', spec },
          { key: 'c', spec },
        ]),
      ]);
      for (const result of results) {
        assert.equal(result.status, 'rejected');
        assert.ok((result as PromiseRejectedResult).reason instanceof StoreUnavailableError);
      }
    } finally {
      down.disconnect();
    }
  });

  test('keys carry a hash tag around the bucket identity and expire', async () => {
    const own = `${prefix}tags:`;
    const store = new RedisStore(client, own);
    await store.decide([{ key: 'r:route#0:203.0.113.5', spec: limitSpec('gcra', 10, 60_000) }]);
    await store.decide([{ key: 'n:x:{brace}', spec: limitSpec('sliding-window', 10, 60_000) }]);
    const keys = await client.keys(`${own}*`);
    assert.equal(keys.length, 2, keys.join());
    assert.ok(keys.includes(`${own}rl:g:{r:route#0:203.0.113.5}`), keys.join());
    const hashed = keys.find((k) => k.startsWith(`${own}rl:w:`))!;
    // A value with braces is hashed so the tag stays well formed.
    assert.match(hashed, /^[^{}]*\{[A-Za-z0-9_-]{32}\}$/);
    for (const key of keys) {
      const ttl = await client.pttl(key);
      // GCRA: one emission interval (6 s); sliding window: to the end of the next window (<= 120 s).
      assert.ok(ttl > 0 && ttl <= (key.includes(':rl:g:') ? 6000 : 120_000), `${key} ttl ${ttl}`);
    }
  });

  test('two OS processes, 20 000 attempts on a key limited to 1000: exactly 1000 admitted', async (t) => {
    for (const [algorithm, per] of [
      ['gcra', '1d'],
      ['sliding-window', '1d'],
    ] as const) {
      const workerPrefix = `${prefix}acc-${algorithm}:`;
      const args = [
        '--import',
        'tsx',
        'test/ratelimit/accuracy-worker.ts',
        REDIS_URL,
        workerPrefix,
        algorithm,
        '1000',
        per,
        '10000',
      ];
      const [ra, rb] = await Promise.all([worker(args), worker(args)]).then(async (started) => {
        for (const w of started) w.go();
        return Promise.all(started.map((w) => w.result));
      });
      assert.equal(ra.errors + rb.errors, 0);
      assert.equal(ra.admitted + rb.admitted, 1000, `${algorithm}: ${ra.admitted} + ${rb.admitted}`);
      t.diagnostic(`${algorithm}: ${ra.admitted} + ${rb.admitted} admitted of 20000`);
      assert.ok(ra.admitted > 0 && rb.admitted > 0, `both processes took part: ${ra.admitted} + ${rb.admitted}`);
    }
  });

  test('bans made by one instance reach another within the sync interval; strikes are shared', async () => {
    const policy = {
      enabled: true,
      durationMs: 60_000,
      strikes: { waf: { strikes: 4, windowMs: 60_000 }, auth: { strikes: 3, windowMs: 60_000 } },
      aggregation: DEFAULT_AGGREGATION,
      maxEntries: 1000,
    };
    const one = new RedisBanManager(client, policy, { keyPrefix: prefix, syncIntervalMs: 100 });
    const two = new RedisBanManager(client, policy, { keyPrefix: prefix, syncIntervalMs: 100 });
    try {
      await one.ban('198.51.100.200', 60_000, 'manual');
      assert.ok(one.isBanned('198.51.100.200'));
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.ok(two.isBanned('198.51.100.200'));
      assert.equal(await two.lift('198.51.100.200'), true);
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(one.isBanned('198.51.100.200'), undefined);

      assert.equal(await one.recordStrike('auth', '192.0.2.77'), false);
      assert.equal(await two.recordStrike('auth', '192.0.2.77'), false);
      assert.equal(await one.recordStrike('auth', '192.0.2.77'), true);
      assert.deepEqual(
        (await two.list()).map((b) => b.ip),
        ['192.0.2.77'],
      );
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('login throttle counters are shared through Redis', async () => {
    const policy = { ...DEFAULT_LOGIN_POLICY, accountFreeAttempts: 1 };
    const a = new LoginThrottle(policy, { redis: { client, keyPrefix: prefix } });
    const b = new LoginThrottle(policy, { redis: { client, keyPrefix: prefix } });
    await a.recordFailure('carol', '192.0.2.1');
    await b.recordFailure('Carol', '192.0.2.2');
    const check = await a.check('carol', '192.0.2.3');
    assert.equal(check.allowed, false);
    assert.ok(check.retryAfterMs > 0 && check.retryAfterMs <= 1000);
    await b.recordSuccess('carol', '192.0.2.2');
    assert.equal((await a.check('carol', '192.0.2.3')).allowed, true);
  });
});
