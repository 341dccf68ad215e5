import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeContext, makeServices } from '../../../test/auth/context.js';
import { ConfigError } from '../../config/errors.js';
import type { Identity } from '../../pipeline/identity.js';
import type { Verdict } from '../../pipeline/stage.js';
import { authorizeDefinition } from './index.js';
import type { RouteAllow } from './schema.js';

const services = makeServices({ authentication: { realm: 'api' } });
const shared = await authorizeDefinition.setup!(
  {
    roles: { reader: { permissions: ['orders:read'] }, clerk: { inherits: ['reader'], permissions: ['orders:write'] } },
  },
  services,
);

function stage(allow: RouteAllow | undefined, auth: 'none' | object = { accept: ['jwt'] }, isPublic = false) {
  const route = auth === 'none' ? { allow } : { auth, allow };
  return authorizeDefinition.create(
    { name: 'orders', public: isPublic, settings: allow, route, path: ['routes', 3] },
    shared,
    services,
  );
}

function who(method: Identity['method'], roles: string[], scopes: string[]): Identity {
  return { subject: 's', method, roles, scopes, claims: { sub: 's', tenant: 't1' } };
}

function answer(v: Verdict) {
  if (v.kind !== 'respond' || v.response.kind !== 'problem') return 'continue';
  return { code: v.response.code, challenge: v.response.headers?.['www-authenticate'] };
}

describe('authorize stage', () => {
  test('no allow: no stage (authentication alone is enough)', () => {
    assert.equal(stage(undefined), undefined);
  });

  test('allow on a public route, or without auth, is a config error at routes[i].allow', () => {
    for (const s of [() => stage({ roles: ['x'] }, 'none', true), () => stage({ roles: ['x'] }, 'none')]) {
      assert.throws(s, (e: unknown) => e instanceof ConfigError && e.path.join('.') === 'routes.3.allow');
    }
  });

  test('permission through an inherited role passes; without it 403 PC_ERR_FORBIDDEN and no challenge', () => {
    const s = stage({ permissions: ['orders:read'] })!;
    const ok = makeContext();
    ok.identity = who('jwt', ['clerk'], []);
    assert.equal(answer(s.requestHead!(ok) as Verdict), 'continue');
    const denied = makeContext();
    denied.identity = who('jwt', ['guest'], []);
    assert.deepEqual(answer(s.requestHead!(denied) as Verdict), { code: 'PC_ERR_FORBIDDEN', challenge: undefined });
  });

  test('missing scope on a bearer token: 403 insufficient_scope with the scopes needed (RFC 6750 §3.1)', () => {
    const s = stage({ scopes: { allOf: ['orders:read', 'orders:write'] } })!;
    const ctx = makeContext();
    ctx.identity = who('jwt', [], ['orders:read']);
    assert.deepEqual(answer(s.requestHead!(ctx) as Verdict), {
      code: 'PC_ERR_INSUFFICIENT_SCOPE',
      challenge: 'Bearer realm="api", error="insufficient_scope", scope="orders:read orders:write"',
    });
  });

  test('missing scope on an API key: 403 insufficient scope without a Bearer challenge', () => {
    const s = stage({ scopes: ['orders:write'] })!;
    const ctx = makeContext();
    ctx.identity = who('apiKey', [], ['orders:read']);
    assert.deepEqual(answer(s.requestHead!(ctx) as Verdict), {
      code: 'PC_ERR_INSUFFICIENT_SCOPE',
      challenge: undefined,
    });
  });

  test('conditions see path params and claims', () => {
    const s = stage({ when: 'identity.claims.tenant == request.params.tenant' })!;
    const same = makeContext({ params: { tenant: 't1' } });
    same.identity = who('jwt', [], []);
    assert.equal(answer(s.requestHead!(same) as Verdict), 'continue');
    const other = makeContext({ params: { tenant: 't2' } });
    other.identity = who('jwt', [], []);
    assert.equal((answer(s.requestHead!(other) as Verdict) as { code: string }).code, 'PC_ERR_FORBIDDEN');
  });

  test('no identity (authenticate did not run) is refused, never allowed', () => {
    const s = stage({ roles: ['reader'] })!;
    assert.equal((answer(s.requestHead!(makeContext()) as Verdict) as { code: string }).code, 'PC_ERR_UNAUTHENTICATED');
  });

  test('a bad CEL expression fails at create with the position', () => {
    assert.throws(
      () => stage({ when: ['true', 'request.path.startsWith('] }),
      (e: unknown) =>
        e instanceof ConfigError && e.path.join('.') === 'routes.3.allow.when.1' && /column/.test(e.message),
    );
  });

  test('a role cycle in authorization.roles fails setup', async () => {
    await assert.rejects(
      authorizeDefinition.setup!({ roles: { a: { inherits: ['b'] }, b: { inherits: ['a'] } } }, makeServices()),
      ConfigError,
    );
  });
});
