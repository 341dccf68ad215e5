import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { type CryptoKey, importJWK, type JWK } from 'jose';
import { ConfigError, type KeyPath } from '../../config/errors.js';
import { isHmac, keyTypeFor, minHmacKeyBytes } from './algorithms.js';
import { JwksCache } from './jwks-cache.js';

/** One trusted token issuer, as configured under `authentication.issuers.<name>`. */
export interface IssuerConfig {
  /** Exact `iss` value (RFC 8725 §3.8). */
  readonly issuer: string;
  /** Accepted `aud` values; the token must name at least one (RFC 8725 §3.9). */
  readonly audience: string | readonly string[];
  /** Required allow-list (RFC 8725 §3.1). */
  readonly algorithms: readonly string[];
  /** HMAC secret (HS* only), usually `${env:NAME}`. */
  readonly secret?: string;
  readonly keys?: readonly StaticKeyConfig[];
  readonly jwksUrl?: string;
  /** Expected `typ` header, e.g. "at+jwt" (RFC 9068 §4, RFC 8725 §3.11). */
  readonly typ?: string;
  readonly clockToleranceSec?: number;
  /** Oldest acceptable `iat`, in seconds; when set, `iat` is required. */
  readonly maxTokenAgeSec?: number;
  readonly maxTokenBytes?: number;
  /** Claim holding roles (dotted path allowed, e.g. "realm_access.roles"). */
  readonly rolesClaim?: string;
  /** Claim holding scopes; "scope" (space-separated) and "scp" (array) are both read by default. */
  readonly scopesClaim?: string;
  readonly jwks?: { readonly cacheMaxAgeSec?: number; readonly cooldownSec?: number; readonly timeoutMs?: number };
}

export interface StaticKeyConfig {
  readonly kid?: string;
  readonly alg: string;
  /** SPKI public key or X.509 certificate, PEM. */
  readonly pem?: string;
  /** Public JWK. */
  readonly jwk?: Record<string, unknown>;
  /** HMAC secret. */
  readonly secret?: string;
}

export type VerifyKey = KeyObject | CryptoKey | Uint8Array;

/** Where an issuer's verification keys come from. */
export interface KeySource {
  getKey(kid: string | undefined, alg: string): Promise<VerifyKey | undefined>;
}

interface BoundKey {
  readonly kid: string | undefined;
  readonly alg: string;
  readonly key: VerifyKey;
}

/** Keys written in the configuration, each bound to exactly one algorithm (rfc8725bis §3.1). */
export class StaticKeySource implements KeySource {
  readonly #keys: readonly BoundKey[];
  constructor(keys: readonly BoundKey[]) {
    this.#keys = keys;
  }
  async getKey(kid: string | undefined, alg: string): Promise<VerifyKey | undefined> {
    const sameAlg = this.#keys.filter((k) => k.alg === alg);
    if (kid !== undefined) {
      const byKid = sameAlg.find((k) => k.kid === kid);
      if (byKid) return byKid.key;
    }
    const anonymous = sameAlg.filter((k) => k.kid === undefined);
    return anonymous.length === 1 ? anonymous[0]!.key : undefined;
  }
}

/**
 * Builds the key source of one issuer, checking at load what would otherwise be a runtime
 * surprise: HMAC secrets shorter than the hash (RFC 8725 §3.5), a key whose type does not fit
 * its algorithm (the RS256->HS256 confusion of RFC 8725 §2.1 starts here), algorithms outside
 * the issuer's allow-list.
 */
