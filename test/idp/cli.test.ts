import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pino from 'pino';
import type { CliIO } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { Accounts } from '../../src/idp/accounts.js';
import { CLIENT_SECRET_PURPOSE } from '../../src/idp/oidc.js';
import { openStore } from '../../src/store/store.js';

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIO = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, cwd };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

describe('portcullis user / role / client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-idp-cli-'));
  const db = join(dir, 'idp.db');
  const run = async (...argv: string[]) => {
    const t = io(dir);
    const code = await main([...argv, '--db', db], t.io);
    return { code, out: t.out(), err: t.err() };
  };
  const withStore = async <T>(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>) => {
    const store = await openStore(
      { driver: 'sqlite', path: db },
      { dataDir: dir, configDir: dir, logger: pino({ level: 'silent' }) },
    );
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };

  test('user add prints a one-time password that logs in and must be changed', async () => {
    const added = await run('user', 'add', 'Alice', '--roles', 'admin,ops');
    assert.equal(added.code, 0, added.err);
    const otp = /one-time password[^:]*: (\S+)/.exec(added.out)?.[1] as string;
    assert.match(otp, /^[A-Za-z0-9]{20}$/);
    const login = await withStore((store) => new Accounts(store).login('alice', otp, '192.0.2.9'));
    assert.equal(login.ok && login.mustChangePassword, true);
    const listed = await run('user', 'list', '--json');
    const row = JSON.parse(listed.out.trim()) as Record<string, unknown>;
    assert.deepEqual(row.roles, ['admin', 'ops']);
    assert.equal(row.state, 'must-change-password');
    assert.equal(row.passwordHash, undefined, 'never the hash');
  });

  test('disable, enable, set-roles, reset-password', async () => {
    assert.equal((await run('user', 'disable', 'alice')).code, 0);
    assert.match((await run('user', 'list')).out, /alice\t.*\tdisabled/);
    assert.equal((await run('user', 'enable', 'alice')).code, 0);
    assert.equal((await run('user', 'set-roles', 'alice', 'viewer')).code, 0);
    const reset = await run('user', 'reset-password', 'alice');
    assert.equal(reset.code, 0);
    const otp = /one-time password[^:]*: (\S+)/.exec(reset.out)?.[1] as string;
    const user = await withStore((store) => store.users.getByUsername('alice'));
    assert.deepEqual(user?.roles, ['viewer']);
    assert.equal(user?.mustChangePassword, true);
    assert.equal((await withStore((store) => new Accounts(store).login('alice', otp, 'x'))).ok, true);
  });

  test('revoke-sessions and reset-mfa: a cutoff on the feed, sessions and older API keys gone, the MFA seed removed', async () => {
    const { userId, keyId } = await withStore(async (store) => {
      const user = (await store.users.getByUsername('alice'))!;
      await store.sessions.create('alice-browser', { userId: user.id, expiresAt: Date.now() + 60_000 });
      const key = await store.apiKeys.create({ prefix: 'pc_alice001', hash: 'ab'.repeat(32), owner: user.id });
      await store.mfa.setTotp(user.id, Buffer.alloc(20, 7));
      await store.mfa.confirmTotp(user.id);
      return { userId: user.id, keyId: key.id };
    });
    const revoked = await run('user', 'revoke-sessions', 'alice');
    assert.equal(revoked.code, 0, revoked.err);
    assert.match(
      revoked.out,
      /alice signed out everywhere: 1 session\(s\) ended, 0 OIDC grant record\(s\) and 1 API key\(s\) revoked/,
    );
    await withStore(async (store) => {
      // reset-password (the test before) published one too; this one is the latest.
      const cutoffs = (await store.revocations.after(0, Number.MAX_SAFE_INTEGER)).filter(
        (r) => r.kind === 'cutoff' && r.id === userId,
      );
      assert.equal(cutoffs.length, 2);
      const cutoff = cutoffs[1]!;
      assert.ok(cutoff.issuedBefore !== null && cutoff.issuedBefore <= Date.now());
      // No configuration at hand: the cutoff lives as long as the longest session could.
      assert.ok(cutoff.until - cutoff.issuedBefore >= 2_592_000_000);
      assert.equal(await store.sessions.get('alice-browser'), undefined);
      assert.notEqual((await store.apiKeys.get(keyId))?.revokedAt, null);
      assert.equal(await new Accounts(store).hasMfa(userId), true, 'revoke-sessions leaves MFA alone');
    });
    const reset = await run('user', 'reset-mfa', 'alice');
    assert.equal(reset.code, 0, reset.err);
    assert.match(reset.out, /MFA of alice removed/);
    await withStore(async (store) => assert.equal(await new Accounts(store).hasMfa(userId), false));
    assert.match((await run('user', 'reset-mfa', 'alice')).out, /alice had no authenticator/);
    const help = io(dir);
    await main(['user', '--help'], help.io);
    assert.match(help.out(), /revoke-sessions USERNAME/);
    assert.match(help.out(), /reset-mfa USERNAME/);
  });

  test('bad input is one plain sentence and exit 2', async () => {
    for (const [argv, pattern] of [
      [['user', 'add', 'alice'], /already exists/],
      [['user', 'add', 'bad name!'], /username is 1-64/],
      [['user', 'disable', 'nobody'], /no user "nobody"/],
      [['user', 'revoke-sessions', 'nobody'], /no user "nobody"/],
      [['user', 'revoke-sessions'], /give the username/],
      [['user', 'frob'], /unknown sub-command/],
      [['role', 'add', 'bad role!'], /role name/],
      [['client', 'add', 'web'], /needs at least one --redirect-uri/],
      [['client', 'add', 'web', '--redirect-uri', 'http://app.example/cb'], /https/],
      [['client', 'add', 'web', '--redirect-uri', 'https://app.example/cb#x'], /fragment/],
      [['client', 'add', 'pub', '--public', '--grant-types', 'client_credentials'], /public client/],
    ] as const) {
      const r = await run(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, pattern);
      assert.doesNotMatch(r.err, /\n.+\n/, 'one line');
    }
  });

  test('roles and clients; a client secret is printed once and stored only as a keyed hash', async () => {
    assert.equal((await run('role', 'add', 'ops', '--permissions', 'deploy,restart', '--inherits', 'viewer')).code, 0);
    assert.match((await run('role', 'list')).out, /ops\tpermissions=deploy,restart\tinherits=viewer/);
    const added = await run(
      'client',
      'add',
      'web',
      '--redirect-uri',
      'https://app.example/cb',
      '--redirect-uri',
      'http://127.0.0.1:3000/cb',
    );
    assert.equal(added.code, 0, added.err);
    const secret = /client secret \(shown once\): (\S+)/.exec(added.out)?.[1] as string;
    const record = await withStore((store) => store.oauthClients.get('web'));
    assert.notEqual(record?.secretHash, secret);
    assert.equal(record?.secretHash, await withStore((store) => store.keyedHash(CLIENT_SECRET_PURPOSE, secret)));
    assert.deepEqual((record!.metadata as { redirect_uris: string[] }).redirect_uris, [
      'https://app.example/cb',
      'http://127.0.0.1:3000/cb',
    ]);
    const rotated = await run('client', 'rotate-secret', 'web');
    const next = /\(shown once\): (\S+)/.exec(rotated.out)?.[1] as string;
    assert.notEqual(next, secret);
    assert.match((await run('client', 'list')).out, /web\tconfidential\tgrants=authorization_code,refresh_token/);
    assert.equal((await run('client', 'remove', 'web')).code, 0);
    assert.equal((await run('client', 'remove', 'web')).code, 2);
  });
});
