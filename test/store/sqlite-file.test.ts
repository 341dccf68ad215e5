import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { chainHash } from '../../src/store/audit.js';
import { MasterKey } from '../../src/store/crypto.js';
import { isStoreError } from '../../src/store/errors.js';
import type { SqliteDb } from '../../src/store/sqlite.js';
import { openStore } from '../../src/store/store.js';
import type { AuditVerifyResult } from '../../src/store/types.js';
import { silentLogger } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'pc-sqlite-file-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A database file with five audit records, closed, ready to be tampered with. */
async function auditFile(): Promise<{ dir: string; file: string; verify: () => Promise<AuditVerifyResult> }> {
  const dir = join(root, `db${++n}`);
  const store = await openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger });
  for (let i = 1; i <= 5; i++) {
    await store.audit.append({ type: 'auth.login.failure', actor: `user${i}`, ip: '198.51.100.4', details: { i } });
  }
  await store.close();
  const file = join(dir, 'portcullis.db');
  return {
    dir,
    file,
    async verify() {
      const s = await openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger });
      try {
        return await s.audit.verify();
      } finally {
        await s.close();
      }
    },
  };
}

/** Raw access as an attacker with the file would have it: triggers dropped first. */
function tamper(file: string, ...statements: string[]): void {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
    for (const sql of statements) db.exec(sql);
  } finally {
    db.close();
  }
}

function assertBad(result: AuditVerifyResult, problem: string, seq: number): void {
  assert.equal(result.ok, false, 'tampering detected');
  if (result.ok) return;
  assert.equal(result.problem, problem, result.message);
  assert.equal(result.firstBadSeq, seq, result.message);
}

describe('audit verify against direct edits of the SQLite file', () => {
  test('an untouched log verifies', async () => {
    const { verify } = await auditFile();
    const result = await verify();
    assert.equal(result.ok, true);
    assert.equal(result.count, 5);
  });

  test('a modified row is named', async () => {
    const { file, verify } = await auditFile();
    tamper(file, `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3`);
    assertBad(await verify(), 'modified', 3);
  });

  test('a modified details field is named', async () => {
    const { file, verify } = await auditFile();
    tamper(file, `UPDATE audit_log SET details = '{"i":99}' WHERE seq = 4`);
    assertBad(await verify(), 'modified', 4);
  });

  test('a rewritten hash is caught', async () => {
    const { file, verify } = await auditFile();
    tamper(file, `UPDATE audit_log SET hash = '${'a'.repeat(64)}' WHERE seq = 2`);
    assertBad(await verify(), 'modified', 2);
  });

  test('a deleted row is named', async () => {
    const { file, verify } = await auditFile();
    tamper(file, 'DELETE FROM audit_log WHERE seq = 3');
    assertBad(await verify(), 'deleted', 3);
  });

  test('a deleted row with the rest renumbered is still caught', async () => {
    const { file, verify } = await auditFile();
    tamper(file, 'DELETE FROM audit_log WHERE seq = 2', 'UPDATE audit_log SET seq = seq - 1 WHERE seq > 2');
    assertBad(await verify(), 'deleted', 2);
  });

  test('swapped rows are reported as reordered', async () => {
    const { file, verify } = await auditFile();
    tamper(
      file,
      'UPDATE audit_log SET seq = -3 WHERE seq = 3',
      'UPDATE audit_log SET seq = 3 WHERE seq = 4',
      'UPDATE audit_log SET seq = 4 WHERE seq = -3',
    );
    assertBad(await verify(), 'reordered', 3);
  });

  test('a forged row with a correctly computed hash is reported as inserted', async () => {
    const { file, verify } = await auditFile();
    const db = new Database(file);
    const prev = db.prepare('SELECT hash FROM audit_log WHERE seq = 2').get() as { hash: string };
    db.close();
    const forged = { at: 1, type: 'admin.grant', actor: 'attacker', subject: 'attacker', ip: null, details: {} };
    const hash = chainHash(prev.hash, forged);
    // The UNIQUE prev_hash constraint refuses a second row after record 2 (no forks) ...
    assert.throws(
      () =>
        tamper(
          file,
          `INSERT INTO audit_log (seq, at, type, actor, subject, ip, details, prev_hash, hash)
           VALUES (99, 1, 'x', NULL, NULL, NULL, '{}', '${prev.hash}', '${hash}')`,
        ),
      /UNIQUE/,
    );
    // ... so the attacker rebuilds the table without constraints first.
    tamper(
      file,
      'CREATE TABLE audit_copy AS SELECT * FROM audit_log',
      'DROP TABLE audit_log',
      'ALTER TABLE audit_copy RENAME TO audit_log',
    );
    tamper(
      file,
      'UPDATE audit_log SET seq = -seq WHERE seq >= 3',
      'UPDATE audit_log SET seq = -seq + 1 WHERE seq < 0',
      `INSERT INTO audit_log (seq, at, type, actor, subject, ip, details, prev_hash, hash)
       VALUES (3, 1, 'admin.grant', 'attacker', 'attacker', NULL, '{}', '${prev.hash}', '${hash}')`,
    );
    assertBad(await verify(), 'inserted', 3);
  });

  test('deleting the newest rows is caught only with an anchor kept elsewhere', async () => {
    const { dir, file, verify } = await auditFile();
    const s = await openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger });
    const [last] = await s.audit.list({ afterSeq: 4 });
    await s.close();
    tamper(file, 'DELETE FROM audit_log WHERE seq = 5');
    assert.equal((await verify()).ok, true, 'a clean tail cut is invisible without an anchor');
    const s2 = await openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger });
    try {
      assertBad(await s2.audit.verify({ seq: 5, hash: last!.hash }), 'deleted', 5);
    } finally {
      await s2.close();
    }
  });

  test('the append-only triggers stop casual edits', async () => {
    const { file } = await auditFile();
    const db = new Database(file);
    try {
      assert.throws(() => db.exec("UPDATE audit_log SET actor = 'x'"), /append-only/);
      assert.throws(() => db.exec('DELETE FROM audit_log'), /append-only/);
    } finally {
      db.close();
    }
  });
});

