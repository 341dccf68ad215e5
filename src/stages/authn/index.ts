import { apiKeyChallenge, basicChallenge, bearerChallenge } from '../../auth/challenge.js';
import type { Introspector } from '../../auth/introspection.js';
import { VerifiedTokenCache } from '../../auth/jwt/token-cache.js';
import { identityFromCertificate } from '../../auth/mtls.js';
import { csrfAllowed, readCookie, sessionIdHash } from '../../auth/session.js';
import type { GatewayTokenSigner } from '../../auth/upstream-token.js';
import { ConfigError, type KeyPath } from '../../config/errors.js';
import type { HeaderMap, RequestContext } from '../../pipeline/context.js';
import type { AuthMethod, Identity } from '../../pipeline/identity.js';
import { CONTINUE, type MaybePromise, respondProblem, type Stage, type Verdict } from '../../pipeline/stage.js';
import type { RouteSettings, StageDefinition } from '../definition.js';
import {
  type AuthenticationConfig,
  AuthenticationSchema,
  type RouteAuth,
  type RouteAuthRule,
  RouteAuthSchema,
} from './schema.js';
import { type AuthnShared, issuedAtMs, setupAuthentication, type UpstreamSettings } from './setup.js';

export type { AuthnShared, Revoker } from './setup.js';
export { AUTH_SHARED_KEYS } from './shared-keys.js';

/** One accepted-methods rule, resolved against the global configuration at load. */
interface CompiledRule {
  readonly accept: ReadonlySet<AuthMethod>;
  readonly bearer: boolean;
  readonly basic: boolean;
  readonly apiKey: boolean;
  readonly session: boolean;
  readonly issuers: ReadonlySet<string> | undefined;
  readonly introspectors: readonly Introspector[];
  readonly csrf: boolean;
  /** WWW-Authenticate challenges for a request that brought nothing usable. */
  readonly challenges: string;
  /** Verified JWTs of this rule (per rule: another rule may accept other issuers). */
  readonly tokens: VerifiedTokenCache;
}

const MAX_CACHED_TOKENS = 10_000;

/**
 * The issue time of a credential a cutoff does not apply to: Basic proves the current password on
 * every request (its cache is dropped on a cutoff), and a client certificate's notBefore is no
 * issue time (CAs backdate it); revoke those by subject, or at the CA.
 */
const NOT_CUT_OFF = Number.POSITIVE_INFINITY;

/**
 * The `authenticate` stage: strips client-sent identity headers on every route, then (on routes
 * that are not public) establishes ctx.identity from exactly one credential among those the
 * route accepts, and forwards the gateway-signed identity upstream.
 *
 * Status codes (RFC 9110 §15.5.2, RFC 6750 §3.1):
 *   nothing usable            401 PC_ERR_UNAUTHENTICATED  challenges without error code
 *   bad / expired credential  401 PC_ERR_INVALID_TOKEN    Bearer error="invalid_token" | Basic
 *   two credential kinds      400 PC_ERR_BAD_REQUEST      Bearer error="invalid_request" (B-3)
 *   CSRF on a cookie session  403 PC_ERR_CSRF
 *   throttled Basic login     429 PC_ERR_RATE_LIMITED     Retry-After
 *   store / IdP unreachable   503 PC_ERR_SERVICE_UNAVAILABLE (fail closed)
 */
