import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { openStore } from '../store/store.js';
import { Sessions } from './sessions.js';

test('idle and absolute timeouts; pending sessions authenticate nothing; ids are stored hashed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-sess-'));
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;
  const store = await openStore(
    { driver: 'sqlite', path: ':memory:', masterKey: { env: 'MK' } },
    { dataDir: dir, configDir: dir, logger: pino({ level: 'silent' }), env: { MK: 'd'.repeat(64) }, clock },
  );
  try {
    const user = await store.users.create({ username: 'ivy', roles: ['r'] });
    const sessions = new Sessions(
      store,
      { cookie: '__Host-x', idleTimeoutMs: 60_000, absoluteTimeoutMs: 300_000 },
      clock,
    );
    const lookup = sessions.lookup();

    const a = await sessions.start(user.id, { amr: ['pwd'] });
    assert.equal(a.id.length, 43);
    assert.equal((await store.sessions.listByUser(user.id))[0]?.idHash.length, 64);
    assert.equal((await lookup.find(a.id))?.subject, user.id);
    now += 59_000;
    assert.ok(await lookup.find(a.id), 'activity within the idle window');
    await new Promise((r) => setTimeout(r, 20)); // the touch is fire-and-forget
    now += 59_000;
    assert.ok(await lookup.find(a.id), 'touched: idle window restarted');
    now += 61_000;
    assert.equal(await lookup.find(a.id), undefined, 'idle timeout');

    const b = await sessions.start(user.id, { amr: ['pwd'] });
    for (let i = 0; i < 6; i++) {
      now += 50_000;
      await lookup.find(b.id);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await lookup.find(b.id), undefined, 'absolute timeout despite activity');

    const pending = await sessions.start(user.id, { amr: ['pwd'], pending: 'mfa' });
    assert.equal(await lookup.find(pending.id), undefined);
    assert.ok(await sessions.get(pending.id), 'but the login flow can still find it');

    const c = await sessions.start(user.id, { amr: ['pwd'] });
    const d = await sessions.start(user.id, { amr: ['pwd'] }, c.id);
    assert.equal(await lookup.find(c.id), undefined, 'rotated away');
    assert.ok(await lookup.find(d.id));
    assert.match(sessions.setCookie(d.id), /^__Host-x=[\w-]+; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=300$/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
