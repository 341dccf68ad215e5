import { resolve } from 'node:path';
import * as support from '../../store/cli-support.js';
import type { Command } from '../command.js';

const HELP = `Usage: portcullis keys <command> [options]

Commands:
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
  summary: 'master key: generate, rotate (re-wrap every secret)',
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
          const target = await support.resolveTarget(argv, io);
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
        case undefined:
          throw new support.UsageError('give a sub-command: generate-master or rotate-master');
        default:
          throw new support.UsageError(`unknown sub-command "${sub}"; see portcullis keys --help`);
      }
    });
  },
};
