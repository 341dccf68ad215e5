import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A certificate and its private key, PEM encoded (the key as PKCS #8). */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A certificate authority that can sign more certificates (tests and development only). */
export interface TestCa extends PemPair {
  readonly certificate: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

/** Explicit validity window, e.g. to issue an already expired certificate in a test. */
export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const DAY_MS = 86_400_000;
// Issued certificates start a minute in the past so a peer whose clock is slightly behind
// does not reject a certificate generated a moment ago.
const BACKDATE_MS = 60_000;

// Mozilla server-side TLS (intermediate and modern): ECDSA P-256 certificates signed with SHA-256.
const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * A self-signed ECDSA P-256 server certificate for local development, with every host in the
 * subject alternative names (RFC 6125 §6.4.4: clients match SANs, not the common name).
 */
export async function generateDevCertificate(
  options: { hosts?: readonly string[]; days?: number } = {},
): Promise<PemPair> {
  const hosts = options.hosts ?? ['localhost', '127.0.0.1', '::1'];
  const days = options.days ?? 90;
  checkHosts(hosts);
  checkDays(days);
  const keys = await generateKeys();
  const validity = windowOf(days);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [hosts[0]!] }, { O: ['Portcullis development'] }],
    ...validity,
    signingAlgorithm: EC_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(hostNames(hosts)),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A throw-away root CA for mutual-TLS tests. */
export async function createTestCa(options: { name?: string; days?: number } = {}): Promise<TestCa> {
  const days = options.days ?? 30;
  checkDays(days);
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [options.name ?? 'Portcullis test CA'] }],
    ...windowOf(days),
    signingAlgorithm: EC_ALGORITHM,
    keys,
    extensions: [
      // RFC 5280 §4.2.1.9: a CA marks basicConstraints critical; path length 0 = signs leaves only.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate,
    keys,
    certPem: certificate.toString('pem'),
    keyPem: await privateKeyPem(keys.privateKey),
  };
}

/** A server certificate for `hosts`, signed by the test CA. */
export async function issueServerCert(
  ca: TestCa,
  hosts: readonly string[],
  options: { days?: number; validity?: Validity } = {},
): Promise<PemPair> {
  checkHosts(hosts);
  return issue(ca, {
    subject: [{ CN: [hosts[0]!] }],
    validity: options.validity ?? windowOf(checkDays(options.days ?? 30)),
    usage: x509.ExtendedKeyUsage.serverAuth,
    altNames: hostNames(hosts),
  });
}

/**
 * A client certificate signed by the test CA. `sanUri` (e.g. a SPIFFE ID) and `sanEmail` go
 * into the subject alternative names, which is where RFC 8705 §2.1.2 looks for a client's identity.
 */
export async function issueClientCert(
  ca: TestCa,
  options: { cn: string; sanUri?: string; sanEmail?: string; days?: number; validity?: Validity },
): Promise<PemPair> {
  if (options.cn === '') throw new TypeError('a client certificate needs a common name');
  const altNames: x509.JsonGeneralName[] = [];
  if (options.sanUri !== undefined) altNames.push({ type: 'url', value: options.sanUri });
  if (options.sanEmail !== undefined) altNames.push({ type: 'email', value: options.sanEmail });
  return issue(ca, {
    subject: [{ CN: [options.cn] }],
    validity: options.validity ?? windowOf(checkDays(options.days ?? 30)),
    usage: x509.ExtendedKeyUsage.clientAuth,
    altNames,
  });
}

async function issue(
  ca: TestCa,
  leaf: { subject: x509.JsonName; validity: Validity; usage: string; altNames: x509.JsonGeneralName[] },
): Promise<PemPair> {
  const keys = await generateKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([leaf.usage]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (leaf.altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(leaf.altNames));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: leaf.subject,
    issuer: ca.certificate.subjectName,
    ...leaf.validity,
    signingAlgorithm: EC_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { certPem: certificate.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  // Extractable so the private key can be written out as PEM for the TLS layer.
  return webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

// RFC 5280 §4.1.2.2: a positive integer of at most 20 octets; 16 random octets with the top bit
// cleared keep it positive, and the randomness makes serials unique without a counter.
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes.toString('hex');
}

function windowOf(days: number): Validity {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

function hostNames(hosts: readonly string[]): x509.JsonGeneralName[] {
  return hosts.map((host) => ({ type: isIP(host) === 0 ? 'dns' : 'ip', value: host }));
}

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function checkHosts(hosts: readonly string[]): void {
  if (hosts.length === 0) throw new TypeError('a server certificate needs at least one host name');
  for (const host of hosts) {
    if (isIP(host) === 0 && (host.length > 253 || !DNS_NAME.test(host))) {
      throw new TypeError(`"${host}" is neither an IP address nor a DNS name`);
    }
  }
}

// Mozilla intermediate: certificates live at most 366 days.
function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new TypeError(`certificate lifetime must be a whole number of days from 1 to 366, not ${days}`);
  }
  return days;
}
