// Rate limiting and abuse protection: what other parts of the gateway import.
export { type AbuseServices, acquireAbuseServices, releaseAbuseServices, SHARED_KEYS } from './abuse.js';
export {
  type BanEntry,
  type BanManager,
  type BanPolicy,
  InvalidAddressError,
  MemoryBanManager,
  RedisBanManager,
  STRIKE_KINDS,
  type StrikeKind,
} from './bans.js';
export {
  RATE_LIMIT_DEFAULTS,
  type RateLimitGlobal,
  RateLimitGlobalSchema,
  type ResolvedRateLimitConfig,
  resolveRateLimitConfig,
} from './config.js';
export { parseDuration, parseRate } from './duration.js';
export { type GcraStep, gcraStep } from './gcra.js';
export { formatPolicies, type PolicyReport, retryAfterSeconds } from './headers.js';
export { CidrSet, ipKey, parseCidr, parseIp } from './ip.js';
export { type FailurePolicy, type LimiterAnswer, RateLimiter } from './limiter.js';
export {
  backoffDelayMs,
  DEFAULT_LOGIN_POLICY,
  type LoginCheck,
  LoginThrottle,
  type LoginThrottlePolicy,
} from './login-throttle.js';
export { MemoryStore } from './memory-store.js';
export { openRedis, type RedisSettings, redisClientOptions } from './redis-client.js';
export { RedisStore } from './redis-store.js';
export { slidingWindowStep, type WindowState } from './sliding-window.js';
export { type Algorithm, type LimitOutcome, type LimitSpec, limitSpec } from './spec.js';
export { type LimitRequest, type RateLimitStore, StoreUnavailableError } from './store.js';
