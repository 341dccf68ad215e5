import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { PostgresStoreConfig } from './config.js';
import { writeSecretFile } from './crypto.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import { appGrantsSql, type MigrationResult, migrate, quoteRole } from './migrations.js';
import { connectionSettings, openPostgres } from './postgres.js';

/**
 * A SCRAM-SHA-256 verifier (RFC 5802 §3, RFC 7677) computed here, so the cleartext password
 * never reaches the server, its logs or pg_stat_statements. PostgreSQL stores a string in this
 * exact format as is (see its docs for CREATE ROLE ... PASSWORD).
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** 256 random bits, URL-safe: no quoting problems in files or connection strings. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

export interface ProvisionOptions {
  /** A superuser (or CREATEROLE + CREATEDB) connection, e.g. postgres://postgres@db:5432/postgres. */
  readonly adminUrl: string;
  /** The target `store` section: database, user (app role), owner.user, tls, password files. */
  readonly config: PostgresStoreConfig;
  readonly configDir: string;
  readonly logger?: Logger;
}

export interface ProvisionResult {
  readonly database: string;
  readonly ownerRole: string;
  readonly appRole: string;
  readonly created: readonly string[];
  readonly passwordFiles: readonly string[];
  readonly migration: MigrationResult;
}

function resolvePath(configDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/**
 * `portcullis db init`: least-privilege layout (ASVS 13.2.2, SECURITY-REQUIREMENTS D-4/T-8).
 * - owner role: owns the database and every table; runs migrations. Not a superuser.
 * - app role: what the gateway connects as; only the DML each table needs (APP_PRIVILEGES),
 *   INSERT + SELECT on audit_log, no DDL, no CREATE on any schema, no TEMP.
 * Passwords are generated (256 bits), written 0600 where the config points, and sent to the
 * server only as SCRAM verifiers. Re-running is safe: existing password files are reused.
 */
export async function provisionPostgres(options: ProvisionOptions): Promise<ProvisionResult> {
  const { config, configDir } = options;
  const target = connectionSettings({ ...config, password: 'unused' }, configDir);
  const appRole = target.user;
  const ownerRole = config.owner?.user ?? `${appRole}_owner`;
  const database = target.database;
  quoteRole(appRole);
  quoteRole(ownerRole);
  quoteRole(database);
  if (appRole === ownerRole) {
    throw new StoreError('PC_STORE_CONFIG', 'store.user (app role) and store.owner.user must be different roles');
  }
  if (!config.passwordFile) {
    throw new StoreError('PC_STORE_CONFIG', 'set store.passwordFile: db init writes the app role password there');
  }
  const appFile = resolvePath(configDir, config.passwordFile);
  const ownerFile = resolvePath(configDir, config.owner?.passwordFile ?? `${config.passwordFile}.owner`);

  const adminConfig: PostgresStoreConfig = {
    driver: 'postgres',
    url: options.adminUrl,
    ...(config.tls ? { tls: config.tls } : {}),
    pool: { max: 1, statementTimeoutMs: 60_000 },
  };
  const logger = options.logger;
  const admin = await openPostgres(adminConfig, { configDir, ...(logger ? { logger } : {}) });
  const created: string[] = [];
  const written: string[] = [];
  const passwords = new Map<string, string>();
  try {
    for (const [role, file] of [
      [ownerRole, ownerFile],
      [appRole, appFile],
    ] as const) {
      let password: string;
      if (existsSync(file)) {
        password = readFileSync(file, 'utf8').trim();
      } else {
        password = generatePassword();
        writeSecretFile(file, `${password}\n`);
        written.push(file);
      }
      passwords.set(role, password);
      const verifier = scramVerifier(password);
      const exists = await admin.get('SELECT 1 AS ok FROM pg_roles WHERE rolname = ?', [role]);
      const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT';
      // DDL takes no placeholders: the role name is checked by quoteRole, the verifier is our own
      // base64 output, so neither can carry a quote.
      await admin.exec(`${exists ? 'ALTER' : 'CREATE'} ROLE ${quoteRole(role)} ${attributes} PASSWORD '${verifier}'`);
      if (!exists) created.push(`role ${role}`);
    }
    const dbExists = await admin.get('SELECT 1 AS ok FROM pg_database WHERE datname = ?', [database]);
    if (!dbExists) {
      await admin.exec(`CREATE DATABASE ${quoteRole(database)} OWNER ${quoteRole(ownerRole)}`);
      created.push(`database ${database}`);
    }
    await admin.exec(
      `REVOKE ALL ON DATABASE ${quoteRole(database)} FROM PUBLIC;
       GRANT CONNECT ON DATABASE ${quoteRole(database)} TO ${quoteRole(ownerRole)}, ${quoteRole(appRole)};
       GRANT CREATE, TEMPORARY ON DATABASE ${quoteRole(database)} TO ${quoteRole(ownerRole)}`,
    );
  } finally {
    await admin.close();
  }

  // Inside the target database, still as admin: the public schema is the owner's alone.
  const inDb = await openPostgres(
    { ...adminConfig, url: undefined, ...adminTarget(options.adminUrl, database) },
    { configDir, ...(logger ? { logger } : {}) },
  );
  try {
    await inDb.exec(
      `REVOKE ALL ON SCHEMA public FROM PUBLIC;
       GRANT USAGE, CREATE ON SCHEMA public TO ${quoteRole(ownerRole)};
       GRANT USAGE ON SCHEMA public TO ${quoteRole(appRole)}`,
    );
  } finally {
    await inDb.close();
  }

  const migration = await migrateAsOwner(
    { ...config, owner: { user: ownerRole, password: passwords.get(ownerRole)! } },
    configDir,
    logger,
  );
  return { database, ownerRole, appRole, created, passwordFiles: written, migration };
}

function adminTarget(adminUrl: string, database: string): Partial<PostgresStoreConfig> {
  const url = new URL(adminUrl);
  return {
    host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')),
    port: url.port ? Number(url.port) : 5432,
    database,
    user: decodeURIComponent(url.username || 'postgres'),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/** `portcullis db migrate` on PostgreSQL: DDL as the owner role, then re-grant the app role. */
export async function migrateAsOwner(
  config: PostgresStoreConfig,
  configDir: string,
  logger?: Logger,
): Promise<MigrationResult> {
  const owner: Db = await openPostgres(config, { configDir, role: 'owner', ...(logger ? { logger } : {}) });
  try {
    const result = await migrate(owner);
    const app = connectionSettings({ ...config, password: 'unused' }, configDir).user;
    const ownerUser = connectionSettings({ ...config, password: 'unused' }, configDir, 'owner').user;
    if (app !== ownerUser) await owner.exec(appGrantsSql(app));
    return result;
  } finally {
    await owner.close();
  }
}
