import { createHmac, randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createAuditLog } from './audit.js';
import type { StoreConfig } from './config.js';
import type { RepoContext } from './context.js';
import {
  createApiKeyRepository,
  createMfaRepository,
  createOAuthClientRepository,
  createSecretRepository,
  createSigningKeyRepository,
  ENCRYPTED_COLUMNS,
} from './credentials.js';
import {
  CHECK_CONTEXT,
  loadMasterKey,
  type MasterKey,
  makeCheckValue,
  type SealContext,
  verifyCheckValue,
} from './crypto.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import { assertSchemaCurrent, migrate } from './migrations.js';
import {
  createBanRepository,
  createOidcModelRepository,
  createRevocationRepository,
  createSessionRepository,
} from './sessions.js';
import type {
  ApiKeyRepository,
  AuditLog,
  BanRepository,
  GroupRepository,
  MfaRepository,
  OAuthClientRepository,
  OidcModelRepository,
  OpenStoreOptions,
  RevocationRepository,
  RoleRepository,
  SecretRepository,
  SessionRepository,
  SigningKeyRepository,
  Store,
  StoreDriver,
  UserRepository,
} from './types.js';
import { createGroupRepository, createRoleRepository, createUserRepository } from './users.js';

const PEPPER_CONTEXT: SealContext = { table: 'meta', column: 'value', rowId: 'hash_pepper' };

/** The Store over either engine. Extra operations for the CLI (rotation, backup) live here too. */
export class SqlStore implements Store {
  readonly driver: StoreDriver;
  readonly users: UserRepository;
  readonly roles: RoleRepository;
  readonly groups: GroupRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly oauthClients: OAuthClientRepository;
  readonly oidc: OidcModelRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly mfa: MfaRepository;
  readonly secrets: SecretRepository;
  readonly sessions: SessionRepository;
  readonly bans: BanRepository;
  readonly revocations: RevocationRepository;
  readonly audit: AuditLog;
  readonly #db: Db;
  #key: MasterKey;
  #pepper: Buffer | undefined;
  #closed = false;
  #housekeeping: NodeJS.Timeout | undefined;

  constructor(db: Db, key: MasterKey, now: () => number) {
    this.#db = db;
    this.#key = key;
    this.driver = db.dialect;
    const ctx: RepoContext = {
      db,
      now,
      seal: (plaintext, context) => this.#key.seal(plaintext, context),
      open: (sealed, context) => this.#key.open(sealed, context),
    };
    this.users = createUserRepository(ctx);
    this.roles = createRoleRepository(ctx);
    this.groups = createGroupRepository(ctx);
    this.apiKeys = createApiKeyRepository(ctx);
    this.oauthClients = createOAuthClientRepository(ctx);
    this.oidc = createOidcModelRepository(ctx);
    this.signingKeys = createSigningKeyRepository(ctx);
    this.mfa = createMfaRepository(ctx);
    this.secrets = createSecretRepository(ctx);
    this.sessions = createSessionRepository(ctx);
    this.bans = createBanRepository(ctx);
    this.revocations = createRevocationRepository(ctx);
    this.audit = createAuditLog(ctx);
  }

  /** The engine handle, for the CLI (backup) and tests. */
  get db(): Db {
    return this.#db;
  }

  get masterKeyId(): string {
    return this.#key.id;
  }

