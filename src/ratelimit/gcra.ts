import type { LimitOutcome, LimitSpec } from './spec.js';

/**
 * Generic Cell Rate Algorithm (ITU-T I.371 "virtual scheduling"), the token-bucket equivalent
 * that keeps one number per key: the theoretical arrival time (TAT) of the next request.
 *
 * Emission interval e = ceil(period / limit) µs (rounded up, so never looser than configured);
 * a request at `now` is admitted when max(TAT, now) + e - now <= burst * e.
 *
 * Documented bound (property-tested): over any closed interval of length t, at most
 * burst + floor(t * limit / period) requests are admitted. Proof sketch: every admission
 * pushes TAT by e from at least the first admission's time, and admission n needs
 * TAT(n-1) <= t_n + (burst - 1) e, so n <= burst + (t_n - t_1) / e.
 */
export function emissionIntervalUs(spec: LimitSpec): number {
  return Math.ceil(spec.periodUs / spec.limit);
}

export interface GcraStep {
  readonly outcome: LimitOutcome;
  /** The TAT to store (unchanged when denied). */
  readonly tat: number;
  /** After this long the stored TAT is in the past and the key may be forgotten. */
  readonly ttlUs: number;
}

export function gcraStep(tat: number | undefined, now: number, spec: LimitSpec): GcraStep {
  const e = emissionIntervalUs(spec);
  const capacity = spec.burst * e;
  const start = tat === undefined || tat < now ? now : tat;
  const next = start + e;
  if (next - now <= capacity) {
    return {
      outcome: {
        allowed: true,
        remaining: Math.floor((capacity - (next - now)) / e),
        resetUs: next - now,
        retryAfterUs: 0,
      },
      tat: next,
      ttlUs: next - now,
    };
  }
  return {
    outcome: { allowed: false, remaining: 0, resetUs: start - now, retryAfterUs: next - capacity - now },
    tat: start,
    ttlUs: start - now,
  };
}
