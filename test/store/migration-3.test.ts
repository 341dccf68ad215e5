import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Db } from '../../src/store/db.js';
import { MIGRATIONS, migrate, splitStatements } from '../../src/store/migrations.js';
import { openPostgres } from '../../src/store/postgres.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { createTestDatabase, dropTestDatabase, pgConfig, pgSkipReason } from './helpers.js';

/**
 * A database written by a version-2 build: a revocation and OIDC models without account_id.
 * Migration 3 must keep the old revocation's meaning (no issued_before) and fill account_id from
 * each payload, so revokeByAccount also reaches grants made before the upgrade.
 */
async function upgradeFromVersion2(db: Db): Promise<void> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  );
  for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
    for (const statement of splitStatements(m.up(db.dialect))) await db.run(statement);
    await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, 1]);
  }
  await db.run('INSERT INTO revocations (kind, rid, until_at, created_at) VALUES (?, ?, ?, ?)', [
    'subject',
    'u-old',
    9_999_999_999_999,
    1,
  ]);
  await db.run('INSERT INTO oidc_models (model, id, payload, grant_id, expires_at) VALUES (?, ?, ?, ?, NULL)', [
    'Grant',
    'g-old',
    JSON.stringify({ accountId: 'u-old', clientId: 'web' }),
    null,
  ]);
  await db.run('INSERT INTO oidc_models (model, id, payload, grant_id, expires_at) VALUES (?, ?, ?, ?, NULL)', [
    'Interaction',
    'i-old',
    JSON.stringify({ uid: 'x' }),
    null,
  ]);
  const result = await migrate(db);
  assert.equal(result.from, 2);
  assert.deepEqual(
    result.applied.map((a) => a.version),
    MIGRATIONS.filter((m) => m.version > 2).map((m) => m.version),
  );
  const revocation = await db.get('SELECT kind, issued_before FROM revocations WHERE rid = ?', ['u-old']);
  assert.equal(revocation?.kind, 'subject');
  assert.equal(revocation?.issued_before, null, 'an old row stays what it was: no cutoff');
  const rows = await db.all('SELECT id, account_id FROM oidc_models ORDER BY id');
  assert.deepEqual(
    rows.map((r) => [r.id, r.account_id]),
    [
      ['g-old', 'u-old'],
      ['i-old', null],
    ],
  );
}

describe('migration 3 over a version-2 database', () => {
  test('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-mig3-'));
    const db = openSqlite(join(dir, 'v2.db'));
    try {
      await upgradeFromVersion2(db);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL', async (t) => {
    const reason = await pgSkipReason();
    if (reason) {
      t.skip(reason);
      return;
    }
    const database = await createTestDatabase();
    const db = await openPostgres(pgConfig(database), { configDir: process.cwd(), role: 'owner' });
    try {
      await upgradeFromVersion2(db);
    } finally {
      await db.close();
      await dropTestDatabase(database);
    }
  });
});
