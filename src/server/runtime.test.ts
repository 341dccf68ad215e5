import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parseConfig } from '../config/load.js';
import { SERVICE_DEFINITIONS, STAGE_DEFINITIONS } from '../stages/registry.js';
import { Runtime } from './runtime.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const BASE = `
dataDir: DATA
listeners: [{ protocol: http, host: 127.0.0.1, port: 0 }]
upstreams:
  app: { targets: ["http://127.0.0.1:1"] }
`;

/** Configurations that together switch on every stage the registry loads lazily. */
const CONFIGS: Record<string, string> = {
  'plain proxy': `${BASE}
routes:
  - { name: all, match: { path: "/*" }, upstream: app, public: true }
`,
  'public route with cors, headers, transform, rate limit, ip filter': `${BASE}
rateLimit: { store: memory }
routes:
  - name: all
    match: { path: "/*" }
    upstream: app
    public: true
    ipFilter: { deny: ["10.0.0.0/8"] }
    rateLimit: { key: ip, limit: 10, per: 1m }
    cors: { origins: ["https://app.example.com"] }
    headers: { response: { set: { x-one: "1" } } }
    transform: { response: { headers: { remove: ["x-internal"] } } }
`,
  'authenticated routes with allow and validation': `${BASE}
authentication:
  apiKeys: { header: x-api-key }
authorization:
  roles: { reader: { permissions: ["items:read"] } }
routes:
  - name: items
    match: { path: "/items" }
    upstream: app
    auth: { accept: [apiKey] }
    allow: { roles: [reader] }
  - name: open
    match: { path: "/open" }
    upstream: app
    public: true
    validation: { parameters: [{ name: q, in: query, schema: { type: string } }] }
`,
  'waf on, one route opted out': `${BASE}
waf: { mode: block }
routes:
  - { name: a, match: { path: "/a" }, upstream: app, public: true }
  - { name: b, match: { path: "/b" }, upstream: app, public: true, waf: { mode: "off" } }
`,
};

const eagerStages = STAGE_DEFINITIONS.map((entry) => ({ ...entry, usedBy: () => true }));
const eagerServices = SERVICE_DEFINITIONS.map((entry) => ({ ...entry, usedBy: () => true }));

async function stagesPerRoute(yaml: string, eager: boolean): Promise<Record<string, string[]>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pc-runtime-'));
  try {
    const loaded = parseConfig(yaml.replace('DATA', dataDir), join(dataDir, 'gateway.yaml'));
    const runtime = await Runtime.build(
      loaded,
      { logger: pino({ level: 'silent' }), metrics: new Registry(), dryRun: true },
      eager ? eagerStages : STAGE_DEFINITIONS,
      eager ? eagerServices : SERVICE_DEFINITIONS,
    );
    const out: Record<string, string[]> = {};
    for (const route of loaded.config.routes) {
      const match = runtime.router.match('GET', 'x', route.match.path);
      assert.equal(match.kind, 'found');
      if (match.kind === 'found') out[route.name] = match.value.pipeline.stages.map((s) => s.name);
    }
    await runtime.dispose();
    return out;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('Runtime.build loads only the stages a configuration uses', () => {
  for (const [name, yaml] of Object.entries(CONFIGS)) {
    it(`${name}: the same pipelines as with every stage loaded`, async () => {
      const lazy = await stagesPerRoute(yaml, false);
      const eager = await stagesPerRoute(yaml, true);
      assert.deepEqual(lazy, eager);
      assert.ok(Object.values(lazy).every((stages) => stages.includes('headers')));
    });
  }

  it('a configuration error in a stage is still reported', async () => {
    const yaml = CONFIGS['plain proxy']!.replace('public: true', 'public: false');
    await assert.rejects(stagesPerRoute(yaml, false), /no authentication policy/);
  });

  it('takes already-loaded definitions as they are (tests, embedders)', async () => {
    const loaded = parseConfig(CONFIGS['plain proxy']!.replace('DATA', tmpdir()), join(tmpdir(), 'x.yaml'));
    let setUp = false;
    const runtime = await Runtime.build(
      loaded,
      { logger: pino({ level: 'silent' }), metrics: new Registry() },
      [],
      [
        {
          name: 'probe',
          global: { key: 'probe', schema: Type.Object({}) },
          async setup() {
            setUp = true;
          },
        },
      ],
    );
    assert.equal(setUp, true);
    await runtime.dispose();
  });

  it('a plain proxy imports no WAF, OpenAPI validation, identity provider, CEL or database module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-imports-'));
    try {
      const record = join(dir, 'imports.txt');
      const hook = `data:text/javascript,${encodeURIComponent(`
        import { appendFileSync } from 'node:fs';
        export async function resolve(specifier, context, next) {
          const result = await next(specifier, context);
          appendFileSync(${JSON.stringify(record)}, result.url + '\\n');
          return result;
        }`)}`;
      const script = `
        import { register } from 'node:module';
        register(${JSON.stringify(hook)});
        const { parseConfig } = await import('./src/config/load.ts');
        const { Runtime } = await import('./src/server/runtime.ts');
        await import('./src/server/gateway.ts');
        const pino = (await import('pino')).default;
        const { Registry } = await import('prom-client');
        const yaml = ${JSON.stringify(CONFIGS['plain proxy']!.replace('DATA', dir))};
        const runtime = await Runtime.build(parseConfig(yaml, ${JSON.stringify(join(dir, 'g.yaml'))}), {
          logger: pino({ level: 'silent' }), metrics: new Registry(),
        });
        await runtime.dispose();
      `;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: root,
        encoding: 'utf8',
      });
      assert.equal(child.status, 0, child.stderr);
      const urls = readFileSync(record, 'utf8');
      assert.match(urls, /src\/stages\/headers\/index\.ts/);
      for (const heavy of [
        '/src/waf/engine/',
        '/src/waf/operators/',
        '/src/stages/waf/index.ts',
        '/src/stages/validate/index.ts',
        '/src/idp/service.ts',
        '/node_modules/@marcbachmann/cel-js/',
        '/node_modules/better-sqlite3/',
        '/node_modules/pg/',
        '/node_modules/oidc-provider/',
      ]) {
        assert.ok(!urls.includes(heavy), `${heavy} was imported`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
