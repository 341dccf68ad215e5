import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { CliIO, Command } from '../../src/cli/command.js';
import { auditCommand } from '../../src/cli/commands/audit.js';
import { dbCommand } from '../../src/cli/commands/db.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { LATEST_VERSION } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/store.js';
import { silentLogger } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-store-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(command: Command, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: {},
    cwd: dir,
  };
  const code = await command.run(argv, io);
  return { code, stdout, stderr };
}

function assertOneSentence(stderr: string): void {
  assert.equal(stderr.trim().split('\n').length, 1, `one line, got: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

describe('portcullis keys / db / audit', () => {
  const db = join(dir, 'gw.db');
  const key1 = join(dir, 'k1.key');
  const key2 = join(dir, 'k2.key');

  test('keys generate-master writes a 0600 key and never overwrites', async () => {
    const r = await run(keysCommand, 'generate-master', 'k1.key');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /master key [0-9a-f]{16} written/);
    assert.equal(statSync(key1).mode & 0o777, 0o600);
    const again = await run(keysCommand, 'generate-master', 'k1.key');
    assert.equal(again.code, 2);
    assertOneSentence(again.stderr);
    assert.equal((await run(keysCommand, 'generate-master', 'k2.key')).code, 0);
  });

  test('db migrate, then status', async () => {
    const r = await run(dbCommand, 'migrate', '--db', db, '--master-key-file', key1);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`migrated from version 0 to ${LATEST_VERSION}`));
    const again = await run(dbCommand, 'migrate', '--db', db, '--master-key-file', key1);
    assert.match(again.stdout, new RegExp(`up to date \\(version ${LATEST_VERSION}\\)`));
    const status = await run(dbCommand, 'status', '--db', db, '--master-key-file', key1);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      new RegExp(`driver: sqlite[\\s\\S]*schema: ${LATEST_VERSION}[\\s\\S]*master key: [0-9a-f]{16} \\(verified\\)`),
    );
  });

  test('audit verify reports intact, then names a tampered record', async () => {
    const store = await openStore(
      { driver: 'sqlite', path: db, masterKey: { file: key1 } },
      { dataDir: dir, configDir: dir, logger: silentLogger },
    );
    for (let i = 0; i < 4; i++) await store.audit.append({ type: 'user.create', actor: 'cli', subject: `u${i}` });
    await store.close();
    const ok = await run(auditCommand, 'verify', '--db', db, '--master-key-file', key1);
    assert.equal(ok.code, 0, ok.stderr);
    const head = /head (\d+:[0-9a-f]{64})/.exec(ok.stdout)?.[1];
    assert.ok(head, ok.stdout);
    assert.equal((await run(auditCommand, 'verify', '--db', db, '--master-key-file', key1, '--anchor', head!)).code, 0);

    const list = await run(
      auditCommand,
      'list',
      '--db',
      db,
      '--master-key-file',
      key1,
      '--type',
      'user.create',
      '--limit',
      '2',
    );
    assert.equal(list.stdout.trim().split('\n').length, 2);

    const raw = new Database(db);
    raw.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET subject = 'someone' WHERE seq = 2");
    raw.close();
    const bad = await run(auditCommand, 'verify', '--db', db, '--master-key-file', key1);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /TAMPERED \(modified\): record 2 was modified/);
  });

  test('keys rotate-master re-wraps; the old key then fails with one sentence', async () => {
    const store = await openStore(
      { driver: 'sqlite', path: db, masterKey: { file: key1 } },
      { dataDir: dir, configDir: dir, logger: silentLogger },
    );
    await store.secrets.put('upstream.billing', 'hunter2-token');
    await store.close();
    const r = await run(keysCommand, 'rotate-master', '--db', db, '--master-key-file', key1, '--new-key-file', key2);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /re-wrapped 3 secrets/);
    const reopened = await openStore(
      { driver: 'sqlite', path: db, masterKey: { file: key2 } },
      { dataDir: dir, configDir: dir, logger: silentLogger },
    );
    assert.equal(await reopened.secrets.get('upstream.billing'), 'hunter2-token');
    await reopened.close();
    const old = await run(dbCommand, 'status', '--db', db, '--master-key-file', key1);
    assert.equal(old.code, 1);
    assertOneSentence(old.stderr);
    assert.match(old.stderr, /wrong master key/);
  });

  test('keys rotate / list manage token-signing keys', async () => {
    const first = await run(keysCommand, 'rotate', '--db', db, '--master-key-file', key2);
    assert.equal(first.code, 0, first.stderr);
    const kid = /new signing key ([A-Za-z0-9_-]{43}) \(ES256\)/.exec(first.stdout)?.[1];
    assert.ok(kid, first.stdout);
    const second = await run(
      keysCommand,
      'rotate',
      '--alg',
      'EdDSA',
      '--publish-retired-for',
      '2h',
      '--db',
      db,
      '--master-key-file',
      key2,
    );
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`retired ${kid}, published 2h more`));
    const list = await run(keysCommand, 'list', '--db', db, '--master-key-file', key2);
    assert.equal(list.stdout.trim().split('\n').length, 3);
    assert.doesNotMatch(list.stdout, /PRIVATE/);
    const bad = await run(keysCommand, 'rotate', '--alg', 'HS256', '--db', db, '--master-key-file', key2);
    assert.equal(bad.code, 2);
    const badDuration = await run(keysCommand, 'rotate', '--publish-retired-for', 'forever', '--db', db);
    assert.equal(badDuration.code, 2);
  });

  test('db backup writes a 0600 copy and refuses to overwrite', async () => {
    const r = await run(dbCommand, 'backup', 'copy.db', '--db', db, '--master-key-file', key2);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(dir, 'copy.db')).mode & 0o777, 0o600);
    const again = await run(dbCommand, 'backup', 'copy.db', '--db', db, '--master-key-file', key2);
    assert.equal(again.code, 2);
    assertOneSentence(again.stderr);
    const pgBackup = await run(dbCommand, 'backup', 'x.dump', '--url', 'postgres://u@127.0.0.1/db');
    assert.equal(pgBackup.code, 2);
    assert.match(pgBackup.stderr, /pg_dump/);
  });

  test('--config: the store defaults to SQLite in the configured data directory', async () => {
    writeFileSync(
      join(dir, 'portcullis.yaml'),
      'dataDir: ./cfgdata\nlisteners:\n  - protocol: http\n    host: 127.0.0.1\n    port: 8080\n',
    );
    const r = await run(dbCommand, 'migrate', '--config', 'portcullis.yaml');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'cfgdata', 'portcullis.db')));
  });

  test('bad input is one plain sentence with exit code 2', async () => {
    for (const [command, argv] of [
      [dbCommand, ['frobnicate', '--db', db]],
      [dbCommand, []],
      [dbCommand, ['init']],
      [auditCommand, ['list', '--db', db, '--limit', 'ten']],
      [auditCommand, ['verify', '--db', db, '--anchor', 'nope']],
      [keysCommand, ['rotate-master', '--db', db]],
      [keysCommand, ['generate-master']],
      [dbCommand, ['migrate', '--db']],
      [auditCommand, ['verify', '--db', join(dir, 'typo.db')]],
      [dbCommand, ['status', '--db', join(dir, 'typo.db')]],
      [keysCommand, ['list', '--db', join(dir, 'typo.db')]],
    ] as const) {
      const r = await run(command, ...argv);
      assert.equal(r.code, 2, `${command.name} ${argv.join(' ')}: ${r.stderr}`);
      assertOneSentence(r.stderr);
    }
    assert.equal(existsSync(join(dir, 'typo.db')), false, 'a mistyped --db never creates a database');
  });

  test('--help prints usage and exits 0', async () => {
    for (const command of [dbCommand, keysCommand, auditCommand]) {
      const r = await run(command, '--help');
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: portcullis /);
      assert.match(command.help, /--db FILE/);
    }
  });
});
