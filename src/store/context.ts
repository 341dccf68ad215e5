import { randomBytes } from 'node:crypto';
import type { SealContext } from './crypto.js';
import type { Db } from './db.js';
import type { ListOptions } from './types.js';

/** What every repository gets: the database, the clock, and sealing bound to the master key. */
export interface RepoContext {
  readonly db: Db;
  readonly now: () => number;
  seal(plaintext: Buffer | string, context: SealContext): string;
  open(sealed: string, context: SealContext): Buffer;
}

/** 128 random bits, URL-safe (ASVS 11.5.1: CSPRNG, not a UUID). */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

export function page(options: ListOptions | undefined): [number, number] {
  const limit = Math.min(Math.max(Math.trunc(options?.limit ?? 100), 1), 1000);
  const offset = Math.max(Math.trunc(options?.offset ?? 0), 0);
  return [limit, offset];
}

export function strings(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}
