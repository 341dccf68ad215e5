import { resolve } from 'node:path';
import * as support from '../../store/cli-support.js';
import type { Command } from '../command.js';

const HELP = `Usage: portcullis keys <command> [options]

Commands:
  rotate [--alg ES256|EdDSA] [--publish-retired-for DURATION]
                          create a new token-signing key (private key encrypted at rest) and
                          retire the current ones: they stop signing now and stay in the JWKS
                          for DURATION (default 24h; at least your longest token lifetime)
  list                    signing keys: kid, alg, created, retired, published until
  generate-master FILE    write a new random 256-bit master key to FILE (0600, never
                          overwrites) and print its id
  rotate-master --new-key-file FILE | --new-key-env NAME
                          re-wrap every encrypted secret (signing keys, TOTP seeds, stored
                          credentials) under the new master key in one transaction. Afterwards
                          point store.masterKey at the new key; the old one no longer opens
                          the database.

`;

export const keysCommand: Command = {
  name: 'keys',
  summary: 'keys: rotate token-signing keys; generate and rotate the master key',
  help: HELP + support.TARGET_HELP,
  async run(argv, io) {
    return support.reportErrors('keys', io, async () => {
      const [sub, ...rest] = support.positionals(argv);
      if (argv.includes('--help') || argv.includes('-h')) {
        io.stdout(`${HELP}${support.TARGET_HELP}\n`);
        return 0;
      }
      const { MasterKey, loadMasterKey, writeKeyFile } = await import('../../store/crypto.js');
      switch (sub) {
        case 'generate-master': {
          const file = rest[0];
          if (!file) throw new support.UsageError('give the file to write: portcullis keys generate-master FILE');
          const key = MasterKey.generate();
          const path = resolve(io.cwd, file);
          try {
            writeKeyFile(path, key);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
              throw new support.UsageError(`${path} already exists; refusing to overwrite a key`);
            }
            throw error;
          }
          io.stdout(`master key ${key.id} written to ${path} (mode 0600)\n`);
          return 0;
        }
        case 'rotate-master': {
          const file = support.flag(argv, '--new-key-file');
          const env = support.flag(argv, '--new-key-env');
          if (!file === !env)
            throw new support.UsageError('give exactly one of --new-key-file FILE or --new-key-env NAME');
          const target = await support.resolveTarget(argv, io, { existing: true });
          const next = loadMasterKey(
            {
              config: file ? { file: resolve(io.cwd, file) } : { env: env! },
              configDir: io.cwd,
              dataDir: target.dataDir,
              env: io.env,
            },
            false,
          );
          const { openStore } = await import('../../store/store.js');
          const store = await openStore(target.config, {
            ...target,
            logger: support.cliLogger(io),
            env: io.env,
            migrations: 'check',
          });
          try {
            const previous = store.masterKeyId;
            if (previous === next.id) throw new support.UsageError(`the new key is the current key (${next.id})`);
            const count = await store.rotateMasterKey(next);
            await store.audit.append({
              type: 'keys.master.rotate',
              actor: 'cli',
              details: { from: previous, to: next.id, secrets: count },
            });
            io.stdout(
              `re-wrapped ${count} secrets from master key ${previous} to ${next.id}.\n` +
                `Now point store.masterKey at the new key${file ? ` (${resolve(io.cwd, file)})` : ` (${env})`}, then destroy the old one.\n`,
            );
            return 0;
          } finally {
            await store.close();
          }
        }
        case 'rotate':
        case 'list': {
          const alg = support.flag(argv, '--alg') ?? 'ES256';
          const { SIGNING_ALGS, rotateSigningKey } = await import('../../store/signing.js');
          if (!(SIGNING_ALGS as readonly string[]).includes(alg)) {
            throw new support.UsageError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
          }
          const publishFor = parseDuration(support.flag(argv, '--publish-retired-for') ?? '24h');
          return support.withStore(
            argv,
            io,
            async (store) => {
              if (sub === 'rotate') {
                const result = await rotateSigningKey(store, alg as (typeof SIGNING_ALGS)[number], publishFor);
                await store.audit.append({
                  type: 'keys.signing.rotate',
                  actor: 'cli',
                  subject: result.created.kid,
                  details: { alg, retired: result.retired },
                });
                io.stdout(
                  `new signing key ${result.created.kid} (${alg})` +
                    (result.retired.length
                      ? `; retired ${result.retired.join(', ')}, published ${support.flag(argv, '--publish-retired-for') ?? '24h'} more\n`
                      : '\n'),
                );
                return 0;
              }
              const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());
              io.stdout('kid\talg\tcreated\tretired\tpublished until\n');
              for (const k of await store.signingKeys.list({ includeExpired: true })) {
                io.stdout(`${k.kid}\t${k.alg}\t${iso(k.createdAt)}\t${iso(k.retiredAt)}\t${iso(k.notAfter)}\n`);
              }
              return 0;
            },
            { existing: true, migrations: 'check' },
          );
        }
        case undefined:
          throw new support.UsageError('give a sub-command: rotate, list, generate-master or rotate-master');
        default:
          throw new support.UsageError(`unknown sub-command "${sub}"; see portcullis keys --help`);
      }
    });
  },
};

/** "90s", "15m", "24h", "7d" -> milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d{1,6})(s|m|h|d)$/.exec(text);
  if (!match) throw new support.UsageError(`"${text}" is not a duration like 90s, 15m, 24h or 7d`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
