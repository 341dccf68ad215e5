import { ConfigError, type KeyPath } from '../../config/errors.js';
import type { HeaderMap, RequestContext, ResponseHead } from '../../pipeline/context.js';
import type { StageName } from '../../pipeline/phases.js';
import { CONTINUE, respondProblem, type Stage, type Verdict } from '../../pipeline/stage.js';
import { type AbuseServices, acquireAbuseServices, releaseAbuseServices } from '../../ratelimit/abuse.js';
import { type RateLimitGlobal, RateLimitGlobalSchema } from '../../ratelimit/config.js';
import { parseDuration } from '../../ratelimit/duration.js';
import { type PolicyReport, policyItem, retryAfterSeconds, stateItem } from '../../ratelimit/headers.js';
import type { LimiterAnswer, RateLimiter } from '../../ratelimit/limiter.js';
import { type LimitSpec, limitSpec } from '../../ratelimit/spec.js';
import type { LimitRequest } from '../../ratelimit/store.js';
import type { RouteSettings, Services, StageDefinition } from '../definition.js';
import { compileKey, type KeyFunction, keyNeedsIdentity } from './keys.js';
import { type LimitConfig, type RouteRateLimit, RouteRateLimitSchema } from './schema.js';

/** One route limit, compiled at load. */
export interface CompiledLimit {
  /** Policy name in the RateLimit header fields. */
  readonly name: string;
  /** Counter namespace: the name when given (shared across routes), else route and index. */
  readonly bucket: string;
  readonly keyOf: KeyFunction;
  /** Fixed policy; undefined for a plan limit (taken from identity.plan per request). */
  readonly spec: LimitSpec | undefined;
  /** This limit's RateLimit-Policy item, formatted once: for `spec`, or per plan name. */
  readonly policyItem: string | undefined;
  readonly planItems: ReadonlyMap<string, string>;
  /** Needs ctx.identity: runs in 'rate-limit-identity', after authentication. */
  readonly afterAuth: boolean;
}

export interface RateLimitShared {
  readonly abuse: AbuseServices;
  /** Named limits seen so far, to refuse one name with two different policies. */
  readonly named: Map<string, { readonly signature: string; readonly path: KeyPath }>;
  readonly release: () => Promise<void>;
}

/** Compiles a route's `rateLimit`; throws ConfigError with the key path of the faulty limit. */
export function compileLimits(
  route: RouteSettings<RouteRateLimit>,
  abuse: AbuseServices,
  named?: RateLimitShared['named'],
): CompiledLimit[] {
  const settings = route.settings;
  if (settings === undefined) return [];
  const list: readonly LimitConfig[] = Array.isArray(settings) ? settings : [settings];
  const base = [...route.path, 'rateLimit'];
  return list.map((limit, index) => {
    const path = Array.isArray(settings) ? [...base, index] : base;
    return compileLimit(limit, path, route.name, index, abuse, named);
  });
}

