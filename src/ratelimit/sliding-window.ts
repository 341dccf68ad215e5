import type { LimitOutcome, LimitSpec } from './spec.js';

/** Counts for the current aligned window and the one before it. */
export interface WindowState {
  /** Index of the current window: floor(time / period). */
  readonly window: number;
  readonly current: number;
  readonly previous: number;
}

export interface WindowStep {
  readonly outcome: LimitOutcome;
  readonly state: WindowState;
  /** After this long both counted windows are over and the key may be forgotten. */
  readonly ttlUs: number;
}

/**
 * Sliding-window counter: windows aligned on multiples of the period; the previous window's
 * count is weighted by the share of it still inside the sliding window ending now, as if its
 * requests had been spread evenly:
 *   estimate = previous * (1 - elapsed / period) + current
 * and a request is admitted when estimate + 1 <= limit.
 *
 * Documented bounds (property-tested): at most `limit` requests in any aligned window, and
 * fewer than 2 * limit in any interval of one period (the worst case needs the previous
 * window's requests bunched at its end); the estimate itself never exceeds `limit`. Where a
 * tight bound over arbitrary intervals matters, use GCRA: burst + floor(t * limit / period).
 */
export function slidingWindowStep(state: WindowState | undefined, now: number, spec: LimitSpec): WindowStep {
  const period = spec.periodUs;
  const window = Math.floor(now / period);
  let current = 0;
  let previous = 0;
  if (state !== undefined) {
    if (state.window === window) {
      current = state.current;
      previous = state.previous;
    } else if (state.window === window - 1) {
      previous = state.current;
    }
  }
  const windowStart = window * period;
  const elapsed = now - windowStart;
  const weight = (period - elapsed) / period;
  const estimate = previous * weight + current;
  const ttlUs = windowStart + 2 * period - now;
  const resetUs = windowStart + period - now;
  if (estimate + 1 <= spec.limit) {
    return {
      outcome: { allowed: true, remaining: Math.floor(spec.limit - estimate - 1), resetUs, retryAfterUs: 0 },
      state: { window, current: current + 1, previous },
      ttlUs,
    };
  }
  return {
    outcome: {
      allowed: false,
      remaining: 0,
      resetUs,
      retryAfterUs: slidingRetryAfter(previous, current, elapsed, spec),
    },
    state: { window, current, previous },
    ttlUs,
  };
}

/** Time until the estimate leaves room for one more request, assuming no other traffic. */
function slidingRetryAfter(previous: number, current: number, elapsed: number, spec: LimitSpec): number {
  const period = spec.periodUs;
  const room = spec.limit - 1;
  if (current <= room) {
    // previous * (period - x) / period <= room - current  =>  x >= period * (1 - (room - current) / previous)
    const at = Math.ceil(period * (1 - (room - current) / previous));
    return Math.max(1, at - elapsed);
  }
  // Next window: the current count becomes the weighted one.
  const at = Math.ceil(period * (1 - room / current));
  return period - elapsed + Math.max(0, at);
}
