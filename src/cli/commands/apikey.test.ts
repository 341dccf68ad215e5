import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pino from 'pino';
import { API_KEY_PATTERN, ApiKeyVerifier } from '../../auth/api-key.js';
import { openStore } from '../../store/store.js';
import type { CliIO } from '../command.js';
import { apikeyCommand, parseExpiry } from './apikey.js';

function io(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {}, cwd: process.cwd() };
}

describe('portcullis apikey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-apikey-'));
  const db = join(dir, 'test.db');

  test('create prints the key once; the gateway verifier accepts it from the store; revoke refuses it', async () => {
    const created = io();
    const code = await apikeyCommand.run(
      [
        'create',
        '--db',
        db,
        '--owner',
        'billing-svc',
        '--scopes',
        'orders:read,orders:write',
        '--plan',
        'pro',
        '--expires',
        '30d',
      ],
      created,
    );
    assert.equal(code, 0, created.err.join(''));
    const key = created.out.join('').trim();
    assert.match(key, API_KEY_PATTERN);
    const prefix = key.split('_').slice(0, 2).join('_');

    const listed = io();
    assert.equal(await apikeyCommand.run(['list', '--db', db, '--json'], listed), 0);
    const rows = listed.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.prefix, prefix);
    assert.equal(rows[0]!.state, 'active');
    assert.equal(rows[0]!.hash, undefined, 'the hash is never listed');
    assert.ok(!listed.out.join('').includes(key.slice(12)), 'the secret is never listed');

    const store = await openStore(
      { driver: 'sqlite', path: db },
      { dataDir: dir, configDir: dir, logger: pino({ level: 'silent' }) },
    );
    try {
      const stored = await store.apiKeys.getByPrefix(prefix);
      assert.ok(stored && !stored.hash.includes(key), 'only a keyed hash is stored');
      const verify = () =>
        new ApiKeyVerifier({
          repository: store.apiKeys,
          hash: (k) => store.keyedHash('api-key', k),
          cacheTtlMs: 0,
        }).verify(key);
      const ok = await verify();
      assert.ok(ok.ok);
      assert.equal(ok.identity.subject, 'billing-svc');
      assert.deepEqual(ok.identity.scopes, ['orders:read', 'orders:write']);
      assert.equal(ok.identity.plan, 'pro');

      const revoked = io();
      assert.equal(await apikeyCommand.run(['revoke', prefix, '--db', db], revoked), 0, revoked.err.join(''));
      assert.deepEqual(await verify(), { ok: false, reason: 'revoked', prefix });
    } finally {
      await store.close();
    }
  });

  test('bad input is one plain sentence and exit code 2', async () => {
    for (const argv of [
      ['create', '--db', db],
      ['create', '--db', db, '--owner', 'x', '--expires', 'yesterday'],
      ['create', '--db', db, '--owner', 'x', '--scopes', 'a"b'],
      ['revoke', 'pc_nothere', '--db', db],
      ['frobnicate', '--db', db],
    ]) {
      const out = io();
      assert.equal(await apikeyCommand.run(argv, out), 2, argv.join(' '));
      const message = out.err.join('');
      assert.match(message, /^portcullis apikey: [^\n]+\n$/);
      assert.ok(!message.includes('    at '), 'no stack trace');
    }
  });

  test('expiry parsing', () => {
    assert.equal(parseExpiry('2d', 1000), 1000 + 2 * 86_400_000);
    assert.equal(parseExpiry('2999-01-31', 0), Date.parse('2999-01-31'));
    assert.throws(() => parseExpiry('2000-01-01'), /in the past/);
    assert.throws(() => parseExpiry('soon'), /duration/);
  });
});
