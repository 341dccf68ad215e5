import { randomBytes } from 'node:crypto';
import type { SessionIdentity, SessionLookup } from '../auth/session.js';
import { userRoles } from '../auth/store-verifiers.js';
import type { JsonObject, SessionRecord, Store } from '../store/types.js';

export interface SessionPolicy {
  /** Cookie name; `__Host-` keeps it host-only, Secure and Path=/ (RFC 6265bis §4.1.3.2). */
  readonly cookie: string;
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
}

/**
 * Facts kept on a session. A `pending` session authenticates nothing: it may only complete the
 * second factor ('mfa') or change a one-time password ('password').
 */
export interface SessionData {
  readonly csrf: string;
  readonly pending?: 'password' | 'mfa';
  readonly amr: readonly string[];
}

/**
 * Browser sessions in the store. The cookie carries 256 random bits; the store keeps only their
 * SHA-256 (ASVS 3.2.2), so a database leak does not hand out live sessions.
 */
export class Sessions {
  readonly #store: Store;
  readonly #policy: SessionPolicy;
  readonly #now: () => number;

  constructor(store: Store, policy: SessionPolicy, now: () => number = Date.now) {
    this.#store = store;
    this.#policy = policy;
    this.#now = now;
  }

  get policy(): SessionPolicy {
    return this.#policy;
  }

  /**
   * A new session id at every login, and the one the browser presented is destroyed: session
   * fixation is impossible (OWASP Session Management: renew the id on privilege change).
   */
  async start(
    userId: string,
    data: Omit<SessionData, 'csrf'>,
    previousId?: string,
  ): Promise<{ id: string; csrf: string }> {
    if (previousId) await this.#store.sessions.delete(previousId);
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    await this.#store.sessions.create(id, {
      userId,
      expiresAt: this.#now() + this.#policy.absoluteTimeoutMs,
      data: { ...data, csrf } as unknown as JsonObject,
    });
    return { id, csrf };
  }

  /** The live session behind a cookie value (idle and absolute timeouts applied), or undefined. */
  async get(id: string | undefined): Promise<SessionRecord | undefined> {
    if (!id || id.length > 128) return undefined;
    const session = await this.#store.sessions.get(id);
    if (!session) return undefined;
    if (this.#now() - session.lastSeenAt > this.#policy.idleTimeoutMs) {
      await this.#store.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  end(id: string): Promise<boolean> {
    return this.#store.sessions.delete(id);
  }

  endAll(userId: string): Promise<number> {
    return this.#store.sessions.deleteByUser(userId);
  }

  setCookie(id: string): string {
    const maxAge = Math.floor(this.#policy.absoluteTimeoutMs / 1000);
    return `${this.#policy.cookie}=${id}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAge}`;
  }

  clearCookie(): string {
    return `${this.#policy.cookie}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0`;
  }

  /**
   * What the authn stage reads for the `session` method (services.shared 'idp.sessionLookup').
   * A pending session (password change still owed) authenticates nothing.
   */
  lookup(): SessionLookup {
    return {
      find: async (id): Promise<SessionIdentity | undefined> => {
        const session = await this.get(id);
        if (!session || session.data.pending !== undefined) return undefined;
        const user = await this.#store.users.get(session.userId);
        if (!user || user.disabled) return undefined;
        this.#store.sessions.touch(id).catch(() => undefined);
        const csrf = session.data.csrf;
        return {
          subject: user.id,
          sessionIdHash: session.idHash,
          roles: await userRoles(this.#store, user),
          expiresAt: Math.floor(session.expiresAt / 1000),
          issuedAt: session.createdAt,
          ...(typeof csrf === 'string' ? { csrfToken: csrf } : {}),
          ...(user.plan ? { plan: user.plan } : {}),
        };
      },
    };
  }
}
