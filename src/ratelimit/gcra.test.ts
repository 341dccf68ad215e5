import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { emissionIntervalUs, gcraStep } from './gcra.js';
import { type LimitSpec, limitSpec } from './spec.js';

/** Feeds arrival times (µs, non-decreasing) through GCRA; returns the admitted times. */
function admitted(times: readonly number[], spec: LimitSpec): number[] {
  let tat: number | undefined;
  const out: number[] = [];
  for (const now of times) {
    const step = gcraStep(tat, now, spec);
    tat = step.tat;
    if (step.outcome.allowed) out.push(now);
  }
  return out;
}

const arrivals = fc.array(fc.integer({ min: 0, max: 400_000 }), { minLength: 1, maxLength: 300 }).map((gaps) => {
  let t = 1_000_000_000;
  return gaps.map((gap) => (t += gap));
});

const specs = fc
  .record({
    limit: fc.integer({ min: 1, max: 50 }),
    periodMs: fc.integer({ min: 1, max: 5000 }),
    burst: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
  })
  .map(({ limit, periodMs, burst }) => limitSpec('gcra', limit, periodMs, burst));

describe('gcra', () => {
  test('admits a burst, then one request per emission interval', () => {
    const spec = limitSpec('gcra', 10, 1000, 3);
    const e = emissionIntervalUs(spec);
    assert.equal(e, 100_000);
    const t0 = 5_000_000;
    assert.deepEqual(admitted([t0, t0, t0, t0], spec), [t0, t0, t0]);
    let tat: number | undefined;
    for (let i = 0; i < 3; i++) tat = gcraStep(tat, t0, spec).tat;
    const denied = gcraStep(tat, t0, spec);
    assert.equal(denied.outcome.allowed, false);
    assert.equal(denied.outcome.retryAfterUs, e);
    assert.equal(gcraStep(tat, t0 + e - 1, spec).outcome.allowed, false);
    assert.equal(gcraStep(tat, t0 + e, spec).outcome.allowed, true);
  });

  test('remaining counts down to zero across a burst', () => {
    const spec = limitSpec('gcra', 5, 60_000);
    let tat: number | undefined;
    const remaining: number[] = [];
    for (let i = 0; i < 6; i++) {
      const step = gcraStep(tat, 1_000_000, spec);
      tat = step.tat;
      remaining.push(step.outcome.remaining);
    }
    assert.deepEqual(remaining, [4, 3, 2, 1, 0, 0]);
  });

  test('property: over any interval of length t, admitted <= burst + floor(t * limit / period)', () => {
    fc.assert(
      fc.property(arrivals, specs, (times, spec) => {
        const ok = admitted(times, spec);
        for (let i = 0; i < ok.length; i++) {
          for (let j = i; j < ok.length; j++) {
            const t = ok[j]! - ok[i]!;
            const bound = spec.burst + Math.floor((t * spec.limit) / spec.periodUs);
            if (j - i + 1 > bound) return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  test('property: requests spaced by at least the emission interval are never refused', () => {
    fc.assert(
      fc.property(specs, fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 100 }), (spec, extra) => {
        const e = emissionIntervalUs(spec);
        let t = 0;
        const times = extra.map((gap) => (t += e + gap));
        return admitted(times, spec).length === times.length;
      }),
      { numRuns: 200 },
    );
  });

  test('a denied request leaves the state unchanged', () => {
    const spec = limitSpec('gcra', 1, 1000);
    const first = gcraStep(undefined, 0, spec);
    const second = gcraStep(first.tat, 10, spec);
    assert.equal(second.outcome.allowed, false);
    assert.equal(second.tat, first.tat);
  });
});
