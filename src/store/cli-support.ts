import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { CliIO } from '../cli/command.js';
import type { MasterKeyConfig, StoreConfig } from './config.js';
import { StoreError } from './errors.js';
import type { Store } from './types.js';

/** Shared by `portcullis db|keys|audit`: which database, from flags or from the config file. */
export interface StoreTarget {
  readonly config: StoreConfig | undefined;
  readonly dataDir: string;
  readonly configDir: string;
  /** Where it came from, for messages. */
  readonly source: string;
}

export const TARGET_HELP = `Choosing the database (first match wins):
  --db FILE                 a SQLite file (master key default: master.key beside it)
  --url postgres://...      a PostgreSQL database, with --ca FILE [--server-name NAME] or --insecure;
                            --password-file FILE, --owner-user NAME, --owner-password-file FILE
  --master-key-file FILE    master key for --db / --url (or --master-key-env NAME)
  --config FILE             the store section of a Portcullis config (default ./portcullis.yaml)`;

/** `--name value` or `--name=value`. */
export function flag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === name) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
      return value;
    }
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

export const VALUE_FLAGS: ReadonlySet<string> = new Set([
  '--db',
  '--url',
  '--ca',
  '--server-name',
  '--master-key-file',
  '--master-key-env',
  '--config',
  '-c',
  '--admin-url',
  '--new-key-file',
  '--new-key-env',
  '--anchor',
  '--limit',
  '--type',
  '--after',
  '--data-dir',
  '--password-file',
  '--owner-user',
  '--owner-password-file',
  '--alg',
  '--publish-retired-for',
]);

/**
 * Positional arguments (sub-command first), skipping flags and their values. `valueFlags` are the
 * flags that take a value (the store's by default; commands with more pass a superset).
 */
export function positionals(argv: readonly string[], valueFlags: ReadonlySet<string> = VALUE_FLAGS): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (valueFlags.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    out.push(arg);
  }
  return out;
}

/** Bad command-line input: one plain sentence, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function masterKeyFromFlags(argv: readonly string[], cwd: string): MasterKeyConfig | undefined {
  const file = flag(argv, '--master-key-file');
  const env = flag(argv, '--master-key-env');
  if (file && env) throw new UsageError('give either --master-key-file or --master-key-env, not both');
  if (file) return { file: resolve(cwd, file) };
  if (env) return { env };
  return undefined;
}

export interface ResolveOptions {
  /**
   * Refuse a SQLite file that does not exist yet, instead of creating an empty database (a
   * typo in --db must not make `audit verify` report an intact, empty log).
   */
  readonly existing?: boolean;
}

export async function resolveTarget(
  argv: readonly string[],
  io: CliIO,
  options: ResolveOptions = {},
): Promise<StoreTarget> {
  const target = await resolveTargetUnchecked(argv, io);
  if (options.existing && target.config?.driver !== 'postgres') {
    const { sqlitePath } = await import('./store.js');
    const path = sqlitePath(target.config, target);
    if (path !== ':memory:' && !existsSync(path)) {
      throw new UsageError(`no database at ${path} (portcullis db migrate creates it)`);
    }
  }
  return target;
}

async function resolveTargetUnchecked(argv: readonly string[], io: CliIO): Promise<StoreTarget> {
  const masterKey = masterKeyFromFlags(argv, io.cwd);
  const db = flag(argv, '--db');
  const url = flag(argv, '--url');
  if (db) {
    const path = resolve(io.cwd, db);
    return {
      config: { driver: 'sqlite', path, ...(masterKey ? { masterKey } : {}) },
      dataDir: flag(argv, '--data-dir') ? resolve(io.cwd, flag(argv, '--data-dir')!) : dirname(path),
      configDir: io.cwd,
      source: path,
    };
  }
  if (url) {
    const ca = flag(argv, '--ca');
    const serverName = flag(argv, '--server-name');
    const insecure = argv.includes('--insecure');
    const passwordFile = flag(argv, '--password-file');
    const ownerUser = flag(argv, '--owner-user');
    const ownerPasswordFile = flag(argv, '--owner-password-file');
    const owner = {
      ...(ownerUser ? { user: ownerUser } : {}),
      ...(ownerPasswordFile ? { passwordFile: resolve(io.cwd, ownerPasswordFile) } : {}),
    };
    return {
      config: {
        driver: 'postgres',
        url,
        ...(passwordFile ? { passwordFile: resolve(io.cwd, passwordFile) } : {}),
        ...(Object.keys(owner).length > 0 ? { owner } : {}),
        tls: {
          ...(ca ? { ca: resolve(io.cwd, ca) } : {}),
          ...(serverName ? { serverName } : {}),
          ...(insecure ? { insecure } : {}),
        },
        ...(masterKey ? { masterKey } : {}),
      },
      dataDir: io.cwd,
      configDir: io.cwd,
      source: redactUrl(url),
    };
  }
  const explicit = flag(argv, '--config') ?? flag(argv, '-c');
  const file = resolve(io.cwd, explicit ?? io.env.PORTCULLIS_CONFIG ?? 'portcullis.yaml');
  if (!existsSync(file)) {
    throw new UsageError(`no configuration at ${file}: give --config FILE, --db FILE or --url URL`);
  }
  const { loadConfig } = await import('../config/load.js');
  const loaded = loadConfig(file, { env: io.env });
  const store = loaded.config.store as StoreConfig | undefined;
  return {
    config: store
      ? { ...store, ...(masterKey ? { masterKey } : {}) }
      : masterKey
        ? { driver: 'sqlite', masterKey }
        : undefined,
    dataDir: loaded.config.dataDir,
    configDir: loaded.dir,
    source: file,
  };
}

/** Never print a password that came inside a URL. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function cliLogger(io: CliIO): Logger {
  // Warnings (e.g. an unencrypted loopback connection) go to stderr as one readable line.
  return pino(
    { level: 'warn', base: null, timestamp: false },
    { write: (line: string) => io.stderr(`warning: ${(JSON.parse(line) as { msg?: string }).msg ?? line}\n`) },
  );
}

/** Turns any failure into one plain sentence and an exit code; never a stack trace. */
export async function reportErrors(command: string, io: CliIO, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`portcullis ${command}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof StoreError) {
      io.stderr(`portcullis ${command}: ${error.message}\n`);
      return 1;
    }
    const { ConfigErrors, formatIssue } = await import('../config/errors.js');
    if (error instanceof ConfigErrors) {
      for (const issue of error.errors) io.stderr(`${formatIssue(issue)}\n`);
      return 1;
    }
    io.stderr(`portcullis ${command}: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}

/**
 * Opens the store a CLI command targets (--config / --db / --url), runs `run` with it and closes
 * it whatever happens. `migrations: 'check'` refuses a database whose schema is not current
 * instead of migrating it.
 */
export async function withStore(
  argv: readonly string[],
  io: CliIO,
  run: (store: Store) => Promise<number>,
  options: ResolveOptions & { readonly migrations?: 'check' } = {},
): Promise<number> {
  const target = await resolveTarget(argv, io, options.existing ? { existing: true } : {});
  const { openStore } = await import('./store.js');
  const store = await openStore(target.config, {
    ...target,
    logger: cliLogger(io),
    env: io.env,
    ...(options.migrations ? { migrations: options.migrations } : {}),
  });
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}
