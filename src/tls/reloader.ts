import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, statSync, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import { serverSecureContextOptions, type TlsProfile } from './settings.js';
import { CertificateError, type CertificateInfo, checkCertificatePair, normalizeCredentials } from './validate.js';

/** What a listener needs to serve a (new) certificate. */
export interface CertificateUpdate {
  /** Pass to server.setSecureContext(): it takes options and builds its own context. */
  readonly options: SecureContextOptions;
  /** The same material as a SecureContext, for an SNICallback. */
  readonly context: SecureContext;
  readonly info: CertificateInfo;
}

export interface CertificateReloaderOptions {
  readonly certPath: string;
  readonly keyPath: string;
  /** Client CA bundle for mTLS; reloaded together with the pair. */
  readonly caPath?: string;
  readonly profile?: TlsProfile;
  /** Called with each new, validated material (not for the initial load: read `current`). */
  readonly onReload: (update: CertificateUpdate) => void;
  /** Called when new files were refused; the previous material stays in use. */
  readonly onError?: (error: Error) => void;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Quiet time after the last file event before reloading, so cert and key land together. */
  readonly debounceMs?: number;
  /** Stat-polling period: the fallback where fs.watch misses events (network and some container filesystems). */
  readonly pollIntervalMs?: number;
  /** fs.watch the directories (default true); false leaves only the stat polling. */
  readonly watch?: boolean;
  /** Log a warning when the certificate has fewer days left than this. */
  readonly expiryWarningDays?: number;
}

export interface CertificateReloader {
  /** The material in use: the initial load, or the last successful reload. */
  readonly current: CertificateUpdate;
  /** Reads the files now; resolves true when new material was installed. */
  reload(): Promise<boolean>;
  close(): void;
}

const DAY_MS = 86_400_000;

/**
 * Loads the certificate, key and optional client CA, then watches them. Reads and validates
 * synchronously first, so a bad initial file is a startup error (CertificateError). Later
 * changes are validated before use: a bad or half-written new file keeps the old material and
 * logs why.
 */
export function createCertificateReloader(options: CertificateReloaderOptions): CertificateReloader {
  return new FileCertificateReloader(options);
}

class FileCertificateReloader implements CertificateReloader {
  readonly #options: CertificateReloaderOptions;
  readonly #paths: readonly string[];
  readonly #debounceMs: number;
  readonly #warningDays: number;
  readonly #watchers: FSWatcher[] = [];
  readonly #poller: NodeJS.Timeout;
  #current: CertificateUpdate;
  #digest: string;
  #statSignature = '';
  #debounce: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;
  #rerun = false;
  #lastExpiryWarning = 0;
  #closed = false;

