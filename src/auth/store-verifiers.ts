import type { Store, UserRecord } from '../store/types.js';
import type { PasswordVerifier, VerifiedUser } from './basic.js';
import type { SessionIdentity, SessionLookup } from './session.js';

type Argon2 = typeof import('argon2');
let argon2: Promise<Argon2> | undefined;
function loadArgon2(): Promise<Argon2> {
  argon2 ??= import('argon2');
  return argon2;
}

let dummyHash: Promise<string> | undefined;

/**
 * Username/password against the store's users (argon2id PHC strings). Unknown and disabled
 * users still cost one argon2 verification against a dummy hash, so the answer time does not
 * reveal which usernames exist (ASVS 6.3.8, P-9).
 */
export function createStorePasswordVerifier(store: Pick<Store, 'users' | 'groups'>): PasswordVerifier {
  return {
    async verify(username, password): Promise<VerifiedUser | undefined> {
      const lib = await loadArgon2();
      dummyHash ??= lib.hash('portcullis-dummy-password', { type: lib.argon2id });
      const user = await store.users.getByUsername(username.normalize('NFKC').toLowerCase());
      const usable =
        user && !user.disabled && user.passwordHash !== null && !(user.lockedUntil && user.lockedUntil > Date.now());
      const hash = usable ? user.passwordHash! : await dummyHash;
      let ok = false;
      try {
        ok = await lib.verify(hash, password);
      } catch {
        ok = false;
      }
      if (!usable || !ok) return undefined;
      return { subject: user.id, roles: await userRoles(store, user), ...(user.plan ? { plan: user.plan } : {}) };
    },
  };
}

/** A user's own roles plus those of the groups they belong to. */
export async function userRoles(store: Pick<Store, 'groups'>, user: UserRecord): Promise<string[]> {
  const roles = new Set(user.roles);
  for (const name of user.groups) {
    const group = await store.groups.get(name);
    for (const r of group?.roles ?? []) roles.add(r);
  }
  return [...roles];
}

/**
 * Sessions created by the built-in login (src/idp), looked up in the store. The idle timeout is
 * enforced here against lastSeenAt; the absolute expiry by the store.
 */
export function createStoreSessionLookup(
  store: Pick<Store, 'sessions' | 'users' | 'groups'>,
  options: { idleTimeoutMs: number },
): SessionLookup {
  return {
    async find(sessionId): Promise<SessionIdentity | undefined> {
      const session = await store.sessions.get(sessionId);
      if (!session || Date.now() - session.lastSeenAt > options.idleTimeoutMs) return undefined;
      const user = await store.users.get(session.userId);
      if (!user || user.disabled) return undefined;
      store.sessions.touch(sessionId).catch(() => undefined);
      const csrf = session.data.csrf;
      return {
        subject: user.id,
        sessionIdHash: session.idHash,
        roles: await userRoles(store, user),
        expiresAt: Math.floor(session.expiresAt / 1000),
        issuedAt: session.createdAt,
        ...(typeof csrf === 'string' ? { csrfToken: csrf } : {}),
        ...(user.plan ? { plan: user.plan } : {}),
      };
    },
  };
}
