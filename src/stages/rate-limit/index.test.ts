import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeContext, makeIdentity, makeServices } from '../../../test/ratelimit/context.js';
import { ConfigError } from '../../config/errors.js';
import type { Stage, Verdict } from '../../pipeline/stage.js';
import type { RouteSettings } from '../definition.js';
import { rateLimitIdentityStage, rateLimitStage } from './index.js';
import type { RouteRateLimit } from './schema.js';

function route(settings: RouteRateLimit | undefined, name = 'limited'): RouteSettings<RouteRateLimit> {
  return { name, public: true, settings, route: { name, rateLimit: settings }, path: ['routes', 0] };
}

async function build(settings: RouteRateLimit, global: Record<string, unknown> = {}) {
  const services = makeServices({ rateLimit: global });
  const before = await rateLimitStage.setup!(undefined, services);
  const after = await rateLimitIdentityStage.setup!(undefined, services);
  return {
    pre: rateLimitStage.create(route(settings), before, services),
    post: rateLimitIdentityStage.create(route(settings), after, services),
    services,
    shared: before,
  };
}

async function head(stage: Stage | undefined, ctx = makeContext()): Promise<Verdict> {
  assert.ok(stage?.requestHead);
  return stage.requestHead(ctx);
}

function problem(verdict: Verdict) {
  assert.equal(verdict.kind, 'respond');
  assert.equal(verdict.response.kind, 'problem');
  return { decision: verdict.decision, ...verdict.response };
}

