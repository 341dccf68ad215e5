import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../config/errors.js';
import type { Identity } from '../pipeline/identity.js';
import { compileCondition } from './conditions.js';
import { type AllowConfig, type RequestFacts, RoutePolicy } from './policy.js';
import { RoleGraph } from './rbac.js';

const ROLES = {
  viewer: { permissions: ['docs:read'] },
  editor: { inherits: ['viewer'], permissions: ['docs:write'] },
  admin: { inherits: ['editor'], permissions: ['docs:delete'] },
};
const graph = new RoleGraph(ROLES, ['authorization', 'roles']);

function identity(roles: string[], scopes: string[], tenant: string): Identity {
  return { subject: 'u1', method: 'jwt', roles, scopes, claims: { sub: 'u1', tenant } };
}

function request(method: string, tenant = 'acme'): RequestFacts {
  return {
    method,
    path: `/t/${tenant}/docs`,
    params: { tenant },
    query: 'page=2&page=3',
    headers: { 'x-env': 'prod', authorization: 'Bearer secret' },
    clientIp: '203.0.113.9',
  };
}

describe('RoleGraph', () => {
  test('inheritance is transitive', () => {
    const g = graph.expand(['admin']);
    assert.deepEqual([...g.roles].sort(), ['admin', 'editor', 'viewer']);
    assert.deepEqual([...g.permissions].sort(), ['docs:delete', 'docs:read', 'docs:write']);
  });

  test('unknown roles count as themselves and grant no permission', () => {
    const g = graph.expand(['from-token']);
    assert.deepEqual([...g.roles], ['from-token']);
    assert.equal(g.permissions.size, 0);
  });

  test('a cycle is a config error naming the role path', () => {
    assert.throws(
      () =>
        new RoleGraph({ a: { inherits: ['b'] }, b: { inherits: ['c'] }, c: { inherits: ['a'] } }, [
          'authorization',
          'roles',
        ]),
      (e: unknown) =>
        e instanceof ConfigError &&
        /cycle: a -> b -> c -> a/.test(e.message) &&
        e.path.join('.') === 'authorization.roles.c.inherits',
    );
  });

  test('a self-inheriting role is a cycle', () => {
    assert.throws(() => new RoleGraph({ a: { inherits: ['a'] } }, ['r']), ConfigError);
  });

  test('inheriting an undefined role is a config error', () => {
    assert.throws(
      () => new RoleGraph({ a: { inherits: ['ghost'] } }, ['authorization', 'roles']),
      (e: unknown) => e instanceof ConfigError && e.path.join('.') === 'authorization.roles.a.inherits.0',
    );
  });
});

describe('CEL conditions', () => {
  test('syntax error: ConfigError with key path and position inside the expression', () => {
    assert.throws(
      () => compileCondition('identity.subject ==\n  ', ['routes', 2, 'allow', 'when', 0]),
      (e: unknown) =>
        e instanceof ConfigError && e.path.join('.') === 'routes.2.allow.when.0' && /line 2 column 3/.test(e.message),
    );
  });

  test('unknown variable and non-boolean result are config errors', () => {
    assert.throws(() => compileCondition('user.id == "x"', ['w']), /Unknown variable: user at line 1 column 1/);
    assert.throws(() => compileCondition('1 + 2', ['w']), /must be boolean/);
  });

  test('a runtime error (missing claim) evaluates to false, never throws', () => {
    const c = compileCondition('identity.claims.missing == "x"', ['w']);
    const input = { identity: { claims: {} }, request: {} } as never;
    assert.equal(c(input), false);
  });

  test('credentials are not visible to expressions; query and headers are', () => {
    const policy = new RoutePolicy(
      {
        when: [
          '!("authorization" in request.headers)',
          'request.headers["x-env"] == "prod"',
          'request.query.page == "2"',
        ],
      },
      graph,
      ['allow'],
    );
    assert.equal(policy.evaluate(identity([], [], 'acme'), request('GET')).allowed, true);
  });

  test('client IP and method are available', () => {
    const policy = new RoutePolicy(
      { when: 'request.clientIp.startsWith("203.0.113.") && request.method == "GET"' },
      graph,
      ['allow'],
    );
    assert.equal(policy.evaluate(identity([], [], 'acme'), request('GET')).allowed, true);
    assert.equal(policy.evaluate(identity([], [], 'acme'), request('POST')).allowed, false);
  });
});

describe('RoutePolicy: method x role x scope x condition', () => {
  const config: AllowConfig = {
    roles: ['viewer'],
    scopes: ['read', 'write'],
    when: 'identity.claims.tenant == request.params.tenant',
    perMethod: {
      POST: {
        permissions: ['docs:write'],
        scopes: { allOf: ['write'] },
        when: 'identity.claims.tenant == request.params.tenant',
      },
      DELETE: { roles: { allOf: ['admin', 'editor'] } },
    },
  };
  const policy = new RoutePolicy(config, graph, ['routes', 0, 'allow']);

  // The expected outcome, stated as the table of rules the config above means.
  function expected(method: string, role: string | undefined, scopes: string[], sameTenant: boolean): string {
    const rank = { viewer: 1, editor: 2, admin: 3 } as Record<string, number>;
    const level = role === undefined ? 0 : (rank[role] ?? 0);
    if (method === 'DELETE') return level >= 3 ? 'allowed' : 'forbidden';
    if (method === 'POST') {
      if (level < 2 || !sameTenant) return 'forbidden';
      return scopes.includes('write') ? 'allowed' : 'insufficient_scope';
    }
    if (level < 1 || !sameTenant) return 'forbidden';
    return scopes.includes('read') || scopes.includes('write') ? 'allowed' : 'insufficient_scope';
  }

  for (const method of ['GET', 'POST', 'DELETE', 'PATCH']) {
    for (const role of [undefined, 'viewer', 'editor', 'admin', 'stranger']) {
      for (const scopes of [[], ['read'], ['write'], ['read', 'write'], ['other']]) {
        for (const sameTenant of [true, false]) {
          const want = expected(method, role, scopes, sameTenant);
          test(`${method} role=${role ?? '-'} scopes=[${scopes}] tenant=${sameTenant ? 'same' : 'other'} -> ${want}`, () => {
            const who = identity(role ? [role] : [], scopes, sameTenant ? 'acme' : 'globex');
            const decision = policy.evaluate(who, request(method));
            assert.equal(decision.allowed ? 'allowed' : decision.kind, want);
            if (!decision.allowed && decision.kind === 'insufficient_scope') {
              assert.deepEqual(decision.required, method === 'POST' ? ['write'] : ['read', 'write']);
            }
          });
        }
      }
    }
  }
});

describe('RoutePolicy: configuration errors', () => {
  test('empty role list', () => {
    assert.throws(
      () => new RoutePolicy({ roles: [] }, graph, ['routes', 1, 'allow']),
      (e: unknown) => e instanceof ConfigError && e.path.join('.') === 'routes.1.allow.roles',
    );
  });

  test('bad expression inside perMethod names its full path', () => {
    assert.throws(
      () => new RoutePolicy({ perMethod: { PUT: { when: ['true', 'identity.('] } } }, graph, ['routes', 4, 'allow']),
      (e: unknown) => e instanceof ConfigError && e.path.join('.') === 'routes.4.allow.perMethod.PUT.when.1',
    );
  });
});
