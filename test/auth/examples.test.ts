import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';

// The benchmark's token and secret (../shared/bench/workloads.mjs): the examples must accept it.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKLOADS = join(ROOT, '..', 'shared', 'bench', 'workloads.mjs');
const CRS_DIR = join(ROOT, '..', 'shared', 'crs');
const bench = existsSync(WORKLOADS) ? ((await import(WORKLOADS)) as { JWT: string; JWT_SECRET: string }) : undefined;
const noBench = bench ? false : `benchmark workloads not found at ${WORKLOADS}`;
if (!bench && process.env.CI === 'true') throw new Error(`${WORKLOADS} is required when CI=true`);

function example(name: string): string {
  return readFileSync(join(ROOT, 'examples', name), 'utf8');
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, www: res.headers.get('www-authenticate'), body: await res.text() };
}

describe('examples/jwt.yaml accepts the benchmark token', { skip: noBench }, () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(example('jwt.yaml'), {
      env: { PORT: '0', UPSTREAM: upstream.url, JWT_SECRET: bench!.JWT_SECRET, PORTCULLIS_DATA_DIR: './data' },
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('benchmark GET passes; no token is 401; outside /api/ is 404', async () => {
    assert.equal((await get(`${gw.url}/api/items?id=42`, { authorization: `Bearer ${bench!.JWT}` })).status, 200);
    const anonymous = await get(`${gw.url}/api/items?id=42`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.www, 'Bearer realm="api.example.com"');
    assert.equal((await get(`${gw.url}/other`, { authorization: `Bearer ${bench!.JWT}` })).status, 404);
  });
});

const noCrs = existsSync(join(CRS_DIR, 'rules')) ? false : `CRS not found at ${CRS_DIR}`;

describe('examples/full.yaml: JWT + rate limit + CRS', { skip: noBench || noCrs }, () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(example('full.yaml'), {
      env: {
        PORT: '0',
        UPSTREAM: upstream.url,
        JWT_SECRET: bench!.JWT_SECRET,
        CRS_DIR,
        PORTCULLIS_DATA_DIR: './data',
      },
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('benchmark GET passes with a realistic header set; the attack is blocked; no token is 401', async () => {
    const headers = {
      authorization: `Bearer ${bench!.JWT}`,
      host: 'api.example.com',
      'user-agent':
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      accept: 'application/json',
      'accept-language': 'en-US,en;q=0.9',
    };
    const ok = await get(`${gw.url}/api/items?id=42`, headers);
    assert.equal(ok.status, 200, ok.body);
    assert.equal((await get(`${gw.url}/api/items?id=42&q=1%27%20OR%20%271%27%3D%271`, headers)).status, 403);
    assert.equal((await get(`${gw.url}/api/items?id=42`)).status, 401);
    assert.equal((await get(`${gw.url}/elsewhere`, headers)).status, 404);
  });
});
