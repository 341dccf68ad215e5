import { createHash, generateKeyPairSync } from 'node:crypto';
import type { JsonObject, SigningKeyRecord, Store } from './types.js';

export const SIGNING_ALGS = ['ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order. */
export function jwkThumbprint(jwk: JsonObject): string {
  const required = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : jwk.kty === 'OKP' ? ['crv', 'kty', 'x'] : undefined;
  if (!required) throw new Error(`unsupported key type ${String(jwk.kty)}`);
  const canonical = `{${required.map((k) => `${JSON.stringify(k)}:${JSON.stringify(jwk[k])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * Adds a new signing key and retires the current ones: they stop signing now and stay
 * published until `now + publishRetiredForMs`, long enough for every token they signed to
 * expire (SECURITY-REQUIREMENTS D-5). The private key is stored as PKCS#8 PEM, sealed.
 */
export async function rotateSigningKey(
  store: Store,
  alg: SigningAlg,
  publishRetiredForMs: number,
  now: () => number = Date.now,
): Promise<{ created: SigningKeyRecord; retired: string[] }> {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const jwk = pair.publicKey.export({ format: 'jwk' }) as JsonObject;
  const kid = jwkThumbprint(jwk);
  const active = (await store.signingKeys.list()).filter((k) => k.retiredAt === null);
  const created = await store.signingKeys.create({
    kid,
    alg,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
    privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  });
  const retired: string[] = [];
  for (const key of active) {
    if (await store.signingKeys.retire(key.kid, now() + publishRetiredForMs)) retired.push(key.kid);
  }
  return { created, retired };
}
