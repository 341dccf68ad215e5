import type { PasswordVerifier, VerifiedUser } from '../auth/basic.js';
import { userRoles } from '../auth/store-verifiers.js';
import type { Store, UserRecord } from '../store/types.js';
import {
  dummyHash,
  hashPassword,
  needsRehash,
  normalizeUsername,
  USERNAME_PATTERN,
  verifyPassword,
} from './passwords.js';
import { checkPassword, type PasswordPolicyOptions } from './policy.js';
import { type SignOutOptions, type SignOutResult, signOutEverywhere } from './sign-out.js';

/** Shaped like src/ratelimit's LoginThrottle (services.shared 'loginThrottle'). */
export interface LoginLimiter {
  check(account: string, ip: string): Promise<{ readonly allowed: boolean; readonly retryAfterMs: number }>;
  recordFailure(account: string, ip: string): Promise<void>;
  recordSuccess(account: string, ip: string): Promise<void>;
}

export interface LockoutPolicy {
  /** Consecutive failures before the account is locked; 0 disables locking. */
  readonly maxFailures: number;
  readonly lockMs: number;
}

export type LoginResult =
  | {
      readonly ok: true;
      readonly user: UserRecord;
      readonly roles: readonly string[];
      readonly mustChangePassword: boolean;
    }
  /** One reason for every wrong username, password, disabled or locked account: no enumeration. */
  | { readonly ok: false; readonly reason: 'invalid' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterMs: number };

export class AccountError extends Error {
  override name = 'AccountError';
  /** The policy rule that refused a password, for problem+json `errors[].rule`. */
  readonly rule: string;

  constructor(message: string, rule = 'invalid') {
    super(message);
    this.rule = rule;
  }
}

export interface AccountsOptions {
  readonly policy?: PasswordPolicyOptions;
  readonly lockout?: LockoutPolicy;
  readonly limiter?: () => LoginLimiter | undefined;
  readonly now?: () => number;
  /** How "sign out everywhere" reaches the gateways (default: the store's revocation feed). */
  readonly signOut?: SignOutOptions;
}

/** Users, passwords and password logins over the store. */
export class Accounts {
  readonly #store: Store;
  readonly #o: AccountsOptions;
  readonly #now: () => number;

  constructor(store: Store, options: AccountsOptions = {}) {
    this.#store = store;
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get store(): Store {
    return this.#store;
  }

  /** The login throttle, when the rate-limit section configured one. */
  limiter(): LoginLimiter | undefined {
    return this.#o.limiter?.();
  }

  /** True when the user confirmed a TOTP authenticator: a password alone no longer logs in. */
  async hasMfa(userId: string): Promise<boolean> {
    const totp = await this.#store.mfa.getTotp(userId);
    return totp !== undefined && totp.confirmedAt !== null;
  }

  /** Throws AccountError with a sentence for a refused password. */
  checkPolicy(password: string, username: string): void {
    const result = checkPassword(password, username, this.#o.policy);
    if (!result.ok) throw new AccountError(result.message ?? 'refused', result.problem);
  }

  async createUser(input: {
    username: string;
    password?: string;
    roles?: readonly string[];
    groups?: readonly string[];
    email?: string | null;
    displayName?: string | null;
    mustChangePassword?: boolean;
  }): Promise<UserRecord> {
    const username = normalizeUsername(input.username);
    if (!USERNAME_PATTERN.test(username))
      throw new AccountError('a username is 1-64 letters, digits and . _ @ + - characters');
    if (input.password !== undefined) this.checkPolicy(input.password, username);
    const existing = await this.#store.users.getByUsername(username);
    if (existing) throw new AccountError(`the user "${username}" already exists`);
    return this.#store.users.create({
      username,
      passwordHash: input.password !== undefined ? await hashPassword(input.password) : null,
      roles: input.roles ?? [],
      groups: input.groups ?? [],
      email: input.email ?? null,
      displayName: input.displayName ?? null,
      mustChangePassword: input.mustChangePassword ?? false,
    });
  }

  async find(username: string): Promise<UserRecord | undefined> {
    return this.#store.users.getByUsername(normalizeUsername(username));
  }

