import type { Redis } from 'ioredis';
import { ConfigError, ConfigErrors, formatIssue, formatKeyPath } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { type BanEntry, type BanPolicy, InvalidAddressError, RedisBanManager } from '../../ratelimit/bans.js';
import { RATE_LIMIT_DEFAULTS, type RateLimitGlobal, resolveRateLimitConfig } from '../../ratelimit/config.js';
import { parseDuration } from '../../ratelimit/duration.js';
import { openRedis } from '../../ratelimit/redis-client.js';
import type { CliIO, Command } from '../command.js';
import { configPathFrom, hasFlag } from '../options.js';

const HELP = `Usage: portcullis bans <command> [options]

Commands:
  list [--json]                 active bans: client, end time, reason
  add <ip> --for 1h [--reason TEXT]
                                ban an address (IPv6: its /64, or the configured prefix)
  lift <ip>                     end a ban now

Options:
  --config PATH                 configuration file (default ./portcullis.yaml): Redis URL,
                                key prefix and address grouping come from rateLimit
  --redis URL [--prefix P]      use this Redis instead of the configuration

Bans are shared through Redis (rateLimit.store: redis); running gateways pick a change up
within rateLimit.bans.syncInterval (default 1s). With the memory store, bans live inside
each gateway process and cannot be managed from here.
`;

const VALUE_FLAGS = new Set(['--config', '-c', '--redis', '--prefix', '--for', '--reason']);

class UsageError extends Error {}

function flag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === name) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
      return value;
    }
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

function positionals(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUE_FLAGS.has(arg)) i++;
    else if (!arg.startsWith('-')) out.push(arg);
  }
  return out;
}

interface Target {
  readonly url: string;
  readonly keyPrefix: string;
  readonly policy: BanPolicy;
}

/** Where the bans are: --redis, else the configuration's rateLimit section. */
function resolveTarget(argv: readonly string[], io: CliIO): Target {
  const url = flag(argv, '--redis');
  if (url !== undefined) {
    const defaults = resolveRateLimitConfig(undefined);
    return { url, keyPrefix: flag(argv, '--prefix') ?? RATE_LIMIT_DEFAULTS.keyPrefix, policy: defaults.bans };
  }
  const file = configPathFrom(argv, io);
  const loaded = loadConfig(file, { env: io.env });
  let config: ReturnType<typeof resolveRateLimitConfig>;
  try {
    config = resolveRateLimitConfig(loaded.config['rateLimit' as keyof typeof loaded.config] as RateLimitGlobal);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const at = loaded.locate(error.path);
    throw new UsageError(`${loaded.file}:${at.line}:${at.column}: ${formatKeyPath(error.path)}: ${error.message}`);
  }
  if (config.store !== 'redis' || config.redis === undefined) {
    throw new UsageError(
      `${loaded.file} keeps bans in each gateway's memory (rateLimit.store is not redis), so they cannot be managed from the CLI`,
    );
  }
  return { url: config.redis.url, keyPrefix: config.redis.keyPrefix, policy: config.bans };
}

function formatList(entries: readonly BanEntry[], now: number): string {
  if (entries.length === 0) return 'no active bans\n';
  const rows = entries
    .slice()
    .sort((a, b) => a.until - b.until)
    .map((e) => [e.ip, new Date(e.until).toISOString(), `${Math.ceil((e.until - now) / 1000)}s`, e.reason]);
  const header = ['CLIENT', 'UNTIL', 'LEFT', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return (
    [header, ...rows]
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export const bansCommand: Command = {
  name: 'bans',
  summary: 'list, add or lift client bans (shared through Redis)',
  help: HELP,
  async run(argv, io) {
    if (hasFlag(argv, '--help', '-h')) {
      io.stdout(HELP);
      return 0;
    }
    let client: Redis | undefined;
    try {
      const [sub, ip, ...extra] = positionals(argv);
      if (sub === undefined) throw new UsageError('bans needs a command: list, add <ip> --for 1h, or lift <ip>');
      if (!['list', 'add', 'lift'].includes(sub)) throw new UsageError(`unknown bans command "${sub}"`);
      if (sub !== 'list' && ip === undefined) throw new UsageError(`bans ${sub} needs an IP address`);
      if (extra.length > 0 || (sub === 'list' && ip !== undefined))
        throw new UsageError(`unexpected argument "${extra[0] ?? ip}"`);
      let durationMs: number | undefined;
      if (sub === 'add') {
        const text = flag(argv, '--for');
        if (text === undefined) throw new UsageError('bans add needs --for, e.g. --for 1h');
        durationMs = parseDuration(text);
        if (durationMs === undefined) throw new UsageError(`--for takes a duration like 30m, 1h or 7d, not "${text}"`);
      }
      const target = resolveTarget(argv, io);
      client = await openRedis({ url: target.url, keyPrefix: target.keyPrefix, timeoutMs: 2000 });
      if (client.status !== 'ready') throw new UsageError('cannot reach Redis at the configured address');
      const bans = new RedisBanManager(client, target.policy, { keyPrefix: target.keyPrefix, syncIntervalMs: 0 });
      if (sub === 'list') {
        const entries = await bans.list();
        io.stdout(hasFlag(argv, '--json') ? `${JSON.stringify(entries)}\n` : formatList(entries, Date.now()));
      } else if (sub === 'add') {
        const entry = await bans.ban(ip!, durationMs!, flag(argv, '--reason') ?? 'manual (cli)');
        io.stdout(`banned ${entry.ip} until ${new Date(entry.until).toISOString()}\n`);
      } else if (await bans.lift(ip!)) {
        io.stdout(`lifted the ban on ${ip}\n`);
      } else {
        io.stdout(`${ip} was not banned\n`);
      }
      return 0;
    } catch (error) {
      if (error instanceof ConfigErrors) {
        for (const issue of error.errors) io.stderr(`${formatIssue(issue)}\n`);
      } else if (error instanceof UsageError || error instanceof InvalidAddressError) {
        io.stderr(`${error.message}\n`);
      } else {
        io.stderr(`bans: Redis did not answer (${(error as Error).message.split('\n')[0]})\n`);
      }
      return 1;
    } finally {
      client?.disconnect();
    }
  },
};
