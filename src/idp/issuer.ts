import { createPublicKey } from 'node:crypto';
import type { KeySource, VerifyKey } from '../auth/jwt/issuer.js';
import type { TrustedIssuer } from '../auth/jwt/verifier.js';
import type { Store } from '../store/types.js';

/** The name routes use for the identity provider's tokens: `jwt: { issuers: [builtin] }`. */
export const BUILTIN_ISSUER = 'builtin';

/** Lifetime of the access tokens the identity provider issues: the longest a JWT of it stays usable. */
export const ACCESS_TOKEN_TTL_SEC = 600;

/**
 * The provider's public signing keys, read from the store (retired keys included until their
 * notAfter, so tokens signed before a rotation keep verifying). A kid not seen before triggers a
 * re-read at most once per second: a rotation on another instance is picked up without a restart.
 */
export class StoreKeySource implements KeySource {
  readonly #store: Store | undefined;
  #keys = new Map<string, { alg: string; key: VerifyKey }>();
  #loadedAt = 0;

  constructor(store: Store | undefined) {
    this.#store = store;
  }

  async #load(): Promise<void> {
    if (!this.#store) return;
    const next = new Map<string, { alg: string; key: VerifyKey }>();
    for (const k of await this.#store.signingKeys.list()) {
      next.set(k.kid, { alg: k.alg, key: createPublicKey({ key: k.publicJwk as never, format: 'jwk' }) });
    }
    this.#keys = next;
    this.#loadedAt = Date.now();
  }

  async getKey(kid: string | undefined, alg: string): Promise<VerifyKey | undefined> {
    if (kid === undefined) return undefined;
    if (!this.#keys.has(kid) && Date.now() - this.#loadedAt > 1000) await this.#load();
    const found = this.#keys.get(kid);
    // RFC 8725 §3.1: a key verifies only the algorithm it was made for.
    return found && found.alg === alg ? found.key : undefined;
  }

  /** Forget the cache (after a local rotation). */
  reload(): Promise<void> {
    return this.#load();
  }
}

/** The TrustedIssuer the authn stage adds when the identity provider is configured. */
export function builtinIssuer(issuer: string, audience: string, keys: KeySource): TrustedIssuer {
  return {
    name: BUILTIN_ISSUER,
    config: { issuer, audience, algorithms: ['ES256', 'EdDSA'], rolesClaim: 'roles' },
    keys,
  };
}
