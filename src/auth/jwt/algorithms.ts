/** JWS algorithms an issuer may allow-list. `none` is absent on purpose (RFC 8725 §3.1). */
export const JWS_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

export function isHmac(alg: string): boolean {
  return alg === 'HS256' || alg === 'HS384' || alg === 'HS512';
}

/** RFC 8725 §3.5 / RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
export function minHmacKeyBytes(alg: string): number {
  return alg === 'HS512' ? 64 : alg === 'HS384' ? 48 : 32;
}

/** The JWK key type each algorithm family needs; a key of another type never verifies it. */
export function keyTypeFor(alg: string): 'oct' | 'RSA' | 'EC' | 'OKP' {
  if (isHmac(alg)) return 'oct';
  if (alg.startsWith('RS') || alg.startsWith('PS')) return 'RSA';
  if (alg.startsWith('ES')) return 'EC';
  return 'OKP';
}
