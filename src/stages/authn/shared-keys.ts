/**
 * Keys this stage reads from and writes to services.shared. Written by setup():
 * - `auth.jwtVerifier`   JwtVerifier for the configured issuers (the IdP verifies its own tokens with it)
 * - `auth.gatewaySigner` GatewayTokenSigner: identity tokens for upstreams and their JWKS
 * - `auth.revocations`   Revoker: revoke(kind, id, until) reaches every instance within 1 s
 * - `auth.basic`         BasicAuthenticator (Basic parsing, login throttling, cached logins)
 * Read at request time (whoever sets them; absent = that feature is unavailable):
 * - `store`                Store from src/store (API keys, users, sessions)
 * - `idp.passwordVerifier` PasswordVerifier (else argon2 over store users)
 * - `idp.sessionLookup`    SessionLookup (else store sessions)
 * - `idp.issuer`           TrustedIssuer named "builtin": the identity provider's tokens (read at setup)
 * - `auth.apiKeyRepository` ApiKeyRepository + `auth.apiKeyHasher` (tests, or a store-less deployment)
 * - `loginThrottle`        LoginLimiter from src/ratelimit
 * - `bans`                 BanManager from src/ratelimit (a strike per failed credential)
 */
export const AUTH_SHARED_KEYS = {
  jwtVerifier: 'auth.jwtVerifier',
  gatewaySigner: 'auth.gatewaySigner',
  revocations: 'auth.revocations',
  basic: 'auth.basic',
  store: 'store',
  passwordVerifier: 'idp.passwordVerifier',
  sessionLookup: 'idp.sessionLookup',
  builtinIssuer: 'idp.issuer',
  apiKeyRepository: 'auth.apiKeyRepository',
  apiKeyHasher: 'auth.apiKeyHasher',
  loginThrottle: 'loginThrottle',
  bans: 'bans',
} as const;
