import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError } from '../../config/errors.js';
import type { HeaderMap, RequestContext, ResponseHead } from '../../pipeline/context.js';
import type { Identity } from '../../pipeline/identity.js';
import type { Stage } from '../../pipeline/stage.js';
import type { Services } from '../definition.js';
import { GATEWAY_HEADERS_KEY, headersStage } from './index.js';
import { type HeadersGlobal, HeadersGlobalSchema, type HeadersRoute, HeadersRouteSchema } from './schema.js';

function context(options: { tls?: boolean; identity?: Identity; upstreamHeaders?: HeaderMap } = {}): RequestContext {
  return {
    id: 'req-1',
    startedAt: 0,
    method: 'GET',
    path: '/x',
    rawTarget: '/x',
    query: '',
    host: 'gw.test',
    headers: {},
    clientIp: '203.0.113.9',
    peer: { address: '203.0.113.9', port: 5000, tls: options.tls ?? true, protocol: 'http/1.1' },
    routeName: 'r',
    params: {},
    upstreamHeaders: options.upstreamHeaders ?? {},
    upstreamPath: '/x',
    upstreamQuery: '',
    requestBody: undefined,
    responseBody: undefined,
    identity: options.identity,
    decision: 'allowed',
    logFields: {},
    state: new Map(),
  };
}

function services(): Services {
  return {
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    configDir: '/tmp',
    dataDir: '/tmp',
    config: {},
    shared: new Map(),
  };
}

async function build(global?: HeadersGlobal, route?: HeadersRoute, svc: Services = services()): Promise<Stage> {
  const shared = await headersStage.setup!(global, svc);
  const stage = headersStage.create(
    { name: 'r', public: true, settings: route, route: {}, path: ['routes', 0] },
    shared,
    svc,
  );
  assert.ok(stage);
  return stage;
}

async function respond(stage: Stage, ctx: RequestContext, headers: HeaderMap, status = 200): Promise<HeaderMap> {
  const head: ResponseHead = { status, headers };
  const verdict = await stage.responseHead!(ctx, head);
  assert.equal(verdict.kind, 'continue');
  return head.headers;
}

const alice: Identity = { subject: 'alice', method: 'jwt', roles: [], scopes: [], claims: {} };

