import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type ApiKeyHasher, type ApiKeyRepository, ApiKeyVerifier, hmacHasher } from '../../auth/api-key.js';
import { BasicAuthenticator, type LoginLimiter, type PasswordVerifier } from '../../auth/basic.js';
import { Introspector } from '../../auth/introspection.js';
import { checkHttpsUrl, createKeySource, type IssuerConfig } from '../../auth/jwt/issuer.js';
import { JwtVerifier, type TrustedIssuer } from '../../auth/jwt/verifier.js';
import { type MtlsOptions, readPemBundle } from '../../auth/mtls.js';
import {
  followBus,
  MemoryRevocationBus,
  RedisRevocationBus,
  type RevocationBus,
  type RevocationKind,
  RevocationList,
  StoreRevocationBus,
} from '../../auth/revocation.js';
import type { SessionLookup } from '../../auth/session.js';
import { createStorePasswordVerifier, createStoreSessionLookup } from '../../auth/store-verifiers.js';
import { GatewayTokenSigner } from '../../auth/upstream-token.js';
import { ConfigError } from '../../config/errors.js';
import type { BanManager } from '../../ratelimit/bans.js';
import type { Store } from '../../store/types.js';
import type { Services } from '../definition.js';
import type { AuthenticationConfig } from './schema.js';
import { AUTH_SHARED_KEYS as K } from './shared-keys.js';

/** Publishes revocations to every instance (services.shared 'auth.revocations'). */
export interface Revoker {
  revoke(kind: Exclude<RevocationKind, 'cutoff'>, id: string, until: number): Promise<void>;
  /**
   * "Sign out everywhere": the principal's credentials issued at or before `issuedBefore` (Unix
   * ms) are refused until `until`; credentials issued later are accepted.
   */
  cutoff(id: string, issuedBefore: number, until: number): Promise<void>;
  isRevoked(kind: RevocationKind, id: string): boolean;
}

export interface UpstreamSettings {
  readonly header: string;
  readonly userHeaders: boolean;
  readonly forwardAuthorization: boolean;
  /** Seconds one signed identity token may be reused for the same verified credential; 0 = per request. */
  readonly reuseSec: number;
  /** Lower-case names removed from every request before it goes upstream. */
  readonly strip: readonly string[];
  /** Prefixes removed likewise (x-user-, x-portcullis-). */
  readonly stripPrefixes: readonly string[];
}

export interface AuthnShared {
  readonly realm: string;
  readonly issuerNames: ReadonlySet<string>;
  readonly jwt: JwtVerifier;
  readonly introspectors: ReadonlyMap<string, Introspector>;
  readonly apiKeyHeader: string;
  readonly apiKeys: () => ApiKeyVerifier | undefined;
  readonly basic: BasicAuthenticator;
  readonly session: {
    readonly cookie: string;
    readonly lookup: () => SessionLookup | undefined;
    readonly allowedOrigins: readonly string[];
    readonly tokenHeader: string;
  };
  readonly mtls: MtlsOptions | undefined;
  readonly signer: GatewayTokenSigner | undefined;
  readonly upstream: UpstreamSettings;
  readonly revocations: RevocationList;
  /**
   * A token of issuer `iss` is revoked by its jti, by its issuer-qualified subject, or — for the
   * built-in identity provider, whose subjects are the store's user ids — by the bare subject;
   * or it was issued (`iat`) at or before a cutoff for one of those names.
   */
  readonly isTokenRevoked: (iss: string, jti: unknown, sub: unknown, iat: unknown) => boolean;
  readonly bans: () => BanManager | undefined;
  readonly close: () => Promise<void>;
}

const PATH = ['authentication'] as const;