  /** Verifies (or, on a fresh database, records) the master-key check value and loads the pepper. */
  async init(): Promise<void> {
    const check = await this.#db.get('SELECT value FROM meta WHERE key = ?', ['master_check']);
    if (check) {
      verifyCheckValue(this.#key, String(check.value));
    } else {
      await this.#db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
        'master_check',
        makeCheckValue(this.#key),
      ]);
      // Another instance may have won the race with a different key: check what is stored.
      const stored = await this.#db.get('SELECT value FROM meta WHERE key = ?', ['master_check']);
      verifyCheckValue(this.#key, String(stored?.value));
    }
    let pepper = await this.#db.get('SELECT value FROM meta WHERE key = ?', ['hash_pepper']);
    if (!pepper) {
      await this.#db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
        'hash_pepper',
        this.#key.seal(randomBytes(32), PEPPER_CONTEXT),
      ]);
      pepper = await this.#db.get('SELECT value FROM meta WHERE key = ?', ['hash_pepper']);
    }
    this.#pepper = this.#key.open(String(pepper?.value), PEPPER_CONTEXT);
  }

  async keyedHash(purpose: string, value: string): Promise<string> {
    if (!this.#pepper) throw new StoreError('PC_STORE_UNAVAILABLE', 'the store is not initialised');
    // Length-prefixed purpose: ("a", "b:c") and ("a:b", "c") cannot collide.
    return createHmac('sha256', this.#pepper)
      .update(`${purpose.length}:${purpose}:`)
      .update(value, 'utf8')
      .digest('hex');
  }

  async ping(): Promise<void> {
    await this.#db.get('SELECT 1 AS ok');
  }

  /**
   * Re-wraps every data key under `next` in one transaction, then switches to it. The sealed
   * values themselves are untouched, so a crash mid-way leaves the old key fully valid.
   * Returns how many secrets were re-wrapped.
   */
  async rotateMasterKey(next: MasterKey): Promise<number> {
    const current = this.#key;
    let count = 0;
    await this.#db.transaction(async (tx) => {
      for (const spec of ENCRYPTED_COLUMNS) {
        const rows = await tx.all(`SELECT ${spec.id} AS id, ${spec.column} AS sealed FROM ${spec.table}`);
        for (const row of rows) {
          const id = String(row.id);
          if (spec.table === 'meta' && id !== CHECK_CONTEXT.rowId && id !== PEPPER_CONTEXT.rowId) continue;
          const context = { table: spec.table, column: spec.column, rowId: id };
          const rewrapped = current.rewrap(String(row.sealed), context, next);
          await tx.run(`UPDATE ${spec.table} SET ${spec.column} = ? WHERE ${spec.id} = ?`, [rewrapped, id]);
          count++;
        }
      }
    });
    this.#key = next;
    return count;
  }

  /** Deletes expired sessions, bans, OIDC models and revocations now; returns how many rows went. */
  async purgeExpired(): Promise<number> {
    const counts = await Promise.all([
      this.sessions.deleteExpired(),
      this.bans.deleteExpired(),
      this.oidc.deleteExpired(),
      this.revocations.deleteExpired(),
    ]);
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Purges expired rows every `intervalMs` (unref'd: never keeps the process alive). Failures
   * are logged and retried on the next tick; close() stops it.
   */
  startHousekeeping(logger: Logger, intervalMs = 10 * 60_000): void {
    if (this.#housekeeping || this.#closed) return;
    this.#housekeeping = setInterval(() => {
      this.purgeExpired().then(
        (removed) => {
          if (removed > 0) logger.debug({ removed }, 'store: expired rows purged');
        },
        (error: unknown) => logger.warn({ err: { message: (error as Error).message } }, 'store: purge failed'),
      );
    }, intervalMs);
    this.#housekeeping.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#housekeeping);
    this.#pepper?.fill(0);
    await this.#db.close();
  }
}

export function sqlitePath(
  config: StoreConfig | undefined,
  options: Pick<OpenStoreOptions, 'dataDir' | 'configDir'>,
): string {
  const path = config?.driver === 'sqlite' ? config.path : undefined;
  if (path === undefined) return resolve(options.dataDir, 'portcullis.db');
  if (path === ':memory:') return path;
  return isAbsolute(path) ? path : resolve(options.configDir, path);
}

export interface OpenDbOptions {
  readonly configDir: string;
  readonly dataDir: string;
  readonly logger?: Logger;
  /** PostgreSQL only: connect as the owner role (migrations) instead of the app role. */
  readonly role?: 'app' | 'owner';
}

/** Opens the engine named by the config. Drivers are imported only when configured. */
export async function openDb(config: StoreConfig | undefined, options: OpenDbOptions): Promise<Db> {
  if (config?.driver === 'postgres') {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(config, {
      configDir: options.configDir,
      role: options.role ?? 'app',
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  const { openSqlite } = await import('./sqlite.js');
  return openSqlite(sqlitePath(config, options));
}

/**
 * Opens the store: connects (verified TLS for PostgreSQL), applies or checks migrations,
 * loads the master key and proves it is the right one before anything else runs.
 */
export async function openStore(config: StoreConfig | undefined, options: OpenStoreOptions): Promise<SqlStore> {
  const db = await openDb(config, options);
  try {
    const mode = options.migrations ?? (db.dialect === 'sqlite' ? 'auto' : 'check');
    const now = options.clock ?? Date.now;
    if (mode === 'auto') {
      const result = await migrate(db, now);
      if (result.applied.length > 0) {
        options.logger.info({ from: result.from, to: result.to }, 'store schema migrated');
      }
    } else {
      await assertSchemaCurrent(db);
    }
    const hasCheck = await db.get('SELECT 1 AS ok FROM meta WHERE key = ?', ['master_check']);
    const key = loadMasterKey(
      {
        config: config?.masterKey,
        configDir: options.configDir,
        dataDir: options.dataDir,
        env: options.env ?? process.env,
      },
      // The default key file may be created only for a database that has never held secrets.
      !hasCheck && config?.masterKey === undefined,
    );
    const store = new SqlStore(db, key, now);
    await store.init();
    return store;
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