function compileLimit(
  limit: LimitConfig,
  path: KeyPath,
  routeName: string,
  index: number,
  abuse: AbuseServices,
  named: RateLimitShared['named'] | undefined,
): CompiledLimit {
  const { config } = abuse;
  const algorithm = limit.algorithm ?? 'gcra';
  if (limit.burst !== undefined && algorithm !== 'gcra') {
    throw new ConfigError([...path, 'burst'], 'burst applies to the gcra algorithm only');
  }
  let spec: LimitSpec | undefined;
  if (limit.plan === true) {
    if (limit.limit !== undefined || limit.per !== undefined) {
      throw new ConfigError(path, 'a plan limit takes limit and per from rateLimit.plans; remove them here');
    }
    if (config.plans.size === 0) throw new ConfigError([...path, 'plan'], 'plan: true needs rateLimit.plans');
  } else {
    if (limit.limit === undefined || limit.per === undefined) {
      throw new ConfigError(path, 'a limit needs both limit and per (or plan: true)');
    }
    const periodMs = parseDuration(limit.per);
    if (periodMs === undefined) throw new ConfigError([...path, 'per'], `"${limit.per}" is not a duration`);
    if (limit.burst !== undefined && limit.burst > limit.limit * 1000) {
      throw new ConfigError([...path, 'burst'], 'burst is more than 1000 times the limit');
    }
    spec = limitSpec(algorithm, limit.limit, periodMs, limit.burst);
  }
  const aggregation = {
    ipv4Prefix: limit.ipv4Prefix ?? config.aggregation.ipv4Prefix,
    ipv6Prefix: limit.ipv6Prefix ?? config.aggregation.ipv6Prefix,
  };
  const keyOf = compileKey(limit.key, limit.expression, aggregation, path);
  if (limit.expression !== undefined && limit.key !== 'cel') {
    throw new ConfigError([...path, 'expression'], 'expression is only used with key: cel');
  }
  const name = limit.name ?? (index === 0 ? routeName : `${routeName}-${index}`);
  if (limit.name !== undefined && named !== undefined) {
    const signature = JSON.stringify([limit.key, limit.expression, spec, limit.plan, aggregation]);
    const earlier = named.get(limit.name);
    if (earlier !== undefined && earlier.signature !== signature) {
      throw new ConfigError([...path, 'name'], `limit "${limit.name}" is defined differently elsewhere`);
    }
    named.set(limit.name, { signature, path });
  }
  const planItems = new Map<string, string>();
  if (spec === undefined) for (const [plan, planSpec] of config.plans) planItems.set(plan, policyItem(name, planSpec));
  return {
    name,
    bucket: limit.name !== undefined ? `n:${limit.name}` : `r:${routeName}#${index}`,
    keyOf,
    spec,
    policyItem: spec === undefined ? undefined : policyItem(name, spec),
    planItems,
    afterAuth: keyNeedsIdentity(limit.key) || limit.plan === true,
  };
}

/** One limit that applies to this request: its policy and its RateLimit-Policy item. */
interface Pending {
  readonly limit: CompiledLimit;
  readonly spec: LimitSpec;
  readonly policy: string;
}

/** What an admitted request leaves for its response: the RateLimit fields' values. */
interface Admitted {
  readonly policy: string;
  readonly state: string;
}

/**
 * The stage for one route and one side of authentication. Requests that no limit applies to
 * (e.g. anonymous on a subject limit) pass untouched; otherwise every applicable limit is
 * decided in one store call and the first denial answers 429.
 */
export function createRateLimitStage(
  name: Extract<StageName, 'rate-limit' | 'rate-limit-identity'>,
  limits: readonly CompiledLimit[],
  abuse: AbuseServices,
): Stage {
  const limiter: RateLimiter = abuse.limiter;
  const { plans, defaultPlan } = abuse.config;
  const stateKey = Symbol(name);

  const planOf = (ctx: RequestContext): string | undefined => {
    const wanted = ctx.identity?.plan;
    return wanted !== undefined && plans.has(wanted) ? wanted : defaultPlan;
  };

  const verdict = (ctx: RequestContext, pending: readonly Pending[], answer: LimiterAnswer): Verdict => {
    if (answer.kind === 'unavailable') {
      ctx.logFields['rateLimit'] = 'store-unavailable';
      return respondProblem('error', 'PC_ERR_SERVICE_UNAVAILABLE', {
        headers: { 'retry-after': '1' },
        reason: 'rate-limit store unavailable (onStoreFailure: closed)',
      });
    }
    if (answer.degraded) ctx.logFields['rateLimitDegraded'] = true;
    const outcomes = answer.outcomes;
    let denied = -1;
    let policy = '';
    let state = '';
    for (let i = 0; i < pending.length; i++) {
      const { limit } = pending[i]!;
      const outcome = outcomes[i]!;
      if (denied < 0 && !outcome.allowed) denied = i;
      // Structured Field Lists (RFC 9651 §3.1): members joined by ", ".
      policy = i === 0 ? pending[i]!.policy : `${policy}, ${pending[i]!.policy}`;
      state = i === 0 ? stateItem(limit.name, outcome) : `${state}, ${stateItem(limit.name, outcome)}`;
    }
    if (denied < 0) {
      ctx.state.set(stateKey, { policy, state } satisfies Admitted);
      return CONTINUE;
    }
    const deniedName = pending[denied]!.limit.name;
    ctx.logFields['rateLimit'] = deniedName;
    const reports: PolicyReport[] = pending.map(({ limit, spec }, i) => ({
      name: limit.name,
      limit: spec.limit,
      periodUs: spec.periodUs,
      outcome: outcomes[i]!,
    }));
    const headers: HeaderMap = {
      'retry-after': String(retryAfterSeconds(reports)),
      'ratelimit-policy': policy,
      ratelimit: state,
    };
    return respondProblem('rate_limited', 'PC_ERR_RATE_LIMITED', { headers, reason: `limit ${deniedName} exceeded` });
  };

  return {
    name,
    requestHead(ctx) {
      const requests: LimitRequest[] = [];
      const pending: Pending[] = [];
      for (const limit of limits) {
        const key = limit.keyOf(ctx);
        if (key === undefined) continue;
        if (limit.spec !== undefined) {
          requests.push({ key: `${limit.bucket}:${key}`, spec: limit.spec });
          pending.push({ limit, spec: limit.spec, policy: limit.policyItem! });
          continue;
        }
        const plan = planOf(ctx);
        if (plan === undefined) continue;
        const spec = plans.get(plan)!;
        // The plan is part of the bucket: moving to another plan starts a fresh counter.
        requests.push({ key: `${limit.bucket}:${plan}:${key}`, spec });
        pending.push({ limit, spec, policy: limit.planItems.get(plan)! });
      }
      if (requests.length === 0) return CONTINUE;
      const answer = limiter.decide(requests);
      return answer instanceof Promise ? answer.then((a) => verdict(ctx, pending, a)) : verdict(ctx, pending, answer);
    },
    responseHead(ctx: RequestContext, head: ResponseHead) {
      const admitted = ctx.state.get(stateKey) as Admitted | undefined;
      if (admitted === undefined) return CONTINUE;
      append(head.headers, 'ratelimit-policy', admitted.policy);
      append(head.headers, 'ratelimit', admitted.state);
      return CONTINUE;
    },
  };
}

