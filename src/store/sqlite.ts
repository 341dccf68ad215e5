import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { checkParams, type Db, type Queryable, type Row, type SqlValue } from './db.js';
import { StoreError } from './errors.js';

function mapError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return error;
  if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StoreError('PC_STORE_CONFLICT', 'a record with this key already exists', { cause: error });
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR') {
    return new StoreError('PC_STORE_UNAVAILABLE', `the SQLite database is not available (${code})`, { cause: error });
  }
  return error;
}

function bind(params: readonly SqlValue[] | undefined): SqlValue[] {
  checkParams(params);
  return params ? params.map((p) => (p === undefined ? null : p)) : [];
}

/**
 * better-sqlite3 answers synchronously; the async wrapper keeps one interface with PostgreSQL.
 * A transaction is BEGIN IMMEDIATE (takes the write lock up front, so two processes sharing
 * the file serialise instead of failing on upgrade) and holds an in-process lock: queries from
 * other callers wait for it rather than joining the open transaction by accident.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  #lock: Promise<void> = Promise.resolve();
  #inTransaction = false;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #allSync<T>(sql: string, params?: readonly SqlValue[]): T[] {
    try {
      return this.#prepare(sql).all(...bind(params)) as T[];
    } catch (error) {
      throw mapError(error);
    }
  }

  #runSync(sql: string, params?: readonly SqlValue[]): number {
    try {
      const statement = this.#prepare(sql);
      // UPDATE ... RETURNING is a reader in better-sqlite3: count the rows it returned.
      if (statement.reader) return statement.all(...bind(params)).length;
      return statement.run(...bind(params)).changes;
    } catch (error) {
      throw mapError(error);
    }
  }

  #direct: Queryable = {
    all: async <T extends Row>(sql: string, params?: readonly SqlValue[]) => this.#allSync<T>(sql, params),
    get: async <T extends Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> =>
      this.#allSync<T>(sql, params)[0],
    run: async (sql: string, params?: readonly SqlValue[]) => this.#runSync(sql, params),
  };

  // Every entry point re-checks the lock with no await between the check and the statement,
  // so a transaction that started meanwhile is waited for, never joined.
  async all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    while (this.#inTransaction) await this.#lock;
    return this.#allSync<T>(sql, params);
  }

  async get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    while (this.#inTransaction) await this.#lock;
    return this.#allSync<T>(sql, params)[0];
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    while (this.#inTransaction) await this.#lock;
    return this.#runSync(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    while (this.#inTransaction) await this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((r) => (release = r));
    this.#inTransaction = true;
    try {
      this.#runExec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#direct);
        this.#runExec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#runExec('ROLLBACK');
        throw error;
      }
    } finally {
      this.#inTransaction = false;
      release();
    }
  }

  #runExec(sql: string): void {
    try {
      this.#db.exec(sql);
    } catch (error) {
      throw mapError(error);
    }
  }

  async exec(sql: string): Promise<void> {
    while (this.#inTransaction) await this.#lock;
    this.#runExec(sql);
  }

  /** SQLite online backup (consistent copy while the gateway keeps writing). */
  async backup(destination: string): Promise<void> {
    while (this.#inTransaction) await this.#lock;
    await this.#db.backup(destination);
    chmodSync(destination, 0o600);
  }

  async close(): Promise<void> {
    while (this.#inTransaction) await this.#lock;
    this.#statements.clear();
    if (this.#db.open) this.#db.close();
  }
}

export function openSqlite(path: string): SqliteDb {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const isNew = !inMemory && !existsSync(path);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 5000 });
  } catch (error) {
    throw new StoreError(
      'PC_STORE_UNAVAILABLE',
      `cannot open the SQLite database ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  // WAL: readers never block the writer; NORMAL is durable across application crashes and only
  // loses the last commits on power loss (https://sqlite.org/pragma.html#pragma_synchronous).
  // In-memory databases (tests) have no WAL; the pragma answers "memory" there.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Deleted secrets (sessions, old seeds) are overwritten, not left in free pages.
  db.pragma('secure_delete = ON');
  if (isNew) chmodSync(path, 0o600);
  return new SqliteDb(db);
}
