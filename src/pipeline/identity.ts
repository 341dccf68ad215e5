/** How a caller proved who it is. */
export const AUTH_METHODS = ['jwt', 'introspection', 'apiKey', 'basic', 'session', 'mtls'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** A verified caller. Built by the authenticate stage, read by everything after it. */
export interface Identity {
  readonly subject: string;
  readonly method: AuthMethod;
  readonly issuer?: string;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  /** Claims as verified (JWT payload, introspection answer, key metadata...). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly clientId?: string;
  readonly apiKeyId?: string;
  /** Rate-limit plan attached to the user or key, e.g. "free" or "pro". */
  readonly plan?: string;
  /** Unix seconds after which the credential is no longer valid, when known. */
  readonly expiresAt?: number;
}