export function createAuthenticateStage(route: RouteSettings<RouteAuth>, shared: AuthnShared): Stage {
  checkPolicyPresence(route);
  const strip = makeStripper(shared.upstream);
  if (route.public) {
    return {
      name: 'authenticate',
      requestHead(ctx) {
        strip(ctx.upstreamHeaders);
        return CONTINUE;
      },
    };
  }
  const settings = route.settings!;
  const base = [...route.path, 'auth'];
  const fallback = compileRule(settings, base, shared);
  const perMethod = new Map<string, CompiledRule>();
  for (const [method, rule] of Object.entries(settings.perMethod ?? {})) {
    perMethod.set(method, compileRule(rule, [...base, 'perMethod', method], shared));
  }

  /** `issuedAt`: Unix ms the credential was issued, undefined when unknown (see RevocationList.cutsOff). */
  const finish = (ctx: RequestContext, identity: Identity, issuedAt: number | undefined): Verdict => {
    // One place for "revoke everything of this principal" and for its cutoff ("sign out
    // everywhere"): JWT subjects are named with their issuer (`<iss> <sub>`, J-11), every other
    // subject bare. Nothing revoked (the usual case): no name is built.
    if (shared.revocations.size !== 0) {
      const principal = identity.issuer !== undefined ? `${identity.issuer} ${identity.subject}` : identity.subject;
      if (shared.revocations.has('subject', principal)) {
        return invalid(ctx, shared, 'PC_ERR_INVALID_TOKEN', fallback.challenges, `${identity.method}: subject revoked`);
      }
      if (shared.revocations.cutsOff(principal, issuedAt)) {
        return invalid(
          ctx,
          shared,
          'PC_ERR_INVALID_TOKEN',
          identity.method === 'jwt' || identity.method === 'introspection'
            ? bearerChallenge(shared.realm, 'invalid_token')
            : fallback.challenges,
          `${identity.method}: issued before a sign-out cutoff`,
        );
      }
    }
    return accept(ctx, identity, Date.now());
  };

  /** The identity passed every check: the request carries it on. `nowMs`: Date.now() of this request. */
  const accept = (ctx: RequestContext, identity: Identity, nowMs: number): Verdict => {
    ctx.identity = identity;
    ctx.logFields.authMethod = identity.method;
    ctx.logFields.subject = identity.subject;
    forwardIdentity(ctx, identity, shared, nowMs);
    return CONTINUE;
  };

  const hasCors = route.route.cors !== undefined;
  const authenticate = (ctx: RequestContext): MaybePromise<Verdict> => {
    strip(ctx.upstreamHeaders);
    // Fetch standard §4.8: a CORS preflight never carries credentials. On a route with `cors`
    // the cors stage (later in STAGE_ORDER) answers it; demanding credentials here would break
    // every cross-origin call.
    if (hasCors && isPreflight(ctx)) return CONTINUE;
    const rule = perMethod.size === 0 ? fallback : (perMethod.get(ctx.method) ?? fallback);
    const authorization = typeof ctx.headers.authorization === 'string' ? ctx.headers.authorization : undefined;
    const space = authorization !== undefined ? authorization.indexOf(' ') : -1;
    // RFC 9110 §11.1: the scheme is case-insensitive.
    const bearer =
      rule.bearer && schemeIs(authorization, space, 'bearer') ? authorization!.slice(space + 1).trim() : undefined;
    const basic = rule.basic && schemeIs(authorization, space, 'basic') ? authorization : undefined;
    const apiKeyValue = rule.apiKey ? ctx.headers[shared.apiKeyHeader] : undefined;
    const apiKey = typeof apiKeyValue === 'string' ? apiKeyValue : undefined;
    const cookie = rule.session ? readCookie(ctx.headers.cookie, shared.session.cookie) : undefined;

    const presented =
      (bearer !== undefined ? 1 : 0) +
      (basic !== undefined ? 1 : 0) +
      (apiKey !== undefined ? 1 : 0) +
      (cookie !== undefined ? 1 : 0);
    if (presented > 1 || Array.isArray(apiKeyValue)) {
      // OAuth 2.1 §5.1: one transmission method per request; we extend it to every credential kind.
      return respondProblem('bad_request', 'PC_ERR_BAD_REQUEST', {
        reason: 'more than one credential',
        ...(rule.bearer ? { headers: { 'www-authenticate': bearerChallenge(shared.realm, 'invalid_request') } } : {}),
      });
    }

    if (bearer !== undefined) {
      const tokenCache = rule.tokens;
      const cached = tokenCache.get(bearer);
      if (cached !== undefined) {
        const now = Date.now();
        // isTokenRevoked covers everything finish() would check for a JWT (its `<iss> <sub>`
        // subject and cutoff) and more (jti, the built-in issuer's bare subject): once is enough.
        if (cached.untilMs > now && !revokedIdentity(cached.identity, shared)) return accept(ctx, cached.identity, now);
        tokenCache.delete(bearer);
      }
      return verifyBearer(bearer, rule, shared).then((outcome) => {
        if (outcome.ok) {
          if (outcome.cacheable && outcome.identity.expiresAt !== undefined) {
            tokenCache.set(bearer, outcome.identity, outcome.identity.expiresAt * 1000);
          }
          return finish(ctx, outcome.identity, issuedAtMs(outcome.identity.claims.iat));
        }
        if (outcome.unavailable) return unavailable(outcome.reason);
        return invalid(
          ctx,
          shared,
          'PC_ERR_INVALID_TOKEN',
          bearerChallenge(shared.realm, 'invalid_token'),
          outcome.reason,
        );
      });
    }
    if (basic !== undefined) {
      return shared.basic.authenticate(basic, ctx.clientIp).then((result) => {
        if (result.ok) return finish(ctx, result.identity, NOT_CUT_OFF);
        if (result.reason === 'throttled') {
          return respondProblem('rate_limited', 'PC_ERR_RATE_LIMITED', {
            headers: { 'retry-after': String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))) },
            reason: 'basic login throttled',
          });
        }
        return invalid(ctx, shared, 'PC_ERR_INVALID_TOKEN', basicChallenge(shared.realm), `basic: ${result.reason}`);
      });
    }
    if (apiKey !== undefined) {
      const verifier = shared.apiKeys();
      if (!verifier) return unavailable('api keys: no repository configured');
      return verifier.verify(apiKey).then(
        (result) => {
          if (result.ok) return finish(ctx, result.identity, result.issuedAt);
          if (result.prefix) ctx.logFields.apiKeyPrefix = result.prefix;
          return invalid(
            ctx,
            shared,
            'PC_ERR_INVALID_TOKEN',
            apiKeyChallenge(shared.realm, shared.apiKeyHeader),
            `api key: ${result.reason}`,
          );
        },
        (error: unknown) => unavailable(`api key lookup failed: ${(error as Error).message}`),
      );
    }
    if (cookie !== undefined) {
      const lookup = shared.session.lookup();
      if (!lookup) return unavailable('sessions: no session store');
      return lookup.find(cookie).then(
        (session) => {
          if (!session || shared.revocations.has('session', session.sessionIdHash ?? sessionIdHash(cookie))) {
            return invalid(ctx, shared, 'PC_ERR_INVALID_TOKEN', rule.challenges, 'session: unknown or expired');
          }
          if (rule.csrf && !csrfAllowed(ctx.method, ctx.headers, shared.session, session.csrfToken)) {
            return respondProblem('forbidden', 'PC_ERR_CSRF', { reason: 'cookie request without same-origin proof' });
          }
          return finish(
            ctx,
            {
              subject: session.subject,
              method: 'session',
              roles: session.roles,
              scopes: session.scopes ?? [],
              claims: { sub: session.subject },
              ...(session.plan !== undefined ? { plan: session.plan } : {}),
              ...(session.expiresAt !== undefined ? { expiresAt: session.expiresAt } : {}),
            },
            session.issuedAt,
          );
        },
        (error: unknown) => unavailable(`session lookup failed: ${(error as Error).message}`),
      );
    }
    if (rule.accept.has('mtls') && shared.mtls && ctx.peer.certificate) {
      const result = identityFromCertificate(ctx.peer.certificate, shared.mtls);
      if (result.ok && !shared.revocations.has('subject', result.identity.subject))
        return finish(ctx, result.identity, NOT_CUT_OFF);
      return invalid(
        ctx,
        shared,
        'PC_ERR_INVALID_TOKEN',
        rule.challenges,
        `mtls: ${result.ok ? 'revoked' : result.reason}`,
      );
    }
    return respondProblem('unauthenticated', 'PC_ERR_UNAUTHENTICATED', {
      ...(rule.challenges !== '' ? { headers: { 'www-authenticate': rule.challenges } } : {}),
      reason: authorization && !bearer && !basic ? 'unsupported authorization scheme' : 'no credentials',
    });
  };

  return { name: 'authenticate', requestHead: authenticate };
}

