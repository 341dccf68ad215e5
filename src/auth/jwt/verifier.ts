import { errors, type JWTPayload, jwtVerify } from 'jose';
import type { Identity } from '../../pipeline/identity.js';
import { claimsToIdentity } from '../claims.js';
import { type FormatProblem, parseCompactJws } from './format.js';
import type { IssuerConfig, KeySource } from './issuer.js';

export const DEFAULT_MAX_TOKEN_BYTES = 8192;
export const DEFAULT_CLOCK_TOLERANCE_SEC = 30;

export interface TrustedIssuer {
  /** Config name (`authentication.issuers.<name>`), what routes refer to. */
  readonly name: string;
  readonly config: IssuerConfig;
  readonly keys: KeySource;
}

export type JwtFailure =
  | FormatProblem
  | 'unknown_issuer'
  | 'issuer_not_accepted_here'
  | 'algorithm_not_allowed'
  | 'no_key'
  | 'bad_signature'
  | 'expired'
  | 'claim_invalid'
  | 'no_subject'
  | 'revoked';

export type JwtResult = { ok: true; identity: Identity } | { ok: false; reason: JwtFailure };

export interface JwtVerifierOptions {
  /** Called after the signature and claims check; true = refused (e.g. a revoked jti). */
  readonly isRevoked?: (issuer: string, claims: JWTPayload) => boolean;
}

/**
 * Verifies bearer JWTs against configured issuers. The order matters: structure first (cheap,
 * catches everything jose would let through), then the issuer is chosen from the unverified
 * `iss` only to pick its keys and rules, then jose verifies signature and claims with that
 * issuer's allow-list; nothing from the token is used as identity before that succeeds
 * (RFC 8725 §3.3, ASVS 9.1.1).
 */
export class JwtVerifier {
  readonly #byIssuer = new Map<string, TrustedIssuer>();
  #maxBytes: number;
  readonly #options: JwtVerifierOptions;

  constructor(issuers: readonly TrustedIssuer[], options: JwtVerifierOptions = {}) {
    for (const issuer of issuers) this.#byIssuer.set(issuer.config.issuer, issuer);
    this.#maxBytes = Math.max(DEFAULT_MAX_TOKEN_BYTES, ...issuers.map((i) => i.config.maxTokenBytes ?? 0));
    this.#options = options;
  }

  /**
   * Trust one more issuer at run time: the built-in identity provider registers its own issuer
   * here so its tokens need no configuration. The `iss` value must be new.
   */
  addIssuer(issuer: TrustedIssuer): void {
    if (this.#byIssuer.has(issuer.config.issuer)) throw new Error(`issuer ${issuer.config.issuer} is already trusted`);
    this.#byIssuer.set(issuer.config.issuer, issuer);
    this.#maxBytes = Math.max(this.#maxBytes, issuer.config.maxTokenBytes ?? 0);
  }

  /** Issuer names known to this verifier. */
  get issuerNames(): readonly string[] {
    return [...this.#byIssuer.values()].map((i) => i.name);
  }

  /** @param accepted issuer names the route accepts; undefined = every configured issuer. */
  async verify(token: string, accepted?: ReadonlySet<string>): Promise<JwtResult> {
    const parsed = parseCompactJws(token, this.#maxBytes);
    if (!parsed.ok) return { ok: false, reason: parsed.problem };
    const iss = parsed.value.claims.iss;
    const trusted = typeof iss === 'string' ? this.#byIssuer.get(iss) : undefined;
    if (!trusted) return { ok: false, reason: 'unknown_issuer' };
    if (accepted && !accepted.has(trusted.name)) return { ok: false, reason: 'issuer_not_accepted_here' };
    const config = trusted.config;
    if (token.length > (config.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES)) return { ok: false, reason: 'too_large' };
    const alg = parsed.value.header.alg as string;
    if (!config.algorithms.includes(alg)) return { ok: false, reason: 'algorithm_not_allowed' };
    const kid = parsed.value.header.kid as string | undefined;
    const key = await trusted.keys.getKey(kid, alg);
    if (key === undefined) return { ok: false, reason: 'no_key' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [alg],
        issuer: config.issuer,
        audience: typeof config.audience === 'string' ? config.audience : [...config.audience],
        clockTolerance: config.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
        // RFC 8725 §3.10 / ASVS 9.2.1: a token without expiry is never accepted.
        requiredClaims: config.maxTokenAgeSec !== undefined ? ['exp', 'iat', 'sub'] : ['exp', 'sub'],
        ...(config.typ !== undefined ? { typ: config.typ } : {}),
        ...(config.maxTokenAgeSec !== undefined ? { maxTokenAge: config.maxTokenAgeSec } : {}),
      }));
    } catch (error) {
      return { ok: false, reason: classify(error) };
    }
    if (!iatAcceptable(payload, config.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC)) {
      return { ok: false, reason: 'claim_invalid' };
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'no_subject' };
    if (this.#options.isRevoked?.(config.issuer, payload)) return { ok: false, reason: 'revoked' };
    return {
      ok: true,
      identity: claimsToIdentity(payload as Record<string, unknown>, {
        method: 'jwt',
        issuer: config.issuer,
        ...(config.rolesClaim !== undefined ? { rolesClaim: config.rolesClaim } : {}),
        ...(config.scopesClaim !== undefined ? { scopesClaim: config.scopesClaim } : {}),
      }),
    };
  }
}

/** J-7: an `iat` in the future (beyond the skew) means a forged or broken clock; jose only checks it with maxTokenAge. */
function iatAcceptable(payload: JWTPayload, toleranceSec: number): boolean {
  if (payload.iat === undefined) return true;
  return typeof payload.iat === 'number' && payload.iat <= Date.now() / 1000 + toleranceSec;
}

function classify(error: unknown): JwtFailure {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm_not_allowed';
  return 'claim_invalid';
}
