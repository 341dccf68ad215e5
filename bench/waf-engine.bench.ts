/**
 * WAF engine cost without sockets: CRS v4 at paranoia level 1, blocking, as examples/waf-crs.yaml.
 *
 *   npx tsx bench/waf-engine.bench.ts [crs-dir]
 *   npx tsx bench/waf-engine.bench.ts --count [crs-dir]
 *
 * Prints the CRS compile time and heap it costs, then µs per request for a GET with 10
 * arguments, 1 KB and 64 KB JSON POSTs, the gateway harness's own GET, POST and attack requests
 * (../shared/bench/workloads.mjs, when present), and two series (arguments, body size) to show
 * the cost grows linearly. Each figure is the median of 5 timed rounds after a warm-up as long as the timing.
 *
 * With --count, prints instead the work one request of each kind costs (src/waf/counters.ts):
 * rules evaluated, operator runs by operator, transformation runs, and how regex tests were
 * decided. The counts are deterministic, so they compare builds on a noisy machine.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Waf } from '../src/waf/index.js';

const counting = process.argv.includes('--count');
// The engine reads this once, when it is first imported.
if (counting) process.env.PORTCULLIS_WAF_COUNT = '1';
const { prelude } = await import('../src/stages/waf/index.js');
const { createWaf } = await import('../src/waf/index.js');
const { counters, resetCounters } = await import('../src/waf/counters.js');

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const crs = resolve(positional[0] ?? join(import.meta.dirname, '..', '..', 'shared', 'crs'));
const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

const before = heap();
const t0 = performance.now();
const waf = createWaf({
  text: `${prelude({})}\nInclude "${join(crs, 'crs-setup.conf.example')}"\nInclude "${join(crs, 'rules', '*.conf')}"\n`,
  textName: 'bench',
});
const loadMs = performance.now() - t0;
const loadMb = (heap() - before) / 1048576;
console.log(
  `CRS compile: ${loadMs.toFixed(0)} ms, ${waf.rules.ruleCount} rules, heap +${loadMb.toFixed(1)} MB${gc ? '' : ' (run with --expose-gc for an exact figure)'}`,
);

interface Req {
  method: string;
  uri: string;
  headers: [string, string][];
  body?: string;
}

const BASE_HEADERS: [string, string][] = [
  ['Host', 'bench.example'],
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
  ['Accept-Language', 'en-US,en;q=0.9'],
  ['Accept-Encoding', 'gzip, deflate, br'],
];

function one(w: Waf, r: Req): number {
  const tx = w.newTransaction({ clientIp: '127.0.0.1', clientPort: 5000 });
  tx.processUri(r.method, r.uri, 'HTTP/1.1');
  for (const [k, v] of r.headers) tx.addRequestHeader(k, v);
  tx.processRequestHeaders();
  if (r.body) tx.appendRequestBody(r.body);
  tx.processRequestBody();
  tx.addResponseHeader('Content-Type', 'application/json');
  tx.processResponseHeaders(200);
  tx.processResponseBody();
  tx.processLogging();
  return tx.scores.inbound;
}

/**
 * CPU time (process.cpuUsage, user + system) per request, median of 5 rounds: on a shared
 * machine wall time mostly measures the neighbours.
 */
function measure(r: Req | ((i: number) => Req), minMs = 300): number {
  const next = typeof r === 'function' ? r : () => r;
  let seq = 0;
  // Warm-up by time, not count: the first requests of a kind compile code and build the lazy
  // DFA states of the patterns they reach, which a short warm-up left in the first rows.
  for (const start = performance.now(); performance.now() - start < minMs; ) one(waf, next(seq++));
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    while (performance.now() - start < minMs / 5) {
      one(waf, next(seq++));
      n++;
    }
    const used = process.cpuUsage(cpu);
    rounds.push((used.user + used.system) / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2]!;
}

const args = (n: number) =>
  Array.from({ length: n }, (_v, i) => `field${i}=${encodeURIComponent(`value number ${i} for a form`)}`).join('&');
const get = (n: number): Req => ({ method: 'GET', uri: `/shop/items?${args(n)}`, headers: BASE_HEADERS });

