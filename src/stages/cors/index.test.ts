import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError } from '../../config/errors.js';
import type { HeaderMap, RequestContext, ResponseHead } from '../../pipeline/context.js';
import type { Stage, Verdict } from '../../pipeline/stage.js';
import type { Services } from '../definition.js';
import { corsStage } from './index.js';
import { type CorsRoute, CorsRouteSchema } from './schema.js';

function context(method: string, headers: IncomingHttpHeaders): RequestContext {
  return {
    id: 'req-1',
    startedAt: 0,
    method,
    path: '/api',
    rawTarget: '/api',
    query: '',
    host: 'api.example.com',
    headers,
    clientIp: '203.0.113.9',
    peer: { address: '203.0.113.9', port: 5000, tls: true, protocol: 'http/1.1' },
    routeName: 'api',
    params: {},
    upstreamHeaders: {},
    upstreamPath: '/api',
    upstreamQuery: '',
    requestBody: undefined,
    responseBody: undefined,
    identity: undefined,
    decision: 'allowed',
    logFields: {},
    state: new Map(),
  };
}

const services: Services = {
  logger: pino({ level: 'silent' }),
  metrics: new Registry(),
  configDir: '/tmp',
  dataDir: '/tmp',
  config: {},
  shared: new Map(),
};

function build(settings: CorsRoute | undefined, methods?: string[]): Stage | undefined {
  const route = { name: 'api', match: { path: '/api', ...(methods ? { methods } : {}) } };
  return corsStage.create({ name: 'api', public: true, settings, route, path: ['routes', 2] }, undefined, services);
}

function stageFor(settings: CorsRoute, methods?: string[]): Stage {
  const stage = build(settings, methods);
  assert.ok(stage);
  return stage;
}

const APP = 'https://app.example.com';
const policy: CorsRoute = {
  origins: [APP, 'http://localhost:3000'],
  methods: ['GET', 'POST', 'DELETE'],
  headers: ['Content-Type', 'Authorization'],
  exposeHeaders: ['X-Request-Id'],
  maxAge: 300,
  credentials: true,
};

function preflight(stage: Stage, origin: string, method: string, requestHeaders?: string): Verdict {
  const headers: IncomingHttpHeaders = { origin, 'access-control-request-method': method };
  if (requestHeaders !== undefined) headers['access-control-request-headers'] = requestHeaders;
  const verdict = stage.requestHead!(context('OPTIONS', headers));
  assert.ok(!(verdict instanceof Promise));
  return verdict;
}

async function respond(stage: Stage, headers: IncomingHttpHeaders, upstream: HeaderMap = {}): Promise<HeaderMap> {
  const ctx = context('GET', headers);
  assert.equal((await stage.requestHead!(ctx)).kind, 'continue');
  const head: ResponseHead = { status: 200, headers: upstream };
  assert.equal((await stage.responseHead!(ctx, head)).kind, 'continue');
  return head.headers;
}

describe('cors stage: preflight', () => {
  test('an allowed preflight is answered 204 with the allow-lists', () => {
    const verdict = preflight(stageFor(policy), APP, 'DELETE', 'content-type,authorization');
    assert.deepEqual(verdict, {
      kind: 'respond',
      decision: 'preflight',
      response: {
        kind: 'plain',
        status: 204,
        headers: {
          'access-control-allow-origin': APP,
          'access-control-allow-methods': 'GET, POST, DELETE',
          'access-control-allow-headers': 'content-type, authorization',
          'access-control-allow-credentials': 'true',
          'access-control-max-age': '300',
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        },
      },
    });
  });

  test('a disallowed origin, method or header is 403 PC_ERR_CORS', () => {
    const stage = stageFor(policy);
    for (const [origin, method, headers, reason] of [
      ['https://evil.example', 'GET', undefined, /origin not on the CORS allow-list/],
      ['null', 'GET', undefined, /origin/],
      ['https://app.example.com.evil.example', 'GET', undefined, /origin/],
      ['https://APP.example.com', 'GET', undefined, /origin/],
      ['http://app.example.com', 'GET', undefined, /origin/],
      [APP, 'PUT', undefined, /method PUT/],
      [APP, 'get', undefined, /method get/],
      [APP, 'POST', 'content-type, x-admin', /request header x-admin/],
    ] as const) {
      const verdict = preflight(stage, origin, method, headers);
      assert.equal(verdict.kind, 'respond', `${origin} ${method} ${headers}`);
      if (verdict.kind !== 'respond') continue;
      assert.equal(verdict.decision, 'forbidden');
      assert.deepEqual(verdict.response, { kind: 'problem', code: 'PC_ERR_CORS' });
      assert.match(verdict.reason ?? '', reason);
    }
  });

  test('OPTIONS without Origin or Access-Control-Request-Method is an ordinary request', () => {
    const stage = stageFor(policy);
    assert.equal((stage.requestHead!(context('OPTIONS', {})) as Verdict).kind, 'continue');
    assert.equal((stage.requestHead!(context('OPTIONS', { origin: APP })) as Verdict).kind, 'continue');
  });

  test('origin "*" answers "*" and never sends credentials', () => {
    const verdict = preflight(stageFor({ origins: ['*'] }, ['GET', 'OPTIONS']), 'https://anyone.example', 'GET');
    assert.equal(verdict.kind, 'respond');
    if (verdict.kind !== 'respond' || verdict.response.kind !== 'plain') return;
    assert.equal(verdict.response.headers?.['access-control-allow-origin'], '*');
    assert.equal(verdict.response.headers?.['access-control-allow-credentials'], undefined);
    assert.equal(verdict.response.headers?.['access-control-allow-methods'], 'GET', 'defaults to the route methods');
    assert.equal(verdict.response.headers?.['access-control-max-age'], '600');
  });
});