export async function setupAuthentication(
  global: AuthenticationConfig | undefined,
  services: Services,
): Promise<AuthnShared> {
  const config = global ?? {};
  const shared = services.shared;
  const store = (): Store | undefined => shared.get(K.store) as Store | undefined;
  const closers: (() => Promise<void>)[] = [];

  const revocations = new RevocationList();
  let bus: RevocationBus;
  if (config.revocation?.bus === 'redis') {
    const redis = config.revocation.redis;
    if (!redis) throw new ConfigError([...PATH, 'revocation', 'redis'], 'the redis bus needs redis.url');
    bus = await RedisRevocationBus.open(redis.url, {
      ...(redis.keyPrefix !== undefined ? { keyPrefix: redis.keyPrefix } : {}),
      onError: (e) => services.logger.warn({ err: e.message }, 'revocation bus redis error'),
    });
  } else if (config.revocation?.bus !== 'memory' && store()) {
    // The default: the store's feed reaches every process sharing the database (node:cluster
    // workers, hosts sharing PostgreSQL, the CLI) within a second, with no extra server.
    bus = await StoreRevocationBus.open(store()!.revocations, {
      onError: (e) => services.logger.warn({ err: e.message }, 'revocation feed read failed; retrying'),
    });
  } else if (config.revocation?.bus === 'store' && !services.dryRun) {
    throw new ConfigError(
      [...PATH, 'revocation', 'bus'],
      'the store bus needs the store, which this configuration does not open',
    );
  } else {
    bus = new MemoryRevocationBus();
  }
  const unfollow = await followBus(bus, revocations, (error) =>
    services.logger.warn({ err: (error as Error).message }, 'revocation list not loaded yet; retried on reconnect'),
  );
  closers.push(async () => unfollow());
  closers.push(() => bus.close());
  const pruner = setInterval(() => revocations.prune(), 60_000);
  pruner.unref();
  closers.push(async () => clearInterval(pruner));

  const issuers: TrustedIssuer[] = [];
  for (const [name, issuer] of Object.entries(config.issuers ?? {})) {
    const keys = await createKeySource(issuer as IssuerConfig, [...PATH, 'issuers', name], (error) =>
      services.logger.warn({ issuer: name, err: (error as Error).message }, 'JWKS fetch failed; serving cached keys'),
    );
    issuers.push({ name, config: issuer as IssuerConfig, keys });
  }
  // The built-in identity provider's issuer (name "builtin"), published by its service, which is
  // set up before the stages: its tokens need no configuration here.
  const builtin = shared.get(K.builtinIssuer) as TrustedIssuer | undefined;
  if (builtin && !issuers.some((i) => i.name === builtin.name)) issuers.push(builtin);
  // Always built and published, even without configured issuers: the identity provider adds its own.
  // The identity provider's subjects are the store's user ids, the names sessions, Basic and
  // `portcullis user disable` revoke: a bare-subject revocation refuses its JWTs too.
  const isBuiltin = (iss: string) => (shared.get(K.builtinIssuer) as TrustedIssuer | undefined)?.config.issuer === iss;
  // A cutoff compares `iat` (RFC 7519 §4.1.6); a token without one cannot be shown to be newer and
  // is refused while a cutoff for its subject is in force (the identity provider always sets it).
  const isTokenRevoked = (iss: string, jti: unknown, sub: unknown, iat: unknown): boolean => {
    // Nothing revoked (the usual case): no name is built. Expired entries still count until pruned.
    if (revocations.size === 0) return false;
    if (typeof jti === 'string' && revocations.has('jti', `${iss} ${jti}`)) return true;
    const issuedAt = issuedAtMs(iat);
    if (revocations.has('subject', `${iss} ${sub}`) || revocations.cutsOff(`${iss} ${sub}`, issuedAt)) return true;
    return (
      typeof sub === 'string' &&
      (revocations.has('subject', sub) || revocations.cutsOff(sub, issuedAt)) &&
      isBuiltin(iss)
    );
  };
  const jwt = new JwtVerifier(issuers, {
    isRevoked: (iss, claims) => isTokenRevoked(iss, claims.jti, claims.sub, claims.iat),
  });

  const introspectors = new Map<string, Introspector>();
  for (const [name, server] of Object.entries(config.introspection ?? {})) {
    checkHttpsUrl(server.endpoint, [...PATH, 'introspection', name, 'endpoint']);
    introspectors.set(name, new Introspector(server, { isRevoked: (hash) => revocations.has('token', hash) }));
  }

  let apiKeyVerifier: ApiKeyVerifier | undefined;
  let apiKeySource: unknown;
  const apiKeys = (): ApiKeyVerifier | undefined => {
    const s = store();
    const repository = (shared.get(K.apiKeyRepository) as ApiKeyRepository | undefined) ?? s?.apiKeys;
    if (!repository) return undefined;
    if (apiKeyVerifier && apiKeySource === repository) return apiKeyVerifier;
    const hasher: ApiKeyHasher | undefined =
      (shared.get(K.apiKeyHasher) as ApiKeyHasher | undefined) ??
      (s ? (key: string) => s.keyedHash('api-key', key) : undefined) ??
      (config.apiKeys?.pepper !== undefined ? hmacHasher(config.apiKeys.pepper) : undefined);
    if (!hasher) return undefined;
    apiKeySource = repository;
    apiKeyVerifier = new ApiKeyVerifier({
      repository,
      hash: hasher,
      isRevoked: (prefix) => revocations.has('apiKey', prefix),
      cacheTtlMs: (config.apiKeys?.cacheTtlSec ?? 10) * 1000,
      onTouchError: (e) => services.logger.warn({ err: (e as Error).message }, 'api key lastUsedAt update failed'),
      ...(s
        ? {
            ownerRoles: async (owner: string) => {
              const user = await s.users.get(owner);
              if (!user) return []; // a service key: its owner is not a user
              return user.disabled ? undefined : user.roles;
            },
          }
        : {}),
    });
    return apiKeyVerifier;
  };

  let storeVerifier: { store: Store; verifier: PasswordVerifier } | undefined;
  const basic = new BasicAuthenticator({
    verifier: () => {
      const fromIdp = shared.get(K.passwordVerifier) as PasswordVerifier | undefined;
      if (fromIdp) return fromIdp;
      const s = store();
      if (!s) return undefined;
      if (storeVerifier?.store !== s) storeVerifier = { store: s, verifier: createStorePasswordVerifier(s) };
      return storeVerifier.verifier;
    },
    limiter: () => shared.get(K.loginThrottle) as LoginLimiter | undefined,
    cacheTtlMs: (config.basic?.cacheTtlSec ?? 30) * 1000,
  });

  const idleTimeoutMs = (config.session?.idleTimeoutSec ?? 1800) * 1000;
  let storeSessions: { store: Store; lookup: SessionLookup } | undefined;
  const sessionLookup = (): SessionLookup | undefined => {
    const fromIdp = shared.get(K.sessionLookup) as SessionLookup | undefined;
    if (fromIdp) return fromIdp;
    const s = store();
    if (!s) return undefined;
    if (storeSessions?.store !== s)
      storeSessions = { store: s, lookup: createStoreSessionLookup(s, { idleTimeoutMs }) };
    return storeSessions.lookup;
  };

  revocations.onRevoke((r) => {
    if (r.kind === 'apiKey') apiKeyVerifier?.forget(r.id);
    if (r.kind === 'token') for (const i of introspectors.values()) i.forget(r.id);
    // After a cutoff (a password change) a cached Basic login must prove the password again.
    if (r.kind === 'subject' || r.kind === 'cutoff') basic.forgetUser(r.id);
  });

  const up = config.upstream ?? {};
  const header = (up.header ?? 'x-portcullis-identity').toLowerCase();
  let signer: GatewayTokenSigner | undefined;
  if (up.identityToken !== false) {
    const keyFile = up.keyFile
      ? isAbsolute(up.keyFile)
        ? up.keyFile
        : resolve(services.configDir, up.keyFile)
      : join(services.dataDir, 'gateway-identity-key.pem');
    signer = await GatewayTokenSigner.fromFile(keyFile, {
      issuer: up.issuer ?? 'portcullis',
      ttlSec: up.ttlSec ?? 60,
      ...(up.audience !== undefined ? { audience: up.audience } : {}),
    });
  }
  let caCertificates: X509Certificate[] = [];
  if (config.mtls) {
    const mtlsPath = [...PATH, 'mtls'];
    if (config.mtls.caFile === undefined && config.mtls.caFingerprints === undefined) {
      throw new ConfigError(mtlsPath, 'give caFile (the CA certificates) and/or caFingerprints');
    }
    if (config.mtls.caFile !== undefined) {
      const file = isAbsolute(config.mtls.caFile)
        ? config.mtls.caFile
        : resolve(services.configDir, config.mtls.caFile);
      try {
        caCertificates = readPemBundle(await readFile(file, 'utf8'));
      } catch (error) {
        throw new ConfigError([...mtlsPath, 'caFile'], `cannot read the CA bundle: ${(error as Error).message}`);
      }
      if (caCertificates.length === 0) throw new ConfigError([...mtlsPath, 'caFile'], 'no certificate in the file');
    }
  }
  const apiKeyHeader = (config.apiKeys?.header ?? 'x-api-key').toLowerCase();
  const upstream: UpstreamSettings = {
    header,
    userHeaders: up.userHeaders === true,
    forwardAuthorization: up.forwardAuthorization !== false,
    reuseSec: up.reuseSec ?? 0,
    // RFC 9700 §4.13 / H-14: identity headers are the gateway's to set, never the client's.
    strip: [...new Set([header, apiKeyHeader, ...(up.stripHeaders ?? []).map((h) => h.toLowerCase())])],
    stripPrefixes: ['x-user-', 'x-portcullis-'],
  };

  const revoker: Revoker = {
    revoke: (kind, id, until) => bus.publish({ kind, id, until }),
    cutoff: (id, issuedBefore, until) => bus.publish({ kind: 'cutoff', id, issuedBefore, until }),
    isRevoked: (kind, id) => revocations.has(kind, id),
  };
  shared.set(K.jwtVerifier, jwt);
  if (signer) shared.set(K.gatewaySigner, signer);
  shared.set(K.revocations, revoker);
  shared.set(K.basic, basic);

  return {
    realm: config.realm ?? 'portcullis',
    isTokenRevoked,
    issuerNames: new Set(issuers.map((i) => i.name)),
    jwt,
    introspectors,
    apiKeyHeader,
    apiKeys,
    basic,
    session: {
      cookie: config.session?.cookie ?? '__Host-portcullis',
      lookup: sessionLookup,
      allowedOrigins: config.session?.allowedOrigins ?? [],
      tokenHeader: (config.session?.csrfHeader ?? 'x-csrf-token').toLowerCase(),
    },
    mtls: config.mtls
      ? {
          caFingerprints: config.mtls.caFingerprints ?? caCertificates.map((c) => c.fingerprint256),
          caCertificates,
          subjectFrom: config.mtls.subjectFrom ?? ['san-uri', 'san-dns', 'san-email', 'cn'],
          ...(config.mtls.roles ? { roles: config.mtls.roles } : {}),
        }
      : undefined,
    signer,
    upstream,
    revocations,
    bans: () => shared.get(K.bans) as BanManager | undefined,
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/**
 * A JWT or introspection `iat` (NumericDate, seconds, RFC 7519 §2) as Unix ms. Seconds are
 * rounded down by the issuer, so a token issued in the same second as a cutoff, even just after
 * it, compares as "at or before" and is refused: never the other way round.
 */
export function issuedAtMs(iat: unknown): number | undefined {
  return typeof iat === 'number' && Number.isFinite(iat) ? iat * 1000 : undefined;
}
