import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DetailedPeerCertificate } from 'node:tls';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { makeContext, makeServices } from '../../../test/auth/context.js';
import { generateApiKey, hmacHasher } from '../../auth/api-key.js';
import { MemoryApiKeyRepository } from '../../auth/api-key-memory.js';
import type { LoginLimiter, PasswordVerifier } from '../../auth/basic.js';
import { nowSec, signHs } from '../../auth/jwt/test-tokens.js';
import type { SessionLookup } from '../../auth/session.js';
import type { GatewayTokenSigner } from '../../auth/upstream-token.js';
import { ConfigError } from '../../config/errors.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Stage, Verdict } from '../../pipeline/stage.js';
import type { Services } from '../definition.js';
import { AUTH_SHARED_KEYS, type AuthnShared, authenticateDefinition, makeStripper, type Revoker } from './index.js';
import type { AuthenticationConfig, RouteAuth } from './schema.js';

const SECRET = 's'.repeat(48);
const ISS = 'https://auth.example.com/';
const PEPPER = 'p'.repeat(40);
const CA_FP = 'AB:'.repeat(31) + 'AB';

let introspectionServer: Server;
let introspectionCalls = 0;
let introspectionDown = false;
const activeTokens = new Map<string, Record<string, unknown>>();

function token(extra: Record<string, unknown> = {}): string {
  return signHs(
    { alg: 'HS256', typ: 'JWT' },
    { iss: ISS, aud: 'api', sub: 'alice', exp: nowSec() + 300, roles: ['user'], scope: 'read', ...extra },
    SECRET,
  );
}

function config(introspectionUrl: string): AuthenticationConfig {
  return {
    realm: 'test',
    issuers: {
      main: { issuer: ISS, audience: 'api', algorithms: ['HS256'], secret: SECRET },
      partner: { issuer: 'https://partner.example/', audience: 'api', algorithms: ['HS384'], secret: 'q'.repeat(48) },
    },
    introspection: {
      idp: { endpoint: introspectionUrl, clientId: 'gw', clientSecret: 'gw secret', maxCacheTtlSec: 60 },
    },
    apiKeys: { pepper: PEPPER },
    session: { allowedOrigins: ['https://app.example'] },
    mtls: { caFingerprints: [CA_FP], roles: ['service'] },
    upstream: { userHeaders: true },
  };
}

function route(settings: RouteAuth | undefined, isPublic = false) {
  return { name: 'r', public: isPublic, settings, route: { auth: settings }, path: ['routes', 0] as const };
}

async function run(stage: Stage, ctx: RequestContext): Promise<Verdict> {
  return await stage.requestHead!(ctx);
}

function problem(v: Verdict): { code: string; status: number | undefined; headers: Record<string, unknown> } {
  assert.equal(v.kind, 'respond');
  if (v.kind !== 'respond' || v.response.kind !== 'problem') throw new Error('not a problem');
  return {
    code: v.response.code,
    status: v.response.status,
    headers: (v.response.headers ?? {}) as Record<string, unknown>,
  };
}

