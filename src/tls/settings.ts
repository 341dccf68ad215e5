import { createSecureContext, type SecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';

/**
 * Mozilla server-side TLS guidelines v6.0, "intermediate": for TLS 1.2 only ECDHE key exchange
 * with AEAD ciphers; the TLS 1.3 suites are listed too because Node takes both from one string.
 */
export const MOZILLA_INTERMEDIATE_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Mozilla "modern": TLS 1.3 only, so only the TLS 1.3 suites. */
export const MOZILLA_MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
].join(':');

/** h2 first: a client offering both gets HTTP/2 (RFC 7301 §3.2: the server picks). */
export const ALPN_PROTOCOLS: readonly string[] = ['h2', 'http/1.1'];

export const TLS_PROFILES = ['intermediate', 'modern'] as const;
export type TlsProfile = (typeof TLS_PROFILES)[number];

/** The protocol options the HTTPS listener passes to http2.createSecureServer / tls. */
export interface TlsProtocolOptions {
  readonly minVersion: SecureVersion;
  readonly ciphers: string;
  readonly ecdhCurve: string;
  readonly honorCipherOrder: boolean;
  readonly ALPNProtocols: string[];
}

/**
 * Mozilla v6.0 puts the hybrid post-quantum group X25519MLKEM768 first. Only OpenSSL 3.5+
 * knows it and an unknown group makes the whole context fail, so it is offered only when the
 * OpenSSL Node was built with accepts it.
 */
export const ECDH_CURVES: string = supportedCurves(['X25519MLKEM768', 'X25519', 'P-256', 'P-384']);

export function tlsProtocolOptions(profile: TlsProfile = 'intermediate'): TlsProtocolOptions {
  return {
    minVersion: profile === 'modern' ? 'TLSv1.3' : 'TLSv1.2',
    ciphers: profile === 'modern' ? MOZILLA_MODERN_CIPHERS : MOZILLA_INTERMEDIATE_CIPHERS,
    ecdhCurve: ECDH_CURVES,
    // Mozilla intermediate and modern: every offered suite is strong, so let the client choose
    // (it knows whether it has AES hardware; ChaCha20 is faster without).
    honorCipherOrder: false,
    ALPNProtocols: [...ALPN_PROTOCOLS],
  };
}

/** PEM material for one HTTPS listener. `caPem` enables client-certificate verification. */
export interface ServerCredentials {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem?: string;
}

/**
 * Options for tls.createSecureContext() and server.setSecureContext(): the certificate, key,
 * optional client CA and the profile's protocol settings. (setSecureContext takes these options,
 * not a SecureContext object.)
 */
export function serverSecureContextOptions(
  credentials: ServerCredentials,
  profile: TlsProfile = 'intermediate',
): SecureContextOptions {
  const { minVersion, ciphers, ecdhCurve, honorCipherOrder } = tlsProtocolOptions(profile);
  return {
    cert: credentials.certPem,
    key: credentials.keyPem,
    ...(credentials.caPem !== undefined ? { ca: credentials.caPem } : {}),
    minVersion,
    ciphers,
    ecdhCurve,
    honorCipherOrder,
  };
}

/** A SecureContext (e.g. for an SNICallback). Throws (from OpenSSL) when the key does not match the certificate. */
export function createServerSecureContext(
  credentials: ServerCredentials,
  profile: TlsProfile = 'intermediate',
): SecureContext {
  return createSecureContext(serverSecureContextOptions(credentials, profile));
}

function supportedCurves(wanted: readonly string[]): string {
  return wanted.filter((curve) => curveSupported(curve)).join(':');
}

function curveSupported(curve: string): boolean {
  try {
    createSecureContext({ ecdhCurve: curve });
    return true;
  } catch {
    return false;
  }
}
