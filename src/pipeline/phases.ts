/**
 * The request lifecycle, named once. Every stage hook and every type that talks about
 * "when" derives from this list; docs/pipeline.md draws it.
 *
 *   client ──▶ requestHead ──▶ requestBody ──▶ (upstream) ──▶ responseHead ──▶ responseBody ──▶ client
 *                                                                                          └──▶ log
 */
export const PHASES = ['requestHead', 'requestBody', 'responseHead', 'responseBody', 'log'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * The order security stages run in, declared in one place. A route's pipeline is this list
 * filtered to the stages its configuration switches on.
 */
export const STAGE_ORDER = [
  'ip-filter',
  'rate-limit',
  // Before authenticate: a CORS preflight never carries credentials (Fetch Standard, "CORS-preflight
  // fetch"), so it must be answered before a credential is required.
  'cors',
  'authenticate',
  // Limits keyed by who the caller is (subject, API key, client, plan) need the identity the
  // authenticate stage established; the IP/route/header limits run before it, in 'rate-limit'.
  'rate-limit-identity',
  'authorize',
  'validate',
  'waf',
  'transform',
  'headers',
] as const;
export type StageName = (typeof STAGE_ORDER)[number];

/** What the access log and metrics record as the outcome of a request. */
export const DECISIONS = [
  'allowed',
  'not_found',
  'method_not_allowed',
  'ip_denied',
  'rate_limited',
  'unauthenticated',
  'forbidden',
  'invalid',
  'waf_blocked',
  'too_large',
  'bad_request',
  'upstream_error',
  'redirected',
  'preflight',
  'error',
] as const;
export type Decision = (typeof DECISIONS)[number];

/**
 * Refusals by a security stage: each one is also a line of the security log (`log.security`),
 * the audit trail SECURITY-REQUIREMENTS L-1 asks for, kept even when the access log is off.
 */
export const SECURITY_DECISIONS: ReadonlySet<Decision> = new Set<Decision>([
  'ip_denied',
  'rate_limited',
  'unauthenticated',
  'forbidden',
  'invalid',
  'waf_blocked',
]);
