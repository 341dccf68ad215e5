import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import argon2 from 'argon2';
import pino from 'pino';
import { assertSameTiming } from '../../test/helpers/timing.js';
import { openStore } from '../store/store.js';
import type { Store } from '../store/types.js';
import { Accounts } from './accounts.js';
import { ARGON2_PARAMS } from './passwords.js';

const PASSWORD = 'velvet canyon ladder';

/** The m, t, p parameters of a PHC argon2 string, in any order. */
function params(phc: string): Record<string, string> {
  const fields = Object.fromEntries((phc.split('$')[3] ?? '').split(',').map((kv) => kv.split('=')));
  return { m: fields.m, t: fields.t, p: fields.p };
}

describe('accounts', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-acct-'));
    store = await openStore(
      { driver: 'sqlite', path: ':memory:', masterKey: { env: 'MK' } },
      { dataDir: dir, configDir: dir, logger: pino({ level: 'silent' }), env: { MK: 'b'.repeat(64) } },
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('passwords are argon2id with m=19 MiB, t=2, p=1; usernames are NFKC + lower case', async () => {
    const accounts = new Accounts(store);
    const user = await accounts.createUser({ username: 'Ｂｏｂ', password: PASSWORD });
    assert.equal(user.username, 'bob');
    assert.match(user.passwordHash as string, /^\$argon2id\$v=19\$/);
    assert.deepEqual(params(user.passwordHash as string), { m: '19456', t: '2', p: '1' });
    await assert.rejects(accounts.createUser({ username: 'BOB', password: PASSWORD }), /already exists/);
    await assert.rejects(accounts.createUser({ username: 'carol', password: 'carol1234567890' }), /username/);
  });

  test('a hash made with weaker parameters is upgraded at the next successful login', async () => {
    const accounts = new Accounts(store);
    const weak = await argon2.hash(PASSWORD, { ...ARGON2_PARAMS, memoryCost: 4096, timeCost: 1 });
    const user = await store.users.create({ username: 'legacy', passwordHash: weak });
    const result = await accounts.login('legacy', PASSWORD, '192.0.2.1');
    assert.equal(result.ok, true);
    const after = await store.users.get(user.id);
    assert.deepEqual(params(after?.passwordHash as string), { m: '19456', t: '2', p: '1' });
    assert.equal((await accounts.login('legacy', PASSWORD, '192.0.2.1')).ok, true);
  });

  test('a locked account refuses even the right password, with the same answer as a wrong one', async () => {
    const accounts = new Accounts(store, { lockout: { maxFailures: 3, lockMs: 60_000 } });
    await accounts.createUser({ username: 'dana', password: PASSWORD });
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await accounts.login('dana', 'wrong password here', 'x'), { ok: false, reason: 'invalid' });
    assert.deepEqual(await accounts.login('dana', PASSWORD, 'x'), { ok: false, reason: 'invalid' });
    const user = await accounts.find('dana');
    assert.ok((user?.lockedUntil ?? 0) > Date.now());
    await store.users.update(user!.id, { lockedUntil: null });
    assert.equal((await accounts.login('dana', PASSWORD, 'x')).ok, true);
  });

  test('disabled users cannot log in', async () => {
    const accounts = new Accounts(store);
    const user = await accounts.createUser({ username: 'erin', password: PASSWORD });
    await store.users.update(user.id, { disabled: true });
    assert.deepEqual(await accounts.login('erin', PASSWORD, 'x'), { ok: false, reason: 'invalid' });
  });

  test('setPassword enforces the policy and ends every session', async () => {
    const accounts = new Accounts(store);
    const user = await accounts.createUser({ username: 'finn', password: PASSWORD });
    await store.sessions.create('s1', { userId: user.id, expiresAt: Date.now() + 60_000 });
    await assert.rejects(accounts.setPassword(user.id, 'letmein12345'), /common/);
    await accounts.setPassword(user.id, 'another quiet meadow');
    assert.equal(await store.sessions.get('s1'), undefined);
  });

  test('no user enumeration by timing: unknown vs wrong password, medians within 10 % over 200 interleaved tries', async (t) => {
    const accounts = new Accounts(store);
    await accounts.createUser({ username: 'gwen', password: PASSWORD });
    await accounts.login('warmup', 'x', 'x');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 200; i++) {
      // Interleaved so machine load affects both series alike.
      let start = process.hrtime.bigint();
      await accounts.login('gwen', `wrong password ${i}`, 'x');
      known.push(Number(process.hrtime.bigint() - start) / 1e6);
      start = process.hrtime.bigint();
      await accounts.login(`nobody${i}`, `wrong password ${i}`, 'x');
      unknown.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    assertSameTiming(t, known, unknown);
  });
});
