/**
 * Micro-benchmarks of the core's per-request helpers. Run: npx tsx bench/core.bench.ts
 * Prints ns/op (median of 5 rounds). Compare runs on one machine, not across machines.
 */
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../src/observability/metrics.js';
import type { RequestContext } from '../src/pipeline/context.js';
import { compilePipeline, runRequestHead } from '../src/pipeline/runner.js';
import { CONTINUE } from '../src/pipeline/stage.js';
import { normalizeTarget } from '../src/routing/normalize.js';
import { Router } from '../src/routing/router.js';
import { forwardHeaders } from '../src/server/handler.js';
import type { CompiledRoute } from '../src/server/runtime.js';

function bench(name: string, ops: number, fn: () => void): void {
  for (let i = 0; i < ops / 10; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - t) / ops);
  }
  rounds.sort((a, b) => a - b);
  console.log(`${name.padEnd(44)} ${rounds[2]!.toFixed(1).padStart(8)} ns/op`);
}

let sink: unknown;
bench('normalizeTarget (already normal)', 1_000_000, () => {
  sink = normalizeTarget('/api/items?id=42');
});
bench('normalizeTarget (dot segments, escapes)', 500_000, () => {
  sink = normalizeTarget('/api/%2e%2e/items//x/%41?id=42');
});
const router = new Router<string>();
for (let i = 0; i < 50; i++)
  router.add(`/svc${i}/items/:id`, { value: `r${i}`, methods: new Set(['GET']), hosts: undefined });
router.add('/*', { value: 'fallback', methods: undefined, hosts: undefined });
bench('router.match (51 routes, param)', 1_000_000, () => {
  sink = router.match('GET', 'api.example.com', '/svc42/items/7');
});
bench('router.match (wildcard)', 1_000_000, () => {
  sink = router.match('GET', 'api.example.com', '/api/items');
});
const metrics = new GatewayMetrics(new Registry());
bench('metrics.request (cached series)', 1_000_000, () => {
  metrics.request('all', 200, 'allowed', 0.0012);
});
bench('metrics.upstream (cached series)', 1_000_000, () => {
  metrics.upstream('app', 0.0008);
});
const empty = compilePipeline([{ name: 'headers', responseHead: () => CONTINUE }]);
const three = compilePipeline([
  { name: 'ip-filter', requestHead: () => CONTINUE },
  { name: 'authenticate', requestHead: () => CONTINUE },
  { name: 'rate-limit', requestHead: () => CONTINUE },
]);
const ctx = {} as RequestContext;
bench('runRequestHead (no request stages)', 2_000_000, () => {
  sink = runRequestHead(empty, ctx);
});
bench('runRequestHead (3 sync stages)', 2_000_000, () => {
  sink = runRequestHead(three, ctx);
});
// The harness's GET workload headers, as node:http hands them over.
const incoming = {
  host: 'api.example.com',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  accept: 'application/json',
  'accept-language': 'en-US,en;q=0.9',
  'accept-encoding': 'gzip, deflate, br',
  authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.abc',
  'x-request-id': '3f2c1c9e-8a7b-4d1e-9f55-2b6a0c4d7e81',
};
const route = { upstream: { preserveHost: false } } as unknown as CompiledRoute;
const facts = {
  clientIp: '127.0.0.1',
  peerAddress: '127.0.0.1',
  peerTrusted: true,
  proto: 'http',
  host: 'api.example.com',
  idHeader: 'x-request-id',
  id: '3f2c1c9e-8a7b-4d1e-9f55-2b6a0c4d7e81',
};
bench('forwardHeaders (7 request headers)', 1_000_000, () => {
  sink = forwardHeaders(incoming, route, facts);
});
void sink;
