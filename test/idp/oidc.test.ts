import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import pino from 'pino';
import type { CliIO } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { Accounts } from '../../src/idp/accounts.js';
import { addClient } from '../../src/idp/clients.js';
import { rotateSigningKeys } from '../../src/idp/keys.js';
import { openStore } from '../../src/store/store.js';
import {
  gatewayYaml,
  startTestGateway,
  startUpstream,
  type TestGateway,
  type TestUpstream,
} from '../helpers/gateway.js';

const ISSUER = 'https://localhost:8443';
const REDIRECT = 'https://app.example/cb';
const PASSWORD = 'violet tractor umbrella';
const BEA = { username: 'bea', password: 'quiet lantern harbour' };
const BEA_NEW_PASSWORD = 'seven amber kites drifting';

function yaml(dataDir: string, upstream: string): string {
  return gatewayYaml(
    upstream,
    `identityProvider:
  issuer: ${ISSUER}
  keyRefreshSec: 1
routes:
  - name: idp
    match: { path: "/auth/*", methods: [GET, POST] }
    upstream: internal:idp
    public: true
  - name: oidc
    match: { path: "/oidc/*", methods: [GET, POST] }
    upstream: internal:idp
    public: true
  - name: discovery
    match: { path: /.well-known/openid-configuration, methods: [GET] }
    upstream: internal:idp
    public: true
  - name: api
    match: { path: /api, methods: [GET] }
    upstream: app
    auth: { accept: [jwt] }
`,
    dataDir,
  );
}

