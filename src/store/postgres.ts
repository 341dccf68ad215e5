import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import pg from 'pg';
import type { Logger } from 'pino';
import type { PostgresStoreConfig } from './config.js';
import { checkParams, type Db, type Queryable, type Row, type SqlValue, toPgPlaceholders } from './db.js';
import { StoreError } from './errors.js';

const TLS_ERROR_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  // SQLSTATE class 57: operator intervention (admin shutdown, crash shutdown, cannot connect now)
  '57P01',
  '57P02',
  '57P03',
  // class 08: connection exception
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  // 57014 query_canceled: statement_timeout fired
  '57014',
  // 53300 too_many_connections
  '53300',
]);

export function mapPgError(error: unknown): unknown {
  if (error instanceof StoreError) return error;
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (code === '23505')
    return new StoreError('PC_STORE_CONFLICT', 'a record with this key already exists', { cause: error });
  // A five-character SQLSTATE means the server answered: never a TLS failure, whatever the text.
  const fromServer = /^[0-9A-Z]{5}$/.test(code);
  if (TLS_ERROR_CODES.has(code) || (!fromServer && /does not support SSL|SSL connection|certificate/i.test(message))) {
    return new StoreError('PC_STORE_TLS', `PostgreSQL TLS verification failed: ${message}`, { cause: error });
  }
  if (
    CONNECTION_ERROR_CODES.has(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return new StoreError('PC_STORE_UNAVAILABLE', `PostgreSQL is not available: ${message}`, { cause: error });
  }
  return error;
}

/** int8 (COUNT(*), BIGINT epoch ms) as a JS number: every value we store is < 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export function isLoopbackHost(host: string): boolean {
  if (host.startsWith('/')) return true; // Unix-domain socket directory
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '[::1]';
  return false;
}

export interface PgConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string | (() => string) | undefined;
}

function resolvePath(configDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/**
 * Connection settings from `store`. The URL is parsed here rather than handed to node-postgres,
 * so query parameters such as `sslmode=disable` can never weaken the TLS policy below.
 */
export function connectionSettings(
  config: PostgresStoreConfig,
  configDir: string,
  role: 'app' | 'owner' = 'app',
): PgConnectionSettings {
  let host = config.host;
  let port = config.port;
  let database = config.database;
  let user = config.user;
  let password: string | undefined = config.password;
  if (config.url) {
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      throw new StoreError('PC_STORE_CONFIG', 'store.url is not a valid postgres:// URL');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new StoreError('PC_STORE_CONFIG', 'store.url must start with postgres://');
    }
    host ??= decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) || undefined;
    port ??= url.port ? Number(url.port) : undefined;
    database ??= decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined;
    user ??= url.username ? decodeURIComponent(url.username) : undefined;
    password ??= url.password ? decodeURIComponent(url.password) : undefined;
  }
  let passwordFile = config.passwordFile;
  if (role === 'owner') {
    user = config.owner?.user ?? user;
    password = config.owner?.password ?? (config.owner?.passwordFile ? undefined : password);
    passwordFile = config.owner?.passwordFile ?? (config.owner?.password ? undefined : passwordFile);
  }
  if (!host) throw new StoreError('PC_STORE_CONFIG', 'store.host (or store.url) is required for the postgres driver');
  if (!database) throw new StoreError('PC_STORE_CONFIG', 'store.database (or the path of store.url) is required');
  if (!user) throw new StoreError('PC_STORE_CONFIG', 'store.user (or the user of store.url) is required');
  let resolvedPassword: PgConnectionSettings['password'] = password;
  if (passwordFile && password === undefined) {
    const file = resolvePath(configDir, passwordFile);
    // Read per connection: a password rotated on disk is picked up by the next connection.
    resolvedPassword = () => {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch (error) {
        throw new StoreError('PC_STORE_CONFIG', `cannot read the PostgreSQL password file ${file}`, { cause: error });
      }
    };
    resolvedPassword();
  }
  return { host, port: port ?? 5432, database, user, password: resolvedPassword };
}

/**
 * The TLS policy (SECURITY-REQUIREMENTS T-7, ASVS 12.3.1): verified TLS unless `insecure`, and
 * `insecure` only towards loopback. Host-name verification uses our own checkServerIdentity so
 * the expected name is the configured `serverName` (or the host) even when connecting by IP.
 */
