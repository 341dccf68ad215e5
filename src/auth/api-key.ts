import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Identity } from '../pipeline/identity.js';
import type { ApiKeyRecord } from '../store/types.js';

/**
 * API keys look like `pc_<prefix>_<secret>`: the prefix (8 base62 characters) is public and
 * indexes the record, the secret (32 base62 characters, ~190 bits, ASVS 11.5.1 asks >= 128) is
 * only ever seen by its owner. The store keeps a keyed hash of the whole key (HMAC-SHA256 under
 * a server pepper), so a stolen database yields nothing usable (K-1).
 */
export const API_KEY_PATTERN = /^pc_([0-9A-Za-z]{8})_([0-9A-Za-z]{32})$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The part of the store this module needs; src/store's ApiKeyRepository satisfies it. */
export interface ApiKeyRepository {
  getByPrefix(prefix: string): Promise<ApiKeyRecord | undefined>;
  /** Sets lastUsedAt = now. */
  touch(id: string): Promise<void>;
}

/** Keyed hash of a whole key; `Store.keyedHash('api-key', key)` or `hmacHasher(pepper)`. */
export type ApiKeyHasher = (key: string) => Promise<string>;

export function hmacHasher(pepper: string | Buffer): ApiKeyHasher {
  return async (key) => createHmac('sha256', pepper).update(key).digest('hex');
}

function randomBase62(length: number): string {
  let out = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

export interface GeneratedKey {
  /** The full key, to show once. */
  readonly key: string;
  /** What the store indexes: "pc_<prefix>". */
  readonly prefix: string;
}

export function generateApiKey(): GeneratedKey {
  const prefix = randomBase62(8);
  return { key: `pc_${prefix}_${randomBase62(32)}`, prefix: `pc_${prefix}` };
}

/** The public prefix of a well-formed key, or undefined. Safe to log. */
export function apiKeyPrefix(key: string): string | undefined {
  const match = API_KEY_PATTERN.exec(key);
  return match ? `pc_${match[1]}` : undefined;
}

export type ApiKeyFailure = 'malformed' | 'unknown' | 'mismatch' | 'revoked' | 'expired' | 'owner_refused';
export type ApiKeyResult =
  /** issuedAt: the key's creation, Unix ms (what a revocation cutoff compares). */
  { ok: true; identity: Identity; issuedAt: number } | { ok: false; reason: ApiKeyFailure; prefix?: string };

export interface ApiKeyVerifierOptions {
  readonly repository: ApiKeyRepository;
  readonly hash: ApiKeyHasher;
  /** Roles of the key's owner (e.g. from the user store); undefined = owner refused (disabled user). */
  readonly ownerRoles?: (owner: string) => Promise<readonly string[] | undefined>;
  /** Locally known revocations (the revocation bus), checked before the store. */
  readonly isRevoked?: (prefix: string) => boolean;
  /** How long a verified key is trusted without asking the store again. */
  readonly cacheTtlMs?: number;
  /** Minimum spacing of lastUsedAt writes per key. */
  readonly touchIntervalMs?: number;
  readonly now?: () => number;
  readonly onTouchError?: (error: unknown) => void;
}

interface CacheEntry {
  readonly hash: Buffer;
  readonly identity: Identity;
  readonly issuedAt: number;
  readonly until: number;
}

const DUMMY_HASH = Buffer.alloc(32);

export class ApiKeyVerifier {
  readonly #o: ApiKeyVerifierOptions;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #touched = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: ApiKeyVerifierOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Forget a cached key now (revocation). */
  forget(prefix: string): void {
    this.#cache.delete(prefix);
  }

  async verify(presented: string): Promise<ApiKeyResult> {
    const prefix = apiKeyPrefix(presented);
    if (prefix === undefined) return { ok: false, reason: 'malformed' };
    if (this.#o.isRevoked?.(prefix)) return { ok: false, reason: 'revoked', prefix };
    const now = this.#now();
    const hash = Buffer.from(await this.#o.hash(presented), 'hex');
    const cached = this.#cache.get(prefix);
    if (cached && cached.until > now && equal(cached.hash, hash)) {
      this.#touch(cached.identity.apiKeyId!, now);
      return { ok: true, identity: cached.identity, issuedAt: cached.issuedAt };
    }
    const record = await this.#o.repository.getByPrefix(prefix);
    if (!record) {
      // Same work as a found key, so timing does not tell which prefixes exist.
      equal(DUMMY_HASH, hash);
      return { ok: false, reason: 'unknown', prefix };
    }
    // ASVS 11.2.4 / K-3: constant-time comparison of the keyed hashes.
    if (!equal(Buffer.from(record.hash, 'hex'), hash)) return { ok: false, reason: 'mismatch', prefix };
    if (record.revokedAt !== null) return { ok: false, reason: 'revoked', prefix };
    if (record.expiresAt !== null && record.expiresAt <= now) return { ok: false, reason: 'expired', prefix };
    let roles: readonly string[] = [];
    if (this.#o.ownerRoles) {
      const ownerRoles = await this.#o.ownerRoles(record.owner);
      if (ownerRoles === undefined) return { ok: false, reason: 'owner_refused', prefix };
      roles = ownerRoles;
    }
    const identity: Identity = {
      subject: record.owner,
      method: 'apiKey',
      roles,
      scopes: record.scopes,
      claims: { sub: record.owner, key: record.prefix, name: record.name, scopes: [...record.scopes] },
      apiKeyId: record.id,
      ...(record.plan !== null ? { plan: record.plan } : {}),
      ...(record.expiresAt !== null ? { expiresAt: Math.floor(record.expiresAt / 1000) } : {}),
    };
    const ttl = this.#o.cacheTtlMs ?? 10_000;
    const until = Math.min(now + ttl, record.expiresAt ?? Number.POSITIVE_INFINITY);
    if (ttl > 0) {
      if (this.#cache.size >= 10_000) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(prefix, { hash, identity, issuedAt: record.createdAt, until });
    }
    this.#touch(record.id, now);
    return { ok: true, identity, issuedAt: record.createdAt };
  }

  /** lastUsedAt at most once per interval per key, off the request path (never awaited). */
  #touch(id: string, now: number): void {
    const last = this.#touched.get(id);
    if (last !== undefined && now - last < (this.#o.touchIntervalMs ?? 60_000)) return;
    if (this.#touched.size >= 10_000) this.#touched.clear();
    this.#touched.set(id, now);
    this.#o.repository.touch(id).catch((error: unknown) => this.#o.onTouchError?.(error));
  }
}

function equal(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