/** A cookie jar that ignores paths: enough for one origin. */
class Jar {
  readonly #cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, eq).trim();
      const value = (pair as string).slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0\b/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('OAuth 2.1 / OIDC over HTTP', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let url: string;
  let webSecret: string;
  let svcSecret: string;
  let dataDir: string;
  before(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'pc-oidc-')), 'data');
    const store = await openStore(undefined, { dataDir, configDir: dataDir, logger: pino({ level: 'silent' }) });
    await new Accounts(store).createUser({ username: 'ann', password: PASSWORD, roles: ['reader'] });
    await new Accounts(store).createUser({ ...BEA, roles: ['reader'] });
    webSecret = (await addClient(store, { clientId: 'web', redirectUris: [REDIRECT] })).secret as string;
    svcSecret = (await addClient(store, { clientId: 'svc', grantTypes: ['client_credentials'] })).secret as string;
    await addClient(store, { clientId: 'spa', redirectUris: ['http://127.0.0.1:5173/cb'], public: true });
    await store.close();
    upstream = await startUpstream();
    gw = await startTestGateway(yaml(dataDir, upstream.url));
    url = gw.url;
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  async function token(params: Record<string, string>, auth = basic('web', webSecret)) {
    const res = await fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
      body: new URLSearchParams(params),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  function authorizeUrl(overrides: Record<string, string | undefined> = {}, challenge = pkce().challenge): string {
    const params: Record<string, string | undefined> = {
      client_id: 'web',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid offline_access api',
      prompt: 'consent',
      state: 'st4te',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...overrides,
    };
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
    return `${url}/oidc/auth?${q}`;
  }

  /** Browser dance: authorize, log in, consent; returns the code. */
  async function authorize(
    challenge: string,
    decision = 'allow',
    user = { username: 'ann', password: PASSWORD },
  ): Promise<string> {
    const jar = new Jar();
    const go = async (target: string, init: RequestInit = {}) => {
      // The provider's redirects name the configured issuer; this test reaches it on another port.
      const local = target.startsWith(ISSUER) ? `${url}${target.slice(ISSUER.length)}` : target;
      const res = await fetch(local.startsWith('http') ? local : `${url}${local}`, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
      });
      jar.take(res);
      return res;
    };
    let res = await go(authorizeUrl({}, challenge));
    assert.equal(res.status, 303, await res.clone().text());
    const interaction = res.headers.get('location') as string;
    assert.match(interaction, /^\/auth\/interaction\//);
    res = await go(interaction);
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') as string, /^\/auth\/login\?return_to=/);
    res = await go('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(user),
    });
    assert.equal(res.status, 200);
    for (let hop = 0; hop < 8; hop++) {
      res = await go(interaction);
      if (res.status === 200) {
        assert.match(await res.text(), /Allow access\?/);
        res = await go(interaction, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `decision=${decision}`,
        });
      }
      while (res.status === 303 || res.status === 302) {
        const location = res.headers.get('location') as string;
        if (location.startsWith(REDIRECT)) {
          const cb = new URL(location);
          assert.equal(cb.searchParams.get('state'), 'st4te');
          assert.equal(cb.searchParams.get('iss'), ISSUER);
          return cb.searchParams.get('code') ?? `error=${cb.searchParams.get('error')}`;
        }
        if (location.startsWith('/auth/interaction/') || location.startsWith(`${ISSUER}/auth/interaction/`)) break;
        res = await go(location);
      }
    }
    throw new Error('no code');
  }

  test('discovery advertises only what is safe: code flow, S256, no implicit or password grant', async () => {
    const res = await fetch(`${url}/.well-known/openid-configuration`, { headers: { host: 'evil.example' } });
    assert.equal(res.status, 200);
    const d = (await res.json()) as Record<string, string[] | string>;
    assert.equal(d.issuer, ISSUER, 'issuer from configuration, not the Host header');
    assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(d.response_types_supported, ['code']);
    assert.ok(!(d.grant_types_supported as string[]).includes('implicit'));
    assert.ok(!(d.grant_types_supported as string[]).includes('password'));
    const jwks = (await (await fetch(`${url}/oidc/jwks`)).json()) as { keys: { kty: string; d?: string }[] };
    assert.ok(jwks.keys.length >= 1);
    assert.ok(
      jwks.keys.every((k) => k.d === undefined),
      'no private part',
    );
  });

  /** The whole authorization-code flow with PKCE (for ann): the token response and the exchange sent. */
  async function codeFlow(user?: { username: string; password: string }) {
    const { verifier, challenge } = pkce();
    const code = await authorize(challenge, 'allow', user);
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier };
    return { ...(await token(exchange)), exchange };
  }

  test('authorization code + PKCE: tokens the gateway accepts; a code works once', async () => {
    const first = await codeFlow();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const access = first.body.access_token as string;
    const claims = decodeJwt(access);
    assert.equal(claims.iss, ISSUER);
    assert.deepEqual(claims.roles, ['reader']);
    assert.ok(first.body.id_token && first.body.refresh_token);
    assert.equal((await fetch(`${url}/api`, { headers: { authorization: `Bearer ${access}` } })).status, 200);
    assert.equal((await fetch(`${url}/api`)).status, 401);
    const again = await token(first.exchange);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
  });

  test('denying consent sends access_denied back to the client', async () => {
    assert.equal(await authorize(pkce().challenge, 'deny'), 'error=access_denied');
  });

  test('a wrong code_verifier or a missing one is refused', async () => {
    const { challenge } = pkce();
    const code = await authorize(challenge);
    const wrong = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: pkce().verifier,
    });
    assert.equal(wrong.body.error, 'invalid_grant');
    const other = await authorize(challenge);
    const missing = await token({ grant_type: 'authorization_code', code: other, redirect_uri: REDIRECT });
    assert.equal(missing.body.error, 'invalid_grant');
  });

  test('authorization requests without PKCE, with plain, or with any redirect-URI variation are refused', async () => {
    const refused = async (target: string) => {
      const res = await fetch(target, { redirect: 'manual' });
      const location = res.headers.get('location') ?? '';
      // Either an error page, or an error sent back to the (exact) registered redirect URI.
      assert.ok(
        res.status === 400 || (res.status === 303 && location.startsWith(REDIRECT) && location.includes('error=')),
        `${target} -> ${res.status} ${location}`,
      );
      assert.doesNotMatch(location, /^\/auth\/interaction/);
    };
    await refused(authorizeUrl({ code_challenge: undefined, code_challenge_method: undefined }));
    await refused(authorizeUrl({ code_challenge_method: 'plain' }));
    for (const variant of [
      `${REDIRECT}/`,
      'https://APP.example/cb',
      `${REDIRECT}?x=1`,
      'https://app.example:8443/cb',
      'https://app.example/CB',
    ]) {
      const res = await fetch(authorizeUrl({ redirect_uri: variant }), { redirect: 'manual' });
      assert.equal(res.status, 400, variant);
      assert.equal(res.headers.get('location'), null, `never redirects to ${variant}`);
    }
  });

  test('refresh tokens rotate; reusing an old one revokes the whole family', async () => {
    const first = await codeFlow();
    const r1 = first.body.refresh_token as string;
    const second = await token({ grant_type: 'refresh_token', refresh_token: r1 });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const r2 = second.body.refresh_token as string;
    assert.notEqual(r2, r1);
    const reuse = await token({ grant_type: 'refresh_token', refresh_token: r1 });
    assert.equal(reuse.body.error, 'invalid_grant');
    const afterReuse = await token({ grant_type: 'refresh_token', refresh_token: r2 });
    assert.equal(afterReuse.body.error, 'invalid_grant', 'the newest token of the family is revoked too');
  });

  test('client credentials: a token for the gateway; wrong secret refused', async () => {
    const ok = await token({ grant_type: 'client_credentials', scope: 'api' }, basic('svc', svcSecret));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(
      (await fetch(`${url}/api`, { headers: { authorization: `Bearer ${ok.body.access_token}` } })).status,
      200,
    );
    const bad = await token({ grant_type: 'client_credentials' }, basic('svc', `${svcSecret}x`));
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error, 'invalid_client');
  });

  test('introspection and revocation of a refresh token', async () => {
    const t = await codeFlow();
    const post = (path: string, params: Record<string, string>) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('web', webSecret) },
        body: new URLSearchParams(params),
      });
    const active = (await (
      await post('/oidc/token/introspection', { token: t.body.refresh_token as string })
    ).json()) as {
      active: boolean;
    };
    assert.equal(active.active, true);
    // Another confidential client learns nothing about the token and cannot revoke it.
    const asSvc = (path: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('svc', svcSecret) },
        body: new URLSearchParams({ token: t.body.refresh_token as string }),
      });
    assert.deepEqual(await (await asSvc('/oidc/token/introspection')).json(), { active: false });
    await asSvc('/oidc/token/revocation');
    const still = (await (
      await post('/oidc/token/introspection', { token: t.body.refresh_token as string })
    ).json()) as {
      active: boolean;
    };
    assert.equal(still.active, true);
    assert.equal((await post('/oidc/token/revocation', { token: t.body.refresh_token as string })).status, 200);
    const gone = (await (
      await post('/oidc/token/introspection', { token: t.body.refresh_token as string })
    ).json()) as {
      active: boolean;
    };
    assert.equal(gone.active, false);
  });

  test('keys rotate: new tokens carry the new key (EdDSA), tokens signed before still pass the gateway', async () => {
    const before = await token({ grant_type: 'client_credentials', scope: 'api' }, basic('svc', svcSecret));
    const oldKid = decodeProtectedHeader(before.body.access_token as string).kid;
    // Another process (the CLI) rotates the key in the same database.
    const store = await openStore(undefined, { dataDir, configDir: dataDir, logger: pino({ level: 'silent' }) });
    const rotated = await rotateSigningKeys(store, { alg: 'EdDSA' });
    await store.close();
    assert.deepEqual(rotated.retired, [oldKid]);
    let header = decodeProtectedHeader(before.body.access_token as string);
    let fresh = before;
    for (let i = 0; i < 40 && header.kid === oldKid; i++) {
      await new Promise((r) => setTimeout(r, 100));
      fresh = await token({ grant_type: 'client_credentials', scope: 'api' }, basic('svc', svcSecret));
      header = decodeProtectedHeader(fresh.body.access_token as string);
    }
    assert.equal(header.kid, rotated.created.kid);
    assert.equal(header.alg, 'EdDSA');
    for (const t of [before, fresh]) {
      const res = await fetch(`${url}/api`, { headers: { authorization: `Bearer ${t.body.access_token}` } });
      assert.equal(res.status, 200);
    }
    const jwks = (await (await fetch(`${url}/oidc/jwks`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [oldKid, rotated.created.kid].sort());
  });

  test('token endpoint: an oversized body is 413 with an OAuth error body, malformed Basic credentials 400', async () => {
    const big = await fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('web', webSecret) },
      body: `grant_type=client_credentials&pad=${'x'.repeat(70 * 1024)}`,
    });
    assert.equal(big.status, 413);
    assert.deepEqual(await big.json(), { error: 'invalid_request' });
    const malformed = await fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('web:%E0%A4%A').toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(malformed.status, 400);
    assert.deepEqual(await malformed.json(), { error: 'invalid_request' });
  });

  const api = (accessToken: unknown) => fetch(`${url}/api`, { headers: { authorization: `Bearer ${accessToken}` } });

  test('a password change signs out everywhere: the old access token is 401 invalid_token, its refresh token dead; a new login works at once', async () => {
    const old = await codeFlow(BEA);
    assert.equal((await api(old.body.access_token)).status, 200);
    const login = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BEA),
    });
    assert.equal(login.status, 200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const change = await fetch(`${url}/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ current_password: BEA.password, new_password: BEA_NEW_PASSWORD }),
    });
    assert.equal(change.status, 200, await change.clone().text());
    const refused = await api(old.body.access_token);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal(((await refused.json()) as { code: string }).code, 'PC_ERR_INVALID_TOKEN');
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: old.body.refresh_token as string });
    assert.equal(refresh.body.error, 'invalid_grant', 'the grant went with the sign-out');
    const fresh = await codeFlow({ username: BEA.username, password: BEA_NEW_PASSWORD });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    assert.equal((await api(fresh.body.access_token)).status, 200, 'the new login is not locked out');
  });

  test('portcullis user revoke-sessions (another process, same database): older tokens refused within 1 s of the cutoff, a new login accepted', async (t) => {
    const bea = { username: BEA.username, password: BEA_NEW_PASSWORD };
    const old = await codeFlow(bea);
    assert.equal((await api(old.body.access_token)).status, 200);
    const out: string[] = [];
    const cli: CliIO = { stdout: (s) => void out.push(s), stderr: (s) => void out.push(s), env: {}, cwd: dataDir };
    // Polled while the command runs: it returns only after the second of the cutoff has passed.
    const command = main(['user', 'revoke-sessions', 'bea', '--db', join(dataDir, 'portcullis.db')], cli);
    let done = false;
    void command.finally(() => {
      done = true;
    });
    let refusedAt: number | undefined;
    const deadline = Date.now() + 5000;
    while (refusedAt === undefined && Date.now() < deadline) {
      if ((await api(old.body.access_token)).status === 401) refusedAt = Date.now();
      else await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(await command, 0, out.join(''));
    assert.ok(done);
    const said = /refuse what was issued up to (\S+)$/m.exec(out.join(''));
    assert.ok(said, out.join(''));
    assert.ok(refusedAt !== undefined, 'the old token was never refused');
    const took = refusedAt - Date.parse(said[1] as string);
    assert.ok(took < 1000, `refused ${took} ms after the cutoff`);
    t.diagnostic(`access token refused ${took} ms after the cutoff (SQLite feed, polled)`);
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: old.body.refresh_token as string });
    assert.equal(refresh.body.error, 'invalid_grant');
    const fresh = await codeFlow(bea);
    assert.equal((await api(fresh.body.access_token)).status, 200, 'signs in again at once');
  });

  // Last: it disables ann.
  test('portcullis user disable (another process, same database): her unexpired access token is refused within 1 s', async (t) => {
    const issued = await codeFlow();
    const call = () =>
      fetch(`${url}/api`, { headers: { authorization: `Bearer ${issued.body.access_token}` } }).then((r) => r.status);
    assert.equal(await call(), 200);
    const out: string[] = [];
    const cli: CliIO = { stdout: (s) => void out.push(s), stderr: (s) => void out.push(s), env: {}, cwd: dataDir };
    assert.equal(await main(['user', 'disable', 'ann', '--db', join(dataDir, 'portcullis.db')], cli), 0, out.join(''));
    const disabledAt = performance.now();
    let status = await call();
    while (status === 200 && performance.now() - disabledAt < 3000) {
      await new Promise((r) => setTimeout(r, 20));
      status = await call();
    }
    const took = performance.now() - disabledAt;
    assert.equal(status, 401);
    assert.ok(took < 1000, `refused after ${Math.round(took)} ms`);
    t.diagnostic(`access token refused ${Math.round(took)} ms after user disable`);
  });
});
