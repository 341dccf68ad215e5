import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { PostgresStoreConfig, StoreConfig } from '../../src/store/config.js';
import { MasterKey } from '../../src/store/crypto.js';
import type { Row } from '../../src/store/db.js';
import { openStore, type SqlStore } from '../../src/store/store.js';

export const PG_CA = process.env.PORTCULLIS_PG_CA ?? '/var/lib/portcullis-test/pg-ca.pem';
export const PG_OTHER_CA = process.env.PORTCULLIS_PG_OTHER_CA ?? '/var/lib/portcullis-test/pg-other-ca.pem';
export const silentLogger = pino({ level: 'silent' });

/** A controllable clock: tests move time instead of sleeping. */
export class TestClock {
  t = 1_800_000_000_000;
  readonly now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Harness {
  readonly store: SqlStore;
  readonly clock: TestClock;
  /** Raw SQL as the superuser / file owner, bypassing the store (to inspect what is stored). */
  raw(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Opens the same database again with another master key (from env PC_TEST_MK). */
  reopen(masterKey: MasterKey): Promise<SqlStore>;
  cleanup(): Promise<void>;
}

export type HarnessFactory = () => Promise<Harness>;

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// SQLite

export const sqliteHarness: HarnessFactory = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-store-'));
  const clock = new TestClock();
  const key = MasterKey.generate();
  const config: StoreConfig = { driver: 'sqlite', path: join(dir, 'test.db'), masterKey: { env: 'PC_TEST_MK' } };
  const open = (k: MasterKey) =>
    openStore(config, {
      dataDir: dir,
      configDir: dir,
      logger: silentLogger,
      env: { PC_TEST_MK: k.encode() },
      clock: clock.now,
    });
  const store = await open(key);
  const { default: Database } = await import('better-sqlite3');
  return {
    store,
    clock,
    async raw(sql, params = []) {
      const db = new Database(join(dir, 'test.db'));
      try {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all(...params) as Row[];
        statement.run(...params);
        return [];
      } finally {
        db.close();
      }
    },
    reopen: open,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export async function pgUnavailable(): Promise<string | undefined> {
  if (!existsSync(PG_CA)) return `no PostgreSQL test CA at ${PG_CA} (run scripts/pg-tls-setup.sh as root)`;
  const client = new pg.Client(adminConnection('postgres'));
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL on 127.0.0.1:5432 over TLS is not reachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Decides skip vs fail: outside CI a missing server skips with a visible reason; under
 * CI=true it must fail, so a broken CI setup cannot pass silently.
 */
export async function pgSkipReason(): Promise<string | false> {
  const reason = await pgUnavailable();
  if (!reason) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true requires PostgreSQL: ${reason}`);
  return reason;
}

export function adminConnection(database: string): pg.ClientConfig {
  return {
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database,
    ssl: { ...(existsSync(PG_CA) ? { ca: readFileSync(PG_CA, 'utf8') } : {}), rejectUnauthorized: true },
    connectionTimeoutMillis: 5000,
  };
}

export async function adminQuery(database: string, sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client(adminConnection(database));
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<string> {
  const name = uniqueName('pc_store');
  await adminQuery('postgres', `CREATE DATABASE ${name}`);
  return name;
}

export async function dropTestDatabase(name: string): Promise<void> {
  await adminQuery('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export function pgConfig(database: string, extra: Partial<PostgresStoreConfig> = {}): PostgresStoreConfig {
  return {
    driver: 'postgres',
    host: '127.0.0.1',
    port: 5432,
    database,
    user: 'postgres',
    tls: { ca: PG_CA },
    masterKey: { env: 'PC_TEST_MK' },
    pool: { max: 4, statementTimeoutMs: 5000 },
    ...extra,
  };
}

/**
 * The shared suite on PostgreSQL runs as the least-privileged app role created by db init, so
 * it also proves the grants cover every store method. Raw inspection goes through the superuser.
 */
export const pgHarness: HarnessFactory = async () => {
  const database = uniqueName('pc_store');
  const appRole = uniqueName('pc_app');
  const ownerRole = uniqueName('pc_owner');
  const dir = mkdtempSync(join(tmpdir(), 'pc-store-pg-'));
  const clock = new TestClock();
  const key = MasterKey.generate();
  const config = pgConfig(database, {
    user: appRole,
    passwordFile: 'app.password',
    owner: { user: ownerRole, passwordFile: 'owner.password' },
  });
  const { provisionPostgres } = await import('../../src/store/provision.js');
  await provisionPostgres({ adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres', config, configDir: dir });
  const open = (k: MasterKey) =>
    openStore(config, {
      dataDir: dir,
      configDir: dir,
      logger: silentLogger,
      env: { PC_TEST_MK: k.encode() },
      clock: clock.now,
      migrations: 'check',
    });
  const store = await open(key);
  const opened: SqlStore[] = [store];
  return {
    store,
    clock,
    raw: (sql, params) => adminQuery(database, toDollar(sql), params),
    async reopen(k) {
      const s = await open(k);
      opened.push(s);
      return s;
    },
    async cleanup() {
      for (const s of opened) await s.close();
      await dropTestDatabase(database);
      for (const role of [appRole, ownerRole]) await adminQuery('postgres', `DROP ROLE IF EXISTS ${role}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

function toDollar(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
