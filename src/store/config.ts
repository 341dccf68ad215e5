import { type Static, Type } from '@sinclair/typebox';
import { ConfigError, type KeyPath } from '../config/errors.js';

/** Where the master key (32 random bytes, base64 or hex) comes from; never from the database. */
export const masterKeySchema = Type.Union(
  [
    Type.Object({ env: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    Type.Object({ file: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  ],
  { description: 'Master key from an environment variable or a file (0600). Default: <dataDir>/master.key.' },
);

export const sqliteStoreSchema = Type.Object(
  {
    driver: Type.Literal('sqlite'),
    /** Default <dataDir>/portcullis.db; relative paths resolve against the config directory. */
    path: Type.Optional(Type.String({ minLength: 1 })),
    masterKey: Type.Optional(masterKeySchema),
  },
  { additionalProperties: false },
);

export const pgTlsSchema = Type.Object(
  {
    /** PEM file of the CA that signed the server certificate. Required unless insecure. */
    ca: Type.Optional(Type.String({ minLength: 1 })),
    /** Host name expected in the server certificate; defaults to the connection host. */
    serverName: Type.Optional(Type.String({ minLength: 1 })),
    /** Plain TCP. Accepted only for loopback hosts, with a warning. */
    insecure: Type.Optional(Type.Boolean()),
    /** Client certificate (PEM) for pg_hba `hostssl ... cert` authentication; needs `key`. */
    cert: Type.Optional(Type.String({ minLength: 1 })),
    /** Private key (PEM, 0600) of the client certificate. */
    key: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const pgPoolSchema = Type.Object(
  {
    max: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    statementTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    connectionTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    idleTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
  },
  { additionalProperties: false },
);

const credentials = {
  user: Type.Optional(Type.String({ minLength: 1 })),
  password: Type.Optional(Type.String()),
  /** File holding the password (written 0600 by `portcullis db init`). */
  passwordFile: Type.Optional(Type.String({ minLength: 1 })),
};

export const postgresStoreSchema = Type.Object(
  {
    driver: Type.Literal('postgres'),
    /** postgres://user@host:port/database; prefer passwordFile over a password in the URL. */
    url: Type.Optional(Type.String({ minLength: 1 })),
    host: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    database: Type.Optional(Type.String({ minLength: 1 })),
    ...credentials,
    /** The DDL role used by `portcullis db migrate`; the gateway itself connects as `user`. */
    owner: Type.Optional(Type.Object(credentials, { additionalProperties: false })),
    tls: Type.Optional(pgTlsSchema),
    pool: Type.Optional(pgPoolSchema),
    masterKey: Type.Optional(masterKeySchema),
  },
  { additionalProperties: false },
);

/** Top-level `store` key. Absent = SQLite in the data directory. */
export const storeSchema = Type.Union([sqliteStoreSchema, postgresStoreSchema]);

export type StoreConfig = Static<typeof storeSchema>;
export type SqliteStoreConfig = Static<typeof sqliteStoreSchema>;
export type PostgresStoreConfig = Static<typeof postgresStoreSchema>;
export type MasterKeyConfig = Static<typeof masterKeySchema>;

export const DEFAULT_STORE_CONFIG: StoreConfig = { driver: 'sqlite' };

/**
 * Semantic checks the schema cannot express, with key paths for `portcullis check` (the loader
 * turns them into file:line:column). The same rules are enforced again when the store opens.
 */
export function validateStoreConfig(config: StoreConfig | undefined, path: KeyPath = ['store']): ConfigError[] {
  if (!config || config.driver === 'sqlite') return [];
  const errors: ConfigError[] = [];
  let host = config.host;
  if (config.url !== undefined) {
    try {
      const url = new URL(config.url);
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
        errors.push(new ConfigError([...path, 'url'], 'must start with postgres://'));
      }
      host ??= url.hostname.replace(/^\[|\]$/g, '') || undefined;
      if (!config.database && url.pathname.replace(/^\//, '') === '') {
        errors.push(new ConfigError([...path, 'url'], 'names no database (postgres://user@host:5432/DATABASE)'));
      }
    } catch {
      errors.push(new ConfigError([...path, 'url'], 'is not a valid URL'));
    }
  } else {
    if (!host) errors.push(new ConfigError(path, 'the postgres driver needs host (or url)'));
    if (!config.database) errors.push(new ConfigError(path, 'the postgres driver needs database (or url)'));
  }
  if ((config.tls?.cert === undefined) !== (config.tls?.key === undefined)) {
    errors.push(new ConfigError([...path, 'tls'], 'cert and key go together (client certificate authentication)'));
  }
  if (config.owner?.user !== undefined && config.owner.user === config.user) {
    errors.push(
      new ConfigError(
        [...path, 'owner', 'user'],
        'must differ from store.user: the gateway must not connect as the DDL owner',
      ),
    );
  }
  if (config.password !== undefined && config.passwordFile !== undefined) {
    errors.push(new ConfigError([...path, 'password'], 'give password or passwordFile, not both'));
  }
  if (config.tls?.insecure) {
    if (host && !isLoopback(host)) {
      errors.push(
        new ConfigError([...path, 'tls', 'insecure'], `plain connections are only allowed to loopback, not "${host}"`),
      );
    }
    if (
      config.tls.ca !== undefined ||
      config.tls.serverName !== undefined ||
      config.tls.cert !== undefined ||
      config.tls.key !== undefined
    ) {
      errors.push(new ConfigError([...path, 'tls', 'insecure'], 'contradicts tls.ca / serverName / cert / key'));
    }
  }
  return errors;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('/') || /^127\.\d+\.\d+\.\d+$/.test(host);
}