describe('cors stage: actual requests', () => {
  test('an allowed origin gets ACAO, credentials, exposed headers and Vary: Origin', async () => {
    const headers = await respond(stageFor(policy), { origin: APP }, { vary: 'Accept-Encoding' });
    assert.deepEqual(headers, {
      vary: 'Accept-Encoding, Origin',
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Request-Id',
    });
  });

  test('a foreign origin gets no ACAO, and the upstream cannot reflect one either', async () => {
    const headers = await respond(
      stageFor(policy),
      { origin: 'https://evil.example' },
      { 'access-control-allow-origin': 'https://evil.example', 'access-control-allow-credentials': 'true' },
    );
    assert.deepEqual(headers, { vary: 'Origin' });
  });

  test('a same-origin request without Origin still gets Vary: Origin, once', async () => {
    assert.deepEqual(await respond(stageFor(policy), {}, { vary: 'origin' }), { vary: 'origin' });
    assert.deepEqual(await respond(stageFor(policy), {}, { vary: '*' }), { vary: '*' });
    assert.deepEqual(await respond(stageFor({ origins: ['*'] }), {}), {});
  });
});

describe('cors configuration', () => {
  test('no cors section, no stage', () => {
    assert.equal(build(undefined), undefined);
  });

  function rejects(settings: CorsRoute, message: RegExp, at: string, methods?: string[]): void {
    assert.throws(
      () => build(settings, methods),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        assert.equal(error.path.join('.'), at);
        return true;
      },
    );
  }

  test('refuses wildcard with credentials, null, and origins a browser never sends', () => {
    rejects({ origins: ['*'], credentials: true }, /cannot be combined with credentials/, 'routes.2.cors.origins.0');
    rejects({ origins: [APP, '*'] }, /only entry/, 'routes.2.cors.origins.1');
    rejects({ origins: ['null'] }, /"null" origin/, 'routes.2.cors.origins.0');
    rejects({ origins: ['https://App.example.com'] }, /write "https:\/\/app\.example\.com"/, 'routes.2.cors.origins.0');
    rejects(
      { origins: ['https://app.example.com/'] },
      /write "https:\/\/app\.example\.com"/,
      'routes.2.cors.origins.0',
    );
    rejects(
      { origins: ['https://app.example.com:443'] },
      /write "https:\/\/app\.example\.com"/,
      'routes.2.cors.origins.0',
    );
    rejects({ origins: ['app.example.com'] }, /not an origin|not an http/, 'routes.2.cors.origins.0');
    rejects({ origins: ['ftp://files.example.com'] }, /not an http or https origin/, 'routes.2.cors.origins.0');
    rejects({ origins: [APP], headers: ['*'] }, /wildcards/, 'routes.2.cors.headers.0');
    rejects({ origins: [APP], exposeHeaders: ['x-a', '*'] }, /wildcards/, 'routes.2.cors.exposeHeaders.1');
  });

  test('a route that does not accept OPTIONS is refused, one without a method list is fine', () => {
    rejects({ origins: [APP] }, /must allow OPTIONS/, 'routes.2.match.methods', ['GET', 'POST']);
    assert.ok(build({ origins: [APP] }));
  });

  test('the schema refuses unknown keys, lowercase methods and out-of-range maxAge', () => {
    const validate = new Ajv({ strict: false }).compile(CorsRouteSchema);
    assert.equal(validate(policy), true);
    assert.equal(validate({ origins: [] }), false);
    assert.equal(validate({ origins: [APP], methods: ['get'] }), false);
    assert.equal(validate({ origins: [APP], maxAge: 100_000 }), false);
    assert.equal(validate({ origins: [APP], allowAll: true }), false);
  });
});

describe('cors stage: properties', () => {
  const allowedHeaders = new Set(['content-type', 'authorization']);

  test('a preflight is answered 204 only when origin, method and every requested header are allowed', () => {
    const stage = stageFor(policy);
    const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(APP, 'http://localhost:3000', 'null', 'https://evil.example'), fc.string()),
        fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'get'), token),
        fc.array(fc.oneof(fc.constantFrom('Content-Type', 'authorization', ' x-admin', ''), token), { maxLength: 5 }),
        (origin, method, requested) => {
          const verdict = preflight(stage, origin, method, requested.join(','));
          const ok =
            (origin === APP || origin === 'http://localhost:3000') &&
            ['GET', 'POST', 'DELETE'].includes(method) &&
            requested.every((h) => h.trim() === '' || allowedHeaders.has(h.trim().toLowerCase()));
          assert.equal(verdict.kind, 'respond');
          if (verdict.kind !== 'respond') return;
          assert.equal(verdict.decision, ok ? 'preflight' : 'forbidden');
          if (verdict.response.kind === 'plain') {
            assert.equal(verdict.response.headers?.['access-control-allow-origin'], origin);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
