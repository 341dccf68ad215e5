import type { LimitOutcome } from './spec.js';

/** One limit's answer, named for the RateLimit header fields. */
export interface PolicyReport {
  /** Quota policy identifier: [A-Za-z0-9._:-] only (the config schema enforces it). */
  readonly name: string;
  readonly limit: number;
  readonly periodUs: number;
  readonly outcome: LimitOutcome;
}

const toSeconds = (us: number) => Math.max(0, Math.ceil(us / 1_000_000));

/**
 * draft-ietf-httpapi-ratelimit-headers-10 §3 (RateLimit-Policy) and §4 (RateLimit): Structured
 * Field Lists whose items are the policy name as an sf-string with parameters q (quota) and
 * w (window, seconds), respectively r (remaining) and t (seconds until reset).
 */
export function formatPolicies(reports: readonly PolicyReport[]): { policy: string; state: string } {
  const policy: string[] = [];
  const state: string[] = [];
  for (const report of reports) {
    policy.push(policyItem(report.name, report));
    state.push(stateItem(report.name, report.outcome));
  }
  return { policy: policy.join(', '), state: state.join(', ') };
}

/** One RateLimit-Policy list member; it depends on the policy only, so callers format it once. */
export function policyItem(name: string, spec: { readonly limit: number; readonly periodUs: number }): string {
  return `"${name}";q=${spec.limit};w=${toSeconds(spec.periodUs)}`;
}

/** One RateLimit list member for this request's outcome. */
export function stateItem(name: string, outcome: LimitOutcome): string {
  return `"${name}";r=${outcome.remaining};t=${toSeconds(outcome.resetUs)}`;
}

/** RFC 9110 §10.2.3: delay-seconds, at least 1 so a client never retries in a tight loop. */
export function retryAfterSeconds(reports: readonly PolicyReport[]): number {
  let longest = 0;
  for (const report of reports) {
    if (!report.outcome.allowed && report.outcome.retryAfterUs > longest) longest = report.outcome.retryAfterUs;
  }
  return Math.max(1, toSeconds(longest));
}
