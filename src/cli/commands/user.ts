import { AccountError, Accounts } from '../../idp/accounts.js';
import { generatePassword, listFlag, positionals, readStdin, withStore } from '../../idp/cli/store.js';
import { ACCESS_TOKEN_TTL_SEC } from '../../idp/issuer.js';
import * as support from '../../store/cli-support.js';
import type { Store, UserRecord } from '../../store/types.js';
import type { CliIO, Command } from '../command.js';

const HELP = `Usage: portcullis user <command> [options]

Commands:
  add USERNAME [--roles a,b] [--groups g] [--email E] [--password-stdin]
                 create a user. Without --password-stdin a one-time password is generated,
                 printed once, and must be changed at first login.
  list [--json]  users: username, id, roles, groups, state
  disable USERNAME | enable USERNAME
                 a disabled user cannot log in; disabling also ends their sessions and,
                 within a second, running gateways refuse the access tokens issued to them
  reset-password USERNAME [--password-stdin]
                 new one-time password (printed once, must be changed at first login)
                 or the password read from stdin; ends the user's sessions
  set-roles USERNAME a,b     replace the user's roles (empty string: none)

Passwords follow NIST SP 800-63B: 12 to 128 characters, no composition rules, not a common
password, not containing the username.

`;

async function mustFind(accounts: Accounts, username: string | undefined): Promise<UserRecord> {
  if (!username) throw new support.UsageError('give the username');
  const user = await accounts.find(username);
  if (!user) throw new support.UsageError(`no user "${username}"`);
  return user;
}

function state(u: UserRecord): string {
  if (u.disabled) return 'disabled';
  if (u.lockedUntil !== null && u.lockedUntil > Date.now()) return 'locked';
  if (u.mustChangePassword) return 'must-change-password';
  return 'active';
}

async function run(argv: readonly string[], io: CliIO, store: Store): Promise<number> {
  const [sub, name, extra] = positionals(argv);
  const accounts = new Accounts(store);
  const password = async (): Promise<{ value: string; oneTime: boolean }> =>
    argv.includes('--password-stdin')
      ? { value: await readStdin(), oneTime: false }
      : { value: generatePassword(), oneTime: true };
  switch (sub) {
    case 'add': {
      if (!name) throw new support.UsageError('give the username: portcullis user add USERNAME');
      const pw = await password();
      const user = await accounts.createUser({
        username: name,
        password: pw.value,
        roles: listFlag(argv, '--roles') ?? [],
        groups: listFlag(argv, '--groups') ?? [],
        email: support.flag(argv, '--email') ?? null,
        mustChangePassword: pw.oneTime,
      });
      await store.audit.append({
        type: 'user.create',
        actor: 'cli',
        subject: user.id,
        details: { username: user.username },
      });
      io.stdout(`user ${user.username} created (id ${user.id})\n`);
      if (pw.oneTime) io.stdout(`one-time password (shown once, must be changed at first login): ${pw.value}\n`);
      return 0;
    }
    case 'list': {
      for (const u of await store.users.list({ limit: 1000 })) {
        if (argv.includes('--json')) {
          const { passwordHash: _hash, ...visible } = u;
          io.stdout(`${JSON.stringify({ ...visible, state: state(u) })}\n`);
        } else {
          io.stdout(
            `${u.username}\t${u.id}\troles=${u.roles.join(',') || '-'}\tgroups=${u.groups.join(',') || '-'}\t${state(u)}\n`,
          );
        }
      }
      return 0;
    }
    case 'disable':
    case 'enable': {
      const user = await mustFind(accounts, name);
      await store.users.update(user.id, {
        disabled: sub === 'disable',
        ...(sub === 'enable' ? { lockedUntil: null } : {}),
      });
      if (sub === 'disable') {
        await store.sessions.deleteByUser(user.id);
        // Running gateways refuse the user's unexpired access tokens within a second (the store's
        // revocation feed); sessions, Basic and API keys already check the disabled flag.
        await store.revocations.add({
          kind: 'subject',
          id: user.id,
          until: Date.now() + (ACCESS_TOKEN_TTL_SEC + 60) * 1000,
        });
      }
      await store.audit.append({ type: `user.${sub}`, actor: 'cli', subject: user.id });
      io.stdout(`user ${user.username} ${sub}d\n`);
      return 0;
    }
    case 'reset-password': {
      const user = await mustFind(accounts, name);
      const pw = await password();
      await accounts.setPassword(user.id, pw.value, { mustChange: pw.oneTime });
      await store.audit.append({ type: 'user.password.reset', actor: 'cli', subject: user.id });
      io.stdout(`password of ${user.username} reset; their sessions ended\n`);
      if (pw.oneTime) io.stdout(`one-time password (shown once, must be changed at first login): ${pw.value}\n`);
      return 0;
    }
    case 'set-roles': {
      const user = await mustFind(accounts, name);
      if (extra === undefined) throw new support.UsageError('give the roles: portcullis user set-roles USERNAME a,b');
      const roles = extra
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '');
      await store.users.update(user.id, { roles });
      await store.audit.append({ type: 'user.roles', actor: 'cli', subject: user.id, details: { roles } });
      io.stdout(`roles of ${user.username}: ${roles.join(', ') || '(none)'}\n`);
      return 0;
    }
    case undefined:
      throw new support.UsageError('give a sub-command: add, list, disable, enable, reset-password or set-roles');
    default:
      throw new support.UsageError(`unknown sub-command "${sub}"; see portcullis user --help`);
  }
}

export const userCommand: Command = {
  name: 'user',
  summary: 'users of the built-in identity provider: add, list, disable, enable, reset-password, set-roles',
  help: HELP + support.TARGET_HELP,
  run(argv, io) {
    return support.reportErrors('user', io, async () => {
      try {
        return await withStore(argv, io, (store) => run(argv, io, store));
      } catch (error) {
        if (error instanceof AccountError) throw new support.UsageError(error.message);
        throw error;
      }
    });
  },
};
