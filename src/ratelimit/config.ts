import { type Static, Type } from '@sinclair/typebox';
import { ConfigError, type KeyPath } from '../config/errors.js';
import type { BanPolicy, StrikePolicy } from './bans.js';
import { DURATION_PATTERN, parseDuration, parseRate, RATE_PATTERN } from './duration.js';
import type { AggregationOptions } from './ip.js';
import { FAILURE_POLICIES, type FailurePolicy } from './limiter.js';
import { DEFAULT_LOGIN_POLICY, type LoginThrottlePolicy } from './login-throttle.js';
import { ALGORITHMS, type LimitSpec, limitSpec } from './spec.js';

const Duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description });
const AlgorithmSchema = Type.Union(
  ALGORITHMS.map((a) => Type.Literal(a)),
  { description: 'gcra (default) or sliding-window' },
);
const Ipv4Prefix = Type.Integer({ minimum: 0, maximum: 32 });
const Ipv6Prefix = Type.Integer({ minimum: 0, maximum: 128 });

const PlanSchema = Type.Union([
  Type.String({ pattern: RATE_PATTERN, description: 'e.g. "1000/day", "10/1s"' }),
  Type.Object(
    {
      limit: Type.Integer({ minimum: 1 }),
      per: Duration('window of the quota'),
      burst: Type.Optional(Type.Integer({ minimum: 1 })),
      algorithm: Type.Optional(AlgorithmSchema),
    },
    { additionalProperties: false },
  ),
]);

const StrikeSchema = Type.Object(
  { strikes: Type.Integer({ minimum: 1 }), window: Duration('window the strikes are counted in') },
  { additionalProperties: false },
);

