import * as support from '../../store/cli-support.js';
import type { Command } from '../command.js';

const HELP = `Usage: portcullis audit <command> [options]

Commands:
  verify [--anchor SEQ:HASH]
                 walk the hash chain; exit 0 and print the head (SEQ:HASH) when intact, exit 1
                 naming the first modified, deleted, reordered or inserted record otherwise.
                 Keep the printed head somewhere else and pass it back as --anchor later: that
                 also proves no newest records were cut off.
  list [--limit N] [--after SEQ] [--type TYPE] [--json]
                 print records, oldest first

`;

export const auditCommand: Command = {
  name: 'audit',
  summary: 'audit log: verify the hash chain, list records',
  help: HELP + support.TARGET_HELP,
  async run(argv, io) {
    return support.reportErrors('audit', io, async () => {
      const [sub] = support.positionals(argv);
      if (argv.includes('--help') || argv.includes('-h')) {
        io.stdout(`${HELP}${support.TARGET_HELP}\n`);
        return 0;
      }
      if (sub !== 'verify' && sub !== 'list') {
        throw new support.UsageError(
          sub === undefined ? 'give a sub-command: verify or list' : `unknown sub-command "${sub}"`,
        );
      }
      const anchorText = support.flag(argv, '--anchor');
      let anchor: { seq: number; hash: string } | undefined;
      if (anchorText !== undefined) {
        const match = /^(\d+):([0-9a-f]{64})$/.exec(anchorText);
        if (!match) throw new support.UsageError('--anchor must look like SEQ:HASH (as printed by audit verify)');
        anchor = { seq: Number(match[1]), hash: match[2]! };
      }
      const limitText = support.flag(argv, '--limit');
      const afterText = support.flag(argv, '--after');
      for (const [name, value] of [
        ['--limit', limitText],
        ['--after', afterText],
      ] as const) {
        if (value !== undefined && !/^\d+$/.test(value)) throw new support.UsageError(`${name} must be a whole number`);
      }
      return support.withStore(
        argv,
        io,
        async (store) => {
          if (sub === 'verify') {
            const result = await store.audit.verify(anchor);
            if (result.ok) {
              const head = result.count === 0 ? 'empty' : `${result.count}:${result.lastHash}`;
              io.stdout(`audit log intact: ${result.count} records; head ${head}\n`);
              return 0;
            }
            io.stderr(`audit log TAMPERED (${result.problem}): ${result.message}\n`);
            return 1;
          }
          const type = support.flag(argv, '--type');
          const records = await store.audit.list({
            ...(limitText ? { limit: Number(limitText) } : {}),
            ...(afterText ? { afterSeq: Number(afterText) } : {}),
            ...(type ? { type } : {}),
          });
          for (const r of records) {
            // JSON.stringify escapes CR/LF and control characters: one record, one line (ASVS 16.4.1).
            io.stdout(
              argv.includes('--json')
                ? `${JSON.stringify(r)}\n`
                : `${r.seq}\t${new Date(r.at).toISOString()}\t${r.type}\tactor=${JSON.stringify(r.actor)}\tsubject=${JSON.stringify(r.subject)}\tip=${JSON.stringify(r.ip)}\t${JSON.stringify(r.details)}\n`,
            );
          }
          return 0;
        },
        { existing: true, migrations: 'check' },
      );
    });
  },
};