describe('rate-limit stage', () => {
  test('admits up to the limit per client IP, then 429 with Retry-After and RateLimit fields', async () => {
    const { pre, post } = await build({ key: 'ip', limit: 3, per: '1m' });
    assert.equal(post, undefined);
    for (let i = 0; i < 3; i++) assert.equal((await head(pre)).kind, 'continue');
    const refused = problem(await head(pre));
    assert.equal(refused.decision, 'rate_limited');
    assert.equal(refused.code, 'PC_ERR_RATE_LIMITED');
    assert.equal(refused.headers?.['retry-after'], '20');
    assert.equal(refused.headers?.['ratelimit-policy'], '"limited";q=3;w=60');
    assert.match(String(refused.headers?.['ratelimit']), /^"limited";r=0;t=60$/);
    // Another client has its own bucket.
    assert.equal((await head(pre, makeContext({ clientIp: '192.0.2.11' }))).kind, 'continue');
  });

  test('a spoofed X-Forwarded-For does not give a fresh bucket; IPv6 clients share their /64', async () => {
    const { pre } = await build({ key: 'ip', limit: 1, per: '1h' });
    assert.equal((await head(pre, makeContext({ clientIp: '2001:db8:0:1::1' }))).kind, 'continue');
    const spoofed = makeContext({ clientIp: '2001:db8:0:1::2', headers: { 'x-forwarded-for': '203.0.113.1' } });
    assert.equal((await head(pre, spoofed)).kind, 'respond');
  });

  test('allowed responses carry the RateLimit fields', async () => {
    const { pre } = await build({ key: 'ip', limit: 10, per: '10s', name: 'burst' });
    const ctx = makeContext();
    assert.equal((await head(pre, ctx)).kind, 'continue');
    const response = { status: 200, headers: {} as Record<string, string> };
    await pre!.responseHead!(ctx, response);
    assert.equal(response.headers['ratelimit-policy'], '"burst";q=10;w=10');
    assert.equal(response.headers['ratelimit'], '"burst";r=9;t=1');
  });

  test('several limits: all must admit; the stricter one answers', async () => {
    const { pre } = await build([
      { name: 'per-ip', key: 'ip', limit: 100, per: '1m' },
      { name: 'whole-route', key: 'route', limit: 2, per: '1m' },
    ]);
    assert.equal((await head(pre, makeContext({ clientIp: '192.0.2.1' }))).kind, 'continue');
    assert.equal((await head(pre, makeContext({ clientIp: '192.0.2.2' }))).kind, 'continue');
    const refused = problem(await head(pre, makeContext({ clientIp: '192.0.2.3' })));
    assert.match(String(refused.headers?.['ratelimit-policy']), /"per-ip";q=100;w=60, "whole-route";q=2;w=60/);
  });

  test('subject limits run after authentication; anonymous requests are not counted there', async () => {
    const { pre, post } = await build({ key: 'subject', limit: 1, per: '1m' });
    assert.equal(pre, undefined);
    assert.equal(post?.name, 'rate-limit-identity');
    assert.equal((await head(post, makeContext())).kind, 'continue');
    assert.equal((await head(post, makeContext())).kind, 'continue');
    const alice = () => makeContext({ identity: makeIdentity('alice'), clientIp: '192.0.2.50' });
    assert.equal((await head(post, alice())).kind, 'continue');
    assert.equal((await head(post, alice())).kind, 'respond');
    assert.equal((await head(post, makeContext({ identity: makeIdentity('bob') }))).kind, 'continue');
  });

  test('plans come from identity.plan, falling back to defaultPlan', async () => {
    const { post } = await build(
      { key: 'subject', plan: true, name: 'quota' },
      { plans: { free: '2/day', pro: '5/day' }, defaultPlan: 'free' },
    );
    const count = async (identity: ReturnType<typeof makeIdentity>) => {
      let admitted = 0;
      for (let i = 0; i < 8; i++) if ((await head(post, makeContext({ identity }))).kind === 'continue') admitted++;
      return admitted;
    };
    assert.equal(await count(makeIdentity('u1', { plan: 'pro' })), 5);
    assert.equal(await count(makeIdentity('u2', { plan: 'free' })), 2);
    assert.equal(await count(makeIdentity('u3', { plan: 'unknown' })), 2);
    assert.equal(await count(makeIdentity('u4')), 2);
  });

  test('header and CEL keys', async () => {
    const { pre } = await build({ key: 'header:X-Tenant', limit: 1, per: '1m' });
    const tenant = (t?: string) => makeContext({ headers: t === undefined ? {} : { 'x-tenant': t } });
    assert.equal((await head(pre, tenant('a'))).kind, 'continue');
    assert.equal((await head(pre, tenant('a'))).kind, 'respond');
    assert.equal((await head(pre, tenant('b'))).kind, 'continue');
    // Requests without the header share one bucket rather than escaping the limit.
    assert.equal((await head(pre, tenant())).kind, 'continue');
    assert.equal((await head(pre, tenant())).kind, 'respond');

    const cel = await build({
      key: 'cel',
      expression: 'identity.claims.org + "/" + request.method',
      limit: 1,
      per: '1m',
    });
    const org = (o: string) => makeContext({ identity: makeIdentity(`u-${Math.random()}`, { claims: { org: o } }) });
    assert.equal((await head(cel.post, org('acme'))).kind, 'continue');
    assert.equal((await head(cel.post, org('acme'))).kind, 'respond');
    assert.equal((await head(cel.post, org('globex'))).kind, 'continue');
  });

  test('configuration errors carry the key path of the faulty limit', async () => {
    const services = makeServices({ rateLimit: {} });
    const shared = await rateLimitStage.setup!(undefined, services);
    const cases: [RouteRateLimit, (string | number)[]][] = [
      [
        [
          { key: 'ip', limit: 1, per: '1m' },
          { key: 'cel', expression: 'request.', limit: 1, per: '1s' },
        ],
        ['routes', 0, 'rateLimit', 1, 'expression'],
      ],
      [
        { key: 'cel', expression: 'request.method == "GET"', limit: 1, per: '1s' },
        ['routes', 0, 'rateLimit', 'expression'],
      ],
      [{ key: 'cel', limit: 1, per: '1s' }, ['routes', 0, 'rateLimit', 'expression']],
      [{ key: 'ip', limit: 1 }, ['routes', 0, 'rateLimit']],
      [{ key: 'ip', plan: true }, ['routes', 0, 'rateLimit', 'plan']],
      [{ key: 'ip', limit: 1, per: '1s', burst: 2, algorithm: 'sliding-window' }, ['routes', 0, 'rateLimit', 'burst']],
    ];
    for (const [settings, path] of cases) {
      assert.throws(
        () => rateLimitStage.create(route(settings), shared, services),
        (error: unknown) => error instanceof ConfigError && JSON.stringify(error.path) === JSON.stringify(path),
        JSON.stringify(settings),
      );
    }
    // One name, two policies: refused.
    rateLimitStage.create(route({ name: 'shared', key: 'ip', limit: 5, per: '1m' }, 'a'), shared, services);
    assert.throws(
      () => rateLimitStage.create(route({ name: 'shared', key: 'ip', limit: 6, per: '1m' }, 'b'), shared, services),
      ConfigError,
    );
  });

  test('named limits share their counter across routes', async () => {
    const services = makeServices({ rateLimit: {} });
    const shared = await rateLimitStage.setup!(undefined, services);
    const settings: RouteRateLimit = { name: 'global-ip', key: 'ip', limit: 2, per: '1m' };
    const a = rateLimitStage.create(route(settings, 'a'), shared, services);
    const b = rateLimitStage.create(route(settings, 'b'), shared, services);
    assert.equal((await head(a)).kind, 'continue');
    assert.equal((await head(b)).kind, 'continue');
    assert.equal((await head(a)).kind, 'respond');
  });
});
