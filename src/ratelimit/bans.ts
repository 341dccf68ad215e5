import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AggregationOptions, ipKey } from './ip.js';
import { RedisScript, taggedKey } from './redis-client.js';

export const STRIKE_KINDS = ['waf', 'auth'] as const;
/** Why a client earned a strike: blocked by the WAF, or failed authentication. */
export type StrikeKind = (typeof STRIKE_KINDS)[number];

export interface BanEntry {
  /** The banned client: an IPv4 address or, aggregated, a network such as "2001:db8::/64". */
  readonly ip: string;
  /** Unix milliseconds when the ban ends. */
  readonly until: number;
  readonly reason: string;
  readonly createdAt: number;
}

export interface StrikePolicy {
  /** Strikes within `windowMs` that trigger a ban. */
  readonly strikes: number;
  readonly windowMs: number;
}

export interface BanPolicy {
  /** Automatic bans from strikes; bans made by hand (CLI) apply either way. */
  readonly enabled: boolean;
  readonly durationMs: number;
  readonly strikes: Readonly<Record<StrikeKind, StrikePolicy>>;
  readonly aggregation: AggregationOptions;
  /** Bound on locally tracked bans and strike counters. */
  readonly maxEntries: number;
}

/**
 * Temporary bans keyed by client address, published to other stages as
 * services.shared.get('bans'). The WAF and authentication stages call recordStrike(); the
 * ip-filter stage calls isBanned() on every request (a local lookup, no network).
 */
export interface BanManager {
  /** Counts one strike; true when this strike got the client banned. Never throws. */
  recordStrike(kind: StrikeKind, ip: string): Promise<boolean>;
  /** The active ban for this client address, if any. */
  isBanned(ip: string): BanEntry | undefined;
  ban(ip: string, durationMs: number, reason: string): Promise<BanEntry>;
  /** True when a ban was lifted. */
  lift(ip: string): Promise<boolean>;
  list(): Promise<BanEntry[]>;
  close(): Promise<void>;
}

/** Thrown by ban/lift/list for an argument that is not an address. */
export class InvalidAddressError extends Error {
  constructor(ip: string) {
    super(`"${ip}" is not an IP address`);
    this.name = 'InvalidAddressError';
  }
}

function keyFor(ip: string, policy: BanPolicy): string {
  const key = ipKey(ip, policy.aggregation);
  if (key === undefined) throw new InvalidAddressError(ip);
  return key;
}

/** Reasons reach terminals (`bans list`) and logs: no control characters, bounded length. */
function cleanReason(reason: string): string {
  return reason.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 200);
}

/** Drops the oldest entries of a Map past its bound (Maps iterate in insertion order). */
function bound<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) {
    const first = map.keys().next();
    if (first.done) return;
    map.delete(first.value);
  }
}

/** Bans kept in this process only (the memory store): lost on restart, not shared. */
export class MemoryBanManager implements BanManager {
  readonly #policy: BanPolicy;
  readonly #bans = new Map<string, BanEntry>();
  readonly #strikes = new Map<string, { count: number; endsAt: number }>();
  readonly #now: () => number;

  constructor(policy: BanPolicy, now: () => number = Date.now) {
    this.#policy = policy;
    this.#now = now;
  }

