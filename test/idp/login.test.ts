import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Accounts } from '../../src/idp/accounts.js';
import { hotp, totpStep } from '../../src/idp/totp.js';
import { openStore } from '../../src/store/store.js';
import {
  gatewayYaml,
  startTestGateway,
  startUpstream,
  type TestGateway,
  type TestUpstream,
} from '../helpers/gateway.js';

const ADMIN_PASSWORD = 'correct horse battery staple';
const FRESH_PASSWORD = 'a brand new passphrase here';

function yaml(dataDir: string, upstream: string): string {
  return gatewayYaml(
    upstream,
    `rateLimit:
  login: { accountFreeAttempts: 4, ipFreeAttempts: 100, baseDelay: 30s }
identityProvider:
  issuer: https://localhost:8443
  lockout: { maxFailures: 100, lockSec: 60 }
routes:
  - name: idp
    match: { path: "/auth/*", methods: [GET, POST] }
    upstream: internal:idp
    public: true
  - name: me
    match: { path: /demo/me, methods: [GET, POST] }
    upstream: app
    auth: { accept: [session, basic] }
  - name: admin
    match: { path: /demo/admin, methods: [GET] }
    upstream: app
    auth: { accept: [session, basic] }
    allow: { roles: [admin] }
`,
    dataDir,
  );
}

function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0] ?? '';
}

