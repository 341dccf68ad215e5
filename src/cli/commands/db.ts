import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as support from '../../store/cli-support.js';
import type { CliIO, Command } from '../command.js';

const HELP = `Usage: portcullis db <command> [options]

Commands:
  migrate                 apply pending schema migrations (PostgreSQL: as the owner role,
                          then re-grant the app role its least privileges)
  status                  show the driver, schema version and master key id
  init --admin-url URL    PostgreSQL only: create the owner and app roles with generated
                          passwords (written 0600 to store.passwordFile and
                          store.owner.passwordFile), the database, its privileges, and migrate
  backup DEST             SQLite: consistent online copy to DEST (0600). PostgreSQL: use
                          pg_dump (see docs/store.md)

`;

export const dbCommand: Command = {
  name: 'db',
  summary: 'database: migrate, status, init (PostgreSQL roles), backup',
  help: HELP + support.TARGET_HELP,
  async run(argv, io) {
    return support.reportErrors('db', io, async () => {
      const [sub, ...rest] = support.positionals(argv);
      if (argv.includes('--help') || argv.includes('-h')) {
        io.stdout(`${HELP}${support.TARGET_HELP}\n`);
        return 0;
      }
      if (sub === undefined) throw new support.UsageError('give a sub-command: migrate, status, init or backup');
      if (sub === 'init') return init(argv, io);
      const target = await support.resolveTarget(argv, io, { existing: sub !== 'migrate' });
      const logger = support.cliLogger(io);
      const { openDb, openStore } = await import('../../store/store.js');
      switch (sub) {
        case 'migrate': {
          const { migrate } = await import('../../store/migrations.js');
          let result: Awaited<ReturnType<typeof migrate>>;
          if (target.config?.driver === 'postgres') {
            const { migrateAsOwner } = await import('../../store/provision.js');
            result = await migrateAsOwner(target.config, target.configDir, logger);
          } else {
            const db = await openDb(target.config, { ...target, logger });
            try {
              result = await migrate(db);
            } finally {
              await db.close();
            }
          }
          io.stdout(
            result.applied.length === 0
              ? `${target.source}: schema is up to date (version ${result.to})\n`
              : `${target.source}: migrated from version ${result.from} to ${result.to} (${result.applied.map((m) => m.name).join(', ')})\n`,
          );
          return 0;
        }
        case 'status': {
          const { LATEST_VERSION, schemaVersion } = await import('../../store/migrations.js');
          const db = await openDb(target.config, { ...target, logger });
          let version: number;
          try {
            version = await schemaVersion(db);
          } finally {
            await db.close();
          }
          io.stdout(
            `driver: ${db.dialect}\ndatabase: ${target.source}\nschema: ${version} (this build: ${LATEST_VERSION})\n`,
          );
          if (version === LATEST_VERSION) {
            const store = await openStore(target.config, { ...target, logger, env: io.env, migrations: 'check' });
            io.stdout(`master key: ${store.masterKeyId} (verified)\n`);
            await store.close();
          }
          return version === LATEST_VERSION ? 0 : 1;
        }
        case 'backup': {
          const dest = rest[0];
          if (!dest) throw new support.UsageError('give the destination file: portcullis db backup DEST');
          if (target.config?.driver === 'postgres') {
            throw new support.UsageError(
              'PostgreSQL backups use pg_dump, e.g. pg_dump --format=custom --file=DEST "host=... dbname=... sslmode=verify-full sslrootcert=CA" (see docs/store.md)',
            );
          }
          const path = resolve(io.cwd, dest);
          if (existsSync(path)) throw new support.UsageError(`${path} already exists; refusing to overwrite it`);
          if (!existsSync(dirname(path))) throw new support.UsageError(`directory ${dirname(path)} does not exist`);
          const store = await openStore(target.config, { ...target, logger, env: io.env });
          try {
            const { SqliteDb } = await import('../../store/sqlite.js');
            if (!(store.db instanceof SqliteDb)) throw new support.UsageError('backup needs the SQLite driver');
            await store.db.backup(path);
            await store.audit.append({ type: 'db.backup', actor: 'cli', details: { destination: path } });
          } finally {
            await store.close();
          }
          io.stdout(`backup written to ${path} (mode 0600). The master key is NOT in it: back it up separately.\n`);
          return 0;
        }
        default:
          throw new support.UsageError(`unknown sub-command "${sub}"; see portcullis db --help`);
      }
    });
  },
};

async function init(argv: readonly string[], io: CliIO): Promise<number> {
  const adminUrl = support.flag(argv, '--admin-url');
  if (!adminUrl) throw new support.UsageError('db init needs --admin-url postgres://ADMIN@HOST:PORT/postgres');
  const target = await support.resolveTarget(argv, io);
  if (target.config?.driver !== 'postgres') {
    throw new support.UsageError('db init is for PostgreSQL: set store.driver to postgres in the config');
  }
  const { provisionPostgres } = await import('../../store/provision.js');
  const result = await provisionPostgres({
    adminUrl,
    config: target.config,
    configDir: target.configDir,
    logger: support.cliLogger(io),
  });
  io.stdout(
    [
      `database ${result.database}: owner role ${result.ownerRole}, app role ${result.appRole}`,
      result.created.length ? `created: ${result.created.join(', ')}` : 'created: nothing (already set up)',
      ...result.passwordFiles.map((f) => `password written to ${f} (0600)`),
      `schema version ${result.migration.to}`,
      '',
    ].join('\n'),
  );
  return 0;
}
