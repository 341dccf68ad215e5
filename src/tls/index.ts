export {
  createTestCa,
  generateDevCertificate,
  issueClientCert,
  issueServerCert,
  type PemPair,
  type TestCa,
  type Validity,
} from './certificates.js';
export {
  type CertificateReloader,
  type CertificateReloaderOptions,
  type CertificateUpdate,
  createCertificateReloader,
} from './reloader.js';
export {
  ALPN_PROTOCOLS,
  createServerSecureContext,
  ECDH_CURVES,
  MOZILLA_INTERMEDIATE_CIPHERS,
  MOZILLA_MODERN_CIPHERS,
  type ServerCredentials,
  serverSecureContextOptions,
  TLS_PROFILES,
  type TlsProfile,
  type TlsProtocolOptions,
  tlsProtocolOptions,
} from './settings.js';
export { CertificateError, type CertificateInfo, checkCertificatePair, splitPemCertificates } from './validate.js';
