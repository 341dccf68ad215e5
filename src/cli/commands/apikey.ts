import { generateApiKey } from '../../auth/api-key.js';
import { cliRevocations } from '../../idp/cli/revocations.js';
import * as support from '../../store/cli-support.js';
import { StoreError } from '../../store/errors.js';
import type { ApiKeyRecord, Store } from '../../store/types.js';
import type { CliIO, Command } from '../command.js';

const HELP = `Usage: portcullis apikey <command> [options]

Commands:
  create --owner ID [--name TEXT] [--scopes a,b] [--plan NAME] [--expires 90d|2027-01-31]
                 create a key and print it once (only its keyed hash is stored)
  list [--owner ID] [--json]
                 list keys: prefix, owner, scopes, plan, expiry, last use, state
  revoke PREFIX|ID
                 revoke a key; running gateways refuse it within a second (through the
                 store's revocation feed, or Redis with authentication.revocation.bus: redis;
                 with bus: memory, within authentication.apiKeys.cacheTtlSec, default 10 s)

`;

const OWN_VALUE_FLAGS = new Set(['--owner', '--name', '--scopes', '--plan', '--expires']);
const SHARED_VALUE_FLAGS = new Set([
  '--db',
  '--url',
  '--ca',
  '--server-name',
  '--master-key-file',
  '--master-key-env',
  '--config',
  '-c',
  '--data-dir',
]);

function positionals(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (OWN_VALUE_FLAGS.has(arg) || SHARED_VALUE_FLAGS.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith('-')) out.push(arg);
  }
  return out;
}

/** "90d", "12h", "30m" from now, or an ISO date; Unix ms. */
export function parseExpiry(text: string, now = Date.now()): number {
  const relative = /^(\d{1,5})([dhm])$/.exec(text);
  if (relative) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm'];
    return now + Number(relative[1]) * unit;
  }
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    throw new support.UsageError('--expires takes a duration like 90d, 12h, 30m or a date like 2027-01-31');
  if (at <= now) throw new support.UsageError('--expires is in the past');
  return at;
}

const NAME_PATTERN = /^[\x20-\x7e]{1,100}$/;
const SCOPE_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // RFC 6749 §3.3 scope-token

async function create(argv: readonly string[], store: Store, io: CliIO): Promise<number> {
  const owner = support.flag(argv, '--owner');
  if (!owner) throw new support.UsageError('give the key owner with --owner ID (a user id or a service name)');
  const name = support.flag(argv, '--name');
  if (name !== undefined && !NAME_PATTERN.test(name))
    throw new support.UsageError('--name must be 1-100 printable characters');
  const scopes = (support.flag(argv, '--scopes') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const scope of scopes) {
    if (!SCOPE_PATTERN.test(scope)) throw new support.UsageError(`"${scope}" is not a valid scope name`);
  }
  const plan = support.flag(argv, '--plan');
  const expiresText = support.flag(argv, '--expires');
  const expiresAt = expiresText !== undefined ? parseExpiry(expiresText) : null;
  for (let attempt = 0; ; attempt++) {
    const generated = generateApiKey();
    try {
      const record = await store.apiKeys.create({
        prefix: generated.prefix,
        hash: await store.keyedHash('api-key', generated.key),
        owner,
        scopes,
        name: name ?? null,
        plan: plan ?? null,
        expiresAt,
      });
      await store.audit.append({
        type: 'key.create',
        actor: 'cli',
        subject: record.prefix,
        details: { owner, scopes },
      });
      io.stdout(`${generated.key}\n`);
      io.stderr(`API key ${record.prefix} created for ${owner}. It is shown only this once: store it now.\n`);
      return 0;
    } catch (error) {
      // A prefix collision (62^8 space) is rare; draw again a few times.
      if (error instanceof StoreError && error.code === 'PC_STORE_CONFLICT' && attempt < 3) continue;
      throw error;
    }
  }
}

function state(record: ApiKeyRecord, now: number): string {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  return 'active';
}

async function list(argv: readonly string[], store: Store, io: CliIO): Promise<number> {
  const owner = support.flag(argv, '--owner');
  const records = await store.apiKeys.list({ limit: 1000, ...(owner !== undefined ? { owner } : {}) });
  const now = Date.now();
  const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());
  for (const r of records) {
    if (argv.includes('--json')) {
      // Never the hash: listing is for people, and the hash is all an offline attack needs.
      const { hash: _hash, ...visible } = r;
      io.stdout(`${JSON.stringify({ ...visible, state: state(r, now) })}\n`);
      continue;
    }
    io.stdout(
      `${r.prefix}\t${JSON.stringify(r.owner)}\t${r.scopes.join(' ') || '-'}\t${r.plan ?? '-'}\texpires=${iso(r.expiresAt)}\tlastUsed=${iso(r.lastUsedAt)}\t${state(r, now)}\t${JSON.stringify(r.name ?? '')}\n`,
    );
  }
  if (records.length === 0 && !argv.includes('--json')) io.stderr('no API keys\n');
  return 0;
}

async function revoke(argv: readonly string[], store: Store, io: CliIO): Promise<number> {
  const which = positionals(argv)[1];
  if (!which) throw new support.UsageError('give the key prefix (pc_xxxxxxxx) or id to revoke');
  const record = which.startsWith('pc_') ? await store.apiKeys.getByPrefix(which) : await store.apiKeys.get(which);
  if (!record) throw new support.UsageError(`no API key "${which}"`);
  await store.apiKeys.revoke(record.id);
  await store.audit.append({ type: 'key.revoke', actor: 'cli', subject: record.prefix });
  // Kept at least as long as any gateway may cache the verified key.
  const revocation = {
    kind: 'apiKey' as const,
    id: record.prefix,
    until: (record.expiresAt ?? Date.now() + 30 * 86_400_000) + 60_000,
  };
  // Gateways on the default store feed read it from the database within a second; those on the
  // Redis bus hear it there.
  const announce = await cliRevocations(argv, io, store);
  try {
    await announce.publish(revocation);
  } finally {
    await announce.close();
  }
  io.stdout(`revoked ${record.prefix} (announced to running gateways)\n`);
  return 0;
}

export const apikeyCommand: Command = {
  name: 'apikey',
  summary: 'API keys: create (shown once), list, revoke',
  help: HELP + support.TARGET_HELP,
  async run(argv, io) {
    return support.reportErrors('apikey', io, async () => {
      const [sub] = positionals(argv);
      if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
        throw new support.UsageError(
          sub === undefined ? 'give a sub-command: create, list or revoke' : `unknown sub-command "${sub}"`,
        );
      }
      const target = await support.resolveTarget(argv, io);
      const { openStore } = await import('../../store/store.js');
      const store = await openStore(target.config, { ...target, logger: support.cliLogger(io), env: io.env });
      try {
        if (sub === 'create') return await create(argv, store, io);
        if (sub === 'list') return await list(argv, store, io);
        return await revoke(argv, store, io);
      } finally {
        await store.close();
      }
    });
  },
};
