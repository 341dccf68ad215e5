import { importJWK, type JWK } from 'jose';
import { request } from 'undici';
import { keyTypeFor } from './algorithms.js';
import { isObject } from './format.js';

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

export interface JwksCacheOptions {
  readonly url: string;
  /** Algorithms the issuer allows; keys for anything else are ignored. */
  readonly algorithms: readonly string[];
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Age after which a background refresh starts (served keys stay usable meanwhile). */
  readonly cacheMaxAgeMs?: number;
  /** Minimum time between two fetches triggered by an unknown kid. */
  readonly cooldownMs?: number;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

/**
 * Remote JWKS with a cache that survives the endpoint being down: a failed fetch keeps the last
 * good key set. An unknown `kid` triggers at most one fetch per cooldown (ASVS 10.5.3; jose's
 * defaults of 10 min cache and 30 s cooldown are kept), so random kids cannot make us hammer the
 * issuer. Only keys for allow-listed algorithms are imported, each bound to one algorithm
 * (rfc8725bis §3.1: one key, one algorithm); symmetric keys in a JWKS are ignored.
 */
export class JwksCache {
  readonly #options: Required<Omit<JwksCacheOptions, 'onError'>> & Pick<JwksCacheOptions, 'onError'>;
  #jwks: readonly JWK[] = [];
  #imported = new Map<string, Promise<VerifyKey | undefined>>();
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;

  constructor(options: JwksCacheOptions) {
    this.#options = {
      timeoutMs: 5000,
      maxBytes: 256 * 1024,
      cacheMaxAgeMs: 600_000,
      cooldownMs: 30_000,
      now: Date.now,
      ...options,
    };
  }

  /** Number of keys currently usable (for readiness checks and tests). */
  get size(): number {
    return this.#jwks.length;
  }

  async getKey(kid: string | undefined, alg: string): Promise<VerifyKey | undefined> {
    const now = this.#options.now();
    if (now - this.#fetchedAt > this.#options.cacheMaxAgeMs && now - this.#attemptedAt > this.#options.cooldownMs) {
      // Stale: refresh, but answer from what we have when we have something.
      const refreshing = this.refresh();
      if (this.#jwks.length === 0) await refreshing;
    }
    let key = await this.#find(kid, alg);
    if (key === undefined && kid !== undefined && this.#options.now() - this.#attemptedAt > this.#options.cooldownMs) {
      await this.refresh();
      key = await this.#find(kid, alg);
    }
    return key;
  }

  /** Fetch the key set now (deduplicated); failures keep the previous keys and never throw. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<void> {
    this.#attemptedAt = this.#options.now();
    try {
      const res = await request(this.#options.url, {
        method: 'GET',
        headers: { accept: 'application/jwk-set+json, application/json' },
        headersTimeout: this.#options.timeoutMs,
        bodyTimeout: this.#options.timeoutMs,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`JWKS endpoint answered ${res.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > this.#options.maxBytes) {
          res.body.destroy();
          throw new Error('JWKS document too large');
        }
        chunks.push(chunk as Buffer);
      }
      const doc: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!isObject(doc) || !Array.isArray(doc.keys)) throw new Error('JWKS document has no keys array');
      this.#jwks = doc.keys.filter((k): k is JWK => isObject(k) && typeof k.kty === 'string' && k.kty !== 'oct');
      this.#imported = new Map();
      this.#fetchedAt = this.#options.now();
    } catch (error) {
      this.#options.onError?.(error);
    }
  }

  async #find(kid: string | undefined, alg: string): Promise<VerifyKey | undefined> {
    if (!this.#options.algorithms.includes(alg)) return undefined;
    const kty = keyTypeFor(alg);
    const candidates = this.#jwks.filter(
      (k) =>
        k.kty === kty &&
        (kid === undefined || k.kid === kid) &&
        (k.alg === undefined || k.alg === alg) &&
        (k.use === undefined || k.use === 'sig') &&
        k.d === undefined,
    );
    // Without a kid the set must be unambiguous, otherwise any key could be tried against the token.
    if (candidates.length !== 1) return undefined;
    const jwk = candidates[0]!;
    const cacheKey = `${jwk.kid ?? ''}\u0000${alg}`;
    let imported = this.#imported.get(cacheKey);
    if (!imported) {
      imported = importJWK({ ...jwk, alg }, alg).then(
        (k) => k,
        () => undefined,
      );
      this.#imported.set(cacheKey, imported);
    }
    return imported;
  }
}
