import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { createTestCa, generateDevCertificate, type PemPair } from './certificates.js';
import { type CertificateReloader, type CertificateUpdate, createCertificateReloader } from './reloader.js';
import { CertificateError } from './validate.js';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function capture() {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { lines, logger };
}

function fingerprint(pem: unknown): string {
  return new X509Certificate(String(pem)).fingerprint256;
}

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pc-tls-'));
  dirs.push(dir);
  return dir;
}

/** Writes beside the target, then renames over it: how cert-manager and most tools replace files. */
function writeAtomically(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

function waitFor<T>(register: (resolve: (value: T) => void) => void, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing happened within ${ms} ms`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

function setup(pair: PemPair) {
  const dir = tempDir();
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, pair.certPem);
  writeFileSync(keyPath, pair.keyPem, { mode: 0o600 });
  return { dir, certPath, keyPath };
}

describe('createCertificateReloader', () => {
  test('loads the initial pair and refuses a bad one at start', async () => {
    const pair = await generateDevCertificate();
    const { certPath, keyPath } = setup(pair);
    const { logger } = capture();
    const reloader = createCertificateReloader({ certPath, keyPath, logger, onReload: () => {} });
    try {
      assert.equal(reloader.current.info.subject.startsWith('CN=localhost'), true);
      assert.equal(fingerprint(reloader.current.options.cert), fingerprint(pair.certPem));
      assert.equal(reloader.current.options.minVersion, 'TLSv1.2');
      assert.equal(await reloader.reload(), false, 'unchanged files are not a reload');
    } finally {
      reloader.close();
    }

    assert.throws(
      () => createCertificateReloader({ certPath: `${certPath}.missing`, keyPath, logger, onReload: () => {} }),
      (error: unknown) =>
        error instanceof CertificateError && /cannot read .*cert\.pem\.missing \(ENOENT\)/.test(error.message),
    );
    const other = await generateDevCertificate();
    writeFileSync(keyPath, other.keyPem);
    assert.throws(
      () => createCertificateReloader({ certPath, keyPath, logger, onReload: () => {} }),
      (error: unknown) => error instanceof CertificateError,
    );
  });

  test('picks up an atomically renamed new pair through fs.watch', async () => {
    const { certPath, keyPath } = setup(await generateDevCertificate());
    const { lines, logger } = capture();
    let reloader: CertificateReloader | undefined;
    const next = await generateDevCertificate();
    const updated = waitFor<CertificateUpdate>((resolve) => {
      reloader = createCertificateReloader({
        certPath,
        keyPath,
        logger,
        debounceMs: 50,
        pollIntervalMs: 60_000,
        onReload: resolve,
      });
    });
    const before = reloader!.current.info.fingerprint256;
    try {
      writeAtomically(keyPath, next.keyPem);
      writeAtomically(certPath, next.certPem);
      const update = await updated;
      assert.notEqual(update.info.fingerprint256, before);
      assert.equal(fingerprint(update.options.cert), fingerprint(next.certPem));
      assert.equal(reloader!.current, update);
      assert.ok(lines.some((line) => line.msg === 'TLS certificate reloaded'));
      assert.ok(!lines.some((line) => JSON.stringify(line).includes('PRIVATE KEY')), 'key material never logged');
    } finally {
      reloader!.close();
    }
  });

  test('a mismatched new key keeps the old material and says why', async () => {
    const pair = await generateDevCertificate();
    const { certPath, keyPath } = setup(pair);
    const { lines, logger } = capture();
    let reloads = 0;
    let reloader: CertificateReloader | undefined;
    const refused = waitFor<Error>((resolve) => {
      reloader = createCertificateReloader({
        certPath,
        keyPath,
        logger,
        debounceMs: 50,
        onReload: () => reloads++,
        onError: resolve,
      });
    });
    const original = reloader!.current;
    try {
      writeAtomically(keyPath, (await generateDevCertificate()).keyPem);
      const error = await refused;
      assert.ok(error instanceof CertificateError);
      assert.match(error.message, /does not belong to the certificate/);
      assert.equal(reloader!.current, original);
      assert.equal(reloads, 0);
      const warning = lines.find((line) => line.level === 40 && line.msg.startsWith('new TLS certificate refused'));
      assert.ok(warning, 'a warning explains the refusal');
      assert.match(warning.msg, /does not belong/);

      // Repairing the file recovers on the next change.
      writeAtomically(keyPath, pair.keyPem);
      assert.equal(await reloader!.reload(), false, 'same content as the material in use');
    } finally {
      reloader!.close();
    }
  });

  test('a missing or truncated file mid-rotation keeps the old material', async () => {
    const { certPath, keyPath } = setup(await generateDevCertificate());
    const { logger } = capture();
    const errors: Error[] = [];
    const reloader = createCertificateReloader({
      certPath,
      keyPath,
      logger,
      watch: false,
      onReload: () => assert.fail('must not reload'),
      onError: (error) => errors.push(error),
    });
    const original = reloader.current;
    try {
      rmSync(certPath);
      assert.equal(await reloader.reload(), false);
      writeFileSync(certPath, '-----BEGIN CERTIFICATE-----\nMIIB');
      assert.equal(await reloader.reload(), false);
      assert.equal(reloader.current, original);
      assert.equal(errors.length, 2);
      assert.match(errors[0]!.message, /cannot read .*cert\.pem \(ENOENT\)/);
      assert.match(errors[1]!.message, /no PEM certificate/);
    } finally {
      reloader.close();
    }
  });

  test('polling alone notices a change when watching is off', async () => {
    const { certPath, keyPath } = setup(await generateDevCertificate());
    const { logger } = capture();
    const next = await generateDevCertificate();
    let reloader: CertificateReloader | undefined;
    const updated = waitFor<CertificateUpdate>((resolve) => {
      reloader = createCertificateReloader({
        certPath,
        keyPath,
        logger,
        watch: false,
        debounceMs: 20,
        pollIntervalMs: 50,
        onReload: resolve,
      });
    });
    try {
      writeFileSync(keyPath, next.keyPem);
      writeFileSync(certPath, next.certPem);
      assert.equal((await updated).options.key, next.keyPem);
    } finally {
      reloader!.close();
    }
  });

  test('reloads the client CA bundle with the pair', async () => {
    const ca = await createTestCa();
    const { dir, certPath, keyPath } = setup(await generateDevCertificate());
    const caPath = join(dir, 'ca.pem');
    writeFileSync(caPath, ca.certPem);
    const { logger } = capture();
    const reloader = createCertificateReloader({ certPath, keyPath, caPath, logger, watch: false, onReload: () => {} });
    try {
      assert.equal(reloader.current.info.clientCaCount, 1);
      const second = await createTestCa({ name: 'Second CA' });
      writeFileSync(caPath, ca.certPem + second.certPem);
      assert.equal(await reloader.reload(), true);
      assert.equal(reloader.current.info.clientCaCount, 2);
      assert.equal(reloader.current.options.ca, ca.certPem + second.certPem);
    } finally {
      reloader.close();
    }
  });

  test('warns when fewer than 14 days are left', async () => {
    const { certPath, keyPath } = setup(await generateDevCertificate({ days: 5 }));
    const { lines, logger } = capture();
    createCertificateReloader({ certPath, keyPath, logger, watch: false, onReload: () => {} }).close();
    const warning = lines.find((line) => line.level === 40);
    assert.ok(warning);
    assert.match(warning.msg, /expires in 4 days/);

    const fresh = setup(await generateDevCertificate({ days: 90 }));
    const quiet = capture();
    createCertificateReloader({ ...fresh, logger: quiet.logger, watch: false, onReload: () => {} }).close();
    assert.equal(quiet.lines.filter((line) => line.level === 40).length, 0);
  });
});

describe('private key file permissions', () => {
  test('a key readable by other users is reported, a 0600 key is not', async (t) => {
    if (process.platform === 'win32') return t.skip('POSIX file modes only');
    const { certPath, keyPath } = setup(await generateDevCertificate());
    chmodSync(keyPath, 0o644);
    const loose = capture();
    createCertificateReloader({ certPath, keyPath, logger: loose.logger, watch: false, onReload: () => {} }).close();
    const warning = loose.lines.find((line) => line.msg.includes('readable by other users'));
    assert.ok(warning);
    assert.equal(warning.mode, '644');

    chmodSync(keyPath, 0o600);
    const tight = capture();
    createCertificateReloader({ certPath, keyPath, logger: tight.logger, watch: false, onReload: () => {} }).close();
    assert.equal(tight.lines.filter((line) => line.level >= 40).length, 0);
  });
});

describe('combined PEM files', () => {
  test('certificate and key in one file (with text around the blocks) load and reload', async () => {
    const dir = tempDir();
    const path = join(dir, 'combined.pem');
    const first = await generateDevCertificate();
    writeFileSync(path, `Bag Attributes\n    friendlyName: gw\n${first.certPem}${first.keyPem}`, { mode: 0o600 });
    const { logger } = capture();
    const reloader = createCertificateReloader({
      certPath: path,
      keyPath: path,
      logger,
      watch: false,
      onReload: () => {},
    });
    try {
      assert.equal(fingerprint(reloader.current.options.cert), fingerprint(first.certPem));
      assert.match(
        String(reloader.current.options.key),
        /^-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----$/,
      );
      const next = await generateDevCertificate();
      writeFileSync(path, `${next.keyPem}${next.certPem}`);
      assert.equal(await reloader.reload(), true);
      assert.equal(fingerprint(reloader.current.options.cert), fingerprint(next.certPem));
    } finally {
      reloader.close();
    }
  });
});
