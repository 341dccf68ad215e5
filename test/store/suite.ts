import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MasterKey } from '../../src/store/crypto.js';
import { isStoreError } from '../../src/store/errors.js';
import type { Harness, HarnessFactory } from './helpers.js';

/** Values shaped like SQL injection, quoting and encoding attacks. */
export const NASTY = [
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '"; DELETE FROM audit_log; --',
  "x'); INSERT INTO roles (name) VALUES ('pwn'); --",
  "\\'; SELECT pg_sleep(5); --",
  '?',
  '$1',
  "%' OR 1=1 --",
  'Robert\u0008); DROP TABLE sessions;--',
  '\u2028\u2029🚀 ñ',
];

/**
 * The shared store suite: both engines must pass exactly the same tests. `skip` is a reason
 * string when the engine is unavailable (never under CI=true; see pgSkipReason).
 */
export function storeSuite(engine: string, factory: HarnessFactory, skip: string | false = false): void {
  describe(`store suite (${engine})`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await factory();
    });
    after(async () => {
      await h?.cleanup();
    });

    test('users: create, read, update, list, conflict', async () => {
      const { store } = h;
      const u = await store.users.create({
        username: 'alice',
        displayName: 'Alice',
        roles: ['admin'],
        groups: ['ops'],
      });
      assert.match(u.id, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(u.failedLogins, 0);
      assert.equal(u.disabled, false);
      assert.deepEqual(await store.users.getByUsername('alice'), u);
      await assert.rejects(store.users.create({ username: 'alice' }), (e) => isStoreError(e, 'PC_STORE_CONFLICT'));
      h.clock.advance(1000);
      const updated = await store.users.update(u.id, {
        passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def',
        mustChangePassword: true,
        roles: ['viewer'],
        plan: 'pro',
      });
      assert.equal(updated?.passwordHash, '$argon2id$v=19$m=19456,t=2,p=1$abc$def');
      assert.equal(updated?.mustChangePassword, true);
      assert.deepEqual(updated?.roles, ['viewer']);
      assert.deepEqual(updated?.groups, ['ops']);
      assert.equal(updated?.updatedAt, u.createdAt + 1000);
      assert.equal(await store.users.update('nope', { disabled: true }), undefined);
      await store.users.create({ username: 'bob' });
      assert.deepEqual(
        (await store.users.list()).map((x) => x.username),
        ['alice', 'bob'],
      );
      assert.deepEqual(
        (await store.users.list({ limit: 1, offset: 1 })).map((x) => x.username),
        ['bob'],
      );
      assert.equal(await store.users.count(), 2);
    });

    test('users: failed-login counter is atomic under concurrency and reset on success', async () => {
      const { store } = h;
      const u = await store.users.create({ username: 'carol' });
      const counts = await Promise.all(Array.from({ length: 25 }, () => store.users.recordLoginFailure(u.id)));
      assert.deepEqual(
        [...counts].sort((a, b) => a - b),
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      await store.users.update(u.id, { lockedUntil: h.clock.t + 60_000 });
      const locked = await store.users.get(u.id);
      assert.equal(locked?.failedLogins, 25);
      assert.equal(locked?.lockedUntil, h.clock.t + 60_000);
      await store.users.recordLoginSuccess(u.id);
      const ok = await store.users.get(u.id);
      assert.equal(ok?.failedLogins, 0);
      assert.equal(ok?.lockedUntil, null);
      assert.equal(ok?.lastLoginAt, h.clock.t);
      assert.equal(await store.users.recordLoginFailure('missing'), 0);
    });

    test('users: delete takes sessions, MFA and API keys with it', async () => {
      const { store } = h;
      const u = await store.users.create({ username: 'dave' });
      await store.sessions.create('sess-dave', { userId: u.id, expiresAt: h.clock.t + 3_600_000 });
      await store.mfa.setTotp(u.id, Buffer.from('seed'));
      await store.apiKeys.create({ prefix: 'pc_dave', hash: 'h', owner: u.id });
      assert.equal(await store.users.delete(u.id), true);
      assert.equal(await store.sessions.get('sess-dave'), undefined);
      assert.equal(await store.mfa.getTotp(u.id), undefined);
      assert.equal(await store.apiKeys.getByPrefix('pc_dave'), undefined);
      assert.equal(await store.users.delete(u.id), false);
    });

    test('roles and groups', async () => {
      const { store } = h;
      await store.roles.put({ name: 'viewer', permissions: ['read'] });
      const admin = await store.roles.put({ name: 'admin', permissions: ['write'], inherits: ['viewer'] });
      assert.deepEqual(admin.inherits, ['viewer']);
      h.clock.advance(5);
      const again = await store.roles.put({ name: 'admin', description: 'all', permissions: ['write', 'delete'] });
      assert.equal(again.createdAt, admin.createdAt);
      assert.equal(again.updatedAt, admin.createdAt + 5);
      assert.deepEqual(again.inherits, []);
      assert.deepEqual(
        (await store.roles.list()).map((r) => r.name),
        ['admin', 'viewer'],
      );
      assert.equal(await store.roles.delete('viewer'), true);
      assert.equal(await store.roles.get('viewer'), undefined);
      const g = await store.groups.put({ name: 'ops', roles: ['admin'] });
      assert.deepEqual((await store.groups.get('ops'))?.roles, ['admin']);
      assert.equal(g.description, null);
      assert.equal((await store.groups.list()).length, 1);
      assert.equal(await store.groups.delete('ops'), true);
    });

    test('API keys: create, lookup by prefix, touch, revoke, conflict', async () => {
      const { store } = h;
      const hash = await store.keyedHash('api-key', 'pc_abc123.secretpart');
      const k = await store.apiKeys.create({
        prefix: 'pc_abc123',
        hash,
        owner: 'svc-1',
        scopes: ['read', 'write'],
        plan: 'free',
        expiresAt: h.clock.t + 86_400_000,
      });
      assert.equal(k.lastUsedAt, null);
      assert.equal((await store.apiKeys.getByPrefix('pc_abc123'))?.hash, hash);
      await assert.rejects(store.apiKeys.create({ prefix: 'pc_abc123', hash: 'x', owner: 'o' }), (e) =>
        isStoreError(e, 'PC_STORE_CONFLICT'),
      );
      h.clock.advance(10);
      await store.apiKeys.touch(k.id);
      assert.equal((await store.apiKeys.get(k.id))?.lastUsedAt, h.clock.t);
      assert.equal(await store.apiKeys.revoke(k.id), true);
      const revokedAt = (await store.apiKeys.get(k.id))?.revokedAt;
      assert.equal(revokedAt, h.clock.t);
      h.clock.advance(10);
      await store.apiKeys.revoke(k.id);
      assert.equal((await store.apiKeys.get(k.id))?.revokedAt, revokedAt, 'first revocation time is kept');
      assert.equal(await store.apiKeys.revoke('nope'), false);
      await store.apiKeys.create({ prefix: 'pc_other', hash: 'y', owner: 'svc-2' });
      assert.deepEqual(
        (await store.apiKeys.list({ owner: 'svc-2' })).map((x) => x.prefix),
        ['pc_other'],
      );
      assert.ok((await store.apiKeys.list()).length >= 2);
    });

    test('keyedHash is stable, keyed and domain-separated', async () => {
      const { store } = h;
      const a = await store.keyedHash('api-key', 'value');
      assert.match(a, /^[0-9a-f]{64}$/);
      assert.equal(await store.keyedHash('api-key', 'value'), a);
      assert.notEqual(await store.keyedHash('recovery-code', 'value'), a);
      assert.notEqual(await store.keyedHash('api-key', 'value2'), a);
    });

    test('OAuth clients', async () => {
      const { store } = h;
      await store.oauthClients.create({
        clientId: 'app1',
        secretHash: 'hash1',
        metadata: { redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code'] },
      });
      assert.deepEqual((await store.oauthClients.get('app1'))?.metadata.redirect_uris, ['https://app.example/cb']);
      const updated = await store.oauthClients.update('app1', { secretHash: 'hash2', disabled: true });
      assert.equal(updated?.secretHash, 'hash2');
      assert.equal(updated?.disabled, true);
      assert.deepEqual(updated?.metadata.grant_types, ['authorization_code']);
      await assert.rejects(store.oauthClients.create({ clientId: 'app1' }), (e) =>
        isStoreError(e, 'PC_STORE_CONFLICT'),
      );
      assert.equal((await store.oauthClients.list()).length, 1);
      assert.equal(await store.oauthClients.delete('app1'), true);
      assert.equal(await store.oauthClients.get('app1'), undefined);
    });

    test('OIDC models: find by id / uid / userCode, consume once, expiry, revokeByGrantId', async () => {
      const { store, clock } = h;
      const base = { payload: { accountId: 'u1', nested: { a: [1, 2] } }, grantId: 'g1', expiresAt: clock.t + 60_000 };
      await store.oidc.upsert({ model: 'AuthorizationCode', id: 'code1', ...base });
      await store.oidc.upsert({ model: 'Interaction', id: 'int1', uid: 'uid1', ...base, grantId: null });
      await store.oidc.upsert({ model: 'DeviceCode', id: 'dev1', userCode: 'ABCD-EFGH', ...base });
      await store.oidc.upsert({ model: 'RefreshToken', id: 'rt1', ...base, expiresAt: null });
      assert.deepEqual((await store.oidc.find('AuthorizationCode', 'code1'))?.payload, base.payload);
      assert.equal(await store.oidc.find('AccessToken', 'code1'), undefined, 'model is part of the key');
      assert.equal((await store.oidc.findByUid('Interaction', 'uid1'))?.id, 'int1');
      assert.equal((await store.oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'))?.id, 'dev1');
      assert.equal(await store.oidc.consume('AuthorizationCode', 'code1'), true);
      assert.equal(await store.oidc.consume('AuthorizationCode', 'code1'), false, 'a code is consumed once');
      assert.equal((await store.oidc.find('AuthorizationCode', 'code1'))?.consumedAt, clock.t);
      clock.advance(60_001);
      assert.equal(await store.oidc.find('AuthorizationCode', 'code1'), undefined, 'expired rows are invisible');
      assert.ok(await store.oidc.find('RefreshToken', 'rt1'), 'no expiry');
      assert.equal(await store.oidc.deleteExpired(), 3);
      await store.oidc.upsert({ model: 'AccessToken', id: 'at1', ...base, expiresAt: clock.t + 1000 });
      assert.equal(await store.oidc.revokeByGrantId('g1'), 2);
      assert.equal(await store.oidc.find('RefreshToken', 'rt1'), undefined);
      await store.oidc.upsert({ model: 'Session', id: 's1', payload: {}, expiresAt: null });
      await store.oidc.destroy('Session', 's1');
      assert.equal(await store.oidc.find('Session', 's1'), undefined);
    });

    test('OIDC models: revokeByAccount removes the rows of the account and every row of its grants, no other', async () => {
      const { store, clock } = h;
      const until = clock.t + 60_000;
      const mine = { accountId: 'acct-gone' };
      await store.oidc.upsert({
        model: 'Grant',
        id: 'g-gone',
        payload: mine,
        accountId: 'acct-gone',
        expiresAt: until,
      });
      await store.oidc.upsert({
        model: 'RefreshToken',
        id: 'rt-gone',
        payload: mine,
        grantId: 'g-gone',
        accountId: 'acct-gone',
        expiresAt: until,
      });
      await store.oidc.upsert({
        model: 'Session',
        id: 'op-gone',
        payload: mine,
        accountId: 'acct-gone',
        expiresAt: until,
      });
      // Names only the grant: goes with it.
      await store.oidc.upsert({
        model: 'AccessToken',
        id: 'at-gone',
        payload: {},
        grantId: 'g-gone',
        expiresAt: until,
      });
      await store.oidc.upsert({
        model: 'RefreshToken',
        id: 'rt-kept',
        payload: { accountId: 'acct-kept' },
        grantId: 'g-kept',
        accountId: 'acct-kept',
        expiresAt: until,
      });
      assert.equal(await store.oidc.revokeByAccount('acct-gone'), 4);
      for (const [model, id] of [
        ['Grant', 'g-gone'],
        ['RefreshToken', 'rt-gone'],
        ['Session', 'op-gone'],
        ['AccessToken', 'at-gone'],
      ] as const) {
        assert.equal(await store.oidc.find(model, id), undefined, `${model} ${id}`);
      }
      assert.ok(await store.oidc.find('RefreshToken', 'rt-kept'), 'another account untouched');
      assert.equal(await store.oidc.revokeByAccount('acct-gone'), 0);
      await store.oidc.revokeByAccount('acct-kept');
    });

    test('signing keys: private key encrypted at rest, retire, expiry hides', async () => {
      const { store, clock } = h;
      const pem =
        '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
      const k = await store.signingKeys.create({
        kid: 'k1',
        alg: 'ES256',
        publicJwk: { kty: 'EC', crv: 'P-256' },
        privateKey: pem,
      });
      assert.equal(k.privateKey, pem);
      const [row] = await h.raw('SELECT private_key_enc FROM signing_keys WHERE kid = ?', ['k1']);
      assert.ok(row && !String(row.private_key_enc).includes('PRIVATE KEY'), 'no plaintext in the table');
      await store.signingKeys.create({ kid: 'k2', alg: 'EdDSA', publicJwk: { kty: 'OKP' }, privateKey: 'x' });
      assert.equal(await store.signingKeys.retire('k1', clock.t + 1000), true);
      assert.equal((await store.signingKeys.get('k1'))?.retiredAt, clock.t);
      assert.deepEqual((await store.signingKeys.list()).map((x) => x.kid).sort(), ['k1', 'k2']);
      clock.advance(1001);
      assert.deepEqual(
        (await store.signingKeys.list()).map((x) => x.kid),
        ['k2'],
      );
      assert.equal((await store.signingKeys.list({ includeExpired: true })).length, 2);
      assert.equal(await store.signingKeys.delete('k1'), true);
    });

    test('a sealed value copied to another row does not decrypt', async () => {
      const { store } = h;
      await store.secrets.put('upstream.a', 'password-a');
      await store.secrets.put('upstream.b', 'password-b');
      const [a] = await h.raw('SELECT value_enc FROM secrets WHERE name = ?', ['upstream.a']);
      await h.raw('UPDATE secrets SET value_enc = ? WHERE name = ?', [a?.value_enc, 'upstream.b']);
      await assert.rejects(store.secrets.get('upstream.b'), (e) => isStoreError(e, 'PC_STORE_DECRYPT'));
      assert.equal(await store.secrets.get('upstream.a'), 'password-a');
      assert.deepEqual(await store.secrets.list(), ['upstream.a', 'upstream.b']);
      assert.equal(await store.secrets.delete('upstream.b'), true);
      assert.equal(await store.secrets.get('upstream.b'), undefined);
    });

    test('MFA: TOTP seed encrypted, step replay refused, recovery codes single use', async () => {
      const { store } = h;
      const seed = Buffer.from('12345678901234567890');
      await store.mfa.setTotp('u-mfa', seed);
      const [row] = await h.raw('SELECT secret_enc FROM mfa_totp WHERE user_id = ?', ['u-mfa']);
      assert.ok(row && !Buffer.from(String(row.secret_enc), 'base64').includes(seed));
      const t = await store.mfa.getTotp('u-mfa');
      assert.deepEqual(t?.secret, seed);
      assert.equal(t?.confirmedAt, null);
      assert.equal(await store.mfa.confirmTotp('u-mfa'), true);
      assert.equal(await store.mfa.useTotpStep('u-mfa', 100), true);
      assert.equal(await store.mfa.useTotpStep('u-mfa', 100), false, 'same step replayed');
      assert.equal(await store.mfa.useTotpStep('u-mfa', 99), false, 'older step');
      const racing = await Promise.all([store.mfa.useTotpStep('u-mfa', 101), store.mfa.useTotpStep('u-mfa', 101)]);
      assert.deepEqual(racing.filter(Boolean).length, 1, 'exactly one concurrent use wins');
      const codes = await Promise.all(['a', 'b', 'c'].map((c) => store.keyedHash('recovery-code', c)));
      await store.mfa.setRecoveryCodes('u-mfa', codes);
      assert.equal(await store.mfa.countRecoveryCodes('u-mfa'), 3);
      assert.equal(await store.mfa.consumeRecoveryCode('u-mfa', codes[0]!), true);
      assert.equal(await store.mfa.consumeRecoveryCode('u-mfa', codes[0]!), false);
      assert.equal(await store.mfa.countRecoveryCodes('u-mfa'), 2);
      await store.mfa.setTotp('u-mfa', Buffer.from('new seed'));
      assert.equal((await store.mfa.getTotp('u-mfa'))?.lastUsedStep, null, 'a new seed resets replay state');
      assert.equal(await store.mfa.deleteTotp('u-mfa'), true);
    });

    test('sessions: only the hash is stored, absolute expiry, log out everywhere', async () => {
      const { store, clock } = h;
      const s = await store.sessions.create('cookie-secret-1', {
        userId: 'u-s',
        expiresAt: clock.t + 1000,
        data: { amr: ['pwd'] },
      });
      assert.match(s.idHash, /^[0-9a-f]{64}$/);
      const rows = await h.raw('SELECT * FROM sessions');
      assert.ok(!JSON.stringify(rows).includes('cookie-secret-1'));
      await store.sessions.create('cookie-secret-2', { userId: 'u-s', expiresAt: clock.t + 5000 });
      clock.advance(500);
      assert.equal(await store.sessions.touch('cookie-secret-1'), true);
      assert.equal((await store.sessions.get('cookie-secret-1'))?.lastSeenAt, clock.t);
      assert.deepEqual((await store.sessions.get('cookie-secret-1'))?.data, { amr: ['pwd'] });
      clock.advance(600);
      assert.equal(await store.sessions.get('cookie-secret-1'), undefined, 'past absolute expiry');
      assert.equal(await store.sessions.touch('cookie-secret-1'), false);
      assert.equal((await store.sessions.listByUser('u-s')).length, 1);
      assert.equal(await store.sessions.deleteExpired(), 1);
      assert.equal(await store.sessions.deleteByUser('u-s'), 1);
      assert.equal(await store.sessions.get('cookie-secret-2'), undefined);
    });

    test('bans: active only, permanent, expiry', async () => {
      const { store, clock } = h;
      await store.bans.put({ key: 'ip:203.0.113.7', reason: 'brute force', until: clock.t + 1000 });
      await store.bans.put({ key: 'user:42', reason: 'abuse', until: null });
      assert.equal((await store.bans.get('ip:203.0.113.7'))?.reason, 'brute force');
      assert.equal((await store.bans.list()).length, 2);
      clock.advance(1000);
      assert.equal(await store.bans.get('ip:203.0.113.7'), undefined);
      assert.ok(await store.bans.get('user:42'));
      assert.equal(await store.bans.deleteExpired(), 1);
      assert.equal(await store.bans.delete('user:42'), true);
    });

    test('revocations: a feed in seq order, in force only, with a catch-up window, expiry', async () => {
      const { store, clock } = h;
      const start = clock.t;
      const a = await store.revocations.add({ kind: 'apiKey', id: 'pc_feed0001', until: clock.t + 1000 });
      const b = await store.revocations.add({ kind: 'subject', id: 'u-feed', until: clock.t + 5000 });
      assert.ok(b > a);
      const all = await store.revocations.after(0, Number.MAX_SAFE_INTEGER);
      assert.deepEqual(
        all.filter((r) => r.id.includes('feed')).map((r) => [r.kind, r.id]),
        [
          ['apiKey', 'pc_feed0001'],
          ['subject', 'u-feed'],
        ],
      );
      assert.deepEqual(
        (await store.revocations.after(a, Number.MAX_SAFE_INTEGER)).map((r) => r.seq),
        [b],
      );
      // An entry with an earlier seq but inside the time window comes back (late commit on PG).
      assert.ok((await store.revocations.after(b, start)).some((r) => r.seq === a));
      clock.advance(1000);
      assert.ok(!(await store.revocations.after(0, 0)).some((r) => r.seq === a), 'past until');
      assert.equal(await store.revocations.deleteExpired(), 1);
      clock.advance(4000);
      assert.equal(await store.revocations.deleteExpired(), 1);
    });

    test('revocations: a cutoff keeps its issuedBefore through the feed; other kinds have none', async () => {
      const { store, clock } = h;
      const seq = await store.revocations.add({
        kind: 'cutoff',
        id: 'u-cut',
        until: clock.t + 5000,
        issuedBefore: clock.t - 1,
      });
      const plain = await store.revocations.add({ kind: 'session', id: 'h-cut', until: clock.t + 5000 });
      const rows = await store.revocations.after(seq - 1, Number.MAX_SAFE_INTEGER);
      assert.deepEqual(
        rows.map((r) => [r.seq, r.kind, r.id, r.issuedBefore]),
        [
          [seq, 'cutoff', 'u-cut', clock.t - 1],
          [plain, 'session', 'h-cut', null],
        ],
      );
      clock.advance(5000);
      assert.equal(await store.revocations.deleteExpired(), 2);
    });

    test('purgeExpired removes expired sessions, bans and OIDC models only', async () => {
      const { store, clock } = h;
      await store.sessions.create('purge-old', { userId: 'p', expiresAt: clock.t + 10 });
      await store.sessions.create('purge-new', { userId: 'p', expiresAt: clock.t + 100_000 });
      await store.bans.put({ key: 'purge:old', reason: 'x', until: clock.t + 10 });
      await store.oidc.upsert({ model: 'AccessToken', id: 'purge-old', payload: {}, expiresAt: clock.t + 10 });
      clock.advance(11);
      assert.equal(await store.purgeExpired(), 3);
      assert.ok(await store.sessions.get('purge-new'));
      assert.equal(await store.purgeExpired(), 0);
      await store.sessions.delete('purge-new');
    });

    test('audit: concurrent appends form one valid chain', async () => {
      const { store } = h;
      const first = await store.audit.append({
        type: 'auth.login.success',
        actor: 'u1',
        ip: '192.0.2.1',
        details: { b: 1, a: 'x' },
      });
      const all = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.audit.append({ type: 'auth.login.failure', actor: `u${i}`, subject: null }),
        ),
      );
      const seqs = [first.seq, ...all.map((r) => r.seq)].sort((a, b) => a - b);
      assert.deepEqual(
        seqs,
        Array.from({ length: 41 }, (_, i) => first.seq + i),
      );
      const result = await store.audit.verify();
      assert.equal(result.ok, true);
      const listed = await store.audit.list({ type: 'auth.login.success' });
      assert.equal(listed.length, 1);
      assert.deepEqual(listed[0]?.details, { a: 'x', b: 1 });
      assert.equal((await store.audit.list({ afterSeq: first.seq, limit: 5 })).length, 5);
      if (result.ok) {
        assert.equal(result.lastHash, (await store.audit.list({ afterSeq: seqs.at(-2)! }))[0]?.hash);
        const anchor = { seq: first.seq, hash: first.hash };
        assert.equal((await store.audit.verify(anchor)).ok, true);
        const bad = await store.audit.verify({ seq: first.seq, hash: 'f'.repeat(64) });
        assert.equal(bad.ok, false);
        const beyond = await store.audit.verify({ seq: 10_000, hash: first.hash });
        assert.ok(!beyond.ok && beyond.problem === 'deleted');
      }
    });

    test('audit rows cannot be updated or deleted through SQL by default', async () => {
      await h.store.audit.append({ type: 'test.guard', actor: 'cli' });
      await assert.rejects(h.raw("UPDATE audit_log SET actor = 'evil'"), /append-only/);
      await assert.rejects(h.raw('DELETE FROM audit_log'), /append-only/);
    });

    test('SQL-shaped values pass through every method as plain data', async () => {
      const { store, clock } = h;
      for (const [i, v] of NASTY.entries()) {
        const username = `${v}#${i}`;
        const u = await store.users.create({
          username,
          displayName: v,
          email: v,
          passwordHash: v,
          roles: [v],
          groups: [v],
          plan: v,
        });
        assert.equal((await store.users.getByUsername(username))?.id, u.id);
        assert.equal((await store.users.get(u.id))?.displayName, v);
        assert.deepEqual((await store.users.update(u.id, { displayName: v, roles: [v, v] }))?.roles, [v, v]);
        await store.users.recordLoginFailure(u.id);
        await store.users.recordLoginSuccess(u.id);
        await store.roles.put({ name: `${v}#${i}`, description: v, permissions: [v], inherits: [v] });
        assert.deepEqual((await store.roles.get(`${v}#${i}`))?.permissions, [v]);
        await store.groups.put({ name: `${v}#${i}`, description: v, roles: [v] });
        assert.equal((await store.groups.get(`${v}#${i}`))?.description, v);
        const key = await store.apiKeys.create({
          prefix: `${v}#${i}`,
          hash: v,
          name: v,
          owner: v,
          scopes: [v],
          plan: v,
        });
        assert.equal((await store.apiKeys.getByPrefix(`${v}#${i}`))?.id, key.id);
        assert.ok((await store.apiKeys.list({ owner: v })).length >= 1);
        await store.apiKeys.touch(key.id);
        await store.apiKeys.revoke(key.id);
        await store.oauthClients.create({ clientId: `${v}#${i}`, secretHash: v, metadata: { [v]: v } });
        assert.deepEqual((await store.oauthClients.update(`${v}#${i}`, { metadata: { x: v } }))?.metadata, { x: v });
        await store.oidc.upsert({
          model: v,
          id: v,
          payload: { v },
          grantId: `g${v}`,
          uid: v,
          userCode: v,
          expiresAt: clock.t + 1000,
        });
        assert.deepEqual((await store.oidc.find(v, v))?.payload, { v });
        assert.equal((await store.oidc.findByUid(v, v))?.id, v);
        assert.equal((await store.oidc.findByUserCode(v, v))?.id, v);
        assert.equal(await store.oidc.consume(v, v), true);
        assert.equal(await store.oidc.revokeByGrantId(`g${v}`), 1);
        await store.oidc.destroy(v, v);
        await store.signingKeys.create({ kid: `${v}#${i}`, alg: v, publicJwk: { v }, privateKey: v });
        assert.equal((await store.signingKeys.get(`${v}#${i}`))?.privateKey, v);
        await store.signingKeys.retire(`${v}#${i}`, null);
        await store.mfa.setTotp(v, Buffer.from(v));
        assert.deepEqual((await store.mfa.getTotp(v))?.secret, Buffer.from(v));
        await store.mfa.setRecoveryCodes(v, [v]);
        assert.equal(await store.mfa.consumeRecoveryCode(v, v), true);
        await store.secrets.put(v, v);
        assert.equal(await store.secrets.get(v), v);
        await store.sessions.create(v, { userId: v, expiresAt: clock.t + 1000, data: { v } });
        assert.equal((await store.sessions.get(v))?.userId, v);
        assert.equal((await store.sessions.listByUser(v)).length, 1);
        await store.sessions.touch(v);
        assert.equal(await store.sessions.deleteByUser(v), 1);
        await store.bans.put({ key: v, reason: v, until: null });
        assert.equal((await store.bans.get(v))?.reason, v);
        await store.audit.append({ type: v, actor: v, subject: v, ip: v, details: { [v]: [v] } });
        assert.equal((await store.audit.list({ type: v })).length, 1);
        assert.equal(await store.keyedHash(v, v), await store.keyedHash(v, v));
        // Clean-ups by key, so the next value starts fresh.
        assert.equal(await store.bans.delete(v), true);
        assert.equal(await store.secrets.delete(v), true);
        assert.equal(await store.mfa.deleteTotp(v), true);
        assert.equal(await store.signingKeys.delete(`${v}#${i}`), true);
        assert.equal(await store.oauthClients.delete(`${v}#${i}`), true);
        assert.equal(await store.apiKeys.delete(key.id), true);
        assert.equal(await store.groups.delete(`${v}#${i}`), true);
        assert.equal(await store.roles.delete(`${v}#${i}`), true);
        assert.equal(await store.users.delete(u.id), true);
      }
      // Every table is still there and the chain still verifies.
      for (const table of ['users', 'roles', 'sessions', 'audit_log']) {
        assert.ok(Array.isArray(await h.raw(`SELECT COUNT(*) AS n FROM ${table}`)));
      }
      assert.equal((await store.audit.verify()).ok, true);
      assert.equal(await store.roles.get('pwn'), undefined);
    });

    test('a NUL character is refused the same way on every engine, and nothing is written', async () => {
      const { store } = h;
      await assert.rejects(store.users.create({ username: 'nul\u0000user' }), (e) =>
        isStoreError(e, 'PC_STORE_INVALID'),
      );
      await assert.rejects(store.secrets.get('a\u0000b'), (e) => isStoreError(e, 'PC_STORE_INVALID'));
      assert.equal(await store.users.getByUsername('nul'), undefined);
    });

    test('master key rotation re-wraps every secret; the old key then fails loudly', async () => {
      const { store } = h;
      await store.secrets.put('rotate.me', 'upstream-token');
      await store.mfa.setTotp('u-rot', Buffer.from('seed-rot'));
      const hashBefore = await store.keyedHash('api-key', 'k');
      const next = MasterKey.generate();
      const count = await store.rotateMasterKey(next);
      assert.ok(count >= 4, `re-wrapped ${count}`);
      assert.equal(store.masterKeyId, next.id);
      assert.equal(await store.secrets.get('rotate.me'), 'upstream-token');
      const reopened = await h.reopen(next);
      assert.equal(await reopened.secrets.get('rotate.me'), 'upstream-token');
      assert.deepEqual((await reopened.mfa.getTotp('u-rot'))?.secret, Buffer.from('seed-rot'));
      assert.equal(await reopened.keyedHash('api-key', 'k'), hashBefore, 'keyed hashes survive rotation');
      await assert.rejects(
        h.reopen(MasterKey.generate()),
        (e) => isStoreError(e, 'PC_STORE_MASTER_KEY') && /wrong master key/.test(e.message),
      );
    });
  });
}
