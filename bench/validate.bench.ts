/**
 * Validation cost, micro and macro.
 *
 *   npx tsx bench/validate.bench.ts [seconds-per-round]
 *
 * Micro: the strict JSON parser against JSON.parse, and the whole validate stage, on a 1 KB
 * pet-store body. Macro: one gateway with a proxy-only route and a validated route to the same
 * upstream; a worker thread drives POSTs of the same 1 KB body at each, in alternating rounds,
 * and the ratio of validated to proxy-only throughput is printed (target >= 0.85, issue 7).
 */
import { isUtf8 } from 'node:buffer';
import { Worker } from 'node:worker_threads';

const BODY = JSON.stringify({
  name: "Rex O'Malley",
  species: 'dog',
  birthDate: '2019-04-01',
  weightKg: 31.5,
  vaccinated: true,
  description: `Loves long walks; hates the vacuum cleaner. ${'Friendly with children and other dogs. '.repeat(18)}`,
  tags: [{ id: 3, name: 'friendly' }, { name: 'outdoor' }],
  owner: { name: 'Zoë Smith', email: 'zoe@example.com', phone: '+441234567890' },
  status: 'available',
});

interface Job {
  readonly url: string;
  readonly path: string;
  readonly seconds: number;
  readonly body: string;
}

// The load generator runs in a worker (its own event loop, the second core) as plain
// JavaScript, so it needs no TypeScript loader.
const DRIVER = `
const { parentPort, workerData: job } = require('node:worker_threads');
const { Pool } = require('undici');
(async () => {
  const pool = new Pool(job.url, { connections: 32 });
  const end = performance.now() + job.seconds * 1000;
  let done = 0, failed = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const res = await pool.request({ method: 'POST', path: job.path, headers: { 'content-type': 'application/json' }, body: job.body });
      await res.body.dump();
      if (res.statusCode === 200) done++; else failed++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, loop));
  await pool.close();
  parentPort.postMessage(failed > 0 ? { error: failed + ' requests to ' + job.path + ' did not answer 200' } : done / job.seconds);
})().catch((e) => parentPort.postMessage({ error: String(e) }));
`;

await main();

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 4);
  const { parseStrictJson, parseStrictJsonReference } = await import('../src/openapi/json.js');
  const { loadPetstore } = await import('../test/openapi/petstore.js');
  const { makeContext } = await import('../test/openapi/context.js');

  // 64 distinct bodies (one character differs), so no string or parse result is reused as it
  // would be with one literal; CPU time, not wall time, per operation.
  const variants = Array.from({ length: 64 }, (_, i) => Buffer.from(BODY.replace('Rex', `R${i % 10}${i >> 3}`)));
  const micro = (label: string, fn: (bytes: Buffer) => void, iterations = 50_000) => {
    for (let i = 0; i < 2_000; i++) fn(variants[i & 63]!);
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) fn(variants[i & 63]!);
    const used = process.cpuUsage(start);
    const us = (used.user + used.system) / iterations;
    console.log(`${label.padEnd(48)} ${us.toFixed(2).padStart(8)} µs CPU/op`);
  };
  console.log(`body: ${Buffer.byteLength(BODY)} bytes`);
  micro('isUtf8 + toString (decode)', (b) => isUtf8(b) && b.toString('utf8'));
  micro('JSON.parse (no strict checks)', (b) => JSON.parse(b.toString('utf8')));
  micro('parseStrictJson (JSON.parse + strict checks)', (b) => parseStrictJson(b.toString('utf8')));
  micro('parseStrictJsonReference (one-pass parser)', (b) => parseStrictJsonReference(b.toString('utf8')));
  const pets = await loadPetstore();
  const stage = pets.stages.get('createPet')!;
  const head = (b: Buffer) => {
    const ctx = makeContext({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(b.length) },
    });
    ctx.requestBody = b;
    stage.requestHead!(ctx);
    return ctx;
  };
  micro('validate stage requestHead (createPet)', head);
  micro('validate stage head + body (parse, Ajv)', (b) => stage.requestBody!(head(b)));

  const { expandOpenApiGroups } = await import('../src/openapi/expand.js');
  const { startTestGateway, startUpstream } = await import('../test/helpers/gateway.js');
  const { EXAMPLES_DIR } = await import('../test/openapi/petstore.js');

  const upstream = await startUpstream();
  const { routes } = await expandOpenApiGroups(
    [{ openapi: { spec: 'petstore.openapi.yaml', upstream: 'app', public: true } }],
    EXAMPLES_DIR,
  );
  const raw = { name: 'raw', match: { path: '/raw/*' }, upstream: 'app', public: true };
  const gw = await startTestGateway(`dataDir: ./data
listeners:
  - { protocol: http, host: 127.0.0.1, port: 0 }
admin: { enabled: false }
log: { access: false }
upstreams:
  app: { targets: ["${upstream.url}"], connections: 64 }
routes: ${JSON.stringify([raw, ...routes])}
`);
  const round = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const worker = new Worker(DRIVER, {
        eval: true,
        workerData: { url: gw.url, path, seconds, body: BODY } satisfies Job,
      });
      worker.once('message', (m: number | { error: string }) =>
        typeof m === 'number' ? resolve(m) : reject(new Error(m.error)),
      );
      worker.once('error', reject);
    });
  const proxy: number[] = [];
  const validated: number[] = [];
  for (let i = 0; i < 3; i++) {
    proxy.push(await round('/raw/pets'));
    validated.push(await round('/pets'));
  }
  await gw.close();
  await upstream.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`proxy-only   req/s: ${proxy.map((x) => x.toFixed(0)).join(' ')} (median ${median(proxy).toFixed(0)})`);
  console.log(
    `validated    req/s: ${validated.map((x) => x.toFixed(0)).join(' ')} (median ${median(validated).toFixed(0)})`,
  );
  console.log(`ratio validated/proxy-only: ${(median(validated) / median(proxy)).toFixed(3)} (target >= 0.85)`);
}
