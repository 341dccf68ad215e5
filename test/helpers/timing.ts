import assert from 'node:assert/strict';

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * SECURITY-REQUIREMENTS P-9: the two series of login latencies (known user with a wrong
 * password, unknown user), measured interleaved, must not tell the cases apart: their medians
 * differ by less than 10 % (and never by more than 5 ms when the machine is quiet enough for 10 %
 * to be looser than that). Medians, because a loaded machine adds outliers to either series.
 */
export function assertSameTiming(
  t: { diagnostic(message: string): void },
  known: readonly number[],
  unknown: readonly number[],
): void {
  const a = median(known);
  const b = median(unknown);
  const bound = Math.max(5, 0.1 * Math.max(a, b));
  t.diagnostic(
    `medians: wrong password ${a.toFixed(2)} ms, unknown user ${b.toFixed(2)} ms (bound ${bound.toFixed(2)} ms)`,
  );
  assert.ok(
    Math.abs(a - b) < bound,
    `medians ${a.toFixed(2)} vs ${b.toFixed(2)} ms differ by ${bound.toFixed(2)} ms or more`,
  );
}
