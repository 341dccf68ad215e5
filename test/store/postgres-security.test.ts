import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import type { PostgresStoreConfig } from '../../src/store/config.js';
import { MasterKey } from '../../src/store/crypto.js';
import { isStoreError } from '../../src/store/errors.js';
import { LATEST_VERSION } from '../../src/store/migrations.js';
import { provisionPostgres, scramVerifier } from '../../src/store/provision.js';
import { openStore, type SqlStore } from '../../src/store/store.js';
import {
  adminQuery,
  createTestDatabase,
  dropTestDatabase,
  PG_CA,
  PG_OTHER_CA,
  pgConfig,
  pgSkipReason,
  silentLogger,
  uniqueName,
} from './helpers.js';

const skip = await pgSkipReason();
const key = MasterKey.generate();
const env = { PC_TEST_MK: key.encode() };

function open(config: PostgresStoreConfig, extra: { logger?: pino.Logger; migrations?: 'auto' | 'check' } = {}) {
  return openStore(config, {
    dataDir: tmpdir(),
    configDir: tmpdir(),
    logger: extra.logger ?? silentLogger,
    env,
    migrations: extra.migrations ?? 'auto',
  });
}

async function sslInUse(store: SqlStore): Promise<boolean> {
  const row = await store.db.get('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
  return row?.ssl === true;
}

describe('PostgreSQL transport security', { skip }, () => {
  let database: string;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    if (database) await dropTestDatabase(database);
  });

  test('connects over TLS verified against the configured CA', async () => {
    const store = await open(pgConfig(database));
    try {
      assert.equal(await sslInUse(store), true);
    } finally {
      await store.close();
    }
  });

  test('a URL cannot downgrade TLS with sslmode=disable', async () => {
    const store = await open({
      ...pgConfig(database),
      host: undefined,
      url: `postgres://postgres@127.0.0.1:5432/${database}?sslmode=disable`,
    } as PostgresStoreConfig);
    try {
      assert.equal(await sslInUse(store), true);
    } finally {
      await store.close();
    }
  });

  test('refuses a server certificate from another CA', async () => {
    assert.ok(existsSync(PG_OTHER_CA), `missing ${PG_OTHER_CA}`);
    await assert.rejects(open(pgConfig(database, { tls: { ca: PG_OTHER_CA } })), (e) =>
      isStoreError(e, 'PC_STORE_TLS'),
    );
  });

  test('refuses without a CA when the server certificate is not publicly trusted', async () => {
    await assert.rejects(open(pgConfig(database, { tls: {} })), (e) => isStoreError(e, 'PC_STORE_TLS'));
  });

  test('refuses a certificate for another host name', async () => {
    await assert.rejects(
      open(pgConfig(database, { tls: { ca: PG_CA, serverName: 'db.example.com' } })),
      (e) => isStoreError(e, 'PC_STORE_TLS') && /db\.example\.com/.test(e.message),
    );
  });

  test('plain TCP is refused for a non-loopback host, even with insecure: true', async () => {
    await assert.rejects(
      open(pgConfig(database, { host: '192.0.2.10', tls: { insecure: true } })),
      (e) => isStoreError(e, 'PC_STORE_TLS') && /loopback/.test(e.message),
    );
  });

  test('plain TCP to loopback works with insecure: true and logs a warning', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const store = await open(pgConfig(database, { tls: { insecure: true } }), { logger });
    try {
      assert.equal(await sslInUse(store), false);
      assert.ok(lines.some((l) => /NOT encrypted/.test(l)));
    } finally {
      await store.close();
    }
  });

  test('statement timeout cuts a long query and the store fails closed', async () => {
    const store = await open(pgConfig(database, { pool: { max: 2, statementTimeoutMs: 200 } }));
    try {
      const started = Date.now();
      await assert.rejects(store.db.get('SELECT pg_sleep(3)'), (e) => isStoreError(e, 'PC_STORE_UNAVAILABLE'));
      assert.ok(Date.now() - started < 2000);
      await store.ping();
    } finally {
      await store.close();
    }
  });

  test('survives its connections being killed (server restart seen from the pool)', async () => {
    const store = await open(pgConfig(database));
    try {
      await store.users.create({ username: 'before-kill' });
      await adminQuery(
        'postgres',
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'portcullis'",
        [database],
      );
      let ok = false;
      for (let i = 0; i < 20 && !ok; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ok = await store.ping().then(
          () => true,
          (e) => (isStoreError(e, 'PC_STORE_UNAVAILABLE') ? false : Promise.reject(e)),
        );
      }
      assert.ok(ok, 'reconnected');
      assert.ok(await store.users.getByUsername('before-kill'));
    } finally {
      await store.close();
    }
  });

  test('the gateway (check mode) refuses an unmigrated database with the command to run', async () => {
    const empty = await createTestDatabase();
    try {
      await assert.rejects(
        open(pgConfig(empty), { migrations: 'check' }),
        (e) => isStoreError(e, 'PC_STORE_SCHEMA') && /portcullis db migrate/.test(e.message),
      );
    } finally {
      await dropTestDatabase(empty);
    }
  });
});

