import type { Identity } from '../../pipeline/identity.js';

/**
 * How many characters from the end of a token the lookup hashes: they lie inside the signature
 * of every algorithm we accept (HS256, the shortest, signs in 43 characters), 144 bits of it.
 */
const KEY_CHARS = 24;

export interface CachedToken {
  /** The exact token that was verified. */
  readonly token: string;
  readonly identity: Identity;
  /** Unix ms past which the entry is never served (the token's `exp`, without clock tolerance). */
  readonly untilMs: number;
}

/**
 * Verified JWTs of one route rule, so a repeated token skips parsing and the signature check.
 * An entry is served only for the exact token it was made from: the Map is keyed by the token's
 * last characters (hashing a whole token of several hundred characters cost more than the rest
 * of the cached path), and a hit compares the whole token. Another token with the same ending is
 * a miss and is verified as usual; only a token that verified replaces an entry. At most `max`
 * entries: the oldest goes first. The caller checks `untilMs` and revocation on every hit.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(token: string): CachedToken | undefined {
    const entry = this.#entries.get(keyOf(token));
    return entry !== undefined && entry.token === token ? entry : undefined;
  }

  set(token: string, identity: Identity, untilMs: number): void {
    const key = keyOf(token);
    if (this.#entries.size >= this.#max && !this.#entries.has(key)) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, { token, identity, untilMs });
  }

  /** Forgets `token`; an entry for another token with the same ending stays. */
  delete(token: string): void {
    const key = keyOf(token);
    if (this.#entries.get(key)?.token === token) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token;
}
