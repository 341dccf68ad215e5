import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AggregationOptions, DEFAULT_AGGREGATION, ipKey } from './ip.js';
import { RedisScript, taggedKey } from './redis-client.js';

export interface LoginThrottlePolicy {
  /** Failed logins for one account before delays start. */
  readonly accountFreeAttempts: number;
  /** Failed logins from one client address (any account) before delays start. */
  readonly ipFreeAttempts: number;
  /** First delay once the free attempts are used; doubles with each further failure. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Failures are forgotten after this long without a new one. */
  readonly resetAfterMs: number;
  readonly aggregation: AggregationOptions;
}

export const DEFAULT_LOGIN_POLICY: LoginThrottlePolicy = {
  accountFreeAttempts: 5,
  ipFreeAttempts: 20,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  resetAfterMs: 60 * 60_000,
  aggregation: DEFAULT_AGGREGATION,
};

/**
 * Exponential back-off: no delay for the first `free` failures, then base, 2*base, 4*base...
 * capped at max. Back-off rather than lock-out, so an attacker cannot lock a victim out for
 * long (OWASP Authentication Cheat Sheet, "Account lockout"; NIST SP 800-63B §5.2.2 limits
 * consecutive failed attempts).
 */
export function backoffDelayMs(failures: number, free: number, baseMs: number, maxMs: number): number {
  if (failures <= free) return 0;
  const exponent = Math.min(failures - free - 1, 40);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

export interface LoginCheck {
  readonly allowed: boolean;
  /** When refused: how long until the next attempt will be considered. */
  readonly retryAfterMs: number;
}

interface Counter {
  readonly failures: number;
  /** Unix ms of the last failure. */
  readonly last: number;
}

interface CounterBackend {
  get(keys: readonly string[], now: number): Promise<(Counter | undefined)[]>;
  fail(keys: readonly string[], now: number, ttlMs: number): Promise<void>;
  clear(key: string): Promise<void>;
}

/**
 * Login brute-force limiter for the identity provider, per account and per client address.
 * Call check() before verifying a password (refuse without hashing when not allowed), then
 * recordFailure() or recordSuccess(). Published as services.shared.get('loginThrottle').
 */
export class LoginThrottle {
  readonly #policy: LoginThrottlePolicy;
  readonly #backend: CounterBackend;
  readonly #fallback: CounterBackend | undefined;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;

  constructor(
    policy: LoginThrottlePolicy,
    options: {
      redis?: { client: Redis; keyPrefix: string };
      maxEntries?: number;
      logger?: Logger;
      now?: () => number;
    } = {},
  ) {
    this.#policy = policy;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    const memory = new MemoryCounters(options.maxEntries ?? 100_000);
    if (options.redis) {
      this.#backend = new RedisCounters(options.redis.client, options.redis.keyPrefix);
      // Redis unreachable: keep throttling with this process's own counters rather than none.
      this.#fallback = memory;
    } else {
      this.#backend = memory;
    }
  }

  #keys(account: string, ip: string): string[] {
    // Case and surrounding spaces must not give an attacker fresh counters for one account.
    const keys = [`acct:${account.trim().toLowerCase()}`];
    const client = ipKey(ip, this.#policy.aggregation);
    if (client !== undefined) keys.push(`ip:${client}`);
    return keys;
  }

  async #use<T>(run: (backend: CounterBackend) => Promise<T>): Promise<T> {
    try {
      return await run(this.#backend);
    } catch (error) {
      if (this.#fallback === undefined) throw error;
      this.#logger?.warn({ err: (error as Error).message }, 'login throttle store unavailable; using local counters');
      return run(this.#fallback);
    }
  }

  async check(account: string, ip: string): Promise<LoginCheck> {
    const keys = this.#keys(account, ip);
    const now = this.#now();
    const counters = await this.#use((backend) => backend.get(keys, now));
    let wait = 0;
    counters.forEach((counter, i) => {
      if (counter === undefined || now - counter.last >= this.#policy.resetAfterMs) return;
      const free = i === 0 ? this.#policy.accountFreeAttempts : this.#policy.ipFreeAttempts;
      const delay = backoffDelayMs(counter.failures, free, this.#policy.baseDelayMs, this.#policy.maxDelayMs);
      wait = Math.max(wait, counter.last + delay - now);
    });
    return { allowed: wait <= 0, retryAfterMs: Math.max(0, wait) };
  }

  async recordFailure(account: string, ip: string): Promise<void> {
    const keys = this.#keys(account, ip);
    await this.#use((backend) => backend.fail(keys, this.#now(), this.#policy.resetAfterMs));
  }

  /** Clears the account's counter; the address keeps its count (it may be spraying accounts). */
  async recordSuccess(account: string, ip: string): Promise<void> {
    const [accountKey] = this.#keys(account, ip);
    await this.#use((backend) => backend.clear(accountKey!));
  }
}

class MemoryCounters implements CounterBackend {
  readonly #map = new Map<string, Counter & { expires: number }>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  async get(keys: readonly string[], now: number): Promise<(Counter | undefined)[]> {
    return keys.map((key) => {
      const found = this.#map.get(key);
      return found !== undefined && found.expires > now ? found : undefined;
    });
  }

  async fail(keys: readonly string[], now: number, ttlMs: number): Promise<void> {
    for (const key of keys) {
      const found = this.#map.get(key);
      const failures = found !== undefined && found.expires > now ? found.failures + 1 : 1;
      this.#map.delete(key);
      this.#map.set(key, { failures, last: now, expires: now + ttlMs });
    }
    while (this.#map.size > this.#max) {
      const first = this.#map.keys().next();
      if (first.done) break;
      this.#map.delete(first.value);
    }
  }

  async clear(key: string): Promise<void> {
    this.#map.delete(key);
  }
}

// KEYS[1] = counter hash; ARGV = now ms, ttl ms.
const FAIL = new RedisScript(`
redis.call('HINCRBY', KEYS[1], 'f', 1)
redis.call('HSET', KEYS[1], 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

class RedisCounters implements CounterBackend {
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(client: Redis, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  #key(key: string): string {
    return taggedKey(this.#prefix, 'login', key);
  }

  async get(keys: readonly string[]): Promise<(Counter | undefined)[]> {
    const replies = await Promise.all(keys.map((key) => this.#client.hmget(this.#key(key), 'f', 't')));
    return replies.map(([f, t]) => (f && t ? { failures: Number(f), last: Number(t) } : undefined));
  }

  async fail(keys: readonly string[], now: number, ttlMs: number): Promise<void> {
    await Promise.all(keys.map((key) => FAIL.run(this.#client, [this.#key(key)], [now, ttlMs])));
  }

  async clear(key: string): Promise<void> {
    await this.#client.del(this.#key(key));
  }
}