function jsonBody(bytes: number): string {
  const items: unknown[] = [];
  let s = '';
  for (let i = 0; s.length < bytes; i++) {
    // ~360 bytes and 4 arguments per item keep a 64 KB body under SecArgumentsLimit (1000).
    items.push({
      id: i,
      name: `Product ${i}`,
      description: `A plain description of product ${i}, long enough to look like real catalogue text for a shop page. It comes in three colours and two sizes, and the fabric is machine washable at thirty degrees.`,
      note: 'Ships within two working days from the central warehouse, gift wrapping available.',
    });
    s = JSON.stringify({ order: 42, items });
  }
  return s;
}
const post = (bytes: number): Req => {
  const body = jsonBody(bytes);
  return {
    method: 'POST',
    uri: '/api/orders',
    headers: [...BASE_HEADERS, ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]],
    body,
  };
};

const attack: Req = {
  method: 'GET',
  uri: "/search?q=1'%20OR%20'1'%3D'1'--&x=<script>alert(1)</script>",
  headers: BASE_HEADERS,
};

interface Workload {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
}
/** The requests the gateway benchmark harness sends (a JWT bearer token, a 1 KB order document). */
const harnessFile = join(crs, '..', 'bench', 'workloads.mjs');
const harness: [string, Req][] = existsSync(harnessFile)
  ? Object.entries((await import(harnessFile)).WORKLOADS as Record<string, Workload>).map(([name, w]) => [
      `harness ${name}`,
      {
        method: w.method,
        uri: w.path,
        headers: Object.entries(w.headers),
        ...(w.body === null ? {} : { body: w.body }),
      },
    ])
  : [];

if (counting) {
  const scenarios: [string, Req][] = [
    ['GET, 10 args', get(10)],
    ['POST JSON 1 KB', post(1024)],
    ['POST JSON 64 KB', post(65536)],
    ['attack GET (SQLi + XSS)', attack],
    ...harness,
  ];
  for (const [name, r] of scenarios) {
    // Warm: the transformation cache is per transaction, the regex state per process.
    for (let i = 0; i < 5; i++) one(waf, r);
    resetCounters();
    one(waf, r);
    const { tests, ...rest } = counters;
    const total = Object.values(tests).reduce((a, b) => a + b, 0);
    const byOperator = Object.entries(tests)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${n}`)
      .join(', ');
    console.log(`${name}\n  operator runs ${total}: ${byOperator}`);
    console.log(
      `  ${Object.entries(rest)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  process.exit(0);
}

const rows: [string, number][] = [
  ['GET, 10 args', measure(get(10))],
  ['POST JSON 1 KB', measure(post(1024))],
  ['POST JSON 64 KB', measure(post(65536), 1500)],
  ['attack GET (SQLi + XSS)', measure(attack)],
  ...harness.map(([name, r]): [string, number] => [name, measure(r)]),
  // Header forms are shared across transactions (docs/waf.md, "Work kept across requests"): the
  // same request again finds its header texts analysed. With every header value new per request
  // (a counter appended), nothing is shared: the cost of traffic whose headers never repeat.
  ...harness.map(([name, r]): [string, number] => [
    `${name} (new headers)`,
    measure((i) => ({ ...r, headers: r.headers.map(([k, v]): [string, string] => [k, `${v} ${i}`]) })),
  ]),
];
for (const [name, us] of rows) console.log(`${name.padEnd(28)} ${us.toFixed(0).padStart(8)} µs CPU/request`);
console.log(`attack inbound score: ${one(waf, attack)} (blocked at 5)`);

console.log('\nlinearity (µs CPU/request):');
for (const n of [10, 20, 40, 80])
  console.log(`  GET ${String(n).padStart(3)} args      ${measure(get(n)).toFixed(0).padStart(8)}`);
for (const kb of [8, 16, 32, 64])
  console.log(
    `  POST JSON ${String(kb).padStart(2)} KB   ${measure(post(kb * 1024), 1000)
      .toFixed(0)
      .padStart(8)}`,
  );