describe('SQLite file, master key and backup', () => {
  test('embedded default: database and master key created 0600 in the data directory', async () => {
    const dir = join(root, 'defaults');
    const store = await openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger });
    await store.secrets.put('x', 'y');
    await store.close();
    assert.equal(statSync(join(dir, 'portcullis.db')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
    const db = new Database(join(dir, 'portcullis.db'));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  test('a wrong master key fails at start, naming both key ids', async () => {
    const dir = join(root, 'wrongkey');
    const right = MasterKey.generate();
    const wrong = MasterKey.generate();
    const config = { driver: 'sqlite' as const, masterKey: { env: 'MK' } };
    const s = await openStore(config, {
      dataDir: dir,
      configDir: dir,
      logger: silentLogger,
      env: { MK: right.encode() },
    });
    await s.close();
    await assert.rejects(
      openStore(config, { dataDir: dir, configDir: dir, logger: silentLogger, env: { MK: wrong.encode() } }),
      (e) => isStoreError(e, 'PC_STORE_MASTER_KEY') && e.message.includes(right.id) && e.message.includes(wrong.id),
    );
  });

  test('a lost default key file is fatal, never silently replaced', async () => {
    const dir = join(root, 'lostkey');
    const s = await openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger });
    await s.close();
    unlinkSync(join(dir, 'master.key'));
    await assert.rejects(
      openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger }),
      (e) => isStoreError(e, 'PC_STORE_MASTER_KEY') && /does not exist/.test(e.message),
    );
    assert.equal(existsSync(join(dir, 'master.key')), false);
  });

  test('online backup is a consistent, openable copy', async () => {
    const dir = join(root, 'backup');
    const s = await openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger });
    await s.users.create({ username: 'kept' });
    await s.audit.append({ type: 'db.backup', actor: 'cli' });
    const dest = join(root, 'backup-copy', 'copy.db');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(root, 'backup-copy'));
    await (s.db as SqliteDb).backup(dest);
    await s.close();
    assert.equal(statSync(dest).mode & 0o777, 0o600);
    const copy = await openStore(
      { driver: 'sqlite', path: dest, masterKey: { file: join(dir, 'master.key') } },
      { dataDir: dir, configDir: dir, logger: silentLogger },
    );
    try {
      assert.ok(await copy.users.getByUsername('kept'));
      assert.equal((await copy.audit.verify()).ok, true);
    } finally {
      await copy.close();
    }
  });

  test('a schema newer than this build is refused', async () => {
    const dir = join(root, 'newer');
    const s = await openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger });
    await s.close();
    const db = new Database(join(dir, 'portcullis.db'));
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future');
    db.close();
    await assert.rejects(openStore(undefined, { dataDir: dir, configDir: dir, logger: silentLogger }), (e) =>
      isStoreError(e, 'PC_STORE_SCHEMA'),
    );
  });
});
