import { rotateSigningKey, type SigningAlg } from '../store/signing.js';
import type { SigningKeyRecord, Store } from '../store/types.js';

/** The longest lifetime of anything the provider signs (ID tokens, 1 hour), plus clock margin. */
export const LONGEST_SIGNED_TTL_MS = 3_600_000 + 5 * 60_000;

/**
 * A new signing key; the previous ones stop signing and stay in the JWKS (and in the gateway's
 * "builtin" issuer) until every token they signed has expired (SECURITY-REQUIREMENTS D-5).
 * Running gateways sign with the new key after their next configuration reload; verification
 * picks new kids up at once (StoreKeySource re-reads on an unknown kid).
 */
export function rotateSigningKeys(
  store: Store,
  options: { alg?: SigningAlg; publishRetiredForMs?: number } = {},
): Promise<{ created: SigningKeyRecord; retired: string[] }> {
  return rotateSigningKey(
    store,
    options.alg ?? 'ES256',
    Math.max(options.publishRetiredForMs ?? LONGEST_SIGNED_TTL_MS, LONGEST_SIGNED_TTL_MS),
  );
}