  constructor(options: CertificateReloaderOptions) {
    this.#options = options;
    this.#paths = [options.certPath, options.keyPath, ...(options.caPath !== undefined ? [options.caPath] : [])];
    this.#debounceMs = options.debounceMs ?? 250;
    this.#warningDays = options.expiryWarningDays ?? 14;

    const contents = this.#paths.map((path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        throw new CertificateError(`cannot read ${path} (${codeOf(error)})`, { cause: error });
      }
    });
    this.#current = this.#build(contents);
    this.#digest = digestOf(contents);
    this.#statSignature = this.#statNowSync();
    this.#warnIfExpiring();
    this.#warnIfKeyExposed();

    // Watch the directories, not the files: an atomic rename (and the Kubernetes ..data symlink
    // swap) replaces the inode, after which a watch on the old file reports nothing.
    if (options.watch !== false) for (const dir of new Set(this.#paths.map((path) => dirname(path)))) this.#watch(dir);
    this.#poller = setInterval(() => void this.#poll(), options.pollIntervalMs ?? 10_000);
    this.#poller.unref();
  }

  get current(): CertificateUpdate {
    return this.#current;
  }

  reload(): Promise<boolean> {
    if (this.#running) {
      this.#rerun = true;
      return this.#running;
    }
    this.#running = this.#reloadOnce().finally(() => {
      this.#running = undefined;
      if (this.#rerun && !this.#closed) {
        this.#rerun = false;
        void this.reload();
      }
    });
    return this.#running;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#poller);
    if (this.#debounce) clearTimeout(this.#debounce);
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers.length = 0;
  }

  async #reloadOnce(): Promise<boolean> {
    const { logger } = this.#options;
    const contents: string[] = [];
    for (const path of this.#paths) {
      try {
        contents.push(await readFile(path, 'utf8'));
      } catch (error) {
        return this.#refuse(new CertificateError(`cannot read ${path} (${codeOf(error)})`, { cause: error }));
      }
    }
    const digest = digestOf(contents);
    if (digest === this.#digest || this.#closed) return false;
    let update: CertificateUpdate;
    try {
      update = this.#build(contents);
    } catch (error) {
      return this.#refuse(error instanceof Error ? error : new Error(String(error)));
    }
    this.#current = update;
    this.#digest = digest;
    logger.info(
      {
        subject: update.info.subject,
        notAfter: update.info.notAfter.toISOString(),
        fingerprint256: update.info.fingerprint256,
      },
      'TLS certificate reloaded',
    );
    this.#lastExpiryWarning = 0;
    this.#warnIfExpiring();
    this.#warnIfKeyExposed();
    try {
      this.#options.onReload(update);
    } catch (error) {
      logger.error({ err: error }, 'installing the reloaded TLS certificate failed');
    }
    return true;
  }

  #build(contents: readonly string[]): CertificateUpdate {
    const credentials = normalizeCredentials({
      certPem: contents[0]!,
      keyPem: contents[1]!,
      ...(contents[2] !== undefined ? { caPem: contents[2] } : {}),
    });
    const info = checkCertificatePair(credentials);
    const options = serverSecureContextOptions(credentials, this.#options.profile);
    let context: SecureContext;
    try {
      context = createSecureContext(options);
    } catch (error) {
      throw new CertificateError(`OpenSSL refused the certificate material (${codeOf(error)})`, { cause: error });
    }
    return { options, context, info };
  }

  #refuse(error: Error): false {
    this.#options.logger.warn(
      { err: error, certPath: this.#options.certPath, keyPath: this.#options.keyPath },
      `new TLS certificate refused, the previous one stays in use: ${error.message}`,
    );
    try {
      this.#options.onError?.(error);
    } catch (callbackError) {
      this.#options.logger.error({ err: callbackError }, 'certificate reload error handler threw');
    }
    return false;
  }

  #watch(dir: string): void {
    try {
      // Every event counts, not only our file names: Kubernetes swaps a ..data symlink and atomic
      // writers rename a temporary file. The content digest decides whether anything changed.
      const watcher = watch(dir, { persistent: false }, () => this.#schedule());
      watcher.on('error', (error) => {
        this.#options.logger.warn({ err: error, dir }, 'watching certificate directory failed; polling only');
        watcher.close();
      });
      this.#watchers.push(watcher);
    } catch (error) {
      this.#options.logger.warn({ err: error, dir }, 'cannot watch certificate directory; polling only');
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      void this.reload();
    }, this.#debounceMs);
    this.#debounce.unref();
  }

  async #poll(): Promise<void> {
    this.#warnIfExpiring();
    let signature: string;
    try {
      const stats = await Promise.all(this.#paths.map((path) => stat(path)));
      signature = stats.map((s) => `${s.ino}:${s.size}:${s.mtimeMs}`).join('|');
    } catch {
      // A file missing for a moment (mid-rename) is normal; the next tick will see it.
      return;
    }
    if (signature !== this.#statSignature) {
      this.#statSignature = signature;
      this.#schedule();
    }
  }

  #statNowSync(): string {
    return this.#paths
      .map((path) => {
        const s = statSync(path);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      })
      .join('|');
  }

  // ASVS 13.3.1: key material readable only by the service account. A warning, not a refusal:
  // containers often mount secrets 0644 under a dedicated user, which is acceptable there.
  #warnIfKeyExposed(): void {
    if (process.platform === 'win32') return;
    try {
      const mode = statSync(this.#options.keyPath).mode;
      if ((mode & 0o077) !== 0) {
        this.#options.logger.warn(
          { keyPath: this.#options.keyPath, mode: (mode & 0o777).toString(8) },
          'TLS private key file is readable by other users; chmod 600 it',
        );
      }
    } catch {
      // Unreadable metadata is not a reason to refuse a key that was just read successfully.
    }
  }

  #warnIfExpiring(): void {
    const now = Date.now();
    const { notAfter, subject } = this.#current.info;
    const daysLeft = Math.floor((notAfter.getTime() - now) / DAY_MS);
    if (daysLeft >= this.#warningDays || now - this.#lastExpiryWarning < DAY_MS) return;
    this.#lastExpiryWarning = now;
    this.#options.logger.warn(
      { subject, notAfter: notAfter.toISOString(), daysLeft },
      daysLeft < 0 ? 'TLS certificate has expired' : `TLS certificate expires in ${daysLeft} days`,
    );
  }
}

function digestOf(contents: readonly string[]): string {
  const hash = createHash('sha256');
  for (const content of contents) hash.update(content).update('\0');
  return hash.digest('hex');
}

function codeOf(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
