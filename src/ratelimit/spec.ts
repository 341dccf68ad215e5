export const ALGORITHMS = ['gcra', 'sliding-window'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** One limit as the algorithms see it. Times are integer microseconds throughout. */
export interface LimitSpec {
  readonly algorithm: Algorithm;
  /** Requests admitted per period (the policy's quota). */
  readonly limit: number;
  readonly periodUs: number;
  /** GCRA only: how many requests may arrive at once (defaults to `limit`). */
  readonly burst: number;
}

/** What one algorithm step answers; every duration is in microseconds. */
export interface LimitOutcome {
  readonly allowed: boolean;
  /** Requests that would still be admitted right now after this one. */
  readonly remaining: number;
  /** Time until the quota is fully available again. */
  readonly resetUs: number;
  /** When denied: time until a retry can succeed; 0 when allowed. */
  readonly retryAfterUs: number;
}

export function limitSpec(algorithm: Algorithm, limit: number, periodMs: number, burst?: number): LimitSpec {
  return { algorithm, limit, periodUs: Math.round(periodMs * 1000), burst: burst ?? limit };
}