/** Top-level `rateLimit`: the store, its failure policy, plans, bans and the login throttle. */
export const RateLimitGlobalSchema = Type.Object(
  {
    store: Type.Optional(
      Type.Union([Type.Literal('memory'), Type.Literal('redis'), Type.Literal('auto')], {
        description: 'memory (default), redis, or auto: redis when redis.url is not empty',
      }),
    ),
    redis: Type.Optional(
      Type.Object(
        {
          url: Type.String({ description: 'redis://[user:password@]host:port[/db]; rediss:// for TLS' }),
          keyPrefix: Type.Optional(Type.String({ pattern: '^[^{}]{0,64}$' })),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    onStoreFailure: Type.Optional(Type.Union(FAILURE_POLICIES.map((p) => Type.Literal(p)))),
    memory: Type.Optional(
      Type.Object({ maxKeys: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
    ),
    ipv4Prefix: Type.Optional(Ipv4Prefix),
    ipv6Prefix: Type.Optional(Ipv6Prefix),
    plans: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }), PlanSchema)),
    defaultPlan: Type.Optional(Type.String()),
    bans: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          duration: Type.Optional(Duration('how long an automatic ban lasts')),
          waf: Type.Optional(StrikeSchema),
          auth: Type.Optional(StrikeSchema),
          maxEntries: Type.Optional(Type.Integer({ minimum: 1 })),
          syncInterval: Type.Optional(Duration('how often each instance reloads the shared ban list')),
        },
        { additionalProperties: false },
      ),
    ),
    login: Type.Optional(
      Type.Object(
        {
          accountFreeAttempts: Type.Optional(Type.Integer({ minimum: 0 })),
          ipFreeAttempts: Type.Optional(Type.Integer({ minimum: 0 })),
          baseDelay: Type.Optional(Duration('first back-off delay')),
          maxDelay: Type.Optional(Duration('longest back-off delay')),
          resetAfter: Type.Optional(Duration('failures are forgotten after this quiet time')),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RateLimitGlobal = Static<typeof RateLimitGlobalSchema>;

/** The global settings with every default applied and every duration parsed. */
export interface ResolvedRateLimitConfig {
  readonly store: 'memory' | 'redis';
  readonly redis?: { readonly url: string; readonly keyPrefix: string; readonly timeoutMs: number };
  readonly onStoreFailure: FailurePolicy;
  readonly maxKeys: number;
  readonly aggregation: AggregationOptions;
  readonly plans: ReadonlyMap<string, LimitSpec>;
  readonly defaultPlan: string | undefined;
  readonly bans: BanPolicy;
  readonly banSyncMs: number;
  readonly login: LoginThrottlePolicy;
}

export const RATE_LIMIT_DEFAULTS = {
  keyPrefix: 'portcullis:',
  timeoutMs: 100,
  // ASVS 16.5.2 / SECURITY-REQUIREMENTS R-5: a store outage must not switch limits off.
  onStoreFailure: 'closed',
  maxKeys: 100_000,
  banDuration: '15m',
  wafStrikes: { strikes: 20, window: '1m' },
  authStrikes: { strikes: 10, window: '5m' },
  banSyncInterval: '1s',
} as const;

const ms = (text: string, path: KeyPath): number => {
  const value = parseDuration(text);
  if (value === undefined) throw new ConfigError(path, `"${text}" is not a duration (e.g. 500ms, 10s, 1m, 1h, 1d)`);
  return value;
};

export function resolveRateLimitConfig(global: RateLimitGlobal | undefined): ResolvedRateLimitConfig {
  const g = global ?? {};
  const root = ['rateLimit'] as const;
  const hasUrl = g.redis !== undefined && g.redis.url.trim() !== '';
  // auto: lets one file run with or without Redis, e.g. url: ${env:REDIS_URL:-}.
  const store = g.store === 'auto' ? (hasUrl ? 'redis' : 'memory') : (g.store ?? 'memory');
  if (store === 'redis' && !hasUrl) {
    throw new ConfigError([...root, 'redis', 'url'], 'store is redis but redis.url is not set');
  }
  const aggregation = { ipv4Prefix: g.ipv4Prefix ?? 32, ipv6Prefix: g.ipv6Prefix ?? 64 };
  const plans = new Map<string, LimitSpec>();
  for (const [name, plan] of Object.entries(g.plans ?? {})) {
    const path = [...root, 'plans', name];
    if (typeof plan === 'string') {
      const rate = parseRate(plan);
      if (!rate) throw new ConfigError(path, `"${plan}" is not a rate (e.g. 1000/day)`);
      plans.set(name, limitSpec('gcra', rate.limit, rate.periodMs));
    } else {
      plans.set(name, limitSpec(plan.algorithm ?? 'gcra', plan.limit, ms(plan.per, [...path, 'per']), plan.burst));
    }
  }
  if (g.defaultPlan !== undefined && !plans.has(g.defaultPlan)) {
    throw new ConfigError([...root, 'defaultPlan'], `plan "${g.defaultPlan}" is not defined under rateLimit.plans`);
  }
  const b = g.bans ?? {};
  const strike = (kind: 'waf' | 'auth', fallback: { strikes: number; window: string }): StrikePolicy => {
    const rule = b[kind] ?? fallback;
    return { strikes: rule.strikes, windowMs: ms(rule.window, [...root, 'bans', kind, 'window']) };
  };
  const l = g.login ?? {};
  return {
    store,
    ...(g.redis && hasUrl
      ? {
          redis: {
            url: g.redis.url,
            keyPrefix: g.redis.keyPrefix ?? RATE_LIMIT_DEFAULTS.keyPrefix,
            timeoutMs: g.redis.timeoutMs ?? RATE_LIMIT_DEFAULTS.timeoutMs,
          },
        }
      : {}),
    onStoreFailure: g.onStoreFailure ?? RATE_LIMIT_DEFAULTS.onStoreFailure,
    maxKeys: g.memory?.maxKeys ?? RATE_LIMIT_DEFAULTS.maxKeys,
    aggregation,
    plans,
    defaultPlan: g.defaultPlan,
    bans: {
      enabled: b.enabled ?? true,
      durationMs: ms(b.duration ?? RATE_LIMIT_DEFAULTS.banDuration, [...root, 'bans', 'duration']),
      strikes: {
        waf: strike('waf', RATE_LIMIT_DEFAULTS.wafStrikes),
        auth: strike('auth', RATE_LIMIT_DEFAULTS.authStrikes),
      },
      aggregation,
      maxEntries: b.maxEntries ?? RATE_LIMIT_DEFAULTS.maxKeys,
    },
    banSyncMs: ms(b.syncInterval ?? RATE_LIMIT_DEFAULTS.banSyncInterval, [...root, 'bans', 'syncInterval']),
    login: {
      accountFreeAttempts: l.accountFreeAttempts ?? DEFAULT_LOGIN_POLICY.accountFreeAttempts,
      ipFreeAttempts: l.ipFreeAttempts ?? DEFAULT_LOGIN_POLICY.ipFreeAttempts,
      baseDelayMs: l.baseDelay ? ms(l.baseDelay, [...root, 'login', 'baseDelay']) : DEFAULT_LOGIN_POLICY.baseDelayMs,
      maxDelayMs: l.maxDelay ? ms(l.maxDelay, [...root, 'login', 'maxDelay']) : DEFAULT_LOGIN_POLICY.maxDelayMs,
      resetAfterMs: l.resetAfter
        ? ms(l.resetAfter, [...root, 'login', 'resetAfter'])
        : DEFAULT_LOGIN_POLICY.resetAfterMs,
      aggregation,
    },
  };
}
