import type { LimitOutcome, LimitSpec } from './spec.js';

/** One limit to decide for one request: the bucket key and its policy. */
export interface LimitRequest {
  readonly key: string;
  readonly spec: LimitSpec;
}

/**
 * Where rate-limit state lives. Each limit is decided atomically on its own key; a store
 * answers one outcome per request, in order. A store that cannot answer throws
 * StoreUnavailableError, and the RateLimiter applies the configured failure policy.
 */
export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  decide(requests: readonly LimitRequest[]): LimitOutcome[] | Promise<LimitOutcome[]>;
  close(): Promise<void>;
}

/** The store could not answer in time (connection lost, timeout): never a client's fault. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

const ORIGIN_MS = performance.timeOrigin;

/** Wall-clock microseconds from a monotonic source (no jumps when NTP steps the clock). */
export function monotonicNowUs(): number {
  return Math.round((ORIGIN_MS + performance.now()) * 1000);
}
