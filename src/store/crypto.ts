import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { MasterKeyConfig } from './config.js';
import { StoreError } from './errors.js';

/**
 * Envelope encryption for secrets at rest (ASVS 11.3.2/11.3.3, SECURITY-REQUIREMENTS D-1).
 *
 * Each value gets its own random 256-bit data key. The value is sealed with AES-256-GCM under
 * the data key; the data key is sealed with AES-256-GCM under the master key. Both seals use
 * the same associated data, `portcullis/v1/<table>/<column>/<row id>`, so a ciphertext copied to
 * another row or column fails authentication instead of decrypting. The master key never
 * touches the database: only its 8-byte id is stored, for rotation and clear error messages.
 *
 * Binary layout (base64 in a TEXT column, identical on SQLite and PostgreSQL):
 *   version(1)=1 | master key id(8) | wrap nonce(12) | wrapped data key(32) | wrap tag(16)
 *   | data nonce(12) | ciphertext(n) | data tag(16)
 */

const VERSION = 1;
const KEY_ID_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES + KEY_BYTES + TAG_BYTES;
const MIN_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** Where a ciphertext lives; bound into it as associated data. */
export interface SealContext {
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

function aad(context: SealContext): Buffer {
  // Length-prefixed parts: "a/b" + "c" can never collide with "a" + "b/c".
  const parts = ['portcullis/v1', context.table, context.column, context.rowId].map((p) => {
    const bytes = Buffer.from(p, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return Buffer.concat([len, bytes]);
  });
  return Buffer.concat(parts);
}

function gcmSeal(key: Buffer, plaintext: Buffer, associated: Buffer): { nonce: Buffer; body: Buffer; tag: Buffer } {
  // Random 96-bit nonces: every key here seals at most a handful of messages (NIST SP 800-38D §8.3).
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associated);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, body, tag: cipher.getAuthTag() };
}

