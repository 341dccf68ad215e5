import { StoreError } from './errors.js';
import type { StoreDriver } from './types.js';

/** A value bound to a `?` placeholder. Never concatenated into SQL text. */
export type SqlValue = string | number | bigint | Buffer | null;
export type Row = Record<string, unknown>;

/**
 * The one query surface repositories use. SQL is written once with `?` placeholders; the
 * PostgreSQL engine renumbers them to `$1..$n`. Only parameters carry data, so SQL-shaped
 * values are inert by construction (CWE-89).
 */
export interface Queryable {
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Db extends Queryable {
  readonly dialect: StoreDriver;
  /** Runs `fn` in one transaction; rolls back if it throws. Transactions do not nest. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of DDL statements separated by semicolons (migrations only). */
  exec(sql: string): Promise<void>;
  /**
   * Engines that can push (PostgreSQL LISTEN/NOTIFY): calls `onNotify` for every notification on
   * `channel`, and once after each reconnection. Absent where the engine cannot push (SQLite).
   */
  listen?(channel: string, onNotify: () => void, onError: (error: Error) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * PostgreSQL text cannot hold U+0000 and SQLite would store it silently; both engines refuse it
 * the same way so behaviour never depends on the engine.
 */
export function checkParams(params: readonly SqlValue[] | undefined): void {
  if (!params) return;
  for (const p of params) {
    if (typeof p === 'string' && p.includes('\u0000')) {
      throw new StoreError('PC_STORE_INVALID', 'text values must not contain NUL characters');
    }
  }
}

/** `?` -> `$n`. Our SQL never has `?` inside string literals, so a plain scan is exact. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function bool(value: boolean | undefined): number {
  return value ? 1 : 0;
}

export function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string') return fallback;
  return JSON.parse(text) as T;
}

export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function strOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
