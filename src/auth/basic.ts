import { createHmac, randomBytes } from 'node:crypto';
import type { Identity } from '../pipeline/identity.js';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const MAX_BASIC_BYTES = 4096;

/**
 * RFC 7617 §2: `Basic base64(user-id ":" password)`, UTF-8. The user-id cannot contain a colon;
 * control characters are refused (§2: "MUST NOT contain control characters"). The size bound
 * keeps a hash-DoS password (P-3) away from argon2.
 */
export function parseBasic(authorization: string): BasicCredentials | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
  if (!match || match[1]!.length > MAX_BASIC_BYTES) return undefined;
  const bytes = Buffer.from(match[1]!, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== match[1]!.replace(/=+$/, '')) return undefined;
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  if (/[\x00-\x1f\x7f]/.test(text)) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** A user whose password was verified. */
export interface VerifiedUser {
  readonly subject: string;
  readonly roles: readonly string[];
  readonly scopes?: readonly string[];
  readonly plan?: string;
}

/**
 * Checks a username and password. The identity provider's argon2 verifier implements it
 * (with uniform timing for unknown users); `createStorePasswordVerifier` is the store-backed one.
 */
export interface PasswordVerifier {
  verify(username: string, password: string): Promise<VerifiedUser | undefined>;
}

/** Login brute-force protection, shaped like src/ratelimit's LoginThrottle (services.shared 'loginThrottle'). */
export interface LoginLimiter {
  check(account: string, ip: string): Promise<{ readonly allowed: boolean; readonly retryAfterMs: number }>;
  recordFailure(account: string, ip: string): Promise<void>;
  recordSuccess(account: string, ip: string): Promise<void>;
}

export type BasicResult =
  | { ok: true; identity: Identity }
  | { ok: false; reason: 'malformed' | 'bad_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterMs: number };

export interface BasicAuthenticatorOptions {
  readonly verifier: () => PasswordVerifier | undefined;
  readonly limiter?: () => LoginLimiter | undefined;
  /** How long a verified username/password pair is remembered (argon2 per request would be a DoS lever). */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

/**
 * HTTP Basic for legacy clients. Every attempt goes through the login limiter first (RL-1), so
 * Basic cannot be used to brute-force what the login page protects. Successful pairs are cached
 * under an HMAC with a per-process key (the password itself is never kept).
 */
export class BasicAuthenticator {
  readonly #o: BasicAuthenticatorOptions;
  readonly #cacheKey = randomBytes(32);
  readonly #cache = new Map<string, { identity: Identity; until: number; username: string }>();
  readonly #now: () => number;

  constructor(options: BasicAuthenticatorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Drop cached logins of a user (disable, password change, revocation). */
  forgetUser(username: string): void {
    for (const [k, v] of this.#cache)
      if (v.username === username || v.identity.subject === username) this.#cache.delete(k);
  }

  async authenticate(authorization: string, clientIp: string): Promise<BasicResult> {
    const credentials = parseBasic(authorization);
    if (!credentials) return { ok: false, reason: 'malformed' };
    const now = this.#now();
    const key = createHmac('sha256', this.#cacheKey)
      .update(credentials.username)
      .update('\u0000')
      .update(credentials.password)
      .digest('base64url');
    const cached = this.#cache.get(key);
    if (cached && cached.until > now) return { ok: true, identity: cached.identity };
    const limiter = this.#o.limiter?.();
    if (limiter) {
      const check = await limiter.check(credentials.username, clientIp);
      if (!check.allowed) return { ok: false, reason: 'throttled', retryAfterMs: check.retryAfterMs };
    }
    const verifier = this.#o.verifier();
    const user = verifier ? await verifier.verify(credentials.username, credentials.password) : undefined;
    if (!user) {
      await limiter?.recordFailure(credentials.username, clientIp);
      return { ok: false, reason: 'bad_credentials' };
    }
    await limiter?.recordSuccess(credentials.username, clientIp);
    const identity: Identity = {
      subject: user.subject,
      method: 'basic',
      roles: user.roles,
      scopes: user.scopes ?? [],
      claims: { sub: user.subject, username: credentials.username },
      ...(user.plan !== undefined ? { plan: user.plan } : {}),
    };
    const ttl = this.#o.cacheTtlMs ?? 30_000;
    if (ttl > 0) {
      if (this.#cache.size >= 10_000) this.#cache.clear();
      this.#cache.set(key, { identity, until: now + ttl, username: credentials.username });
    }
    return { ok: true, identity };
  }
}
