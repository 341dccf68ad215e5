import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { proxyYaml, startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { REDIS_URL, redisSkipReason, testPrefix } from './context.js';

const EXAMPLE = readFileSync(new URL('../../examples/ratelimit.yaml', import.meta.url), 'utf8');

async function hammer(url: string, count: number, headers: Record<string, string> = {}) {
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < count; i++) {
    last = await fetch(url, { headers });
    statuses.push(last.status);
    if (i < count - 1) await last.arrayBuffer();
  }
  return { statuses, last: last! };
}

describe('examples/ratelimit.yaml over real sockets (memory store)', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    // REDIS_URL unset (empty): store auto falls back to memory.
    gw = await startTestGateway(EXAMPLE, {
      env: { PORT: '0', UPSTREAM: upstream.url, REDIS_URL: '', RATE_LIMIT_STORE: '' },
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('100 requests a minute per client IP, then 429 problem+json with Retry-After and RateLimit fields', async () => {
    const minute = () => Math.floor(Date.now() / 60_000);
    const startMinute = minute();
    const first = await fetch(`${gw.url}/limited`);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('ratelimit-policy'), '"per-ip";q=100;w=60');
    assert.match(first.headers.get('ratelimit') ?? '', /^"per-ip";r=\d+;t=\d+$/);
    await first.arrayBuffer();
    // A spoofed X-Forwarded-For does not move the client into another bucket.
    const { statuses, last } = await hammer(`${gw.url}/limited`, 109, { 'x-forwarded-for': '203.0.113.9' });
    const admitted = statuses.filter((s) => s === 200).length + 1;
    if (minute() === startMinute) {
      assert.equal(admitted, 100);
    } else {
      // The run straddled a minute boundary: the documented bound of the sliding window.
      assert.ok(admitted >= 100 && admitted < 200, `admitted ${admitted}`);
    }
    assert.equal(last.status, 429);
    assert.equal(last.headers.get('content-type'), 'application/problem+json');
    assert.ok(Number(last.headers.get('retry-after')) >= 1);
    assert.match(last.headers.get('ratelimit') ?? '', /^"per-ip";r=0;t=\d+$/);
    const body = (await last.json()) as { code: string; status: number };
    assert.equal(body.code, 'PC_ERR_RATE_LIMITED');
    assert.equal(body.status, 429);
    assert.equal(upstream.seen.length, admitted);
  });
});

const skip = await redisSkipReason();

describe('examples/ratelimit.yaml with REDIS_URL set: two gateways share one limit', { skip }, () => {
  const prefix = testPrefix('gw');
  let upstream: TestUpstream;
  const gateways: TestGateway[] = [];
  before(async () => {
    upstream = await startUpstream();
    // A generous timeout: this checks sharing, not latency, on a machine that may be busy.
    const yaml = EXAMPLE.replace('keyPrefix: "portcullis:example:"', `keyPrefix: "${prefix}"`).replace(
      'timeoutMs: 100',
      'timeoutMs: 2000',
    );
    const env = { PORT: '0', UPSTREAM: upstream.url, RATE_LIMIT_STORE: '', REDIS_URL };
    gateways.push(await startTestGateway(yaml, { env }), await startTestGateway(yaml, { env }));
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    await upstream?.close();
    const { Redis } = await import('ioredis');
    const client = new Redis(REDIS_URL);
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  test('130 requests alternating between two gateways: exactly 100 admitted', async () => {
    const startMinute = Math.floor(Date.now() / 60_000);
    let admitted = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 130; i++) {
      const response = await fetch(`${gateways[i % 2]!.url}/limited`);
      await response.arrayBuffer();
      statuses.push(response.status);
      if (response.status === 200) admitted++;
    }
    assert.deepEqual([...new Set(statuses)].sort(), [200, 429], `statuses ${statuses.join(',')}`);
    if (Math.floor(Date.now() / 60_000) === startMinute) assert.equal(admitted, 100);
    else assert.ok(admitted >= 100 && admitted < 200, `admitted ${admitted} across a minute boundary`);
  });
});

describe('over real sockets: ip-filter and store failure', () => {
  let upstream: TestUpstream;
  const gateways: TestGateway[] = [];
  before(async () => {
    upstream = await startUpstream();
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    await upstream?.close();
  });

  test('a denied network gets 403 PC_ERR_IP_DENIED, even on a route with its own allow list', async () => {
    const gw = await startTestGateway(`${proxyYaml(upstream.url).replace(
      'routes:\n',
      `routes:
  - name: health
    match: { path: /health }
    upstream: app
    public: true
    ipFilter: { allow: ["0.0.0.0/0"] }
`,
    )}ipFilter:
  deny: ["127.0.0.0/8"]
`);
    gateways.push(gw);
    const denied = await fetch(`${gw.url}/anything`);
    assert.equal(denied.status, 403);
    assert.equal(((await denied.json()) as { code: string }).code, 'PC_ERR_IP_DENIED');
    // Deny lists add up: the route's allow list does not lift the global deny.
    assert.equal((await fetch(`${gw.url}/health`)).status, 403);
  });

  test('Redis unreachable with onStoreFailure closed: 503 fast, never a hang', async () => {
    const gw = await startTestGateway(
      `${proxyYaml(upstream.url).replace('    public: true\n', '    public: true\n    rateLimit: { key: ip, limit: 5, per: 1s }\n')}rateLimit:
  store: redis
  redis: { url: "redis://127.0.0.1:1", timeoutMs: 50 }
  onStoreFailure: closed
`,
    );
    gateways.push(gw);
    const started = performance.now();
    const response = await fetch(`${gw.url}/x`);
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { code: string }).code, 'PC_ERR_SERVICE_UNAVAILABLE');
    assert.equal(response.headers.get('retry-after'), '1');
    assert.ok(performance.now() - started < 500);
  });
});
