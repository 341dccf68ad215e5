import type { Db } from './db.js';
import { StoreError } from './errors.js';
import type { StoreDriver } from './types.js';

/**
 * Versioned schema. Each migration is applied once, in order, inside a transaction, and
 * recorded in schema_migrations. Never edit a released migration: add the next one.
 *
 * Portable subset: TEXT, INTEGER, BIGINT (epoch milliseconds), booleans as INTEGER 0/1,
 * lists and objects as JSON text. One schema, one set of queries for both engines.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (dialect: StoreDriver) => string;
}

const AUDIT_GUARD_SQLITE = `
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`;

// Privileges already stop the app role (see appGrants); the trigger also stops the owner and
// anything else short of dropping it, which needs DDL rights and shows in the PostgreSQL log.
const AUDIT_GUARD_POSTGRES = `
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up: (dialect) => `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT,
  email TEXT,
  password_hash TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  role_names TEXT NOT NULL DEFAULT '[]',
  group_names TEXT NOT NULL DEFAULT '[]',
  plan TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  last_failed_login_at BIGINT,
  locked_until BIGINT,
  last_login_at BIGINT
);
CREATE TABLE roles (
  name TEXT PRIMARY KEY,
  description TEXT,
  permissions TEXT NOT NULL DEFAULT '[]',
  inherits TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE user_groups (
  name TEXT PRIMARY KEY,
  description TEXT,
  role_names TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  prefix TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  name TEXT,
  owner TEXT NOT NULL,
  scopes TEXT NOT NULL DEFAULT '[]',
  plan TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  last_used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_keys_owner ON api_keys (owner);
CREATE TABLE oauth_clients (
  client_id TEXT PRIMARY KEY,
  secret_hash TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE oidc_models (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  uid TEXT,
  user_code TEXT,
  expires_at BIGINT,
  consumed_at BIGINT,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_models_grant ON oidc_models (grant_id);
CREATE INDEX oidc_models_uid ON oidc_models (model, uid);
CREATE INDEX oidc_models_user_code ON oidc_models (model, user_code);
CREATE INDEX oidc_models_expires ON oidc_models (expires_at);
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  private_key_enc TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  not_after BIGINT,
  retired_at BIGINT
);
CREATE TABLE mfa_totp (
  user_id TEXT PRIMARY KEY,
  secret_enc TEXT NOT NULL,
  confirmed_at BIGINT,
  last_used_step BIGINT,
  created_at BIGINT NOT NULL
);
CREATE TABLE mfa_recovery_codes (
  user_id TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value_enc TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE TABLE bans (
  ban_key TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  until_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT,
  subject TEXT,
  ip TEXT,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL UNIQUE
);
${dialect === 'sqlite' ? AUDIT_GUARD_SQLITE : AUDIT_GUARD_POSTGRES}
`,
  },
  {
    version: 2,
    name: 'revocations shared through the store',
    // seq orders the feed every instance follows; kind/id name what is revoked (never a raw
    // credential: hashes, prefixes, claims), until_at is when the entry stops mattering.
    up: (dialect) => `
CREATE TABLE revocations (
  seq ${dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'},
  kind TEXT NOT NULL,
  rid TEXT NOT NULL,
  until_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX revocations_until ON revocations (until_at);
`,
  },
  {
    version: 3,
    name: 'cutoff revocations; OIDC models by account',
    // issued_before: kind "cutoff" refuses a principal's credentials issued at or before it (NULL
    // for the other kinds and every older row). account_id lets "sign out everywhere" revoke an
    // account's grants and refresh tokens; rows written before it are filled from the payload.
    up: (dialect) => `
ALTER TABLE revocations ADD COLUMN issued_before BIGINT;
ALTER TABLE oidc_models ADD COLUMN account_id TEXT;
UPDATE oidc_models SET account_id = ${
      dialect === 'sqlite' ? "json_extract(payload, '$.accountId')" : "(payload::jsonb ->> 'accountId')"
    };
CREATE INDEX oidc_models_account ON oidc_models (account_id);
`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Least privilege for the runtime role (ASVS 13.2.2, SECURITY-REQUIREMENTS D-4). */
export const APP_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
  schema_migrations: ['SELECT'],
  meta: ['SELECT', 'INSERT', 'UPDATE'],
  users: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  roles: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  user_groups: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  api_keys: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  oauth_clients: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  oidc_models: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  signing_keys: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  mfa_totp: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  mfa_recovery_codes: ['SELECT', 'INSERT', 'DELETE'],
  secrets: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  sessions: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  bans: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  revocations: ['SELECT', 'INSERT', 'DELETE'],
  // Append-only: no UPDATE, DELETE or TRUNCATE (ASVS 16.4.2).
  audit_log: ['SELECT', 'INSERT'],
};

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Role names are interpolated into DDL (no placeholders there), so they are checked strictly. */
export function quoteRole(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new StoreError('PC_STORE_CONFIG', `role name "${name}" must match ${IDENTIFIER.source}`);
  }
  return `"${name}"`;
}

