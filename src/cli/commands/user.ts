import { AccountError, Accounts } from '../../idp/accounts.js';
import { type CliRevocations, cliRevocations } from '../../idp/cli/revocations.js';
import { generatePassword, listFlag, positionals, readStdin, withStore } from '../../idp/cli/store.js';
import { ACCESS_TOKEN_TTL_SEC } from '../../idp/issuer.js';
import type { SignOutResult } from '../../idp/sign-out.js';
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
                 within a second, running gateways refuse every credential of theirs until
                 they are enabled again
  revoke-sessions USERNAME
                 sign the user out everywhere: within a second, running gateways refuse every
                 session, access token and API key issued to them so far; their OIDC grants
                 and refresh tokens are revoked. They can sign in again at once.
  reset-password USERNAME [--password-stdin]
                 new one-time password (printed once, must be changed at first login)
                 or the password read from stdin; signs the user out everywhere
  reset-mfa USERNAME
                 remove the user's TOTP authenticator and recovery codes (lost device: they
                 enrol again after signing in with their password); signs them out everywhere
  set-roles USERNAME a,b     replace the user's roles (empty string: none)

Passwords follow NIST SP 800-63B: 12 to 128 characters, no composition rules, not a common
password, not containing the username.

Gateways hear of a sign-out or a disable through the store (the default revocation bus) and,
with --config naming a configuration whose authentication.revocation.bus is redis, through
Redis as well. Signing out waits for the next whole second before it returns, so that tokens
issued after it are told apart from older ones (JWT iat has whole seconds).

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

/** The sub-commands that tell running gateways (a cutoff, or a subject revocation). */
const ANNOUNCING = new Set(['disable', 'revoke-sessions', 'reset-password', 'reset-mfa']);

function signedOut(username: string, result: SignOutResult): string {
  return (
    `${username} signed out everywhere: ${result.sessions} session(s) ended, ${result.oidcRecords} OIDC grant ` +
    `record(s) and ${result.apiKeys} API key(s) revoked; gateways refuse what was issued up to ` +
    `${new Date(result.cutoff).toISOString()}\n`
  );
}

async function run(argv: readonly string[], io: CliIO, store: Store): Promise<number> {
  const [sub] = positionals(argv);
  const revocations = sub !== undefined && ANNOUNCING.has(sub) ? await cliRevocations(argv, io, store) : undefined;
  try {
    return await runWith(argv, io, store, revocations);
  } finally {
    await revocations?.close();
  }
}

async function runWith(
  argv: readonly string[],
  io: CliIO,
  store: Store,
  revocations: CliRevocations | undefined,
): Promise<number> {
  const [sub, name, extra] = positionals(argv);
  const accounts = new Accounts(store, revocations ? { signOut: revocations.signOut } : {});
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
      if (sub === 'disable' && revocations) {
        await store.sessions.deleteByUser(user.id);
        // Running gateways refuse the user's unexpired access tokens within a second (a subject
        // revocation: whenever issued); sessions, Basic and API keys also check the disabled flag
        // in the store, which holds until `enable`.
        await revocations.publish({
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
      io.stdout(`password of ${user.username} reset; signed out everywhere\n`);
      if (pw.oneTime) io.stdout(`one-time password (shown once, must be changed at first login): ${pw.value}\n`);
      return 0;
    }
    case 'revoke-sessions': {
      const user = await mustFind(accounts, name);
      const result = await accounts.signOutEverywhere(user.id);
      await store.audit.append({
        type: 'user.sessions.revoke',
        actor: 'cli',
        subject: user.id,
        details: { cutoff: result.cutoff, sessions: result.sessions, apiKeys: result.apiKeys },
      });
      io.stdout(signedOut(user.username, result));
      return 0;
    }
    case 'reset-mfa': {
      const user = await mustFind(accounts, name);
      const had = await accounts.resetMfa(user.id);
      await store.audit.append({ type: 'user.mfa.reset', actor: 'cli', subject: user.id, details: { had } });
      io.stdout(
        had
          ? `MFA of ${user.username} removed (they enrol again after signing in); signed out everywhere\n`
          : `${user.username} had no authenticator; signed out everywhere\n`,
      );
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
      throw new support.UsageError(
        'give a sub-command: add, list, disable, enable, revoke-sessions, reset-password, reset-mfa or set-roles',
      );
    default:
      throw new support.UsageError(`unknown sub-command "${sub}"; see portcullis user --help`);
  }
}

export const userCommand: Command = {
  name: 'user',
  summary:
    'users of the built-in identity provider: add, list, disable, enable, revoke-sessions, reset-password, reset-mfa, set-roles',
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
