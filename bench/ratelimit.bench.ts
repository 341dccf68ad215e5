// Decision cost of the rate limiter: memory store vs Redis on loopback.
// Usage: node --import tsx bench/ratelimit.bench.ts [--redis redis://127.0.0.1:6379] [--rate 10000[,2000,...]] [--redis-pid PID]
// Prints p50/p99 per decision in microseconds, sequential (latency), 50 in flight (throughput),
// and open-loop at each --rate in decisions/s (the gateway's rate under the compare benchmark),
// each decision issued from its own macrotask as requests arrive; CPU µs per decision alongside.
//
// A latency tail on loopback is mostly scheduling: a decision needs Redis and then this process
// to get a CPU. So each open-loop line also reports how late this process's own 1 ms timer ran
// during the run (timerLateP99us: the event-loop delay a decision could not avoid) and, on
// Linux, how long this process and redis-server (--redis-pid, or found by name) waited for a
// CPU while runnable (runQueueMsPerS), and the same timer lateness measured idle first
// (hostTimerLateP99us): when that alone is near 1 ms, no decision p99 below 1 ms can be shown.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
const RATES = (rateFlag > 0 ? process.argv[rateFlag + 1]! : '10000').split(',').map(Number);
const pidFlag = process.argv.indexOf('--redis-pid');
const spec = limitSpec('gcra', 1_000_000, 1000);
const KEYS = 10_000;
const requestFor = (i: number): LimitRequest[] => [{ key: `bench:${i % KEYS}`, spec }];

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function report(
  name: string,
  samples: number[],
  wallMs: number,
  cpu?: NodeJS.CpuUsage,
  extra: Record<string, number> = {},
): void {
  const sorted = Float64Array.from(samples).sort();
  const line = {
    name,
    n: samples.length,
    p50us: +percentile(sorted, 0.5).toFixed(2),
    p99us: +percentile(sorted, 0.99).toFixed(2),
    p999us: +percentile(sorted, 0.999).toFixed(2),
    perSec: Math.round(samples.length / (wallMs / 1000)),
    ...(cpu ? { cpuUsPerDecision: +((cpu.user + cpu.system) / samples.length).toFixed(2) } : {}),
    ...Object.fromEntries(Object.entries(extra).filter(([, value]) => Number.isFinite(value))),
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

async function concurrent(
  name: string,
  limiter: RateLimiter,
  n: number,
  lanes: number,
  redisPid: number | undefined,
): Promise<void> {
  const samples: number[] = [];
  let next = 0;
  const redis0 = cpuMs(redisPid);
  const start = performance.now();
  const cpu0 = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpu0);
  report(name, samples, performance.now() - start, cpu, {
    redisCpuUsPerDecision: +(((cpuMs(redisPid) - redis0) * 1000) / n).toFixed(2),
  });
}

/** CPU time of a process in milliseconds (Linux /proc, 10 ms ticks), else NaN. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Milliseconds a process spent runnable but waiting for a CPU (Linux schedstat), else NaN. */
function runQueueMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** The redis-server serving REDIS_URL's port (its command line ends in host:port), if local. */
function redisServerPid(): number | undefined {
  if (pidFlag > 0) return Number(process.argv[pidFlag + 1]);
  const port = new URL(REDIS_URL).port || '6379';
  try {
    const pids = execFileSync('pgrep', ['-f', `^redis-server .*:${port}( |$)`], { encoding: 'utf8' }).trim();
    return pids.includes('\n') ? undefined : Number(pids);
  } catch {
    return undefined;
  }
}

/** p99 of how late a 1 ms timer fires, in µs, with nothing else running in this process. */
async function idleTimerLateness(seconds: number): Promise<number> {
  const late: number[] = [];
  const end = performance.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      late.push((now - last - 1) * 1000);
      last = now;
      if (now < end) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 1);
  });
  return +percentile(Float64Array.from(late).sort(), 0.99).toFixed(0);
}

/**
 * Open loop: every millisecond, the decisions due by then are started, each from its own
 * setImmediate (its own macrotask, as requests arriving on different sockets are), whatever
 * the earlier ones are doing. Latency is from the start of a decision to its answer.
 */
async function openLoop(
  name: string,
  limiter: RateLimiter,
  rate: number,
  seconds: number,
  redisPid: number | undefined,
): Promise<void> {
  const total = Math.round(rate * seconds);
  const samples: number[] = [];
  const late: number[] = [];
  let started = 0;
  const queued0 = [runQueueMs(process.pid), runQueueMs(redisPid)];
  const redis0 = cpuMs(redisPid);
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
    let last = start;
    const tick = () => {
      const now = performance.now();
      if (started > 0) late.push((now - last - 1) * 1000);
      last = now;
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rate));
      while (started < due) setImmediate(decideOne, started++);
      if (started < total) setTimeout(tick, 1);
    };
    tick();
  });
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const perSecond = (ms: number) => +(ms / (wallMs / 1000)).toFixed(1);
  report(name, samples, wallMs, cpu, {
    redisCpuUsPerDecision: +(((cpuMs(redisPid) - redis0) * 1000) / total).toFixed(2),
    timerLateP99us: +percentile(Float64Array.from(late).sort(), 0.99).toFixed(0),
    benchRunQueueMsPerS: perSecond(runQueueMs(process.pid) - queued0[0]!),
    redisRunQueueMsPerS: perSecond(runQueueMs(redisPid) - queued0[1]!),
  });
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
  const redisPid = redisServerPid();
  console.log(
    JSON.stringify({ name: 'host: 1 ms timer lateness, idle', hostTimerLateP99us: await idleTimerLateness(3) }),
  );
  await sequential('redis store decide (1 limit), sequential', redis, 10_000);
  await concurrent('redis store decide (1 limit), 50 in flight', redis, 50_000, 50, redisPid);
  for (const rate of RATES) {
    await openLoop(`redis store decide (1 limit), open loop at ${rate}/s`, redis, rate, 5, redisPid);
  }
  const keys = await client.keys(`${prefix}*`);
  for (let i = 0; i < keys.length; i += 1000) await client.del(...keys.slice(i, i + 1000));
}
client.disconnect();
