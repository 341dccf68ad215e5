import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ConnectionOptions, connect, createServer, type Server, type TLSSocket } from 'node:tls';
import {
  createTestCa,
  issueClientCert,
  issueServerCert,
  type PemPair,
  serverSecureContextOptions,
  type TestCa,
  type TlsProfile,
  tlsProtocolOptions,
} from '../../src/tls/index.js';

const DAY = 86_400_000;

interface Outcome {
  readonly ok: boolean;
  readonly protocol?: string | null;
  readonly cipher?: string;
  readonly alpn?: string | false | null;
  readonly fingerprint?: string;
  readonly error?: string;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function handshake(port: number, options: ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      socket.destroy();
    };
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
    socket.setTimeout(3000, () => settle({ ok: false, error: 'timeout' }));
    // TLS 1.3 client certificates are checked after the client's Finished: success is the
    // server's first application data, not secureConnect.
    socket.once('data', () => {
      const peer = socket.getPeerX509Certificate();
      settle({
        ok: true,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().standardName,
        alpn: socket.alpnProtocol,
        ...(peer ? { fingerprint: peer.fingerprint256 } : {}),
      });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => settle({ ok: false, error: error.code ?? error.message }));
    socket.once('close', () => settle({ ok: false, error: 'closed before any data' }));
  });
}

function gatewayLike(pair: PemPair, profile: TlsProfile, caPem?: string): Server {
  const server = createServer(
    {
      ...tlsProtocolOptions(profile),
      ...serverSecureContextOptions({ ...pair, ...(caPem !== undefined ? { caPem } : {}) }, profile),
      ...(caPem !== undefined ? { requestCert: true, rejectUnauthorized: true } : {}),
    },
    (socket) => socket.end('hello'),
  );
  server.on('tlsClientError', () => {});
  return server;
}

describe('TLS listener settings over real sockets', () => {
  let ca: TestCa;
  let pair: PemPair;
  let server: Server;
  let port: number;
  const trust = (): ConnectionOptions => ({ ca: ca.certPem });

  before(async () => {
    ca = await createTestCa();
    pair = await issueServerCert(ca, ['localhost', '127.0.0.1']);
    server = gatewayLike(pair, 'intermediate');
    port = await listen(server);
  });
  after(() => server.close());

  test('TLS 1.3 is negotiated by default and ALPN prefers h2', async () => {
    const outcome = await handshake(port, { ...trust(), ALPNProtocols: ['http/1.1', 'h2'] });
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.protocol, 'TLSv1.3');
    assert.equal(outcome.alpn, 'h2');
    const http1 = await handshake(port, { ...trust(), ALPNProtocols: ['http/1.1'] });
    assert.equal(http1.alpn, 'http/1.1');
  });

  test('TLS 1.2 works with an ECDHE AEAD suite (Mozilla intermediate)', async () => {
    const outcome = await handshake(port, {
      ...trust(),
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    });
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.protocol, 'TLSv1.2');
    assert.equal(outcome.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  });

  test('TLS 1.2 CBC and static-RSA suites are refused', async () => {
    for (const ciphers of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'AES128-SHA', 'AES128-GCM-SHA256']) {
      const outcome = await handshake(port, { ...trust(), maxVersion: 'TLSv1.2', ciphers });
      // The alert comes from the server: this client completes the same handshake with a permissive server.
      // (OpenSSL 3.0, Node 20/22: ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE; OpenSSL 3.5, Node 24:
      // ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE.)
      assert.match(
        outcome.error ?? '',
        /^ERR_SSL_SSL(V3|\/TLS)_ALERT_HANDSHAKE_FAILURE$/,
        `${ciphers} must be refused`,
      );
    }
  });

  test('TLS 1.1 and 1.0 are refused by the server', async () => {
    const outcome = await handshake(port, {
      ...trust(),
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    assert.equal(outcome.error, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  test('the modern profile refuses TLS 1.2', async () => {
    const modern = gatewayLike(pair, 'modern');
    const modernPort = await listen(modern);
    try {
      assert.equal((await handshake(modernPort, trust())).protocol, 'TLSv1.3');
      const outcome = await handshake(modernPort, { ...trust(), maxVersion: 'TLSv1.2' });
      assert.equal(outcome.ok, false);
    } finally {
      modern.close();
    }
  });

  test('setSecureContext with a reloaded pair serves the new certificate to new connections', async () => {
    const swapped = gatewayLike(pair, 'intermediate');
    const swappedPort = await listen(swapped);
    try {
      const first = await handshake(swappedPort, trust());
      assert.equal(first.fingerprint, new X509Certificate(pair.certPem).fingerprint256);
      const next = await issueServerCert(ca, ['localhost']);
      swapped.setSecureContext(serverSecureContextOptions(next));
      const second = await handshake(swappedPort, trust());
      assert.equal(second.ok, true, second.error);
      assert.equal(second.fingerprint, new X509Certificate(next.certPem).fingerprint256);
    } finally {
      swapped.close();
    }
  });
});

describe('mutual TLS with the test PKI', () => {
  let ca: TestCa;
  let server: Server;
  let port: number;

  before(async () => {
    ca = await createTestCa();
    server = gatewayLike(await issueServerCert(ca, ['localhost']), 'intermediate', ca.certPem);
    port = await listen(server);
  });
  after(() => server.close());

  test('a client certificate from the configured CA is accepted', async () => {
    const client = await issueClientCert(ca, { cn: 'svc-a', sanUri: 'spiffe://example.org/svc-a' });
    const outcome = await handshake(port, { ca: ca.certPem, cert: client.certPem, key: client.keyPem });
    assert.equal(outcome.ok, true, outcome.error);
  });

  test('no certificate, a foreign CA, or an expired certificate is refused', async () => {
    const foreign = await issueClientCert(await createTestCa({ name: 'Foreign CA' }), { cn: 'svc-a' });
    const expired = await issueClientCert(ca, {
      cn: 'svc-a',
      validity: { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) },
    });
    for (const [what, credentials] of [
      ['none', {}],
      ['foreign', { cert: foreign.certPem, key: foreign.keyPem }],
      ['expired', { cert: expired.certPem, key: expired.keyPem }],
    ] as const) {
      const outcome = await handshake(port, { ca: ca.certPem, ...credentials });
      assert.equal(outcome.ok, false, `${what} must be refused`);
    }
  });
});
