import { RedisRevocationBus, type Revocation } from '../../auth/revocation.js';
import type { CliIO } from '../../cli/command.js';
import * as support from '../../store/cli-support.js';
import type { Store } from '../../store/types.js';
import type { SignOutOptions } from '../sign-out.js';

/** How a CLI command reaches the running gateways. */
export interface CliRevocations {
  /** The store's feed (the default bus) and, when the configuration's bus is redis, Redis too. */
  readonly publish: (revocation: Revocation) => Promise<void>;
  /** For Accounts: that publisher and, when the configuration is at hand, its session lifetime. */
  readonly signOut: SignOutOptions;
  close(): Promise<void>;
}

interface RevocationSections {
  readonly authentication?: { revocation?: { bus?: string; redis?: { url: string; keyPrefix?: string } } };
  readonly identityProvider?: { session?: { absoluteTimeoutSec?: number } };
}

/**
 * Gateways on the default bus read the store's feed; those on the Redis bus hear only Redis, so
 * a command run against a configuration file announces there as well. Pointed at a database
 * alone (--db, --url), the CLI cannot know of a Redis bus nor of the session timeout: the feed
 * only, and the schema's longest session lifetime.
 */
export async function cliRevocations(argv: readonly string[], io: CliIO, store: Store): Promise<CliRevocations> {
  const target = await support.resolveTarget(argv, io);
  let sections: RevocationSections = {};
  if (/\.ya?ml$/.test(target.source)) {
    const { loadConfig } = await import('../../config/load.js');
    sections = loadConfig(target.source, { env: io.env }).config as RevocationSections;
  }
  const revocation = sections.authentication?.revocation;
  const redis = revocation?.bus === 'redis' ? revocation.redis : undefined;
  const absolute = sections.identityProvider?.session?.absoluteTimeoutSec;
  let bus: RedisRevocationBus | undefined;
  const publish = async (r: Revocation): Promise<void> => {
    await store.revocations.add(r);
    if (!redis) return;
    bus ??= await RedisRevocationBus.open(redis.url, {
      ...(redis.keyPrefix !== undefined ? { keyPrefix: redis.keyPrefix } : {}),
    });
    await bus.publish(r);
  };
  return {
    publish,
    signOut: { publish, ...(absolute !== undefined ? { sessionLifetimeMs: absolute * 1000 } : {}) },
    close: async () => {
      await bus?.close();
    },
  };
}
