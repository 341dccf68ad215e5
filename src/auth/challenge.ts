/**
 * WWW-Authenticate values. RFC 9110 §11.6.1: a 401 carries at least one challenge; several
 * challenges go in one comma-separated field. RFC 6750 §3: Bearer with realm, error, scope.
 */

/** RFC 9110 §5.6.4 quoted-string: escape backslash and double quote; drop anything outside visible ASCII. */
export function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '\\$&')}"`;
}

export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export function bearerChallenge(realm: string, error?: BearerError, scope?: readonly string[]): string {
  let out = `Bearer realm=${quote(realm)}`;
  // RFC 6750 §3.1: with no credentials at all the challenge carries no error code.
  if (error) out += `, error=${quote(error)}`;
  if (scope && scope.length > 0) out += `, scope=${quote(scope.join(' '))}`;
  return out;
}

/** RFC 7617 §2.1: charset="UTF-8" announces how user-id and password are encoded. */
export function basicChallenge(realm: string): string {
  return `Basic realm=${quote(realm)}, charset="UTF-8"`;
}

/** Not a registered scheme: names the header an API key goes in, so a 401 is still self-describing. */
export function apiKeyChallenge(realm: string, header: string): string {
  return `ApiKey realm=${quote(realm)}, header=${quote(header)}`;
}
