/**
 * Authentication cost per request, micro.
 *
 *   npx tsx bench/auth.bench.ts [milliseconds-per-case]
 *
 * JWT verification through JwtVerifier (structural checks + jose) for HS256 and ES256, the
 * authenticate stage's cached path for an already verified token, minting the ES256 identity
 * token sent upstream, and API-key verification (HMAC + constant-time compare, cache off).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
