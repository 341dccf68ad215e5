import { createHash } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisSettings {
  readonly url: string;
  /** Prepended to every key this module writes; keep it unique per gateway deployment. */
  readonly keyPrefix: string;
  /** Longest a request waits on Redis before the failure policy applies. */
  readonly timeoutMs: number;
}

/**
 * ioredis options for a data-plane client: a dead Redis must cost a request at most
 * timeoutMs, never a queue that grows while it is away.
 * - enableOfflineQueue false: while disconnected, commands fail at once instead of waiting.
 * - maxRetriesPerRequest 0 / autoResend off: a command is never replayed after a reconnect
 *   (a replayed decision would be counted twice).
 * - retryStrategy: reconnect every 100-500 ms forever, so service resumes within about a
 *   second of Redis coming back, without a restart.
 * - enableAutoPipelining off: the rate-limit store batches its own decisions per event-loop
 *   turn into one script call (RedisStore); ioredis' auto-pipelining builds a Pipeline per
 *   batch and holds a batch until the previous one is answered, which costs more CPU and adds
 *   a round trip of latency.
 */
export function redisClientOptions(settings: RedisSettings): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: settings.timeoutMs,
    connectTimeout: Math.max(settings.timeoutMs, 1000),
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 500),
    enableAutoPipelining: false,
    lazyConnect: true,
  };
}

/**
 * Opens the client (ioredis loads only when Redis is configured) and waits briefly for the
 * first connection. Startup does not fail when Redis is down: the failure policy covers it
 * and the client keeps reconnecting.
 */
export async function openRedis(settings: RedisSettings, logger?: Logger): Promise<Redis> {
  const { Redis: RedisClient } = await import('ioredis');
  const client = new RedisClient(settings.url, redisClientOptions(settings));
  let lastLog = 0;
  // Without a listener an 'error' event would crash the process; log at most once per 10 s.
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLog < 10_000) return;
    lastLog = now;
    logger?.warn({ err: error.message }, 'rate-limit redis connection error');
  });
  await client.connect().catch((error: Error) => {
    logger?.warn({ err: error.message }, 'rate-limit redis unavailable at startup; failure policy applies');
  });
  return client;
}

/** A Lua script run by SHA (EVALSHA); loaded on first use and again if Redis forgot it. */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return client.evalsha(this.#sha, keys.length, ...keys, ...args).catch(async (error: unknown) => {
      // NOSCRIPT after a restart, SCRIPT FLUSH or failover: load once more and retry.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await client.script('LOAD', this.#source);
      return client.evalsha(this.#sha, keys.length, ...keys, ...args);
    });
  }
}

/**
 * Redis Cluster routes a key by the part inside its first {...} (the hash tag). Each bucket
 * puts its whole identity in the tag, so buckets spread over shards while every key a script
 * touches stays in one slot. Values that could contain braces are hashed first.
 */
export function taggedKey(prefix: string, kind: string, identity: string): string {
  const safe = /^[\w.:@/#-]{1,96}$/.test(identity)
    ? identity
    : createHash('sha256').update(identity).digest('base64url').slice(0, 32);
  return `${prefix}${kind}:{${safe}}`;
}