  async recordStrike(kind: StrikeKind, ip: string): Promise<boolean> {
    const key = ipKey(ip, this.#policy.aggregation);
    if (!this.#policy.enabled || key === undefined) return false;
    const rule = this.#policy.strikes[kind];
    const now = this.#now();
    const id = `${kind}:${key}`;
    let counter = this.#strikes.get(id);
    if (counter === undefined || counter.endsAt <= now) counter = { count: 0, endsAt: now + rule.windowMs };
    counter.count++;
    this.#strikes.delete(id);
    if (counter.count < rule.strikes) {
      this.#strikes.set(id, counter);
      bound(this.#strikes, this.#policy.maxEntries);
      return false;
    }
    await this.ban(key, this.#policy.durationMs, `${kind} strikes`);
    return true;
  }

  isBanned(ip: string): BanEntry | undefined {
    if (this.#bans.size === 0) return undefined;
    const key = ipKey(ip, this.#policy.aggregation);
    const entry = key === undefined ? undefined : this.#bans.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > this.#now()) return entry;
    this.#bans.delete(entry.ip);
    return undefined;
  }

  async ban(ip: string, durationMs: number, reason: string): Promise<BanEntry> {
    const key = keyFor(ip, this.#policy);
    reason = cleanReason(reason);
    const now = this.#now();
    const entry: BanEntry = { ip: key, until: now + durationMs, reason, createdAt: now };
    this.#bans.delete(key);
    this.#bans.set(key, entry);
    bound(this.#bans, this.#policy.maxEntries);
    return entry;
  }

  async lift(ip: string): Promise<boolean> {
    return this.#bans.delete(keyFor(ip, this.#policy));
  }

  async list(): Promise<BanEntry[]> {
    const now = this.#now();
    return [...this.#bans.values()].filter((entry) => entry.until > now);
  }

  async close(): Promise<void> {
    this.#bans.clear();
    this.#strikes.clear();
  }
}

// KEYS[1] = strike counter; ARGV = window ms. Returns the count within the current window.
const STRIKE = new RedisScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`);

export interface RedisBanOptions {
  readonly keyPrefix: string;
  /** How often the local copy of the ban list is refreshed (0: never; the CLI reads on demand). */
  readonly syncIntervalMs: number;
  readonly logger?: Logger;
}

/**
 * Bans shared by every gateway through one Redis hash (field = client, value = JSON entry).
 * Each process keeps a local copy refreshed every syncIntervalMs, so the per-request check
 * costs no round trip: a ban made elsewhere applies here within one interval, a ban made
 * here applies at once. Strike counters are per-client keys with a hash tag (cluster-safe).
 */
export class RedisBanManager implements BanManager {
  readonly #policy: BanPolicy;
  readonly #client: Redis;
  readonly #hash: string;
  readonly #prefix: string;
  readonly #logger: Logger | undefined;
  #local = new Map<string, BanEntry>();
  #timer: NodeJS.Timeout | undefined;

  constructor(client: Redis, policy: BanPolicy, options: RedisBanOptions) {
    this.#client = client;
    this.#policy = policy;
    this.#prefix = options.keyPrefix;
    this.#hash = `${options.keyPrefix}{bans}`;
    this.#logger = options.logger;
    if (options.syncIntervalMs > 0) {
      this.#timer = setInterval(() => void this.refresh(), options.syncIntervalMs);
      this.#timer.unref();
    }
  }

  /** Reloads the shared list; keeps the last good copy when Redis is unreachable. */
  async refresh(): Promise<void> {
    try {
      this.#local = new Map((await this.#readAll()).map((entry) => [entry.ip, entry]));
    } catch (error) {
      this.#logger?.debug({ err: (error as Error).message }, 'ban list refresh failed');
    }
  }

  async #readAll(): Promise<BanEntry[]> {
    const raw = await this.#client.hgetall(this.#hash);
    const now = Date.now();
    const live: BanEntry[] = [];
    const expired: string[] = [];
    for (const [field, value] of Object.entries(raw)) {
      const entry = parseEntry(field, value);
      if (entry !== undefined && entry.until > now) live.push(entry);
      else expired.push(field);
    }
    if (expired.length > 0) await this.#client.hdel(this.#hash, ...expired);
    return live.slice(0, this.#policy.maxEntries);
  }

  async recordStrike(kind: StrikeKind, ip: string): Promise<boolean> {
    const key = ipKey(ip, this.#policy.aggregation);
    if (!this.#policy.enabled || key === undefined) return false;
    const rule = this.#policy.strikes[kind];
    try {
      const count = Number(
        await STRIKE.run(this.#client, [taggedKey(this.#prefix, 'strike', `${kind}:${key}`)], [rule.windowMs]),
      );
      if (count < rule.strikes) return false;
      await this.ban(key, this.#policy.durationMs, `${kind} strikes`);
      return true;
    } catch (error) {
      this.#logger?.warn({ err: (error as Error).message }, 'could not record a strike');
      return false;
    }
  }

  isBanned(ip: string): BanEntry | undefined {
    if (this.#local.size === 0) return undefined;
    const key = ipKey(ip, this.#policy.aggregation);
    const entry = key === undefined ? undefined : this.#local.get(key);
    return entry !== undefined && entry.until > Date.now() ? entry : undefined;
  }

  async ban(ip: string, durationMs: number, reason: string): Promise<BanEntry> {
    const key = keyFor(ip, this.#policy);
    reason = cleanReason(reason);
    const now = Date.now();
    const entry: BanEntry = { ip: key, until: now + durationMs, reason, createdAt: now };
    this.#local.set(key, entry);
    await this.#client.hset(this.#hash, key, JSON.stringify({ until: entry.until, reason, createdAt: now }));
    return entry;
  }

  async lift(ip: string): Promise<boolean> {
    const key = keyFor(ip, this.#policy);
    this.#local.delete(key);
    return (await this.#client.hdel(this.#hash, key)) > 0;
  }

  async list(): Promise<BanEntry[]> {
    return this.#readAll();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#local.clear();
  }
}

function parseEntry(ip: string, value: string): BanEntry | undefined {
  try {
    const data = JSON.parse(value) as { until?: unknown; reason?: unknown; createdAt?: unknown };
    if (typeof data.until !== 'number') return undefined;
    return {
      ip,
      until: data.until,
      reason: typeof data.reason === 'string' ? data.reason : '',
      createdAt: typeof data.createdAt === 'number' ? data.createdAt : 0,
    };
  } catch {
    return undefined;
  }
}
