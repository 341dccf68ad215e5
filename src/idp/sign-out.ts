import type { Revocation } from '../auth/revocation.js';
import type { Store } from '../store/types.js';
import { ACCESS_TOKEN_TTL_SEC } from './issuer.js';

/** How a cutoff reaches the running gateways: their revocation bus (see src/auth/revocation.ts). */
export type RevocationPublisher = (revocation: Revocation) => Promise<void>;

/**
 * The longest a session of the identity provider can live: the schema's maximum
 * `identityProvider.session.absoluteTimeoutSec`, used when the configured one is not at hand (a
 * CLI pointed at the database alone).
 */
export const MAX_SESSION_LIFETIME_MS = 2_592_000 * 1000;

/** Margin on the cutoff's life for clock skew between instances and caches (API keys, Basic). */
const MARGIN_MS = 60_000;

export interface SignOutOptions {
  /** Default: the store's revocation feed (what gateways on the default `store` bus follow). */
  readonly publish?: RevocationPublisher;
  /** The identity provider's absolute session timeout; default MAX_SESSION_LIFETIME_MS. */
  readonly sessionLifetimeMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface SignOutResult {
  /** Unix ms: credentials issued at or before it are refused. */
  readonly cutoff: number;
  readonly sessions: number;
  /** Rows of the account's OIDC grants, refresh tokens, codes and provider sessions removed. */
  readonly oidcRecords: number;
  readonly apiKeys: number;
}

/**
 * "Sign out everywhere" for one user of the built-in identity provider (password reset or
 * change, MFA reset, `portcullis user revoke-sessions`, POST /auth/logout-all): every credential
 * issued to the user up to now stops working on every gateway instance within a second, and the
 * user can sign in again at once.
 *
 * 1. A cutoff (src/auth/revocation.ts) is published for the user id: the data plane refuses the
 *    user's access tokens, sessions and API keys issued at or before it. Its life covers the
 *    longest of them that is not also removed from the store: access tokens (ACCESS_TOKEN_TTL_SEC)
 *    and sessions (absolute timeout), plus a margin.
 * 2. What the store holds is removed for good, so nothing comes back when the cutoff expires:
 *    the user's sessions, the OIDC grants with their refresh tokens (a refresh would otherwise
 *    mint a fresh access token), and the user's API keys created up to the cutoff.
 * 3. It returns only once the clock is past the second of the cutoff: a JWT's `iat` has whole
 *    seconds, so a token issued in that same second compares as "at or before" and would be
 *    refused. Waiting (under a second) makes every login after this call return count as new.
 *
 * The store is cleaned even when publishing fails (the error is then thrown): the password has
 * changed by then, and stale sessions must not outlive a bus outage.
 */
export async function signOutEverywhere(
  store: Store,
  userId: string,
  options: SignOutOptions = {},
): Promise<SignOutResult> {
  const now = options.now ?? Date.now;
  const publish = options.publish ?? (async (r: Revocation) => void (await store.revocations.add(r)));
  const cutoff = now();
  const life = Math.max(ACCESS_TOKEN_TTL_SEC * 1000, options.sessionLifetimeMs ?? MAX_SESSION_LIFETIME_MS);
  let failure: unknown;
  await publish({ kind: 'cutoff', id: userId, issuedBefore: cutoff, until: cutoff + life + MARGIN_MS }).catch(
    (error: unknown) => {
      failure = error;
    },
  );
  const sessions = await store.sessions.deleteByUser(userId);
  const oidcRecords = await store.oidc.revokeByAccount(userId);
  let apiKeys = 0;
  for (let offset = 0; ; offset += 1000) {
    const page = await store.apiKeys.list({ owner: userId, limit: 1000, offset });
    for (const key of page) {
      if (key.revokedAt === null && key.createdAt <= cutoff && (await store.apiKeys.revoke(key.id))) apiKeys++;
    }
    if (page.length < 1000) break;
  }
  if (failure !== undefined) throw failure;
  const wait = (Math.floor(cutoff / 1000) + 1) * 1000 - now();
  if (wait > 0) await (options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))))(wait);
  return { cutoff, sessions, oidcRecords, apiKeys };
}
