/**
 * Authentication cost per request, micro and macro.
 *
 *   npx tsx bench/auth.bench.ts [milliseconds-per-case] [seconds-per-macro-round]
 *
 * Macro (when the second argument is given): one gateway with a public proxy-only route and a
 * JWT route (HS256, identity token forwarded) to the same upstream; a worker thread drives GETs
 * with the benchmark's bearer token at each, in alternating rounds, and the ratio of JWT to
 * proxy-only throughput is printed (target >= 0.85, issue 5).
 *
 * JWT verification through JwtVerifier (structural checks + jose) for HS256 and ES256, the
 * authenticate stage's cached path for an already verified token, minting the ES256 identity
 * token sent upstream, and API-key verification (HMAC + constant-time compare, cache off).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { exportJWK } from 'jose';
import { ApiKeyVerifier, generateApiKey, hmacHasher } from '../src/auth/api-key.js';
import { MemoryApiKeyRepository } from '../src/auth/api-key-memory.js';
import { createKeySource, type IssuerConfig } from '../src/auth/jwt/issuer.js';
import { ecKeys, nowSec, signAsym, signHs } from '../src/auth/jwt/test-tokens.js';
import { JwtVerifier } from '../src/auth/jwt/verifier.js';
import { GatewayTokenSigner } from '../src/auth/upstream-token.js';

const budgetMs = Number(process.argv[2] ?? 1500);

async function measure(name: string, fn: () => unknown): Promise<void> {
  for (let i = 0; i < 200; i++) await fn(); // warm-up: JIT, key imports
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    for (let i = 0; i < 100; i++) await fn();
    ops += 100;
  }
  const us = ((performance.now() - start) * 1000) / ops;
  console.log(`${name.padEnd(44)} ${us.toFixed(2).padStart(8)} µs/op  (${ops} ops)`);
}

const secret = 'k'.repeat(48);
const hs: IssuerConfig = {
  issuer: 'https://auth.example.com/',
  audience: 'api.example.com',
  algorithms: ['HS256'],
  secret,
};
const ec = ecKeys();
const es: IssuerConfig = {
  issuer: 'https://es.example.com/',
  audience: 'api.example.com',
  algorithms: ['ES256'],
  keys: [{ kid: 'e1', alg: 'ES256', jwk: (await exportJWK(ec.publicKey)) as Record<string, unknown> }],
};
const verifier = new JwtVerifier([
  { name: 'hs', config: hs, keys: await createKeySource(hs, ['hs']) },
  { name: 'es', config: es, keys: await createKeySource(es, ['es']) },
]);
const claims = {
  aud: 'api.example.com',
  sub: 'bench-user',
  exp: nowSec() + 3600,
  iat: nowSec(),
  roles: ['user'],
  scope: 'read write',
};
const hsToken = signHs({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: hs.issuer }, secret);
const esToken = signAsym({ alg: 'ES256', kid: 'e1' }, { ...claims, iss: es.issuer }, ec.privateKey);
for (const t of [hsToken, esToken]) if (!(await verifier.verify(t)).ok) throw new Error('bench token does not verify');

const signer = await GatewayTokenSigner.fromFile(join(mkdtempSync(join(tmpdir(), 'pc-bench-')), 'k.pem'), {
  issuer: 'portcullis',
  ttlSec: 60,
});
const identity = (await verifier.verify(hsToken)) as {
  ok: true;
  identity: import('../src/pipeline/identity.js').Identity;
};

const repo = new MemoryApiKeyRepository();
const key = generateApiKey();
const hasher = hmacHasher('p'.repeat(40));
await repo.create({ prefix: key.prefix, hash: await hasher(key.key), owner: 'svc' });
const keys = new ApiKeyVerifier({ repository: repo, hash: hasher, cacheTtlMs: 0, touchIntervalMs: 1e12 });

const cache = new Map([[hsToken, identity.identity]]);

console.log(`node ${process.version}, ${budgetMs} ms per case`);
await measure('JWT HS256 verify (structure + jose)', () => verifier.verify(hsToken));
await measure('JWT ES256 verify (structure + jose)', () => verifier.verify(esToken));
await measure('stage cache hit (Map lookup + revocation)', () => cache.get(hsToken));
await measure('gateway identity token sign (ES256)', () => signer.sign(identity.identity, 'req-1'));
await measure('API key verify (HMAC, no cache)', () => keys.verify(key.key));

const macroSeconds = process.argv[3] === undefined ? 0 : Number(process.argv[3]);
if (macroSeconds > 0) await macro(macroSeconds);

async function macro(seconds: number): Promise<void> {
  const { startTestGateway, startUpstream } = await import('../test/helpers/gateway.js');
  const upstream = await startUpstream();
  const gw = await startTestGateway(
    `dataDir: ./data
listeners:
  - { protocol: http, host: 127.0.0.1, port: 0 }
admin: { enabled: false }
log: { access: false }
upstreams:
  app: { targets: ["${upstream.url}"], connections: 64 }
authentication:
  issuers:
    main: { issuer: "${hs.issuer}", audience: api.example.com, algorithms: [HS256], secret: "${secret}" }
routes:
  - { name: raw, match: { path: "/raw/*" }, upstream: app, public: true }
  - { name: api, match: { path: "/api/*" }, upstream: app, auth: { accept: [jwt] } }
`,
  );
  // Plain JavaScript in a worker (its own event loop): no TypeScript loader needed there.
  const driver = `
const { parentPort, workerData: job } = require('node:worker_threads');
const { Pool } = require('undici');
(async () => {
  const pool = new Pool(job.url, { connections: 32 });
  const end = performance.now() + job.seconds * 1000;
  let done = 0, failed = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const res = await pool.request({ method: 'GET', path: job.path, headers: { authorization: 'Bearer ' + job.token } });
      await res.body.dump();
      if (res.statusCode === 200) done++; else failed++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, loop));
  await pool.close();
  parentPort.postMessage(failed > 0 ? { error: failed + ' requests to ' + job.path + ' failed' } : done / job.seconds);
})().catch((e) => parentPort.postMessage({ error: String(e) }));
`;
  const round = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const worker = new Worker(driver, { eval: true, workerData: { url: gw.url, path, seconds, token: hsToken } });
      worker.once('message', (m: number | { error: string }) =>
        typeof m === 'number' ? resolve(m) : reject(new Error(m.error)),
      );
      worker.once('error', reject);
    });
  const proxy: number[] = [];
  const jwt: number[] = [];
  for (let i = 0; i < 3; i++) {
    proxy.push(await round('/raw/items'));
    jwt.push(await round('/api/items'));
  }
  await gw.close();
  await upstream.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`proxy-only req/s: ${proxy.map((x) => x.toFixed(0)).join(' ')} (median ${median(proxy).toFixed(0)})`);
  console.log(`jwt route  req/s: ${jwt.map((x) => x.toFixed(0)).join(' ')} (median ${median(jwt).toFixed(0)})`);
  console.log(`ratio jwt/proxy-only: ${(median(jwt) / median(proxy)).toFixed(3)} (target >= 0.85)`);
}