describe('PostgreSQL least privilege (db init)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-dbinit-'));
  const database = uniqueName('pc_init');
  const appRole = uniqueName('pc_app');
  const ownerRole = uniqueName('pc_owner');
  const config: PostgresStoreConfig = {
    driver: 'postgres',
    host: '127.0.0.1',
    port: 5432,
    database,
    user: appRole,
    passwordFile: 'secrets/app.password',
    owner: { user: ownerRole, passwordFile: 'secrets/owner.password' },
    tls: { ca: PG_CA },
    masterKey: { env: 'PC_TEST_MK' },
  };
  let app: pg.Client;

  before(async () => {
    const result = await provisionPostgres({
      adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      config,
      configDir: dir,
      logger: silentLogger,
    });
    assert.deepEqual(result.created, [`role ${ownerRole}`, `role ${appRole}`, `database ${database}`]);
    assert.equal(result.migration.applied.length, LATEST_VERSION);
    app = new pg.Client({
      host: '127.0.0.1',
      database,
      user: appRole,
      password: readFileSync(join(dir, 'secrets/app.password'), 'utf8').trim(),
      ssl: { ca: readFileSync(PG_CA, 'utf8') },
    });
    await app.connect();
  });

  after(async () => {
    await app?.end().catch(() => {});
    await dropTestDatabase(database).catch(() => {});
    for (const role of [appRole, ownerRole])
      await adminQuery('postgres', `DROP ROLE IF EXISTS ${role}`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('password files are 0600 and the server holds only SCRAM verifiers we computed', async () => {
    for (const file of ['secrets/app.password', 'secrets/owner.password']) {
      assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);
      assert.match(readFileSync(join(dir, file), 'utf8').trim(), /^[A-Za-z0-9_-]{43}$/);
    }
    const rows = await adminQuery(
      'postgres',
      'SELECT rolname, rolpassword, rolsuper, rolcreatedb, rolcreaterole FROM pg_authid WHERE rolname = ANY($1)',
      [[appRole, ownerRole]],
    );
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.match(String(row.rolpassword), /^SCRAM-SHA-256\$4096:/);
      assert.equal(row.rolsuper, false);
      assert.equal(row.rolcreatedb, false);
      assert.equal(row.rolcreaterole, false);
    }
  });

  test('SCRAM verifier matches the RFC 7677 derivation for a fixed salt', () => {
    // Same salt + password must give the same verifier; a different password must not.
    const salt = Buffer.alloc(16, 7);
    assert.equal(scramVerifier('pencil', salt), scramVerifier('pencil', salt));
    assert.notEqual(scramVerifier('pencil', salt), scramVerifier('pencil2', salt));
  });

  test('the app role runs the store over TLS', async () => {
    const s = await openStore(config, { dataDir: dir, configDir: dir, logger: silentLogger, env, migrations: 'check' });
    try {
      assert.equal(await sslInUse(s), true);
      const who = await s.db.get('SELECT current_user AS u');
      assert.equal(who?.u, appRole);
      const u = await s.users.create({ username: 'app-user' });
      await s.users.update(u.id, { disabled: true });
      await s.audit.append({ type: 'test.app', actor: 'cli' });
      assert.equal((await s.audit.verify()).ok, true);
      await s.sessions.create('sid', { userId: u.id, expiresAt: Date.now() + 1000 });
      assert.equal(await s.users.delete(u.id), true);
    } finally {
      await s.close();
    }
  });

  for (const [what, sql] of [
    ['ALTER a table', 'ALTER TABLE users ADD COLUMN evil TEXT'],
    ['DROP a table', 'DROP TABLE users'],
    ['CREATE a table', 'CREATE TABLE evil (x INT)'],
    ['CREATE a temporary table', 'CREATE TEMP TABLE evil (x INT)'],
    ['TRUNCATE the audit log', 'TRUNCATE audit_log'],
    ['UPDATE audit rows', "UPDATE audit_log SET actor = 'evil'"],
    ['DELETE audit rows', 'DELETE FROM audit_log'],
    ['TRUNCATE users', 'TRUNCATE users'],
    ['change the schema history', 'DELETE FROM schema_migrations'],
    ['drop the append-only trigger', 'DROP TRIGGER audit_log_no_change ON audit_log'],
  ] as const) {
    test(`the app role cannot ${what}`, async () => {
      await assert.rejects(app.query(sql), (e: { code?: string }) => e.code === '42501');
    });
  }

  test('re-running db init is safe: no new roles, passwords kept', async () => {
    const before = readFileSync(join(dir, 'secrets/app.password'), 'utf8');
    const result = await provisionPostgres({
      adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      config,
      configDir: dir,
    });
    assert.deepEqual(result.created, []);
    assert.deepEqual(result.passwordFiles, []);
    assert.equal(readFileSync(join(dir, 'secrets/app.password'), 'utf8'), before);
  });
});
