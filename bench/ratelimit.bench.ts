// Decision cost of the rate limiter: memory store vs Redis on loopback.
// Usage: node --import tsx bench/ratelimit.bench.ts [--redis redis://127.0.0.1:6379] [--rate 10000]
// Prints p50/p99 per decision in microseconds, sequential (latency), 50 in flight (throughput),
// and open-loop at --rate decisions/s (the gateway's rate under the compare benchmark), each
// decision issued from its own macrotask as requests arrive; CPU µs per decision alongside.

import { RateLimiter } from '../src/ratelimit/limiter.js';
import { MemoryStore } from '../src/ratelimit/memory-store.js';
import { openRedis } from '../src/ratelimit/redis-client.js';
import { RedisStore } from '../src/ratelimit/redis-store.js';
import { limitSpec } from '../src/ratelimit/spec.js';
import type { LimitRequest } from '../src/ratelimit/store.js';
import { rateLimitStage } from '../src/stages/rate-limit/index.js';
import { makeContext, makeServices } from '../test/ratelimit/context.js';

const redisFlag = process.argv.indexOf('--redis');
const REDIS_URL = redisFlag > 0 ? process.argv[redisFlag + 1]! : 'redis://127.0.0.1:6379';
const rateFlag = process.argv.indexOf('--rate');
const RATE = rateFlag > 0 ? Number(process.argv[rateFlag + 1]) : 10_000;
const spec = limitSpec('gcra', 1_000_000, 1000);
const KEYS = 10_000;
const requestFor = (i: number): LimitRequest[] => [{ key: `bench:${i % KEYS}`, spec }];

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function report(name: string, samples: number[], wallMs: number, cpu?: NodeJS.CpuUsage): void {
  const sorted = Float64Array.from(samples).sort();
  const line = {
    name,
    n: samples.length,
    p50us: +percentile(sorted, 0.5).toFixed(2),
    p99us: +percentile(sorted, 0.99).toFixed(2),
    p999us: +percentile(sorted, 0.999).toFixed(2),
    perSec: Math.round(samples.length / (wallMs / 1000)),
    ...(cpu ? { cpuUsPerDecision: +((cpu.user + cpu.system) / samples.length).toFixed(2) } : {}),
  };
  console.log(JSON.stringify(line));
}

async function sequential(name: string, limiter: RateLimiter, n: number): Promise<void> {
  for (let i = 0; i < Math.min(n, 2000); i++) await limiter.decide(requestFor(i));
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const answer = limiter.decide(requestFor(i));
    if (answer instanceof Promise) await answer;
    samples.push((performance.now() - t0) * 1000);
  }
  report(name, samples, performance.now() - start);
}

async function concurrent(name: string, limiter: RateLimiter, n: number, lanes: number): Promise<void> {
  const samples: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await limiter.decide(requestFor(i));
        samples.push((performance.now() - t0) * 1000);
      }
    }),
  );
  report(name, samples, performance.now() - start);
}

/**
 * Open loop: every millisecond, the decisions due by then are started, each from its own
 * setImmediate (its own macrotask, as requests arriving on different sockets are), whatever
 * the earlier ones are doing. Latency is from the scheduled start to the answer.
 */
async function openLoop(name: string, limiter: RateLimiter, rate: number, seconds: number): Promise<void> {
  const total = Math.round(rate * seconds);
  const samples: number[] = [];
  let started = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const decideOne = (i: number) => {
      const t0 = performance.now();
      Promise.resolve(limiter.decide(requestFor(i))).then(() => {
        samples.push((performance.now() - t0) * 1000);
        if (samples.length === total) resolve();
      });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (started < due) setImmediate(decideOne, started++);
      if (started < total) setTimeout(tick, 1);
    };
    tick();
  });
  report(name, samples, performance.now() - start, process.cpuUsage(cpu0));
}

const memory = new RateLimiter({
  store: new MemoryStore({ maxKeys: 100_000 }),
  onStoreFailure: 'closed',
  fallbackMaxKeys: 1,
});
await sequential('memory store decide (1 limit)', memory, 200_000);

// Whole stage hook: key extraction (IPv4 client), decision, verdict.
const services = makeServices({ rateLimit: {} });
const shared = await rateLimitStage.setup!(undefined, services);
const stage = rateLimitStage.create(
  { name: 'bench', public: true, settings: { key: 'ip', limit: 1_000_000, per: '1s' }, route: {}, path: ['routes', 0] },
  shared,
  services,
)!;
const contexts = Array.from({ length: 1000 }, (_, i) => makeContext({ clientIp: `10.0.${i >> 8}.${i & 255}` }));
{
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < 200_000; i++) {
    const t0 = performance.now();
    stage.requestHead!(contexts[i % contexts.length]!);
    samples.push((performance.now() - t0) * 1000);
  }
  report('rate-limit stage requestHead, memory (ip key)', samples, performance.now() - start);
}
await shared.release();

const prefix = `pcbench:${process.pid}:`;
const client = await openRedis({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 1000 });
if (client.status !== 'ready') {
  console.log(JSON.stringify({ name: 'redis', skipped: `not reachable at ${REDIS_URL}` }));
} else {
  const redis = new RateLimiter({
    store: new RedisStore(client, prefix),
    onStoreFailure: 'closed',
    fallbackMaxKeys: 1,
  });
  await sequential('redis store decide (1 limit), sequential', redis, 10_000);
  await concurrent('redis store decide (1 limit), 50 in flight', redis, 50_000, 50);
  await openLoop(`redis store decide (1 limit), open loop at ${RATE}/s`, redis, RATE, 5);
  const keys = await client.keys(`${prefix}*`);
  for (let i = 0; i < keys.length; i += 1000) await client.del(...keys.slice(i, i + 1000));
}
client.disconnect();