function gcmOpen(key: Buffer, nonce: Buffer, body: Buffer, tag: Buffer, associated: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associated);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** The 32-byte master key and its public id. */
export class MasterKey {
  readonly #key: Buffer;
  readonly id: string;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) {
      throw new StoreError('PC_STORE_MASTER_KEY', `the master key must be 32 bytes, got ${key.length}`);
    }
    this.#key = Buffer.from(key);
    // A one-way id: lets us tell "wrong key" from "tampered data" without revealing the key.
    this.id = createHmac('sha256', this.#key).update('portcullis master key id').digest('hex').slice(0, 16);
  }

  static generate(): MasterKey {
    return new MasterKey(randomBytes(KEY_BYTES));
  }

  /** Accepts 64 hex characters or base64 / base64url of 32 bytes, surrounding whitespace ignored. */
  static parse(text: string, source: string): MasterKey {
    const trimmed = text.trim();
    let bytes: Buffer | undefined;
    if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'hex');
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) bytes = Buffer.from(trimmed, 'base64url');
    if (!bytes || bytes.length !== KEY_BYTES) {
      throw new StoreError(
        'PC_STORE_MASTER_KEY',
        `the master key from ${source} is not 32 bytes in hex (64 characters) or base64 (44 characters)`,
      );
    }
    return new MasterKey(bytes);
  }

  /** Text form written to key files: base64url, no padding. */
  encode(): string {
    return this.#key.toString('base64url');
  }

  seal(plaintext: Buffer | string, context: SealContext): string {
    const associated = aad(context);
    const dataKey = randomBytes(KEY_BYTES);
    const wrapped = gcmSeal(this.#key, dataKey, associated);
    const data = gcmSeal(
      dataKey,
      typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext,
      associated,
    );
    dataKey.fill(0);
    return Buffer.concat([
      Buffer.from([VERSION]),
      Buffer.from(this.id, 'hex'),
      wrapped.nonce,
      wrapped.body,
      wrapped.tag,
      data.nonce,
      data.body,
      data.tag,
    ]).toString('base64');
  }

  open(sealed: string, context: SealContext): Buffer {
    const parsed = parseEnvelope(sealed, context);
    if (parsed.keyId !== this.id) {
      throw new StoreError(
        'PC_STORE_MASTER_KEY',
        `${describe(context)} was sealed with master key ${parsed.keyId}, but the configured master key is ${this.id}`,
      );
    }
    const associated = aad(context);
    const dataKey = gcmOpen(this.#key, parsed.wrapNonce, parsed.wrappedKey, parsed.wrapTag, associated);
    const plain = dataKey && gcmOpen(dataKey, parsed.dataNonce, parsed.body, parsed.dataTag, associated);
    dataKey?.fill(0);
    if (!plain) {
      throw new StoreError('PC_STORE_DECRYPT', `${describe(context)} failed authentication (tampered or moved)`);
    }
    return plain;
  }

  /**
   * Re-wraps the data key under `next` without touching the sealed value: rotation costs one
   * small AES operation per secret and never exposes plaintext beyond the data key.
   */
  rewrap(sealed: string, context: SealContext, next: MasterKey): string {
    const parsed = parseEnvelope(sealed, context);
    if (parsed.keyId === next.id) return sealed;
    if (parsed.keyId !== this.id) {
      throw new StoreError(
        'PC_STORE_MASTER_KEY',
        `${describe(context)} was sealed with unknown master key ${parsed.keyId}`,
      );
    }
    const associated = aad(context);
    const dataKey = gcmOpen(this.#key, parsed.wrapNonce, parsed.wrappedKey, parsed.wrapTag, associated);
    if (!dataKey)
      throw new StoreError('PC_STORE_DECRYPT', `${describe(context)} failed authentication (tampered or moved)`);
    const wrapped = next.#wrap(dataKey, associated);
    dataKey.fill(0);
    return Buffer.concat([
      Buffer.from([VERSION]),
      Buffer.from(next.id, 'hex'),
      wrapped.nonce,
      wrapped.body,
      wrapped.tag,
      parsed.dataNonce,
      parsed.body,
      parsed.dataTag,
    ]).toString('base64');
  }

  #wrap(dataKey: Buffer, associated: Buffer) {
    return gcmSeal(this.#key, dataKey, associated);
  }
}

function describe(context: SealContext): string {
  return `the encrypted ${context.table}.${context.column} of row "${context.rowId}"`;
}

function parseEnvelope(sealed: string, context: SealContext) {
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < MIN_BYTES || raw[0] !== VERSION) {
    throw new StoreError('PC_STORE_DECRYPT', `${describe(context)} is not a Portcullis envelope`);
  }
  let at = 1;
  const take = (n: number) => raw.subarray(at, (at += n));
  const keyId = take(KEY_ID_BYTES).toString('hex');
  const wrapNonce = take(NONCE_BYTES);
  const wrappedKey = take(KEY_BYTES);
  const wrapTag = take(TAG_BYTES);
  const dataNonce = take(NONCE_BYTES);
  const body = raw.subarray(at, raw.length - TAG_BYTES);
  const dataTag = raw.subarray(raw.length - TAG_BYTES);
  return { keyId, wrapNonce, wrappedKey, wrapTag, dataNonce, body, dataTag };
}

/** Reads the key id out of an envelope without decrypting (for diagnostics). */
export function envelopeKeyId(sealed: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64');
  return raw.length >= MIN_BYTES && raw[0] === VERSION ? raw.subarray(1, 1 + KEY_ID_BYTES).toString('hex') : undefined;
}

export interface MasterKeySource {
  readonly config: MasterKeyConfig | undefined;
  readonly configDir: string;
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
}

export function defaultMasterKeyFile(dataDir: string): string {
  return resolve(dataDir, 'master.key');
}

/**
 * Loads the master key. With no `masterKey` configured, the embedded default is
 * `<dataDir>/master.key`, created (0600) only when `createIfMissing` is set, i.e. when the
 * database has never stored a check value; otherwise a missing key is fatal.
 */
export function loadMasterKey(source: MasterKeySource, createIfMissing: boolean): MasterKey {
  const config = source.config;
  if (config && 'env' in config) {
    const value = source.env[config.env];
    if (value === undefined || value.trim() === '') {
      throw new StoreError(
        'PC_STORE_MASTER_KEY',
        `environment variable ${config.env} (store.masterKey.env) is not set`,
      );
    }
    return MasterKey.parse(value, `environment variable ${config.env}`);
  }
  const file = config
    ? isAbsolute(config.file)
      ? config.file
      : resolve(source.configDir, config.file)
    : defaultMasterKeyFile(source.dataDir);
  if (!existsSync(file)) {
    if (!createIfMissing) {
      throw new StoreError('PC_STORE_MASTER_KEY', `master key file ${file} does not exist`);
    }
    const key = MasterKey.generate();
    writeKeyFile(file, key);
    return key;
  }
  const mode = statSync(file).mode & 0o077;
  if (mode !== 0) {
    throw new StoreError(
      'PC_STORE_MASTER_KEY',
      `master key file ${file} is readable by group or others (mode ${(statSync(file).mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  return MasterKey.parse(readFileSync(file, 'utf8'), `file ${file}`);
}

/** Writes a key (or password) file readable by its owner only. Refuses to overwrite. */
export function writeSecretFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

export function writeKeyFile(file: string, key: MasterKey): void {
  writeSecretFile(file, `${key.encode()}\n`);
}

/** The check value lets a wrong master key fail at start, before any secret is needed. */
export const CHECK_CONTEXT: SealContext = { table: 'meta', column: 'value', rowId: 'master_check' };
const CHECK_PLAINTEXT = 'portcullis master key check';

export function makeCheckValue(key: MasterKey): string {
  return key.seal(CHECK_PLAINTEXT, CHECK_CONTEXT);
}

export function verifyCheckValue(key: MasterKey, sealed: string): void {
  const stored = envelopeKeyId(sealed);
  if (stored !== key.id) {
    throw new StoreError(
      'PC_STORE_MASTER_KEY',
      `wrong master key: the database was encrypted with master key ${stored ?? '(unreadable)'}, the configured key is ${key.id}`,
    );
  }
  const plain = key.open(sealed, CHECK_CONTEXT);
  const expected = Buffer.from(CHECK_PLAINTEXT);
  if (plain.length !== expected.length || !timingSafeEqual(plain, expected)) {
    throw new StoreError('PC_STORE_MASTER_KEY', 'wrong master key: the check value does not match');
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
