import { ConfigError, type KeyPath } from '../../config/errors.js';
import { CONTINUE, respondProblem, type Stage } from '../../pipeline/stage.js';
import { acquireAbuseServices, releaseAbuseServices } from '../../ratelimit/abuse.js';
import type { BanManager } from '../../ratelimit/bans.js';
import { CidrSet } from '../../ratelimit/ip.js';
import type { StageDefinition } from '../definition.js';
import { type IpFilterGlobal, IpFilterGlobalSchema, type IpFilterRoute, IpFilterRouteSchema } from './schema.js';

export interface IpFilterOptions {
  /** When non-empty, only these networks may use the route. */
  readonly allow: CidrSet;
  /** Always refused, even when also allowed. */
  readonly deny: CidrSet;
  /** Active bans to refuse; undefined when bans do not apply. */
  readonly bans: BanManager | undefined;
}

/**
 * Refuses a client by address: not on the allow list, on the deny list, or banned. Uses only
 * ctx.clientIp, which the core derives through the trusted-proxy list (never a client-sent
 * X-Forwarded-For). 403 PC_ERR_IP_DENIED without saying which rule matched.
 */
export function createIpFilterStage(options: IpFilterOptions): Stage {
  const { allow, deny, bans } = options;
  return {
    name: 'ip-filter',
    requestHead(ctx) {
      const ip = ctx.clientIp;
      if (allow.size > 0 && !allow.has(ip)) {
        return respondProblem('ip_denied', 'PC_ERR_IP_DENIED', { reason: 'address not on the allow list' });
      }
      if (deny.has(ip)) return respondProblem('ip_denied', 'PC_ERR_IP_DENIED', { reason: 'address on the deny list' });
      const ban = bans?.isBanned(ip);
      if (ban !== undefined) {
        return respondProblem('ip_denied', 'PC_ERR_IP_DENIED', {
          reason: `banned until ${new Date(ban.until).toISOString()} (${ban.reason})`,
        });
      }
      return CONTINUE;
    },
  };
}

/** Adds each entry to the set; a malformed one is a ConfigError at its own key path. */
export function addCidrs(set: CidrSet, entries: readonly string[] | undefined, path: KeyPath): CidrSet {
  entries?.forEach((entry, i) => {
    if (!set.add(entry)) throw new ConfigError([...path, i], `"${entry}" is not an IP address or CIDR`);
  });
  return set;
}

export interface IpFilterShared {
  readonly global: IpFilterGlobal;
  readonly allow: CidrSet;
  readonly deny: CidrSet;
  readonly bans: BanManager | undefined;
  readonly release: () => Promise<void>;
}

export const ipFilterStage: StageDefinition<IpFilterGlobal, IpFilterRoute, IpFilterShared> = {
  name: 'ip-filter',
  global: { key: 'ipFilter', schema: IpFilterGlobalSchema },
  route: { key: 'ipFilter', schema: IpFilterRouteSchema },
  async setup(global, services) {
    const g = global ?? {};
    const allow = addCidrs(new CidrSet(), g.allow, ['ipFilter', 'allow']);
    const deny = addCidrs(new CidrSet(), g.deny, ['ipFilter', 'deny']);
    let bans: BanManager | undefined;
    try {
      bans = (await acquireAbuseServices(services)).bans;
    } catch (error) {
      // A mistake in `rateLimit` is reported by the rate-limit stage; do not list it twice.
      if (!(error instanceof ConfigError)) throw error;
    }
    return { global: g, allow, deny, bans, release: () => releaseAbuseServices(services) };
  },
  create(route, shared) {
    const r = route.settings ?? {};
    const path = [...route.path, 'ipFilter'];
    const allow = r.allow !== undefined ? addCidrs(new CidrSet(), r.allow, [...path, 'allow']) : shared.allow;
    let deny = shared.deny;
    if (r.deny !== undefined) {
      deny = addCidrs(addCidrs(new CidrSet(), shared.global.deny, ['ipFilter', 'deny']), r.deny, [...path, 'deny']);
    }
    const useBans = r.bans ?? shared.global.bans ?? true;
    const bans = useBans ? shared.bans : undefined;
    if (allow.size === 0 && deny.size === 0 && bans === undefined) return undefined;
    return createIpFilterStage({ allow, deny, bans });
  },
  dispose: (shared) => shared.release(),
};
