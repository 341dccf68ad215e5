/**
 * Work counters for performance investigation (`bench/waf-engine.bench.ts --count`): how many
 * rules, rule × value tests, transformation runs and regex runs a request costs. Off unless the
 * process starts with PORTCULLIS_WAF_COUNT=1; every increment sits behind the constant COUNTING,
 * so the engine pays one predictable branch when counting is off.
 */
export const COUNTING = process.env.PORTCULLIS_WAF_COUNT === '1';

export interface WafCounters {
  /** Chain starters evaluated (after skips and removals). */
  rules: number;
  /** Of those, rules skipped whole: none of their values holds a required literal. */
  rulesSkipped: number;
  /** Operator runs saved: the operator had already not matched the same text (Form.misses). */
  memoHits: number;
  /** (rule, value) pairs visited, and of those the ones decided by the literal index (no operator run). */
  valueTests: number;
  literalRejects: number;
  /** Operator evaluations, one per (rule, value) pair, by operator name. */
  tests: Record<string, number>;
  /** Values scanned for the required literals of all rules (once per distinct value). */
  literalScans: number;
  /** Transformation functions run, and values whose whole chain came from the cache. */
  transformRuns: number;
  transformCacheHits: number;
  /** SeclangRegex.test calls and how each was decided. */
  regexTests: number;
  regexShortV8: number;
  regexPrefilterRejects: number;
  regexDfa: number;
  regexV8: number;
  /** exec after a match, to locate it (V8 backtracking engine). */
  regexExec: number;
}

export const counters: WafCounters = newCounters();

function newCounters(): WafCounters {
  return {
    rules: 0,
    rulesSkipped: 0,
    memoHits: 0,
    valueTests: 0,
    literalRejects: 0,
    tests: {},
    literalScans: 0,
    transformRuns: 0,
    transformCacheHits: 0,
    regexTests: 0,
    regexShortV8: 0,
    regexPrefilterRejects: 0,
    regexDfa: 0,
    regexV8: 0,
    regexExec: 0,
  };
}

export function resetCounters(): void {
  Object.assign(counters, newCounters());
}