export async function createKeySource(
  config: IssuerConfig,
  path: KeyPath,
  onJwksError?: (error: unknown) => void,
): Promise<KeySource> {
  if (config.algorithms.length === 0) throw new ConfigError([...path, 'algorithms'], 'list at least one algorithm');
  const sources = [config.secret !== undefined, config.keys !== undefined, config.jwksUrl !== undefined].filter(
    Boolean,
  );
  if (sources.length !== 1) {
    throw new ConfigError(path, 'set exactly one of "secret", "keys" or "jwksUrl"');
  }
  const hmacAlgs = config.algorithms.filter(isHmac);
  if (hmacAlgs.length > 0 && hmacAlgs.length !== config.algorithms.length) {
    // One issuer either shares a secret or publishes public keys, never both (RFC 8725 §2.1).
    throw new ConfigError([...path, 'algorithms'], 'do not mix HMAC (HS*) and public-key algorithms in one issuer');
  }
  if (config.jwksUrl !== undefined) {
    if (hmacAlgs.length > 0) throw new ConfigError([...path, 'algorithms'], 'a JWKS URL cannot serve HMAC algorithms');
    checkHttpsUrl(config.jwksUrl, [...path, 'jwksUrl']);
    const cache = new JwksCache({
      url: config.jwksUrl,
      algorithms: config.algorithms,
      ...(config.jwks?.timeoutMs !== undefined ? { timeoutMs: config.jwks.timeoutMs } : {}),
      ...(config.jwks?.cacheMaxAgeSec !== undefined ? { cacheMaxAgeMs: config.jwks.cacheMaxAgeSec * 1000 } : {}),
      ...(config.jwks?.cooldownSec !== undefined ? { cooldownMs: config.jwks.cooldownSec * 1000 } : {}),
      ...(onJwksError ? { onError: onJwksError } : {}),
    });
    // Warm the cache; an issuer that is down at start is served once it comes back.
    await cache.refresh();
    return cache;
  }
  const keys: StaticKeyConfig[] =
    config.secret !== undefined ? config.algorithms.map((alg) => ({ alg, secret: config.secret! })) : [...config.keys!];
  const bound: BoundKey[] = [];
  for (const [i, key] of keys.entries()) {
    const keyPath = config.secret !== undefined ? [...path, 'secret'] : [...path, 'keys', i];
    bound.push({ kid: key.kid, alg: key.alg, key: await importStaticKey(key, config.algorithms, keyPath) });
  }
  return new StaticKeySource(bound);
}

async function importStaticKey(key: StaticKeyConfig, allowed: readonly string[], path: KeyPath): Promise<VerifyKey> {
  if (!allowed.includes(key.alg))
    throw new ConfigError([...path, 'alg'], `"${key.alg}" is not in the issuer's algorithms`);
  const given = [key.pem, key.jwk, key.secret].filter((v) => v !== undefined);
  if (given.length !== 1) throw new ConfigError(path, 'set exactly one of "pem", "jwk" or "secret"');
  if (isHmac(key.alg)) {
    if (key.secret === undefined) throw new ConfigError(path, `${key.alg} needs a "secret", not a public key`);
    const bytes = Buffer.from(key.secret, 'utf8');
    if (bytes.length < minHmacKeyBytes(key.alg)) {
      throw new ConfigError(path, `${key.alg} secret must be at least ${minHmacKeyBytes(key.alg)} bytes`);
    }
    return createSecretKey(bytes);
  }
  if (key.secret !== undefined) throw new ConfigError(path, `${key.alg} needs a public key, not a secret`);
  try {
    if (key.pem !== undefined) {
      const publicKey = createPublicKey(key.pem);
      const jwk = publicKey.export({ format: 'jwk' }) as JWK;
      if (jwk.kty !== keyTypeFor(key.alg)) throw new Error(`a ${jwk.kty} key cannot verify ${key.alg}`);
      return (await importJWK(jwk, key.alg)) as VerifyKey;
    }
    const jwk = key.jwk as JWK;
    if (jwk.kty !== keyTypeFor(key.alg)) throw new Error(`a ${String(jwk.kty)} key cannot verify ${key.alg}`);
    if (jwk.d !== undefined) throw new Error('the JWK contains a private key; give the public part only');
    return (await importJWK({ ...jwk, alg: key.alg }, key.alg)) as VerifyKey;
  } catch (error) {
    throw new ConfigError(path, `cannot use this key: ${(error as Error).message}`);
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** ASVS 12.3.1 / T-7 / J-15: keys and token answers come over HTTPS; plain HTTP only to the loopback (tests, sidecars). */
export function checkHttpsUrl(url: string, path: KeyPath): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(path, 'not a valid URL');
  }
  if (parsed.protocol === 'https:') return;
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) return;
  throw new ConfigError(path, 'must be an https URL (plain http only to the loopback)');
}
