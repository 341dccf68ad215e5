import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import type { Identity } from '../pipeline/identity.js';

export type SubjectSource = 'san-uri' | 'san-dns' | 'san-email' | 'cn';

export interface MtlsOptions {
  /** SHA-256 fingerprints (hex, colons optional) of the CAs whose clients this route accepts. */
  readonly caFingerprints: readonly string[];
  /**
   * The pinned CA certificates themselves, when known: lets us check issuance from the leaf
   * alone (the TLS layer may hand over the leaf without its chain).
   */
  readonly caCertificates?: readonly X509Certificate[];
  /** Where the subject comes from, tried in order. */
  readonly subjectFrom: readonly SubjectSource[];
  /** Roles given to every certificate-authenticated client (a machine identity has no user record). */
  readonly roles?: readonly string[];
}

export type MtlsResult =
  | { ok: true; identity: Identity }
  | { ok: false; reason: 'no_certificate' | 'ca_not_pinned' | 'no_subject' };

export function normaliseFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toLowerCase();
}

/**
 * Identity from a client certificate the TLS layer already verified (ctx.peer.certificate is
 * present only then, T-9). The chain must also pass through one of the pinned CAs: the
 * listener may trust several CAs for different purposes, and a route names the ones it accepts.
 */
export function identityFromCertificate(cert: PeerCertificate | undefined, options: MtlsOptions): MtlsResult {
  if (!cert?.raw || cert.raw.length === 0) return { ok: false, reason: 'no_certificate' };
  const pinned = new Set(options.caFingerprints.map(normaliseFingerprint));
  if (
    !chainHasPinned(cert as DetailedPeerCertificate, pinned) &&
    !issuedByPinned(cert, options.caCertificates ?? [], pinned)
  ) {
    return { ok: false, reason: 'ca_not_pinned' };
  }
  const subject = pickSubject(cert, options.subjectFrom);
  if (subject === undefined) return { ok: false, reason: 'no_subject' };
  return {
    ok: true,
    identity: {
      subject,
      method: 'mtls',
      roles: options.roles ?? [],
      scopes: [],
      claims: {
        sub: subject,
        x5t_s256: Buffer.from(normaliseFingerprint(cert.fingerprint256), 'hex').toString('base64url'),
        serial: cert.serialNumber,
      },
      expiresAt: Math.floor(Date.parse(cert.valid_to) / 1000),
    },
  };
}

function chainHasPinned(cert: DetailedPeerCertificate, pinned: ReadonlySet<string>): boolean {
  // The leaf itself is not a CA; walk the issuers (getPeerCertificate(true) links them; a
  // self-signed root points at itself).
  let current: DetailedPeerCertificate | undefined = cert.issuerCertificate;
  for (let depth = 0; current && depth < 10; depth++) {
    if (current.fingerprint256 && pinned.has(normaliseFingerprint(current.fingerprint256))) return true;
    if (current.issuerCertificate === current) break;
    current = current.issuerCertificate;
  }
  return false;
}

/** The leaf's signature verifies under a pinned CA certificate's key (RFC 5280 §6.1.3 (a)(1), one step). */
function issuedByPinned(cert: PeerCertificate, cas: readonly X509Certificate[], pinned: ReadonlySet<string>): boolean {
  if (cas.length === 0) return false;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert.raw);
  } catch {
    return false;
  }
  return cas.some(
    (ca) => pinned.has(normaliseFingerprint(ca.fingerprint256)) && leaf.checkIssued(ca) && leaf.verify(ca.publicKey),
  );
}

/** Every certificate in a PEM bundle. */
export function readPemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

function pickSubject(cert: PeerCertificate, sources: readonly SubjectSource[]): string | undefined {
  const san = parseSan(cert.subjectaltname ?? '');
  for (const source of sources) {
    if (source === 'cn') {
      const cn = cert.subject?.CN;
      const value = Array.isArray(cn) ? cn[0] : cn;
      if (value) return value;
      continue;
    }
    const kind = source === 'san-uri' ? 'URI' : source === 'san-dns' ? 'DNS' : 'email';
    const found = san.find((e) => e.kind === kind);
    if (found) return found.value;
  }
  return undefined;
}

/** Node renders SANs as `DNS:a.example, URI:spiffe://x, email:a@b`; values with commas are JSON-quoted. */
function parseSan(text: string): { kind: string; value: string }[] {
  const out: { kind: string; value: string }[] = [];
  const re = /(DNS|URI|email|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (let m = re.exec(text); m !== null && m[0] !== ''; m = re.exec(text)) {
    let value = m[2]!;
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    out.push({ kind: m[1]!, value });
  }
  return out;
}