/**
 * Whether the Authorization value's scheme (before the first space at `space`) is `lowerName`,
 * compared ASCII case-insensitively (RFC 9110 §11.1: a scheme is a token) without building a string.
 */
function schemeIs(authorization: string | undefined, space: number, lowerName: string): boolean {
  if (authorization === undefined || space !== lowerName.length) return false;
  for (let i = 0; i < space; i++) {
    // Setting bit 0x20 lower-cases an ASCII letter and maps no other character onto one.
    if ((authorization.charCodeAt(i) | 0x20) !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

function isPreflight(ctx: RequestContext): boolean {
  return (
    ctx.method === 'OPTIONS' &&
    typeof ctx.headers.origin === 'string' &&
    typeof ctx.headers['access-control-request-method'] === 'string'
  );
}

/** Default deny, visibly (issue 5): every route says either `public: true` or how callers authenticate. */
function checkPolicyPresence(route: RouteSettings<RouteAuth>): void {
  if (!route.public && route.settings === undefined) {
    throw new ConfigError(
      route.path,
      `route has no authentication policy: add \`auth\` (and \`allow\`) or mark it \`public: true\` (route "${route.name}", default deny)`,
    );
  }
  if (route.public && route.settings !== undefined) {
    throw new ConfigError([...route.path, 'auth'], 'a route cannot be both "public: true" and require "auth"');
  }
}

function compileRule(rule: RouteAuthRule, path: KeyPath, shared: AuthnShared): CompiledRule {
  const accept = new Set(rule.accept);
  if (accept.has('jwt') && shared.issuerNames.size === 0) {
    throw new ConfigError([...path, 'accept'], 'accepts "jwt" but authentication.issuers is empty');
  }
  let issuers: Set<string> | undefined;
  if (rule.jwt?.issuers) {
    if (!accept.has('jwt'))
      throw new ConfigError([...path, 'jwt'], '"jwt" settings on a rule that does not accept jwt');
    rule.jwt.issuers.forEach((name, i) => {
      if (!shared.issuerNames.has(name)) {
        throw new ConfigError([...path, 'jwt', 'issuers', i], `no issuer "${name}" in authentication.issuers`);
      }
    });
    issuers = new Set(rule.jwt.issuers);
  }
  const introspectors: Introspector[] = [];
  if (accept.has('introspection')) {
    const names = rule.introspection?.servers ?? [...shared.introspectors.keys()];
    if (names.length === 0) {
      throw new ConfigError([...path, 'accept'], 'accepts "introspection" but authentication.introspection is empty');
    }
    names.forEach((name, i) => {
      const found = shared.introspectors.get(name);
      if (!found) throw new ConfigError([...path, 'introspection', 'servers', i], `no introspection server "${name}"`);
      introspectors.push(found);
    });
  }
  if (accept.has('mtls') && !shared.mtls) {
    throw new ConfigError([...path, 'accept'], 'accepts "mtls" but authentication.mtls is not configured');
  }
  const bearer = accept.has('jwt') || accept.has('introspection');
  const challenges = [
    bearer ? bearerChallenge(shared.realm) : undefined,
    accept.has('basic') ? basicChallenge(shared.realm) : undefined,
    accept.has('apiKey') ? apiKeyChallenge(shared.realm, shared.apiKeyHeader) : undefined,
  ].filter((c): c is string => c !== undefined);
  return {
    accept,
    bearer,
    basic: accept.has('basic'),
    apiKey: accept.has('apiKey'),
    session: accept.has('session'),
    issuers,
    introspectors,
    csrf: rule.csrf !== false,
    challenges: challenges.join(', '),
    tokens: new VerifiedTokenCache(MAX_CACHED_TOKENS),
  };
}

type BearerOutcome =
  | { ok: true; identity: Identity; cacheable: boolean }
  | { ok: false; reason: string; unavailable: boolean };

/** A JWT-shaped token goes to the JWT verifier when the route accepts JWTs; anything else is introspected. */
async function verifyBearer(token: string, rule: CompiledRule, shared: AuthnShared): Promise<BearerOutcome> {
  const jwtShaped = token.split('.').length === 3;
  if (rule.accept.has('jwt') && (jwtShaped || rule.introspectors.length === 0)) {
    const result = await shared.jwt.verify(token, rule.issuers);
    if (result.ok) return { ok: true, identity: result.identity, cacheable: true };
    if (rule.introspectors.length === 0 || jwtShaped)
      return { ok: false, reason: `jwt: ${result.reason}`, unavailable: false };
  }
  let last = 'introspection: inactive';
  for (const introspector of rule.introspectors) {
    const result = await introspector.introspect(token);
    if (result.ok) return { ok: true, identity: result.identity, cacheable: false };
    if (result.reason === 'unavailable')
      return { ok: false, reason: `introspection: ${result.detail}`, unavailable: true };
    last = `introspection: ${result.reason}`;
  }
  return { ok: false, reason: last, unavailable: false };
}

function revokedIdentity(identity: Identity, shared: AuthnShared): boolean {
  return shared.isTokenRevoked(identity.issuer ?? '', identity.claims.jti, identity.subject, identity.claims.iat);
}

function invalid(
  ctx: RequestContext,
  shared: AuthnShared,
  code: 'PC_ERR_INVALID_TOKEN',
  challenge: string,
  reason: string,
): Verdict {
  // A failed credential is a strike toward a temporary ban of the address (src/ratelimit).
  shared
    .bans()
    ?.recordStrike('auth', ctx.clientIp)
    .catch(() => undefined);
  return respondProblem('unauthenticated', code, {
    ...(challenge !== '' ? { headers: { 'www-authenticate': challenge } } : {}),
    reason,
  });
}

function unavailable(reason: string): Verdict {
  return respondProblem('error', 'PC_ERR_SERVICE_UNAVAILABLE', { reason, headers: { 'retry-after': '5' } });
}

/**
 * Runs on every request of every route. Only a name whose first letter (either case) starts some
 * stripped name or prefix can match, so the others are passed over without lower-casing them;
 * a candidate is compared in lower case, so `X-User-Id` set by an earlier stage goes too.
 */
export function makeStripper(
  upstream: Pick<UpstreamSettings, 'strip' | 'stripPrefixes'>,
): (headers: HeaderMap) => void {
  const names = new Set(upstream.strip);
  const prefixes = upstream.stripPrefixes;
  const firsts = new Set<number>();
  for (const s of [...names, ...prefixes]) if (s !== '') firsts.add(s.charCodeAt(0) | 0x20);
  return (headers) => {
    for (const name in headers) {
      const first = name.charCodeAt(0);
      // Non-ASCII: toLowerCase may map it into ASCII (U+212A KELVIN SIGN -> "k"), so always check.
      if (first < 0x80 && !firsts.has(first | 0x20)) continue;
      const lower = name.toLowerCase();
      if (names.has(lower) || startsWithAny(lower, prefixes)) delete headers[name];
    }
  };
}

function startsWithAny(value: string, prefixes: readonly string[]): boolean {
  for (const p of prefixes) if (value.startsWith(p)) return true;
  return false;
}

/** The verified identity towards the backend: a signed token, and plain headers when asked for. */
function forwardIdentity(ctx: RequestContext, identity: Identity, shared: AuthnShared, nowMs: number): void {
  const headers = ctx.upstreamHeaders;
  const up = shared.upstream;
  if (!up.forwardAuthorization) delete headers.authorization;
  if (identity.method === 'session' && headers.cookie !== undefined) {
    // The session cookie authenticates to the gateway only; backends get the signed identity.
    headers.cookie = stripCookie(String(headers.cookie), shared.session.cookie);
    if (headers.cookie === '') delete headers.cookie;
  }
  if (shared.signer) headers[up.header] = identityToken(identity, ctx.id, shared.signer, up.reuseSec, nowMs);
  if (up.userHeaders) {
    headers['x-user-id'] = headerSafe(identity.subject);
    headers['x-user-roles'] = headerSafe(identity.roles.join(','));
    headers['x-user-scopes'] = headerSafe(identity.scopes.join(' '));
    headers['x-user-auth-method'] = identity.method;
  }
}

/**
 * Claims are attacker-influenced text: RFC 9110 §5.5 field values carry no CR, LF or NUL, so
 * anything outside visible ASCII, space, tab and obs-text is dropped rather than forwarded.
 */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
}

const minted = new WeakMap<Identity, { token: string; at: number }>();

/**
 * Signing costs tens of microseconds per request. With reuseSec > 0 the token minted for a
 * cached credential (same Identity object) is reused for that long; its `rid` then names the
 * first request, and each request's own id still travels in X-Request-Id.
 */
function identityToken(
  identity: Identity,
  requestId: string,
  signer: GatewayTokenSigner,
  reuseSec: number,
  nowMs: number,
): string {
  const now = Math.floor(nowMs / 1000);
  if (reuseSec === 0) return signer.sign(identity, requestId, now);
  const previous = minted.get(identity);
  if (previous && now - previous.at < reuseSec) return previous.token;
  const token = signer.sign(identity, requestId, now);
  minted.set(identity, { token, at: now });
  return token;
}

function stripCookie(header: string, name: string): string {
  return header
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.startsWith(`${name}=`))
    .join('; ');
}

export const authenticateDefinition: StageDefinition<AuthenticationConfig, RouteAuth, AuthnShared> = {
  name: 'authenticate',
  global: { key: 'authentication', schema: AuthenticationSchema },
  route: { key: 'auth', schema: RouteAuthSchema },
  setup: (global, services) => setupAuthentication(global, services),
  create: (route, shared) => createAuthenticateStage(route, shared),
  dispose: (shared) => shared.close(),
};
