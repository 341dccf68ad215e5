import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** What a valid session says about its user. */
export interface SessionIdentity {
  readonly subject: string;
  /** SHA-256 hex of the session id: what revocation names (the id itself is a secret). */
  readonly sessionIdHash: string;
  readonly roles: readonly string[];
  readonly scopes?: readonly string[];
  readonly plan?: string;
  /** Unix seconds. */
  readonly expiresAt?: number;
  /**
   * When the session was created, Unix ms: what a revocation cutoff compares. Without it the
   * session is refused while a cutoff for its subject is in force.
   */
  readonly issuedAt?: number;
  /** Per-session CSRF secret for the double-submit check, when the login set one. */
  readonly csrfToken?: string;
}

/** Finds the session behind a cookie value. The identity provider implements it; so does the store. */
export interface SessionLookup {
  find(sessionId: string): Promise<SessionIdentity | undefined>;
}

export function sessionIdHash(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

/** RFC 6265 §5.4: the value of the first cookie with this exact name. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}

export interface CsrfOptions {
  /** Origins (scheme://host[:port]) whose pages may send unsafe requests with the cookie. */
  readonly allowedOrigins: readonly string[];
  /** Header carrying the double-submit token. */
  readonly tokenHeader: string;
}

// RFC 9110 §9.2.1: the safe methods; everything else changes state and needs proof of origin.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * CSRF defence for cookie-authenticated requests (OWASP CSRF Prevention Cheat Sheet):
 * safe methods pass; an unsafe one passes when the browser says it is same-origin
 * (Sec-Fetch-Site, Fetch Metadata), or its Origin is an allowed origin, or it carries the
 * session's double-submit token. A request with none of these is refused: SameSite=Lax alone does not
 * cover same-site attackers (sibling subdomains).
 */
export function csrfAllowed(
  method: string,
  headers: IncomingHttpHeaders,
  options: CsrfOptions,
  sessionToken: string | undefined,
): boolean {
  if (SAFE_METHODS.has(method)) return true;
  // Sec-Fetch-Site and Origin are forbidden header names: page script cannot set them.
  if (headers['sec-fetch-site'] === 'same-origin') return true;
  const origin = headers.origin;
  if (typeof origin === 'string' && options.allowedOrigins.includes(origin)) return true;
  return tokenMatches(headers[options.tokenHeader], sessionToken);
}

function tokenMatches(sent: string | string[] | undefined, expected: string | undefined): boolean {
  if (typeof sent !== 'string' || expected === undefined || expected === '') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
