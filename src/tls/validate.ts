import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import type { ServerCredentials } from './settings.js';

/** Facts about a server certificate that passed checkCertificatePair(). */
export interface CertificateInfo {
  readonly subject: string;
  readonly subjectAltName: string | undefined;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Whole days until notAfter (0 on the last day). */
  readonly daysLeft: number;
  /** SHA-256 fingerprint of the leaf, colon-separated hex, as Node prints it. */
  readonly fingerprint256: string;
  /** Certificates in the client CA bundle, 0 when none is configured. */
  readonly clientCaCount: number;
}

/** Why new certificate material was refused; the message is one plain sentence for the log. */
export class CertificateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateError';
  }
}

const DAY_MS = 86_400_000;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks what a listener is about to serve: the first certificate of the chain file parses, the
 * private key parses and is the certificate's key, the certificate is inside its validity window,
 * and the optional client CA bundle holds at least one parseable certificate. Throws
 * CertificateError; never logs key material.
 */
export function checkCertificatePair(credentials: ServerCredentials, now: Date = new Date()): CertificateInfo {
  const chain = splitPemCertificates(credentials.certPem);
  if (chain.length === 0) throw new CertificateError('the certificate file holds no PEM certificate');
  const leaf = parseCertificate(chain[0]!, 'the certificate');
  for (let i = 1; i < chain.length; i++) parseCertificate(chain[i]!, `certificate ${i + 1} of the chain file`);

  let key: KeyObject;
  try {
    key = createPrivateKey(extractPrivateKeyPem(credentials.keyPem));
  } catch (error) {
    throw new CertificateError('the key file holds no readable unencrypted private key', { cause: error });
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateError(`the private key does not belong to the certificate for ${leaf.subject.trim()}`);
  }
  checkKeyStrength(key);

  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now.getTime() > notAfter.getTime()) {
    throw new CertificateError(`the certificate expired on ${notAfter.toISOString()}`);
  }
  if (now.getTime() < notBefore.getTime()) {
    throw new CertificateError(`the certificate is not valid before ${notBefore.toISOString()}`);
  }

  let clientCaCount = 0;
  if (credentials.caPem !== undefined) {
    const cas = splitPemCertificates(credentials.caPem);
    if (cas.length === 0) throw new CertificateError('the client CA file holds no PEM certificate');
    cas.forEach((pem, i) => {
      const ca = parseCertificate(pem, `client CA certificate ${i + 1}`);
      // RFC 5280 §4.2.1.9: only a certificate with cA=true may verify others; a leaf here would
      // make every client certificate fail, which is better caught now than at the first handshake.
      if (!ca.ca) throw new CertificateError(`client CA certificate ${i + 1} (${ca.subject.trim()}) is not a CA`);
    });
    clientCaCount = cas.length;
  }

  return {
    subject: leaf.subject.trim(),
    subjectAltName: leaf.subjectAltName,
    issuer: leaf.issuer.trim(),
    notBefore,
    notAfter,
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
    fingerprint256: leaf.fingerprint256,
    clientCaCount,
  };
}

// Mozilla server-side TLS v6.0 (intermediate and modern) and ASVS 12.1: RSA of at least 2048 bits,
// or ECDSA on P-256 / P-384, the curves browsers support for certificates.
const ACCEPTED_CURVES = new Set(['prime256v1', 'secp384r1']);
const MIN_RSA_BITS = 2048;

function checkKeyStrength(key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw new CertificateError(
        `the RSA key has ${details.modulusLength} bits; at least ${MIN_RSA_BITS} are required`,
      );
    }
    return;
  }
  if (type === 'ec') {
    if (!ACCEPTED_CURVES.has(details.namedCurve ?? '')) {
      throw new CertificateError(`the EC key uses curve ${details.namedCurve}; use P-256 or P-384`);
    }
    return;
  }
  throw new CertificateError(
    `a ${type} key is not accepted for a server certificate; use ECDSA P-256/P-384 or RSA 2048+`,
  );
}

export function splitPemCertificates(pem: string): string[] {
  return pem.match(PEM_CERTIFICATE) ?? [];
}

// PKCS #8 ("PRIVATE KEY"), PKCS #1 ("RSA PRIVATE KEY") and SEC 1 ("EC PRIVATE KEY") blocks.
const PEM_PRIVATE_KEY = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?)PRIVATE KEY-----[\s\S]+?-----END \1PRIVATE KEY-----/;

/**
 * The private-key block of a PEM file, which may also hold the certificate chain (one combined
 * file) or text around the blocks (openssl pkcs12 "Bag Attributes"); OpenSSL refuses both as is.
 * Returns the input unchanged when there is no key block, so the parse error stays OpenSSL's.
 */
export function extractPrivateKeyPem(pem: string): string {
  return pem.match(PEM_PRIVATE_KEY)?.[0] ?? pem;
}

/**
 * Only the PEM blocks TLS needs: the certificate chain and the private key, each in its own
 * string, whatever else the files hold (both may be one combined file).
 */
export function normalizeCredentials(raw: ServerCredentials): ServerCredentials {
  const chain = splitPemCertificates(raw.certPem);
  return {
    certPem: chain.length > 0 ? `${chain.join('\n')}\n` : raw.certPem,
    keyPem: extractPrivateKeyPem(raw.keyPem),
    ...(raw.caPem !== undefined ? { caPem: raw.caPem } : {}),
  };
}

function parseCertificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new CertificateError(`${what} is not a valid X.509 certificate`, { cause: error });
  }
}