/** Both stages may report on one response: their list members are joined (RFC 9110 §5.3). */
function append(headers: HeaderMap, name: string, value: string): void {
  const existing = headers[name];
  headers[name] =
    existing === undefined ? value : `${Array.isArray(existing) ? existing.join(', ') : existing}, ${value}`;
}

async function setupShared(services: Services): Promise<RateLimitShared> {
  return {
    abuse: await acquireAbuseServices(services),
    named: new Map(),
    release: () => releaseAbuseServices(services),
  };
}

/** Route limits keyed by address, route or header: before authentication. */
export const rateLimitStage: StageDefinition<RateLimitGlobal, RouteRateLimit, RateLimitShared> = {
  name: 'rate-limit',
  global: { key: 'rateLimit', schema: RateLimitGlobalSchema },
  route: { key: 'rateLimit', schema: RouteRateLimitSchema },
  setup: (_global, services) => setupShared(services),
  create(route, shared) {
    const limits = compileLimits(route, shared.abuse, shared.named).filter((limit) => !limit.afterAuth);
    return limits.length === 0 ? undefined : createRateLimitStage('rate-limit', limits, shared.abuse);
  },
  dispose: (shared) => shared.release(),
};

/**
 * Route limits keyed by who the caller is (subject, API key, client, CEL, plan): after the
 * authenticate stage. It reads the same route key `rateLimit`; configuration errors (global or
 * per route) are reported once, by 'rate-limit'.
 */
export const rateLimitIdentityStage: StageDefinition<unknown, unknown, RateLimitShared | undefined> = {
  name: 'rate-limit-identity',
  async setup(_global, services) {
    try {
      return await setupShared(services);
    } catch (error) {
      if (error instanceof ConfigError) return undefined;
      throw error;
    }
  },
  create(route, shared) {
    if (shared === undefined) return undefined;
    const settings = route.route['rateLimit'] as RouteRateLimit | undefined;
    let limits: CompiledLimit[];
    try {
      limits = compileLimits({ ...route, settings }, shared.abuse).filter((limit) => limit.afterAuth);
    } catch (error) {
      if (error instanceof ConfigError) return undefined;
      throw error;
    }
    return limits.length === 0 ? undefined : createRateLimitStage('rate-limit-identity', limits, shared.abuse);
  },
  dispose: async (shared) => shared?.release(),
};
