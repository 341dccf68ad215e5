import { availableParallelism } from 'node:os';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { ConfigError } from '../config/errors.js';
import type { Services } from '../stages/definition.js';
import { type BanManager, MemoryBanManager, RedisBanManager } from './bans.js';
import { type RateLimitGlobal, type ResolvedRateLimitConfig, resolveRateLimitConfig } from './config.js';
import { RateLimiter } from './limiter.js';
import { LoginThrottle } from './login-throttle.js';
import { MemoryStore } from './memory-store.js';
import { openRedis } from './redis-client.js';
import { RedisStore } from './redis-store.js';

/**
 * Keys this module publishes in services.shared (for the WAF, authentication and the identity
 * provider):
 * - 'bans'          BanManager: recordStrike('waf' | 'auth', ip), isBanned(ip), ban, lift, list
 * - 'loginThrottle' LoginThrottle: check(account, ip), recordFailure, recordSuccess
 * - 'rateLimiter'   RateLimiter: the store plus its failure policy
 */
export const SHARED_KEYS = { bans: 'bans', loginThrottle: 'loginThrottle', rateLimiter: 'rateLimiter' } as const;
const INTERNAL_KEY = 'rateLimit:services';

/** Everything the rate-limit and ip-filter stages share for one loaded configuration. */
export interface AbuseServices {
  readonly config: ResolvedRateLimitConfig;
  readonly limiter: RateLimiter;
  readonly bans: BanManager;
  readonly loginThrottle: LoginThrottle;
}

interface Holder {
  ready: Promise<AbuseServices> | undefined;
  users: number;
  redis: Redis | undefined;
}

/**
 * The shared services for this configuration, created by whichever stage's setup() asks first
 * (setup order is not guaranteed) from the top-level `rateLimit` section. Each caller must
 * call releaseAbuseServices() from its dispose(); the last one closes Redis.
 * Throws ConfigError for semantic problems in `rateLimit`.
 */
export function acquireAbuseServices(services: Services): Promise<AbuseServices> {
  let holder = services.shared.get(INTERNAL_KEY) as Holder | undefined;
  if (holder === undefined) {
    holder = { ready: undefined, users: 0, redis: undefined };
    holder.ready = build(services, holder);
    services.shared.set(INTERNAL_KEY, holder);
  }
  holder.users++;
  return holder.ready!;
}

export async function releaseAbuseServices(services: Services): Promise<void> {
  const holder = services.shared.get(INTERNAL_KEY) as Holder | undefined;
  if (holder === undefined || --holder.users > 0) return;
  services.shared.delete(INTERNAL_KEY);
  const built = await holder.ready?.catch(() => undefined);
  await built?.limiter.close();
  await built?.bans.close();
  await holder.redis?.quit().catch(() => holder.redis?.disconnect());
}

const STORE_FAILURES_METRIC = 'portcullis_ratelimit_store_unavailable_total';

/** One counter per registry, so a configuration reload reuses it. */
function storeFailures(registry: Registry): Counter<'policy'> {
  const existing = registry.getSingleMetric(STORE_FAILURES_METRIC);
  if (existing) return existing as Counter<'policy'>;
  return new Counter({
    name: STORE_FAILURES_METRIC,
    help: 'Rate-limit decisions the shared store could not make; policy closed answered 503, open limited locally',
    labelNames: ['policy'],
    registers: [registry],
  });
}

/**
 * The memory store counts in one process. With several node:cluster workers each would count on
 * its own and let a client through up to N times every route limit: refused at start, with the
 * fix. Bans and the login throttle (also per worker then) only warn, since the per-account
 * lockout in the store stays exact.
 */
function checkWorkers(services: Services): void {
  const setting = (services.config['server'] as { workers?: number | 'auto' } | undefined)?.workers ?? 1;
  const workers = setting === 'auto' ? availableParallelism() : setting;
  if (workers <= 1) return;
  const routes = Array.isArray(services.config['routes'])
    ? (services.config['routes'] as Record<string, unknown>[])
    : [];
  if (routes.some((route) => route['rateLimit'] !== undefined)) {
    throw new ConfigError(
      ['server', 'workers'],
      `${workers} worker processes with the memory rate-limit store would each count on their own, letting a client through up to ${workers} times every limit: set rateLimit.store to redis (with rateLimit.redis.url) or server.workers to 1`,
    );
  }
  services.logger.warn(
    { workers },
    'bans and the login throttle count per worker process with the memory rate-limit store; set rateLimit.store to redis to share them',
  );
}

async function build(services: Services, holder: Holder): Promise<AbuseServices> {
  const config = resolveRateLimitConfig(services.config['rateLimit'] as RateLimitGlobal | undefined);
  const logger = services.logger;
  let result: AbuseServices;
  if (config.store === 'redis' && config.redis) {
    const failures = storeFailures(services.metrics);
    const client = await openRedis(config.redis, logger);
    holder.redis = client;
    const bans = new RedisBanManager(client, config.bans, {
      keyPrefix: config.redis.keyPrefix,
      syncIntervalMs: config.banSyncMs,
      logger,
    });
    await bans.refresh();
    result = {
      config,
      limiter: new RateLimiter({
        store: new RedisStore(client, config.redis.keyPrefix),
        onStoreFailure: config.onStoreFailure,
        fallbackMaxKeys: config.maxKeys,
        logger,
        onStoreUnavailable: () => failures.inc({ policy: config.onStoreFailure }),
      }),
      bans,
      loginThrottle: new LoginThrottle(config.login, {
        redis: { client, keyPrefix: config.redis.keyPrefix },
        maxEntries: config.maxKeys,
        logger,
      }),
    };
  } else {
    checkWorkers(services);
    result = {
      config,
      limiter: new RateLimiter({
        store: new MemoryStore({ maxKeys: config.maxKeys }),
        onStoreFailure: config.onStoreFailure,
        fallbackMaxKeys: config.maxKeys,
        logger,
      }),
      bans: new MemoryBanManager(config.bans),
      loginThrottle: new LoginThrottle(config.login, { maxEntries: config.maxKeys, logger }),
    };
  }
  services.shared.set(SHARED_KEYS.bans, result.bans);
  services.shared.set(SHARED_KEYS.loginThrottle, result.loginThrottle);
  services.shared.set(SHARED_KEYS.rateLimiter, result.limiter);
  return result;
}