  /**
   * Sets a new password after the policy check, then signs the user out everywhere (ASVS 3.3.3,
   * 6.2.x): every session, access token, refresh token and API key issued before is refused on
   * every gateway within a second; a login with the new password works at once.
   */
  async setPassword(userId: string, password: string, options: { mustChange?: boolean } = {}): Promise<void> {
    const user = await this.#store.users.get(userId);
    if (!user) throw new AccountError('no such user');
    this.checkPolicy(password, user.username);
    await this.#store.users.update(userId, {
      passwordHash: await hashPassword(password),
      mustChangePassword: options.mustChange ?? false,
      lockedUntil: null,
    });
    await this.signOutEverywhere(userId);
  }

  /** Every credential issued to the user so far stops working (see signOutEverywhere). */
  signOutEverywhere(userId: string): Promise<SignOutResult> {
    return signOutEverywhere(this.#store, userId, this.#o.signOut);
  }

  /**
   * Removes the user's TOTP authenticator and recovery codes (lost phone: they enrol again after
   * a password login), and signs them out everywhere, since what proved the second factor of
   * their sessions is gone. False when the user had no authenticator, enrolled or not.
   */
  async resetMfa(userId: string): Promise<boolean> {
    const had = await this.#store.mfa.deleteTotp(userId);
    await this.#store.mfa.setRecoveryCodes(userId, []);
    await this.signOutEverywhere(userId);
    return had;
  }

  /**
   * Password login. Order matters: the throttle is asked first (a refused attempt costs no
   * argon2), then every outcome runs exactly one argon2 verification, against the user's hash or
   * a dummy one, so unknown, disabled and locked accounts answer in the same time (ASVS 6.3.8).
   */
  async login(
    username: string,
    password: string,
    ip: string,
    options: { readonly throttle?: boolean } = {},
  ): Promise<LoginResult> {
    const account = normalizeUsername(username);
    const limiter = options.throttle === false ? undefined : this.#o.limiter?.();
    if (limiter) {
      const check = await limiter.check(account, ip);
      if (!check.allowed) return { ok: false, reason: 'throttled', retryAfterMs: check.retryAfterMs };
    }
    const user = account.length <= 256 ? await this.#store.users.getByUsername(account) : undefined;
    const now = this.#now();
    const usable =
      user !== undefined &&
      !user.disabled &&
      user.passwordHash !== null &&
      !(user.lockedUntil !== null && user.lockedUntil > now);
    const hash = usable ? (user.passwordHash as string) : await dummyHash();
    const matches = await verifyPassword(hash, password);
    if (!usable || !matches) {
      await limiter?.recordFailure(account, ip);
      if (user && usable) await this.#recordFailure(user);
      return { ok: false, reason: 'invalid' };
    }
    await limiter?.recordSuccess(account, ip);
    await this.#store.users.recordLoginSuccess(user.id);
    if (needsRehash(hash)) {
      // OWASP Password Storage: upgrade the hash while the password is at hand.
      await this.#store.users.update(user.id, { passwordHash: await hashPassword(password) });
    }
    return { ok: true, user, roles: await userRoles(this.#store, user), mustChangePassword: user.mustChangePassword };
  }

  async #recordFailure(user: UserRecord): Promise<void> {
    const failures = await this.#store.users.recordLoginFailure(user.id);
    const lockout = this.#o.lockout;
    if (lockout && lockout.maxFailures > 0 && failures >= lockout.maxFailures) {
      await this.#store.users.update(user.id, { lockedUntil: this.#now() + lockout.lockMs });
      await this.#store.audit.append({ type: 'auth.account.locked', actor: 'system', subject: user.id });
    }
  }

  /**
   * The PasswordVerifier the authn stage's Basic method uses (services.shared
   * 'idp.passwordVerifier'). The Basic authenticator throttles before calling it; users who must
   * change their password cannot use Basic until they have.
   */
  passwordVerifier(): PasswordVerifier {
    return {
      verify: async (username, password): Promise<VerifiedUser | undefined> => {
        const result = await this.login(username, password, '', { throttle: false });
        // Basic carries no second factor: users with MFA must sign in through the login page.
        if (!result.ok || result.mustChangePassword || (await this.hasMfa(result.user.id))) return undefined;
        return {
          subject: result.user.id,
          roles: result.roles,
          ...(result.user.plan ? { plan: result.user.plan } : {}),
        };
      },
    };
  }
}