describe('authenticate stage', () => {
  let services: Services;
  let shared: AuthnShared;
  const keys = new MemoryApiKeyRepository();
  let goodKey: string;
  let revokedKey: string;
  const throttled = new Set<string>();
  const failures: string[] = [];

  before(async () => {
    introspectionServer = createServer((req, res) => {
      introspectionCalls++;
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (introspectionDown) {
          res.statusCode = 500;
          res.end();
          return;
        }
        // RFC 7662 §2.1: the caller authenticates; client_secret_basic, form-encoded id and secret.
        if (req.headers.authorization !== `Basic ${Buffer.from('gw:gw+secret').toString('base64')}`) {
          res.statusCode = 401;
          res.end();
          return;
        }
        const tok = new URLSearchParams(body).get('token') ?? '';
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(activeTokens.get(tok) ?? { active: false }));
      });
    });
    await new Promise<void>((r) => introspectionServer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(introspectionServer.address() as AddressInfo).port}/introspect`;

    services = makeServices();
    services.shared.set(AUTH_SHARED_KEYS.apiKeyRepository, keys);
    const good = generateApiKey();
    goodKey = good.key;
    await keys.create({
      prefix: good.prefix,
      hash: await hmacHasher(PEPPER)(good.key),
      owner: 'svc-1',
      scopes: ['read'],
      plan: 'pro',
    });
    const revoked = generateApiKey();
    revokedKey = revoked.key;
    const rec = await keys.create({
      prefix: revoked.prefix,
      hash: await hmacHasher(PEPPER)(revoked.key),
      owner: 'svc-2',
    });
    await keys.revoke(rec.id);

    const verifier: PasswordVerifier = {
      async verify(u, p) {
        return u === 'bob' && p === 'correct horse battery' ? { subject: 'user-bob', roles: ['editor'] } : undefined;
      },
    };
    const limiter: LoginLimiter = {
      async check(account) {
        return throttled.has(account) ? { allowed: false, retryAfterMs: 2500 } : { allowed: true, retryAfterMs: 0 };
      },
      async recordFailure(account) {
        failures.push(account);
      },
      async recordSuccess() {},
    };
    services.shared.set(AUTH_SHARED_KEYS.passwordVerifier, verifier);
    services.shared.set(AUTH_SHARED_KEYS.loginThrottle, limiter);
    const sessions: SessionLookup = {
      async find(id) {
        if (id === 'sess-dave-old' || id === 'sess-dave-new' || id === 'sess-dave-unknown') {
          // Created before / after the cutoff the tests publish at 1,800,000,000,000; or with no time.
          const issuedAt: Record<string, number> = {
            'sess-dave-old': 1_799_999_999_000,
            'sess-dave-new': 1_800_000_000_001,
          };
          const at = issuedAt[id];
          return { subject: 'user-dave', sessionIdHash: `h-${id}`, roles: [], ...(at ? { issuedAt: at } : {}) };
        }
        return id === 'sess-ok'
          ? { subject: 'user-carol', sessionIdHash: 'h-ok', roles: ['viewer'], csrfToken: 'csrf-1' }
          : undefined;
      },
    };
    services.shared.set(AUTH_SHARED_KEYS.sessionLookup, sessions);
    shared = await authenticateDefinition.setup!(config(url), services);
  });
  after(async () => {
    introspectionServer.close();
    await authenticateDefinition.dispose!(shared);
  });

  const create = (settings: RouteAuth | undefined, isPublic = false) =>
    authenticateDefinition.create(route(settings, isPublic), shared, services)!;

  describe('default deny', () => {
    test('a route with neither public nor auth cannot start', () => {
      assert.throws(
        () => create(undefined),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.path.join('.') === 'routes.0' &&
          /route has no authentication policy/.test(e.message),
      );
    });

    test('public and auth together is a config error', () => {
      assert.throws(() => create({ accept: ['jwt'] }, true), ConfigError);
    });

    test('unknown issuer name and unconfigured methods are config errors with their key path', () => {
      assert.throws(
        () => create({ accept: ['jwt'], jwt: { issuers: ['nope'] } }),
        (e: unknown) => e instanceof ConfigError && e.path.join('.') === 'routes.0.auth.jwt.issuers.0',
      );
    });
  });

  describe('identity headers towards the backend', () => {
    test('a public route still strips client-sent identity headers', async () => {
      const stage = create(undefined, true);
      const ctx = makeContext({
        headers: { 'x-user-id': 'admin', 'X-Portcullis-Identity': 'forged', 'x-api-key': 'pc_x', 'x-other': 'kept' },
      });
      assert.equal((await run(stage, ctx)).kind, 'continue');
      assert.deepEqual(Object.keys(ctx.upstreamHeaders), ['x-other']);
    });

    test('identity headers are stripped whatever their case; other headers are left alone', () => {
      const strip = makeStripper({
        strip: ['x-portcullis-identity', 'x-api-key', 'k-secret'],
        stripPrefixes: ['x-user-'],
      });
      const headers: Record<string, string> = {
        'X-User-Id': 'admin',
        'x-USER-roles': 'root',
        'X-Portcullis-Identity': 'forged',
        'x-api-key': 'pc_x',
        'K-Secret': 'a',
        // U+212A KELVIN SIGN lower-cases to an ASCII "k": compared like any other name.
        '\u212a-secret': 'b',
        'x-userid': 'kept',
        'x-request-id': 'kept',
        accept: 'kept',
        kept: 'kept',
      };
      strip(headers);
      assert.deepEqual(Object.keys(headers), ['x-userid', 'x-request-id', 'accept', 'kept']);
    });

    test('after a valid JWT the backend gets a gateway-signed ES256 token it can verify with the JWKS', async () => {
      const stage = create({ accept: ['jwt'] });
      const ctx = makeContext({ id: 'rid-42', headers: { authorization: `Bearer ${token()}`, 'x-user-id': 'admin' } });
      assert.equal((await run(stage, ctx)).kind, 'continue');
      assert.equal(ctx.identity?.subject, 'alice');
      const signer = services.shared.get(AUTH_SHARED_KEYS.gatewaySigner) as GatewayTokenSigner;
      const forwarded = ctx.upstreamHeaders['x-portcullis-identity'] as string;
      const { payload, protectedHeader } = await jwtVerify(forwarded, createLocalJWKSet(signer.jwks()), {
        issuer: 'portcullis',
        algorithms: ['ES256'],
      });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(payload.sub, 'alice');
      assert.equal(payload.rid, 'rid-42');
      assert.deepEqual(payload.amr, ['jwt']);
      assert.deepEqual(payload.roles, ['user']);
      assert.equal(payload.scope, 'read');
      assert.equal(payload.exp! - payload.iat!, 60);
      assert.equal(ctx.upstreamHeaders['x-user-id'], 'alice', 'plain header set by the gateway, not the client');
    });

    test('claims cannot inject header lines through the plain X-User-* headers', async () => {
      const stage = create({ accept: ['jwt'] });
      const ctx = makeContext({
        headers: { authorization: `Bearer ${token({ sub: 'eve\r\nx-admin: 1', roles: ['a\nb'] })}` },
      });
      assert.equal((await run(stage, ctx)).kind, 'continue');
      assert.equal(ctx.upstreamHeaders['x-user-id'], 'evex-admin: 1');
      assert.equal(ctx.upstreamHeaders['x-user-roles'], 'ab');
    });
  });

  describe('401 vs 400 and WWW-Authenticate (RFC 6750 §3)', () => {
    test('no credentials: 401 with one challenge per accepted scheme and no error code', async () => {
      const v = await run(create({ accept: ['jwt', 'basic', 'apiKey'] }), makeContext());
      const p = problem(v);
      assert.equal(p.code, 'PC_ERR_UNAUTHENTICATED');
      assert.equal(
        p.headers['www-authenticate'],
        'Bearer realm="test", Basic realm="test", charset="UTF-8", ApiKey realm="test", header="x-api-key"',
      );
    });

    test('an invalid token: 401 invalid_token', async () => {
      const p = problem(
        await run(
          create({ accept: ['jwt'] }),
          makeContext({ headers: { authorization: `Bearer ${token({ aud: 'other' })}` } }),
        ),
      );
      assert.equal(p.code, 'PC_ERR_INVALID_TOKEN');
      assert.equal(p.headers['www-authenticate'], 'Bearer realm="test", error="invalid_token"');
    });

    test('a token in the query string is ignored (OAuth 2.1 §5.1)', async () => {
      const p = problem(await run(create({ accept: ['jwt'] }), makeContext({ query: `access_token=${token()}` })));
      assert.equal(p.code, 'PC_ERR_UNAUTHENTICATED');
    });

    test('bearer and API key together: 400 invalid_request (B-3)', async () => {
      const ctx = makeContext({ headers: { authorization: `Bearer ${token()}`, 'x-api-key': goodKey } });
      const p = problem(await run(create({ accept: ['jwt', 'apiKey'] }), ctx));
      assert.equal(p.code, 'PC_ERR_BAD_REQUEST');
      assert.match(String(p.headers['www-authenticate']), /error="invalid_request"/);
    });

    test('the scheme is matched case-insensitively and whole (RFC 9110 §11.1)', async () => {
      const stage = create({ accept: ['jwt', 'basic'] });
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const ctx = makeContext({ headers: { authorization: `${scheme} ${token()}` } });
        assert.equal((await run(stage, ctx)).kind, 'continue', scheme);
      }
      const credentials = Buffer.from('bob:correct horse battery').toString('base64');
      for (const scheme of ['Basic', 'BASIC']) {
        const ctx = makeContext({ headers: { authorization: `${scheme} ${credentials}` } });
        assert.equal((await run(stage, ctx)).kind, 'continue', scheme);
      }
      for (const value of [`Bearerx ${token()}`, `Beare ${token()}`, `B\u0130arer ${token()}`, 'Bearer', '']) {
        const p = problem(await run(stage, makeContext({ headers: { authorization: value } })));
        assert.equal(p.code, 'PC_ERR_UNAUTHENTICATED', value);
      }
    });

    test('a scheme the route does not accept counts as no credentials', async () => {
      const p = problem(
        await run(create({ accept: ['apiKey'] }), makeContext({ headers: { authorization: `Bearer ${token()}` } })),
      );
      assert.equal(p.code, 'PC_ERR_UNAUTHENTICATED');
    });

    test('per-method rules replace the route rule', async () => {
      const stage = create({ accept: ['jwt'], perMethod: { POST: { accept: ['apiKey'] } } });
      assert.equal(
        (await run(stage, makeContext({ method: 'GET', headers: { authorization: `Bearer ${token()}` } }))).kind,
        'continue',
      );
      assert.equal(
        problem(await run(stage, makeContext({ method: 'POST', headers: { authorization: `Bearer ${token()}` } })))
          .code,
        'PC_ERR_UNAUTHENTICATED',
      );
      assert.equal(
        (await run(stage, makeContext({ method: 'POST', headers: { 'x-api-key': goodKey } }))).kind,
        'continue',
      );
    });
  });

  test('a token verified for one method is not reused for a method that accepts other issuers', async () => {
    const stage = create({
      accept: ['jwt'],
      jwt: { issuers: ['main'] },
      perMethod: { POST: { accept: ['jwt'], jwt: { issuers: ['partner'] } } },
    });
    const t = token();
    assert.equal(
      (await run(stage, makeContext({ method: 'GET', headers: { authorization: `Bearer ${t}` } }))).kind,
      'continue',
    );
    const p = problem(await run(stage, makeContext({ method: 'POST', headers: { authorization: `Bearer ${t}` } })));
    assert.equal(p.code, 'PC_ERR_INVALID_TOKEN');
  });

  describe('revocation', () => {
    test('a revoked jti is refused at once, even when the token was cached', async () => {
      const stage = create({ accept: ['jwt'] });
      const t = token({ jti: 'tok-7' });
      assert.equal((await run(stage, makeContext({ headers: { authorization: `Bearer ${t}` } }))).kind, 'continue');
      const cached = stage.requestHead!(makeContext({ headers: { authorization: `Bearer ${t}` } }));
      assert.ok(!(cached instanceof Promise), 'a verified token is answered synchronously from the cache');
      const revoker = services.shared.get(AUTH_SHARED_KEYS.revocations) as Revoker;
      await revoker.revoke('jti', `${ISS} tok-7`, Date.now() + 60_000);
      assert.equal(
        problem(await run(stage, makeContext({ headers: { authorization: `Bearer ${t}` } }))).code,
        'PC_ERR_INVALID_TOKEN',
      );
    });
  });

  test('revoking a JWT subject refuses its cached token at once (one check on the cached path)', async () => {
    const stage = create({ accept: ['jwt'] });
    const t = token({ sub: 'dora' });
    const ctx = () => makeContext({ headers: { authorization: `Bearer ${t}` } });
    assert.equal((await run(stage, ctx())).kind, 'continue');
    assert.ok(!(stage.requestHead!(ctx()) instanceof Promise), 'served from the cache');
    const revoker = services.shared.get(AUTH_SHARED_KEYS.revocations) as Revoker;
    // A bare name is a built-in user id: it does not reach an external issuer's subject.
    await revoker.revoke('subject', 'dora', Date.now() + 60_000);
    assert.equal((await run(stage, ctx())).kind, 'continue');
    await revoker.revoke('subject', `${ISS} dora`, Date.now() + 60_000);
    const p = problem(await run(stage, ctx()));
    assert.equal(p.code, 'PC_ERR_INVALID_TOKEN');
    assert.match(String(p.headers['www-authenticate']), /error="invalid_token"/);
  });

  test('revoking a subject refuses every credential of it (here an API key owner)', async () => {
    const stage = create({ accept: ['apiKey'] });
    const k = generateApiKey();
    await keys.create({ prefix: k.prefix, hash: await hmacHasher(PEPPER)(k.key), owner: 'svc-gone' });
    assert.equal((await run(stage, makeContext({ headers: { 'x-api-key': k.key } }))).kind, 'continue');
    await (services.shared.get(AUTH_SHARED_KEYS.revocations) as Revoker).revoke(
      'subject',
      'svc-gone',
      Date.now() + 60_000,
    );
    assert.equal(
      problem(await run(stage, makeContext({ headers: { 'x-api-key': k.key } }))).code,
      'PC_ERR_INVALID_TOKEN',
    );
  });

  describe('sign-out cutoff (issued before: refused; issued after: accepted)', () => {
    const revoker = () => services.shared.get(AUTH_SHARED_KEYS.revocations) as Revoker;
    const bearer = (t: string) => makeContext({ headers: { authorization: `Bearer ${t}` } });

    test('JWTs: iat at or before the cutoff is 401 invalid_token, even from the cache; a later iat passes', async () => {
      const stage = create({ accept: ['jwt'] });
      const cut = nowSec() - 10;
      const old = token({ sub: 'carl', iat: cut - 5 });
      const sameSecond = token({ sub: 'carl', iat: cut, jti: 'same-second' });
      const fresh = token({ sub: 'carl', iat: cut + 1 });
      assert.equal((await run(stage, bearer(old))).kind, 'continue', 'cached before the cutoff');
      // Issuer-qualified (J-11): an external issuer's subject is `<iss> <sub>`.
      await revoker().cutoff(`${ISS} carl`, cut * 1000 + 500, Date.now() + 60_000);
      for (const t of [old, sameSecond]) {
        const p = problem(await run(stage, bearer(t)));
        assert.equal(p.code, 'PC_ERR_INVALID_TOKEN');
        assert.match(String(p.headers['www-authenticate']), /error="invalid_token"/);
      }
      assert.equal((await run(stage, bearer(fresh))).kind, 'continue', 'the new login');
      assert.equal(problem(await run(stage, bearer(token({ sub: 'carl' })))).code, 'PC_ERR_INVALID_TOKEN', 'no iat');
      assert.equal((await run(stage, bearer(token({ sub: 'carla', iat: cut - 5 })))).kind, 'continue');
      // A bare name is a built-in user id: it does not reach an external issuer's subject.
      await revoker().cutoff('carla', cut * 1000 + 500, Date.now() + 60_000);
      assert.equal((await run(stage, bearer(token({ sub: 'carla', iat: cut - 5 })))).kind, 'continue');
    });

    test('API keys: a key created before the cutoff is refused, one created after it works', async () => {
      const stage = create({ accept: ['apiKey'] });
      const before = generateApiKey();
      await keys.create({ prefix: before.prefix, hash: await hmacHasher(PEPPER)(before.key), owner: 'user-erin' });
      assert.equal((await run(stage, makeContext({ headers: { 'x-api-key': before.key } }))).kind, 'continue');
      const cut = Date.now();
      await revoker().cutoff('user-erin', cut, cut + 60_000);
      while (Date.now() <= cut) await new Promise((r) => setTimeout(r, 1));
      const after = generateApiKey();
      await keys.create({ prefix: after.prefix, hash: await hmacHasher(PEPPER)(after.key), owner: 'user-erin' });
      assert.equal(
        problem(await run(stage, makeContext({ headers: { 'x-api-key': before.key } }))).code,
        'PC_ERR_INVALID_TOKEN',
        'the verification cache does not save it',
      );
      assert.equal((await run(stage, makeContext({ headers: { 'x-api-key': after.key } }))).kind, 'continue');
    });

    test('sessions: created before the cutoff (or at an unknown time) refused, created after accepted', async () => {
      const stage = create({ accept: ['session'] });
      const cookie = (id: string) => makeContext({ headers: { cookie: `__Host-portcullis=${id}` } });
      assert.equal((await run(stage, cookie('sess-dave-old'))).kind, 'continue');
      await revoker().cutoff('user-dave', 1_800_000_000_000, Date.now() + 60_000);
      assert.equal(problem(await run(stage, cookie('sess-dave-old'))).code, 'PC_ERR_INVALID_TOKEN');
      assert.equal(problem(await run(stage, cookie('sess-dave-unknown'))).code, 'PC_ERR_INVALID_TOKEN');
      assert.equal((await run(stage, cookie('sess-dave-new'))).kind, 'continue');
    });

    test('Basic proves the password each time: a cutoff does not refuse it', async () => {
      const stage = create({ accept: ['basic'] });
      await revoker().cutoff('user-bob', Date.now(), Date.now() + 60_000);
      const ctx = makeContext({
        headers: { authorization: `Basic ${Buffer.from('bob:correct horse battery').toString('base64')}` },
      });
      assert.equal((await run(stage, ctx)).kind, 'continue');
    });
  });

  test('a CORS preflight passes to the cors stage on a route with cors, and is 401 elsewhere', async () => {
    const preflight = () =>
      makeContext({
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      });
    const withCors = authenticateDefinition.create(
      {
        ...route({ accept: ['jwt'] }),
        route: { auth: { accept: ['jwt'] }, cors: { origins: ['https://app.example'] } },
      },
      shared,
      services,
    )!;
    assert.equal((await run(withCors, preflight())).kind, 'continue');
    assert.equal(problem(await run(create({ accept: ['jwt'] }), preflight())).code, 'PC_ERR_UNAUTHENTICATED');
    const notPreflight = makeContext({ method: 'OPTIONS', headers: { origin: 'https://app.example' } });
    assert.equal(problem(await run(withCors, notPreflight)).code, 'PC_ERR_UNAUTHENTICATED');
  });

  describe('API keys', () => {
    test('a valid key authenticates its owner with its scopes and plan; the key never goes upstream', async () => {
      const ctx = makeContext({ headers: { 'x-api-key': goodKey } });
      assert.equal((await run(create({ accept: ['apiKey'] }), ctx)).kind, 'continue');
      assert.equal(ctx.identity?.subject, 'svc-1');
      assert.equal(ctx.identity?.method, 'apiKey');
      assert.deepEqual(ctx.identity?.scopes, ['read']);
      assert.equal(ctx.identity?.plan, 'pro');
      assert.equal(ctx.upstreamHeaders['x-api-key'], undefined);
    });

    test('wrong secret, revoked key, malformed key: 401', async () => {
      const stage = create({ accept: ['apiKey'] });
      const wrong = `${goodKey.slice(0, -1)}${goodKey.endsWith('A') ? 'B' : 'A'}`;
      for (const key of [wrong, revokedKey, 'pc_short_x', 'not-a-key']) {
        const ctx = makeContext({ headers: { 'x-api-key': key } });
        assert.equal(problem(await run(stage, ctx)).code, 'PC_ERR_INVALID_TOKEN', key.slice(0, 12));
      }
    });

    test('revocation over the bus beats the verification cache', async () => {
      const stage = create({ accept: ['apiKey'] });
      const extra = generateApiKey();
      await keys.create({ prefix: extra.prefix, hash: await hmacHasher(PEPPER)(extra.key), owner: 'svc-3' });
      assert.equal((await run(stage, makeContext({ headers: { 'x-api-key': extra.key } }))).kind, 'continue');
      await (services.shared.get(AUTH_SHARED_KEYS.revocations) as Revoker).revoke(
        'apiKey',
        extra.prefix,
        Date.now() + 60_000,
      );
      assert.equal(
        problem(await run(stage, makeContext({ headers: { 'x-api-key': extra.key } }))).code,
        'PC_ERR_INVALID_TOKEN',
      );
    });
  });

  describe('HTTP Basic', () => {
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

    test('right password: identity; wrong password: 401 with a Basic challenge and a recorded failure', async () => {
      const stage = create({ accept: ['basic'] });
      const ok = makeContext({ headers: { authorization: basic('bob', 'correct horse battery') } });
      assert.equal((await run(stage, ok)).kind, 'continue');
      assert.equal(ok.identity?.subject, 'user-bob');
      const bad = problem(await run(stage, makeContext({ headers: { authorization: basic('bob', 'nope') } })));
      assert.equal(bad.code, 'PC_ERR_INVALID_TOKEN');
      assert.equal(bad.headers['www-authenticate'], 'Basic realm="test", charset="UTF-8"');
      assert.ok(failures.includes('bob'));
    });

    test('a throttled account gets 429 with Retry-After before any password check', async () => {
      throttled.add('mallory');
      const p = problem(
        await run(create({ accept: ['basic'] }), makeContext({ headers: { authorization: basic('mallory', 'x') } })),
      );
      assert.equal(p.code, 'PC_ERR_RATE_LIMITED');
      assert.equal(p.headers['retry-after'], '3');
    });
  });

  describe('sessions and CSRF', () => {
    const cookie = '__Host-portcullis=sess-ok; theme=dark';

    test('GET with the session cookie authenticates; the cookie is not forwarded', async () => {
      const ctx = makeContext({ headers: { cookie } });
      assert.equal((await run(create({ accept: ['session'] }), ctx)).kind, 'continue');
      assert.equal(ctx.identity?.subject, 'user-carol');
      assert.equal(ctx.upstreamHeaders.cookie, 'theme=dark');
    });

    test('unsafe method without proof of origin: 403 PC_ERR_CSRF', async () => {
      const stage = create({ accept: ['session'] });
      assert.equal(problem(await run(stage, makeContext({ method: 'POST', headers: { cookie } }))).code, 'PC_ERR_CSRF');
      const crossSite = makeContext({
        method: 'POST',
        headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      });
      assert.equal(problem(await run(stage, crossSite)).code, 'PC_ERR_CSRF');
    });

    test('unsafe method passes with same-origin fetch metadata, an allowed Origin, or the double-submit token', async () => {
      const stage = create({ accept: ['session'] });
      for (const extra of [
        { 'sec-fetch-site': 'same-origin' },
        { origin: 'https://app.example' },
        { 'x-csrf-token': 'csrf-1' },
      ]) {
        const ctx = makeContext({ method: 'DELETE', headers: { cookie, ...extra } });
        assert.equal((await run(stage, ctx)).kind, 'continue', JSON.stringify(extra));
      }
      const wrongToken = makeContext({ method: 'DELETE', headers: { cookie, 'x-csrf-token': 'csrf-2' } });
      assert.equal(problem(await run(stage, wrongToken)).code, 'PC_ERR_CSRF');
    });

    test('an unknown session id: 401', async () => {
      const ctx = makeContext({ headers: { cookie: '__Host-portcullis=forged' } });
      assert.equal(problem(await run(create({ accept: ['session'] }), ctx)).code, 'PC_ERR_INVALID_TOKEN');
    });
  });

  describe('mTLS', () => {
    function cert(issuerFp: string): DetailedPeerCertificate {
      const root = { fingerprint256: issuerFp } as DetailedPeerCertificate;
      (root as { issuerCertificate: DetailedPeerCertificate }).issuerCertificate = root;
      return {
        raw: Buffer.from([1, 2, 3]),
        fingerprint256: 'CD:'.repeat(31) + 'CD',
        subject: { CN: 'billing' },
        subjectaltname: 'DNS:billing.internal, URI:spiffe://corp/billing',
        serialNumber: '01',
        valid_to: 'Jan  1 00:00:00 2030 GMT',
        issuerCertificate: root,
      } as unknown as DetailedPeerCertificate;
    }

    test('a verified certificate from a pinned CA gives the SAN URI as subject', async () => {
      const ctx = makeContext({ peer: { tls: true, certificate: cert(CA_FP) } });
      assert.equal((await run(create({ accept: ['mtls'] }), ctx)).kind, 'continue');
      assert.equal(ctx.identity?.subject, 'spiffe://corp/billing');
      assert.deepEqual(ctx.identity?.roles, ['service']);
    });

    test('a certificate from another CA: 401; no certificate: 401 unauthenticated', async () => {
      const other = makeContext({ peer: { tls: true, certificate: cert('EF:'.repeat(31) + 'EF') } });
      assert.equal(problem(await run(create({ accept: ['mtls'] }), other)).code, 'PC_ERR_INVALID_TOKEN');
      assert.equal(problem(await run(create({ accept: ['mtls'] }), makeContext())).code, 'PC_ERR_UNAUTHENTICATED');
    });
  });

  describe('introspection (RFC 7662)', () => {
    test('an active opaque token authenticates; answers are cached; inactive is 401; a dead endpoint is 503', async () => {
      const stage = create({ accept: ['introspection'] });
      activeTokens.set('opaque-1', {
        active: true,
        sub: 'dave',
        scope: 'read write',
        exp: nowSec() + 120,
        iss: 'https://as',
      });
      const calls = introspectionCalls;
      const ctx = makeContext({ headers: { authorization: 'Bearer opaque-1' } });
      assert.equal((await run(stage, ctx)).kind, 'continue');
      assert.deepEqual(ctx.identity?.scopes, ['read', 'write']);
      assert.equal((await run(stage, makeContext({ headers: { authorization: 'Bearer opaque-1' } }))).kind, 'continue');
      assert.equal(introspectionCalls - calls, 1, 'second use answered from the cache');

      assert.equal(
        problem(await run(stage, makeContext({ headers: { authorization: 'Bearer opaque-2' } }))).code,
        'PC_ERR_INVALID_TOKEN',
      );

      activeTokens.set('opaque-expired', { active: true, sub: 'dave', exp: nowSec() - 10 });
      assert.equal(
        problem(await run(stage, makeContext({ headers: { authorization: 'Bearer opaque-expired' } }))).code,
        'PC_ERR_INVALID_TOKEN',
      );

      introspectionDown = true;
      const down = problem(await run(stage, makeContext({ headers: { authorization: 'Bearer opaque-3' } })));
      assert.equal(down.code, 'PC_ERR_SERVICE_UNAVAILABLE');
      introspectionDown = false;
    });

    test('a cutoff compares the iat of the answer; an answer without iat is refused while it is in force', async () => {
      const stage = create({ accept: ['introspection'] });
      const cut = nowSec() - 30;
      const answer = { active: true, sub: 'ivan', exp: nowSec() + 120, iss: 'https://as' };
      activeTokens.set('opaque-ivan-old', { ...answer, iat: cut - 1 });
      activeTokens.set('opaque-ivan-new', { ...answer, iat: cut + 1 });
      activeTokens.set('opaque-ivan-no-iat', answer);
      const bearer = (t: string) => makeContext({ headers: { authorization: `Bearer ${t}` } });
      assert.equal((await run(stage, bearer('opaque-ivan-old'))).kind, 'continue', 'cached before the cutoff');
      await (services.shared.get(AUTH_SHARED_KEYS.revocations) as Revoker).cutoff(
        'https://as ivan',
        cut * 1000,
        Date.now() + 60_000,
      );
      const refused = problem(await run(stage, bearer('opaque-ivan-old')));
      assert.equal(refused.code, 'PC_ERR_INVALID_TOKEN');
      assert.match(String(refused.headers['www-authenticate']), /error="invalid_token"/);
      assert.equal(problem(await run(stage, bearer('opaque-ivan-no-iat'))).code, 'PC_ERR_INVALID_TOKEN');
      assert.equal((await run(stage, bearer('opaque-ivan-new'))).kind, 'continue');
    });

    test('JWT-shaped tokens go to the JWT verifier when both are accepted', async () => {
      const stage = create({ accept: ['jwt', 'introspection'] });
      const calls = introspectionCalls;
      assert.equal(
        (await run(stage, makeContext({ headers: { authorization: `Bearer ${token()}` } }))).kind,
        'continue',
      );
      assert.equal(introspectionCalls, calls);
    });
  });
});

describe('introspection endpoint transport', () => {
  test('plain http to a non-loopback host is a config error naming the endpoint key', async () => {
    await assert.rejects(
      authenticateDefinition.setup!(
        { introspection: { as: { endpoint: 'http://as.example.com/introspect', clientId: 'a', clientSecret: 'b' } } },
        makeServices(),
      ),
      (e: unknown) => e instanceof ConfigError && e.path.join('.') === 'authentication.introspection.as.endpoint',
    );
  });
});

describe('identity token reuse', () => {
  test('reuseSec > 0 reuses one signed token per cached credential; 0 signs per request', async () => {
    const tok = token({ jti: 'reuse-1' });
    const forwarded = async (reuseSec: number) => {
      const services = makeServices();
      const shared = await authenticateDefinition.setup!(
        {
          issuers: { main: { issuer: ISS, audience: 'api', algorithms: ['HS256'], secret: SECRET } },
          upstream: { reuseSec },
        },
        services,
      );
      const stage = authenticateDefinition.create(route({ accept: ['jwt'] }), shared, services)!;
      const out: unknown[] = [];
      for (const id of ['a', 'b']) {
        const ctx = makeContext({ id, headers: { authorization: `Bearer ${tok}` } });
        await run(stage, ctx);
        out.push(ctx.upstreamHeaders['x-portcullis-identity']);
      }
      await authenticateDefinition.dispose!(shared);
      return out;
    };
    const [a1, a2] = await forwarded(10);
    assert.equal(a1, a2);
    const [b1, b2] = await forwarded(0);
    assert.notEqual(b1, b2);
  });
});
