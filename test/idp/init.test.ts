import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent, fetch } from 'undici';
import type { CliIO } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIO = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, cwd };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

describe('portcullis init: first admin, demo user, protected demo routes', () => {
  let dir: string;
  let printed: string;
  let gw: TestGateway;
  let upstream: TestUpstream;
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-idp-init-'));
    const t = io(dir);
    assert.equal(await main(['init'], t.io), 0, t.err());
    printed = t.out();
    // The demo backend is started by \`portcullis start\`, not by the gateway: stand in for it.
    upstream = await startUpstream();
    const yaml = readFileSync(join(dir, 'portcullis.yaml'), 'utf8')
      .replace('port: 8443', 'port: 0')
      .replace('port: 8080', 'port: 0')
      .replace('port: 9090', 'port: 0')
      .replace('http://127.0.0.1:9091', upstream.url)
      .replace('dataDir: ./data', `dataDir: ${join(dir, 'data')}`)
      .replace(/cert: \.\/data/, `cert: ${join(dir, 'data')}`)
      .replace(/key: \.\/data/, `key: ${join(dir, 'data')}`);
    gw = await startTestGateway(yaml);
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await insecure.close();
  });

  const secret = (pattern: RegExp) => (pattern.exec(printed) as RegExpExecArray)[1] as string;

  test('prints a one-time admin password and a demo API key once, with curl lines for both routes', () => {
    assert.match(printed, /curl -k https:\/\/localhost:8443\/demo\/me -H 'x-api-key: pc_/);
    assert.match(printed, /curl -k -b jar\.txt https:\/\/localhost:8443\/demo\/admin/);
    assert.match(secret(/one-time password: (\S+)/), /^[A-Za-z0-9]{20}$/);
    const again = io(dir);
    return main(['init'], again.io).then((code) => {
      assert.equal(code, 0);
      assert.doesNotMatch(again.out(), /password|API key/, 'secrets are never printed twice');
    });
  });

  test('discovery is served on the gateway origin over HTTPS, HTTP/1.1 and HTTP/2', async () => {
    for (const allowH2 of [false, true]) {
      const agent = new Agent({ allowH2, connect: { rejectUnauthorized: false } });
      const res = await fetch(`${gw.url}/.well-known/openid-configuration`, { dispatcher: agent });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { issuer: string; code_challenge_methods_supported: string[] };
      assert.equal(body.issuer, 'https://localhost:8443');
      assert.deepEqual(body.code_challenge_methods_supported, ['S256']);
      await agent.close();
    }
  });

  test('the template passes check', async () => {
    const c = io(dir);
    assert.equal(await main(['check'], c.io), 0, c.err());
  });

  test('/demo/me: 401 without, 200 with the demo API key; /demo/admin: 403 for demo', async () => {
    const key = secret(/API key: (pc_\S+)/);
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}${path}`, { headers, dispatcher: insecure, redirect: 'manual' });
    assert.equal((await get('/demo/me')).status, 401);
    assert.equal((await get('/demo/admin')).status, 401);
    assert.equal((await get('/demo/me', { 'x-api-key': key })).status, 200);
    assert.equal((await get('/demo/admin', { 'x-api-key': key })).status, 403);
  });

  test('the admin signs in with the one-time password, must change it, then reaches /demo/admin', async () => {
    const otp = secret(/one-time password: (\S+)/);
    const post = (path: string, body: unknown, cookie = '') =>
      fetch(`${gw.url}${path}`, {
        method: 'POST',
        dispatcher: insecure,
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify(body),
      });
    const login = await post('/auth/login', { username: 'admin', password: otp });
    assert.equal(login.status, 200, await login.clone().text());
    const pending = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const blocked = await fetch(`${gw.url}/demo/admin`, { headers: { cookie: pending }, dispatcher: insecure });
    assert.equal(blocked.status, 401);
    const basicWithOtp = `Basic ${Buffer.from(`admin:${otp}`).toString('base64')}`;
    const basic = await fetch(`${gw.url}/demo/admin`, {
      headers: { authorization: basicWithOtp },
      dispatcher: insecure,
    });
    assert.equal(basic.status, 401, 'the one-time password does not work for Basic either');
    const changed = await post(
      '/auth/password',
      { current_password: otp, new_password: 'a passphrase of my own choosing' },
      pending,
    );
    assert.equal(changed.status, 200, await changed.clone().text());
    const session = (changed.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const admin = await fetch(`${gw.url}/demo/admin`, { headers: { cookie: session }, dispatcher: insecure });
    assert.equal(admin.status, 200);
  });
});