export function appGrantsSql(appRole: string): string {
  const role = quoteRole(appRole);
  const lines = Object.entries(APP_PRIVILEGES).map(
    ([table, privileges]) =>
      `REVOKE ALL ON ${table} FROM ${role}; GRANT ${privileges.join(', ')} ON ${table} TO ${role};`,
  );
  return lines.join('\n');
}

async function ensureMigrationsTable(db: Db): Promise<void> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  );
}

/** Current schema version; 0 for an empty database. Works with read-only privileges. */
export async function schemaVersion(db: Db): Promise<number> {
  const exists =
    db.dialect === 'sqlite'
      ? await db.get("SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      : await db.get("SELECT 1 AS ok FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations'");
  if (!exists) return 0;
  const row = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return row?.v === null || row?.v === undefined ? 0 : Number(row.v);
}

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly { version: number; name: string }[];
}

/** Applies pending migrations; each in its own transaction (PostgreSQL DDL is transactional). */
export async function migrate(db: Db, now: () => number = Date.now): Promise<MigrationResult> {
  await ensureMigrationsTable(db);
  const from = await schemaVersion(db);
  if (from > LATEST_VERSION) {
    throw new StoreError(
      'PC_STORE_SCHEMA',
      `the database schema is version ${from}, newer than this Portcullis (${LATEST_VERSION}); refusing to downgrade`,
    );
  }
  const applied: { version: number; name: string }[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue;
    await db.transaction(async (tx) => {
      // Two instances migrating at once: the second waits, then sees the version and skips.
      if (db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7301200)');
      const done = await tx.get('SELECT 1 AS ok FROM schema_migrations WHERE version = ?', [migration.version]);
      if (done) return;
      for (const statement of splitStatements(migration.up(db.dialect))) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        now(),
      ]);
      applied.push({ version: migration.version, name: migration.name });
    });
  }
  return { from, to: await schemaVersion(db), applied };
}

/**
 * Splits a migration script into statements. Semicolons inside `$$ ... $$` bodies and inside
 * trigger BEGIN ... END blocks belong to their statement.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let current = '';
  let inDollar = false;
  let depth = 0;
  const tokens = script.split(/(\$\$|;|\bBEGIN\b|\bEND\b)/);
  for (const token of tokens) {
    current += token;
    if (token === '$$') inDollar = !inDollar;
    else if (!inDollar && token === 'BEGIN') depth++;
    else if (!inDollar && token === 'END' && depth > 0) depth--;
    else if (token === ';' && !inDollar && depth === 0) {
      const statement = current.trim().replace(/;$/, '').trim();
      if (statement) out.push(statement);
      current = '';
    }
  }
  const rest = current.trim();
  if (rest) out.push(rest);
  return out;
}

/** For `openStore` in check mode: refuse an out-of-date schema with the command that fixes it. */
export async function assertSchemaCurrent(db: Db): Promise<void> {
  const version = await schemaVersion(db);
  if (version < LATEST_VERSION) {
    throw new StoreError(
      'PC_STORE_SCHEMA',
      `the database schema is version ${version}, this Portcullis needs ${LATEST_VERSION}: run "portcullis db migrate"`,
    );
  }
  if (version > LATEST_VERSION) {
    throw new StoreError(
      'PC_STORE_SCHEMA',
      `the database schema is version ${version}, newer than this Portcullis (${LATEST_VERSION})`,
    );
  }
}
