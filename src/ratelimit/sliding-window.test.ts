import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { slidingWindowStep, type WindowState } from './sliding-window.js';
import { type LimitSpec, limitSpec } from './spec.js';

function run(times: readonly number[], spec: LimitSpec) {
  let state: WindowState | undefined;
  const ok: number[] = [];
  const estimates: number[] = [];
  for (const now of times) {
    const step = slidingWindowStep(state, now, spec);
    state = step.state;
    if (step.outcome.allowed) {
      ok.push(now);
      const period = spec.periodUs;
      const elapsed = now - step.state.window * period;
      estimates.push((step.state.previous * (period - elapsed)) / period + step.state.current);
    }
  }
  return { ok, estimates };
}

const arrivals = fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 400 }).map((gaps) => {
  let t = 7_000_000;
  return gaps.map((gap) => (t += gap));
});
const specs = fc
  .record({ limit: fc.integer({ min: 1, max: 40 }), periodMs: fc.integer({ min: 1, max: 3000 }) })
  .map(({ limit, periodMs }) => limitSpec('sliding-window', limit, periodMs));

describe('sliding window counter', () => {
  test('admits limit requests in a fresh window, then refuses with a retry time', () => {
    const spec = limitSpec('sliding-window', 3, 1000);
    const times = [0, 1, 2, 3].map((i) => 10_000_000 + i);
    assert.equal(run(times, spec).ok.length, 3);
    let state: WindowState | undefined;
    for (const t of times.slice(0, 3)) state = slidingWindowStep(state, t, spec).state;
    const denied = slidingWindowStep(state, times[3]!, spec);
    assert.equal(denied.outcome.allowed, false);
    assert.ok(denied.outcome.retryAfterUs > 0);
    // The retry time is honest: one microsecond earlier is still refused, at it admitted.
    const at = times[3]! + denied.outcome.retryAfterUs;
    assert.equal(slidingWindowStep(state, at - 1, spec).outcome.allowed, false);
    assert.equal(slidingWindowStep(state, at, spec).outcome.allowed, true);
  });

  test('weights the previous window by the share still inside the sliding window', () => {
    const spec = limitSpec('sliding-window', 10, 1000);
    const state: WindowState = { window: 9, current: 10, previous: 0 };
    // Half-way through window 10: estimate = 10 * 0.5 = 5, so 5 more fit.
    const now = 10 * 1_000_000 + 500_000;
    let s: WindowState = state;
    let admitted = 0;
    for (let i = 0; i < 10; i++) {
      const step = slidingWindowStep(s, now, spec);
      s = step.state;
      if (step.outcome.allowed) admitted++;
    }
    assert.equal(admitted, 5);
  });

  test('property: at most limit per aligned window, fewer than 2 * limit per period, estimate <= limit', () => {
    fc.assert(
      fc.property(arrivals, specs, (times, spec) => {
        const { ok, estimates } = run(times, spec);
        const perWindow = new Map<number, number>();
        for (const t of ok) {
          const w = Math.floor(t / spec.periodUs);
          perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
        }
        if ([...perWindow.values()].some((n) => n > spec.limit)) return false;
        if (estimates.some((e) => e > spec.limit + 1e-9)) return false;
        let j = 0;
        for (let i = 0; i < ok.length; i++) {
          while (ok[i]! - ok[j]! > spec.periodUs) j++;
          if (i - j + 1 >= 2 * spec.limit) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  test('windows older than the previous one are forgotten', () => {
    const spec = limitSpec('sliding-window', 2, 1000);
    const step = slidingWindowStep({ window: 1, current: 2, previous: 2 }, 5_000_000, spec);
    assert.equal(step.outcome.allowed, true);
    assert.deepEqual(step.state, { window: 5, current: 1, previous: 0 });
  });
});
