import { listFlag, positionals, withStore } from '../../idp/cli/store.js';
import * as support from '../../store/cli-support.js';
import type { Command } from '../command.js';

const HELP = `Usage: portcullis role <command> [options]

Commands:
  add NAME [--permissions a,b] [--inherits r1,r2] [--description TEXT]
                 create or replace a role
  list           roles with their permissions and inherited roles
  remove NAME    delete a role (users keep the name in their list; it grants nothing)

`;

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export const roleCommand: Command = {
  name: 'role',
  summary: 'roles of the built-in identity provider: add, list, remove',
  help: HELP + support.TARGET_HELP,
  run(argv, io) {
    return support.reportErrors('role', io, () =>
      withStore(argv, io, async (store) => {
        const [sub, name] = positionals(argv);
        switch (sub) {
          case 'add': {
            if (!name || !NAME.test(name))
              throw new support.UsageError('give a role name of 1-64 letters, digits and _ . : - characters');
            const role = await store.roles.put({
              name,
              permissions: listFlag(argv, '--permissions') ?? [],
              inherits: listFlag(argv, '--inherits') ?? [],
              description: support.flag(argv, '--description') ?? null,
            });
            await store.audit.append({ type: 'role.put', actor: 'cli', subject: name });
            io.stdout(`role ${role.name} saved\n`);
            return 0;
          }
          case 'list':
            for (const r of await store.roles.list()) {
              io.stdout(
                `${r.name}\tpermissions=${r.permissions.join(',') || '-'}\tinherits=${r.inherits.join(',') || '-'}\t${r.description ?? ''}\n`,
              );
            }
            return 0;
          case 'remove': {
            if (!name) throw new support.UsageError('give the role name');
            if (!(await store.roles.delete(name))) throw new support.UsageError(`no role "${name}"`);
            await store.audit.append({ type: 'role.delete', actor: 'cli', subject: name });
            io.stdout(`role ${name} removed\n`);
            return 0;
          }
          case undefined:
            throw new support.UsageError('give a sub-command: add, list or remove');
          default:
            throw new support.UsageError(`unknown sub-command "${sub}"; see portcullis role --help`);
        }
      }),
    );
  },
};
