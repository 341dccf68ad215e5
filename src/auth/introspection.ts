import { createHash } from 'node:crypto';
import { request } from 'undici';
import type { Identity } from '../pipeline/identity.js';
import { claimsToIdentity } from './claims.js';
import { isObject } from './jwt/format.js';

/** One RFC 7662 introspection endpoint, `authentication.introspection.<name>`. */
export interface IntrospectionConfig {
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** RFC 7662 §2.1 requires the caller to authenticate; client_secret_basic by default. */
  readonly clientAuth?: 'basic' | 'post';
  /** When set, an answer whose `iss` differs is refused. */
  readonly issuer?: string;
  /** When set, the answer's `aud` must contain one of these. */
  readonly audience?: string | readonly string[];
  /** Upper bound on how long an answer is cached, whatever the token's exp says. */
  readonly maxCacheTtlSec?: number;
  /** How long an "inactive" answer is remembered (repeated garbage costs one call per TTL). */
  readonly negativeCacheTtlSec?: number;
  readonly timeoutMs?: number;
  readonly rolesClaim?: string;
  readonly scopesClaim?: string;
}

export type IntrospectionResult =
  | { ok: true; identity: Identity }
  | { ok: false; reason: 'inactive' | 'expired' | 'wrong_issuer' | 'wrong_audience' | 'no_subject' | 'revoked' }
  | { ok: false; reason: 'unavailable'; detail: string };

interface CacheEntry {
  readonly result: IntrospectionResult;
  readonly until: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_CACHE_ENTRIES = 50_000;

/**
 * Opaque-token validation by asking the authorization server (RFC 7662). Answers are cached under
 * the SHA-256 of the token (the token itself is never kept), never past the token's `exp`
 * (RFC 7662 §4: a cached "active" must not outlive the token) and never longer than
 * maxCacheTtlSec, so a revocation at the server is seen within that bound; the revocation bus
 * makes it immediate.
 */
export class Introspector {
  readonly #config: IntrospectionConfig;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #authHeader: string | undefined;
  readonly #now: () => number;
  readonly #isRevoked: ((tokenHash: string) => boolean) | undefined;

  constructor(
    config: IntrospectionConfig,
    options: { now?: () => number; isRevoked?: (tokenHash: string) => boolean } = {},
  ) {
    this.#config = config;
    this.#now = options.now ?? Date.now;
    this.#isRevoked = options.isRevoked;
    if ((config.clientAuth ?? 'basic') === 'basic') {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
      const pair = `${formEncode(config.clientId)}:${formEncode(config.clientSecret)}`;
      this.#authHeader = `Basic ${Buffer.from(pair).toString('base64')}`;
    }
  }

  static tokenHash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  /** Drop a cached answer (revocation). */
  forget(tokenHash: string): void {
    this.#cache.delete(tokenHash);
  }

  async introspect(token: string): Promise<IntrospectionResult> {
    const hash = Introspector.tokenHash(token);
    if (this.#isRevoked?.(hash)) return { ok: false, reason: 'revoked' };
    const now = this.#now();
    const cached = this.#cache.get(hash);
    if (cached && cached.until > now) return cached.result;
    if (cached) this.#cache.delete(hash);
    let answer: Record<string, unknown>;
    try {
      answer = await this.#call(token);
    } catch (error) {
      return { ok: false, reason: 'unavailable', detail: (error as Error).message };
    }
    const result = this.#judge(answer, now);
    const until = this.#cacheUntil(result, answer, now);
    if (until > now) {
      if (this.#cache.size >= MAX_CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(hash, { result, until });
    }
    return result;
  }

  #judge(answer: Record<string, unknown>, now: number): IntrospectionResult {
    // RFC 7662 §2.2: only `active: true` (the boolean) means the token is usable.
    if (answer.active !== true) return { ok: false, reason: 'inactive' };
    if (typeof answer.exp === 'number' && answer.exp * 1000 <= now) return { ok: false, reason: 'expired' };
    const cfg = this.#config;
    if (cfg.issuer !== undefined && answer.iss !== cfg.issuer) return { ok: false, reason: 'wrong_issuer' };
    if (cfg.audience !== undefined) {
      const wanted = typeof cfg.audience === 'string' ? [cfg.audience] : cfg.audience;
      const aud = typeof answer.aud === 'string' ? [answer.aud] : Array.isArray(answer.aud) ? answer.aud : [];
      if (!aud.some((a) => wanted.includes(a as string))) return { ok: false, reason: 'wrong_audience' };
    }
    const sub = typeof answer.sub === 'string' && answer.sub !== '' ? answer.sub : answer.client_id;
    if (typeof sub !== 'string' || sub === '') return { ok: false, reason: 'no_subject' };
    return {
      ok: true,
      identity: claimsToIdentity(
        { ...answer, sub },
        {
          method: 'introspection',
          ...(typeof answer.iss === 'string' ? { issuer: answer.iss } : {}),
          ...(cfg.rolesClaim !== undefined ? { rolesClaim: cfg.rolesClaim } : {}),
          ...(cfg.scopesClaim !== undefined ? { scopesClaim: cfg.scopesClaim } : {}),
        },
      ),
    };
  }

  #cacheUntil(result: IntrospectionResult, answer: Record<string, unknown>, now: number): number {
    if (!result.ok) {
      if (result.reason === 'unavailable') return now;
      return now + (this.#config.negativeCacheTtlSec ?? 5) * 1000;
    }
    const max = now + (this.#config.maxCacheTtlSec ?? 60) * 1000;
    // Without exp we cannot know how long the token lives: cache for the max bound only.
    return typeof answer.exp === 'number' ? Math.min(max, answer.exp * 1000) : max;
  }

  async #call(token: string): Promise<Record<string, unknown>> {
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    if (this.#authHeader === undefined) {
      form.set('client_id', this.#config.clientId);
      form.set('client_secret', this.#config.clientSecret);
    }
    const timeout = this.#config.timeoutMs ?? 3000;
    const res = await request(this.#config.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...(this.#authHeader ? { authorization: this.#authHeader } : {}),
      },
      body: form.toString(),
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`introspection endpoint answered ${res.statusCode}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_RESPONSE_BYTES) {
        res.body.destroy();
        throw new Error('introspection response too large');
      }
      chunks.push(chunk as Buffer);
    }
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!isObject(parsed)) throw new Error('introspection response is not a JSON object');
    return parsed;
  }
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