describe('headers stage: security defaults', () => {
  test('adds the defaults on a TLS request and removes version banners', async () => {
    const stage = await build();
    const headers = await respond(stage, context(), {
      'content-type': 'application/json',
      server: 'nginx/1.25.3',
      'x-powered-by': 'Express',
      'x-aspnet-version': '4.0',
    });
    assert.deepEqual(headers, {
      'content-type': 'application/json',
      'strict-transport-security': 'max-age=63072000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "frame-ancestors 'none'",
      'x-frame-options': 'DENY',
    });
  });

  test('no HSTS on a plain-HTTP request (RFC 6797 §7.2)', async () => {
    const headers = await respond(await build(), context({ tls: false }), {});
    assert.equal(headers['strict-transport-security'], undefined);
    assert.equal(headers['x-content-type-options'], 'nosniff');
  });

  test("keeps the upstream's CSP, Referrer-Policy and X-Frame-Options, but enforces nosniff and HSTS", async () => {
    const headers = await respond(await build(), context(), {
      'content-security-policy': "default-src 'self'",
      'referrer-policy': 'same-origin',
      'x-frame-options': 'SAMEORIGIN',
      'x-content-type-options': 'sniff-away',
      'strict-transport-security': 'max-age=0',
    });
    assert.equal(headers['content-security-policy'], "default-src 'self'");
    assert.equal(headers['referrer-policy'], 'same-origin');
    assert.equal(headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
  });

  test('everything is configurable globally, and a route overrides the global settings', async () => {
    const global: HeadersGlobal = {
      hsts: { maxAge: 31_536_000, includeSubDomains: true, preload: true },
      referrerPolicy: 'strict-origin-when-cross-origin',
      contentSecurityPolicy: "default-src 'none'",
      frameOptions: false,
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      removeHeaders: ['Server', 'X-Runtime'],
    };
    const headers = await respond(await build(global), context(), { 'x-powered-by': 'PHP', 'x-runtime': '0.1' });
    assert.deepEqual(headers, {
      'x-powered-by': 'PHP',
      'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'content-security-policy': "default-src 'none'",
      'cross-origin-resource-policy': 'same-origin',
      'cross-origin-opener-policy': 'same-origin',
    });

    const embeddable = await build(global, {
      security: { frameOptions: 'SAMEORIGIN', contentSecurityPolicy: false, hsts: false },
    });
    const routeHeaders = await respond(embeddable, context(), {});
    assert.equal(routeHeaders['x-frame-options'], 'SAMEORIGIN');
    assert.equal(routeHeaders['content-security-policy'], undefined);
    assert.equal(routeHeaders['strict-transport-security'], undefined);
    assert.equal(
      routeHeaders['referrer-policy'],
      'strict-origin-when-cross-origin',
      'other global settings still apply',
    );
  });

  test('Cache-Control: no-store on authenticated answers without their own Cache-Control', async () => {
    const stage = await build();
    assert.equal((await respond(stage, context({ identity: alice }), {}))['cache-control'], 'no-store');
    assert.equal(
      (await respond(stage, context({ identity: alice }), { 'cache-control': 'private, max-age=5' }))['cache-control'],
      'private, max-age=5',
    );
    assert.equal((await respond(stage, context(), {}))['cache-control'], undefined);
    const off = await build({ noStoreAuthenticated: false });
    assert.equal((await respond(off, context({ identity: alice }), {}))['cache-control'], undefined);
  });

  test('HSTS preload without includeSubDomains or a year of max-age is a config error', async () => {
    await assert.rejects(
      headersStage.setup!({ hsts: { preload: true, includeSubDomains: false } }, services()),
      (error: unknown) => error instanceof ConfigError && error.path.join('.') === 'securityHeaders.hsts.preload',
    );
    await assert.rejects(
      headersStage.setup!({ hsts: { preload: true, maxAge: 600 } }, services()),
      /at least 31536000/,
    );
    const svc = services();
    const shared = await headersStage.setup!(undefined, svc);
    assert.throws(
      () =>
        headersStage.create(
          {
            name: 'r',
            public: true,
            settings: { security: { hsts: { preload: true, maxAge: 60 } } },
            route: {},
            path: ['routes', 3],
          },
          shared,
          svc,
        ),
      (error: unknown) =>
        error instanceof ConfigError && error.path.join('.') === 'routes.3.headers.security.hsts.preload',
    );
  });

  test('publishes the headers for responses the gateway makes itself', async () => {
    const svc = services();
    await headersStage.setup!({ referrerPolicy: 'origin' }, svc);
    const forResponse = svc.shared.get(GATEWAY_HEADERS_KEY) as (tls: boolean) => Readonly<HeaderMap>;
    assert.equal(forResponse(true)['strict-transport-security'], 'max-age=63072000; includeSubDomains');
    assert.equal(forResponse(false)['strict-transport-security'], undefined);
    assert.equal(forResponse(false)['referrer-policy'], 'origin');
    assert.equal(forResponse(false)['x-content-type-options'], 'nosniff');
    assert.ok(Object.isFrozen(forResponse(true)));
  });
});

describe('headers stage: per-route edits', () => {
  test('request edits change what the upstream receives: remove, rename, set, add', async () => {
    const stage = await build(undefined, {
      request: {
        remove: ['X-Debug'],
        rename: { 'X-Old': 'X-New' },
        set: { 'X-Tenant': 'acme' },
        add: { Via: 'portcullis' },
      },
    });
    const ctx = context({ upstreamHeaders: { 'x-debug': '1', 'x-old': 'v', 'x-tenant': 'spoofed', via: '1.1 lb' } });
    assert.equal((await stage.requestHead!(ctx)).kind, 'continue');
    assert.deepEqual(ctx.upstreamHeaders, { 'x-new': 'v', 'x-tenant': 'acme', via: ['1.1 lb', 'portcullis'] });
  });

  test('response edits run after the defaults, so an explicit edit wins', async () => {
    const stage = await build(undefined, {
      response: {
        remove: ['x-frame-options', 'x-internal'],
        set: { 'Referrer-Policy': 'origin' },
        add: { 'set-cookie': 'b=2' },
      },
    });
    const headers = await respond(stage, context(), { 'x-internal': 'node-7', 'set-cookie': ['a=1'] });
    assert.equal(headers['x-frame-options'], undefined);
    assert.equal(headers['x-internal'], undefined);
    assert.equal(headers['referrer-policy'], 'origin');
    assert.deepEqual(headers['set-cookie'], ['a=1', 'b=2']);
  });

  test('a route without request edits has no requestHead hook (nothing to run)', async () => {
    assert.equal((await build()).requestHead, undefined);
    assert.equal((await build(undefined, { request: {} })).requestHead, undefined);
  });

  test('framing and hop-by-hop headers cannot be edited', async () => {
    for (const route of [
      { request: { set: { 'Content-Length': '0' } } },
      { request: { remove: ['transfer-encoding'] } },
      { response: { rename: { 'x-a': 'Connection' } } },
      { response: { add: { upgrade: 'h2c' } } },
    ] satisfies HeadersRoute[]) {
      await assert.rejects(build(undefined, route), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.path[2], 'headers');
        assert.match(error.message, /managed by the proxy/);
        return true;
      });
    }
  });
});

describe('headers schemas', () => {
  const ajv = new Ajv({ strict: false });
  const route = ajv.compile(HeadersRouteSchema);
  const global = ajv.compile(HeadersGlobalSchema);

  test('accept a full configuration', () => {
    assert.equal(
      route({
        request: { set: { 'X-A': 'b' }, remove: ['x-b'] },
        response: { rename: { 'x-c': 'x-d' } },
        security: { hsts: false },
      }),
      true,
    );
    assert.equal(global({ hsts: { maxAge: 600 }, referrerPolicy: 'origin', frameOptions: 'SAMEORIGIN' }), true);
  });

  test('refuse CR/LF in values, bad names, unknown keys and unknown policies', () => {
    assert.equal(route({ response: { set: { 'X-A': 'a\r\nSet-Cookie: x=1' } } }), false);
    assert.equal(route({ response: { set: { 'Bad Name': 'a' } } }), false);
    assert.equal(route({ response: { replace: {} } }), false);
    assert.equal(route({ request: { rename: { 'a b': 'x' } } }), false);
    assert.equal(global({ referrerPolicy: 'always' }), false);
    assert.equal(global({ frameOptions: 'ALLOW-FROM https://a' }), false);
    assert.equal(global({ hsts: { maxAge: -1 } }), false);
  });
});