describe('hosted login and sessions over HTTP', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let url: string;
  before(async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'pc-idp-')), 'data');
    const store = await openStore(undefined, { dataDir, configDir: dataDir, logger: pino({ level: 'silent' }) });
    const accounts = new Accounts(store);
    await accounts.createUser({ username: 'root', password: ADMIN_PASSWORD, roles: ['admin'] });
    await accounts.createUser({ username: 'newbie', password: ADMIN_PASSWORD, mustChangePassword: true });
    await accounts.createUser({ username: 'victim', password: ADMIN_PASSWORD });
    await accounts.createUser({ username: 'careful', password: ADMIN_PASSWORD });
    await store.close();
    upstream = await startUpstream();
    gw = await startTestGateway(yaml(dataDir, upstream.url));
    url = gw.url;
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  test('the login page is server-rendered with a strict CSP and no third-party asset', async () => {
    const res = await fetch(`${url}/auth/login`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const html = await res.text();
    assert.match(html, /<label for="password">/);
    assert.doesNotMatch(html, /<script|https?:\/\//);
  });

  test('without a credential /demo/me is 401; a JSON login opens a session that reaches it', async () => {
    assert.equal((await fetch(`${url}/demo/me`)).status, 401);
    const login = await post('/auth/login', { username: 'ROOT', password: ADMIN_PASSWORD });
    assert.equal(login.status, 200);
    const body = (await login.json()) as { authenticated: boolean; csrfToken: string };
    assert.equal(body.authenticated, true);
    const cookie = cookieOf(login);
    assert.match(
      login.headers.get('set-cookie') ?? '',
      /^__Host-portcullis=[\w-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax/,
    );
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${url}/demo/admin`, { headers: { cookie } })).status, 200);
    // A state-changing request with the cookie still needs the CSRF proof.
    const unsafe = await fetch(`${url}/demo/me`, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example' },
    });
    assert.equal(unsafe.status, 403);
    const withToken = await fetch(`${url}/demo/me`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': body.csrfToken },
    });
    assert.equal(withToken.status, 200);
  });

  test('login rotates the session id: the cookie presented before login is destroyed', async () => {
    const first = cookieOf(await post('/auth/login', { username: 'root', password: ADMIN_PASSWORD }));
    const second = await post('/auth/login', { username: 'root', password: ADMIN_PASSWORD }, { cookie: first });
    const next = cookieOf(second);
    assert.notEqual(next, first);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: first } })).status, 401);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: next } })).status, 200);
  });

  test('logout ends one session, logout-all every session of the user', async () => {
    const a = cookieOf(await post('/auth/login', { username: 'root', password: ADMIN_PASSWORD }));
    const b = cookieOf(await post('/auth/login', { username: 'root', password: ADMIN_PASSWORD }));
    const c = cookieOf(await post('/auth/login', { username: 'root', password: ADMIN_PASSWORD }));
    assert.equal((await post('/auth/logout', {}, { cookie: a })).status, 200);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: a } })).status, 401);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: b } })).status, 200);
    const all = await post('/auth/logout-all', {}, { cookie: b });
    assert.ok(((await all.json()) as { sessionsEnded: number }).sessionsEnded >= 2);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: c } })).status, 401);
  });

  test('wrong password and unknown user get byte-identical answers', async () => {
    const strip = (t: string) => t.replace(/"requestId":"[^"]*"/, '');
    const wrong = await post('/auth/login', { username: 'root', password: 'not the password at all' });
    const unknown = await post('/auth/login', { username: 'nobody-here', password: 'not the password at all' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(strip(await wrong.text()), strip(await unknown.text()));
    const form = (username: string) =>
      fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password: 'not the password at all' }),
      });
    const pageWrong = (await (await form('root')).text()).replace(/nonce="[^"]*"/g, '').replace(/value="root"/, '');
    const pageUnknown = (await (await form('zed')).text()).replace(/nonce="[^"]*"/g, '').replace(/value="zed"/, '');
    assert.equal(pageWrong, pageUnknown);
  });

  test('a one-time password only opens a pending session until it is changed', async () => {
    const login = await post('/auth/login', { username: 'newbie', password: ADMIN_PASSWORD });
    assert.equal(login.status, 200);
    assert.deepEqual(((await login.json()) as { mustChangePassword: boolean }).mustChangePassword, true);
    const pending = cookieOf(login);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: pending } })).status, 401);
    const weak = await post(
      '/auth/password',
      { current_password: ADMIN_PASSWORD, new_password: 'password1234' },
      { cookie: pending },
    );
    assert.equal(weak.status, 400);
    assert.equal(((await weak.json()) as { errors: { rule: string }[] }).errors[0]?.rule, 'common');
    const changed = await post(
      '/auth/password',
      { current_password: ADMIN_PASSWORD, new_password: FRESH_PASSWORD },
      { cookie: pending },
    );
    assert.equal(changed.status, 200);
    const fresh = cookieOf(changed);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: pending } })).status, 401);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: fresh } })).status, 200);
    const basic = `Basic ${Buffer.from(`newbie:${FRESH_PASSWORD}`).toString('base64')}`;
    assert.equal((await fetch(`${url}/demo/me`, { headers: { authorization: basic } })).status, 200);
    assert.equal((await fetch(`${url}/demo/admin`, { headers: { authorization: basic } })).status, 403);
  });

  test('cross-site login posts are refused (login CSRF); open redirects are not followed', async () => {
    const evil = await post(
      '/auth/login',
      { username: 'root', password: ADMIN_PASSWORD },
      { 'sec-fetch-site': 'cross-site' },
    );
    assert.equal(evil.status, 403);
    const form = await fetch(`${url}/auth/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://localhost:8443' },
      body: new URLSearchParams({ username: 'root', password: ADMIN_PASSWORD, return_to: '//evil.example/x' }),
    });
    assert.equal(form.status, 303);
    assert.equal(form.headers.get('location'), '/');
  });

  test('brute force on one account is throttled after the free attempts, with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await post('/auth/login', { username: 'victim', password: `wrong guess number ${i}` })).status);
    }
    assert.deepEqual(statuses.slice(0, 4), [401, 401, 401, 401]);
    const last = await post('/auth/login', { username: 'victim', password: ADMIN_PASSWORD });
    assert.equal(last.status, 429);
    assert.ok(Number(last.headers.get('retry-after')) >= 1);
  });

  test('TOTP: enrolment, login needs the second factor, replays and reused recovery codes refused, Basic refused', async () => {
    const session = cookieOf(await post('/auth/login', { username: 'careful', password: ADMIN_PASSWORD }));
    const setup = await post('/auth/mfa/totp/setup', {}, { cookie: session });
    assert.equal(setup.status, 200);
    const { secret, otpauthUri } = (await setup.json()) as { secret: string; otpauthUri: string };
    assert.match(otpauthUri, /^otpauth:\/\/totp\/localhost%3A8443%3Acareful\?secret=[A-Z2-7]{32}&/);
    const seed = fromBase32(secret);
    const step = totpStep(Date.now());
    const confirm = await post('/auth/mfa/totp/confirm', { code: hotp(seed, step) }, { cookie: session });
    assert.equal(confirm.status, 200);
    const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] };
    assert.equal(recoveryCodes.length, 10);

    const login = await post('/auth/login', { username: 'careful', password: ADMIN_PASSWORD });
    assert.equal(((await login.json()) as { mfaRequired: boolean }).mfaRequired, true);
    const pending = cookieOf(login);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: pending } })).status, 401);
    assert.equal((await post('/auth/mfa', { code: '000000' }, { cookie: pending })).status, 401);
    const code = hotp(seed, step + 1);
    const done = await post('/auth/mfa', { code }, { cookie: pending });
    assert.equal(done.status, 200);
    const full = cookieOf(done);
    assert.equal((await fetch(`${url}/demo/me`, { headers: { cookie: full } })).status, 200);

    const again = cookieOf(await post('/auth/login', { username: 'careful', password: ADMIN_PASSWORD }));
    assert.equal((await post('/auth/mfa', { code }, { cookie: again })).status, 401, 'a used code is a replay');
    assert.equal((await post('/auth/mfa', { recovery_code: recoveryCodes[0] }, { cookie: again })).status, 200);
    const third = cookieOf(await post('/auth/login', { username: 'careful', password: ADMIN_PASSWORD }));
    assert.equal((await post('/auth/mfa', { recovery_code: recoveryCodes[0] }, { cookie: third })).status, 401);

    const basic = `Basic ${Buffer.from(`careful:${ADMIN_PASSWORD}`).toString('base64')}`;
    assert.equal((await fetch(`${url}/demo/me`, { headers: { authorization: basic } })).status, 401);
  });
});

function fromBase32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