export function tlsOptions(
  config: PostgresStoreConfig,
  host: string,
  configDir: string,
  logger: Logger | undefined,
): pg.ClientConfig['ssl'] {
  const tls = config.tls ?? {};
  if (tls.insecure) {
    if (!isLoopbackHost(host)) {
      throw new StoreError(
        'PC_STORE_TLS',
        `store.tls.insecure is only accepted for a loopback PostgreSQL host, not "${host}"; configure store.tls.ca`,
      );
    }
    logger?.warn({ host }, 'PostgreSQL connection is NOT encrypted (store.tls.insecure); acceptable on loopback only');
    return false;
  }
  let ca: string | undefined;
  if (tls.ca) {
    const file = resolvePath(configDir, tls.ca);
    try {
      ca = readFileSync(file, 'utf8');
    } catch (error) {
      throw new StoreError('PC_STORE_TLS', `cannot read the PostgreSQL CA file ${file} (store.tls.ca)`, {
        cause: error,
      });
    }
  }
  // Client certificate for `hostssl ... cert` (SECURITY-REQUIREMENTS T-8: certificate
  // credentials instead of a static password).
  let clientCert: { cert: string; key: string } | undefined;
  if (tls.cert || tls.key) {
    if (!tls.cert || !tls.key) throw new StoreError('PC_STORE_TLS', 'store.tls.cert and store.tls.key go together');
    const certFile = resolvePath(configDir, tls.cert);
    const keyFile = resolvePath(configDir, tls.key);
    try {
      clientCert = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    } catch (error) {
      throw new StoreError('PC_STORE_TLS', `cannot read the client certificate ${certFile} or its key ${keyFile}`, {
        cause: error,
      });
    }
  }
  const expected = tls.serverName ?? host;
  return {
    rejectUnauthorized: true,
    ...(ca ? { ca } : {}),
    ...(clientCert ?? {}),
    minVersion: 'TLSv1.2',
    checkServerIdentity: (_hostname: string, cert: PeerCertificate) => checkServerIdentity(expected, cert),
  };
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
const RELISTEN_MS = 1000;

export class PgDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #listeners = new Set<() => Promise<void>>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #query<T extends Row>(runner: pg.Pool | pg.PoolClient, sql: string, params?: readonly SqlValue[]) {
    checkParams(params);
    try {
      return await runner.query<T>(toPgPlaceholders(sql), params ? [...params] : []);
    } catch (error) {
      throw mapPgError(error);
    }
  }

  #queryable(runner: pg.Pool | pg.PoolClient): Queryable {
    return {
      all: async <T extends Row>(sql: string, params?: readonly SqlValue[]) =>
        (await this.#query<T>(runner, sql, params)).rows,
      get: async <T extends Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> =>
        (await this.#query<T>(runner, sql, params)).rows[0],
      run: async (sql: string, params?: readonly SqlValue[]) => (await this.#query(runner, sql, params)).rowCount ?? 0,
    };
  }

  readonly #root = (): Queryable => this.#queryable(this.#pool);

  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#root().all<T>(sql, params);
  }

  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#root().get<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#root().run(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw mapPgError(error);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(this.#queryable(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw mapPgError(error);
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it, do not reuse it.
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.#pool.query(sql);
    } catch (error) {
      throw mapPgError(error);
    }
  }

  /**
   * Holds one pooled connection for LISTEN. A lost connection is replaced after a second, and
   * `onNotify` is called once the new one listens, so a caller that re-reads on every call misses
   * nothing announced while it was down.
   */
  async listen(channel: string, onNotify: () => void, onError: (error: Error) => void): Promise<() => Promise<void>> {
    // Channel names are identifiers in the LISTEN statement (no placeholders there).
    if (!CHANNEL.test(channel)) throw new StoreError('PC_STORE_CONFIG', `bad channel name "${channel}"`);
    let client: pg.PoolClient | undefined;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const retry = () => {
      if (stopped || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void connect(true);
      }, RELISTEN_MS);
      timer.unref();
    };
    const connect = async (again: boolean): Promise<void> => {
      let c: pg.PoolClient;
      try {
        c = await this.#pool.connect();
      } catch (error) {
        onError(mapPgError(error) as Error);
        retry();
        return;
      }
      if (stopped) {
        c.release();
        return;
      }
      c.on('notification', (message) => {
        if (message.channel === channel) onNotify();
      });
      c.on('error', (error) => {
        onError(mapPgError(error) as Error);
        if (client === c) client = undefined;
        c.release(error);
        retry();
      });
      try {
        await c.query(`LISTEN ${channel}`);
      } catch (error) {
        onError(mapPgError(error) as Error);
        c.release(error as Error);
        retry();
        return;
      }
      client = c;
      if (again) onNotify();
    };
    await connect(false);
    const stop = async (): Promise<void> => {
      stopped = true;
      clearTimeout(timer);
      this.#listeners.delete(stop);
      const c = client;
      client = undefined;
      if (!c) return;
      let broken: Error | undefined;
      try {
        await c.query(`UNLISTEN ${channel}`);
      } catch (error) {
        broken = error as Error;
      }
      c.release(broken);
    };
    this.#listeners.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#listeners].map((stop) => stop()));
    await this.#pool.end();
  }
}

export interface OpenPgOptions {
  readonly configDir: string;
  readonly logger?: Logger;
  readonly role?: 'app' | 'owner';
}

export async function openPostgres(config: PostgresStoreConfig, options: OpenPgOptions): Promise<PgDb> {
  const settings = connectionSettings(config, options.configDir, options.role ?? 'app');
  const ssl = tlsOptions(config, settings.host, options.configDir, options.logger);
  const pool = new pg.Pool({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ssl,
    max: config.pool?.max ?? 10,
    statement_timeout: config.pool?.statementTimeoutMs ?? 5000,
    connectionTimeoutMillis: config.pool?.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: config.pool?.idleTimeoutMs ?? 30_000,
    application_name: 'portcullis',
    types,
  });
  // An idle client losing its connection (server restart) is dropped from the pool; the next
  // query opens a fresh one. Without a listener the error would crash the process.
  pool.on('error', (error) => {
    options.logger?.warn({ err: { message: error.message } }, 'PostgreSQL idle connection lost; will reconnect');
  });
  const db = new PgDb(pool);
  try {
    await db.get('SELECT 1 AS ok');
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return db;
}
