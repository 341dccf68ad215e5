import type { TSchema } from '@sinclair/typebox';
import { IdentityProviderSchema } from '../idp/schema.js';
import type { StageName } from '../pipeline/phases.js';
import { RateLimitGlobalSchema } from '../ratelimit/config.js';
import { storeSchema } from '../store/config.js';
import { AuthenticationSchema, RouteAuthSchema } from './authn/schema.js';
import { AuthorizationSchema, RouteAllowSchema } from './authz/schema.js';
import { CorsRouteSchema } from './cors/schema.js';
import type { ServiceDefinition, StageDefinition } from './definition.js';
import { HeadersGlobalSchema, HeadersRouteSchema } from './headers/schema.js';
import { IpFilterGlobalSchema, IpFilterRouteSchema } from './ip-filter/schema.js';
import { RouteRateLimitSchema } from './rate-limit/schema.js';
import { TransformRouteSchema } from './transform/schema.js';
import { ValidationGlobalSchema, ValidationRouteSchema } from './validate/schema.js';
import { WafGlobalSchema, WafRouteSchema } from './waf/schema.js';

/** The validated configuration as the registry reads it: top-level keys and the route list. */
export type ConfigView = Readonly<Record<string, unknown>>;

interface ConfigKey {
  readonly key: string;
  readonly schema: TSchema;
}

/**
 * A stage as the gateway knows it before its implementation is imported: its name and config
 * schemas (for validation and the reference docs) and a loader. Implementations pull in heavy
 * dependencies (the WAF, jose, Ajv for OpenAPI, CEL, database drivers), so Runtime.build imports
 * only the stages a configuration can use: a plain proxy never loads them (docs/architecture.md).
 */
export interface StageEntry {
  readonly name: StageName;
  readonly global?: ConfigKey;
  readonly route?: ConfigKey;
  /**
   * False when the stage has nothing to do under this configuration (its create() would return
   * undefined for every route and its setup() would publish nothing another part reads): it is
   * then neither imported nor set up. When in doubt, true.
   */
  readonly usedBy: (config: ConfigView) => boolean;
  // biome-ignore lint/suspicious/noExplicitAny: definitions are heterogeneous in their config types
  readonly load: () => Promise<StageDefinition<any, any, any>>;
}

/** A gateway-wide service (not a pipeline stage), loaded like a StageEntry. */
export interface ServiceEntry {
  readonly name: string;
  readonly global: ConfigKey;
  readonly usedBy: (config: ConfigView) => boolean;
  // biome-ignore lint/suspicious/noExplicitAny: definitions are heterogeneous in their config types
  readonly load: () => Promise<ServiceDefinition<any, any>>;
}

function routesOf(config: ConfigView): readonly Readonly<Record<string, unknown>>[] {
  return Array.isArray(config.routes) ? (config.routes as Readonly<Record<string, unknown>>[]) : [];
}

/** True when the top-level key is set or any route sets the route key. */
function mentions(globalKey: string | undefined, routeKey: string | undefined): (config: ConfigView) => boolean {
  return (config) =>
    (globalKey !== undefined && config[globalKey] !== undefined) ||
    (routeKey !== undefined && routesOf(config).some((route) => route[routeKey] !== undefined));
}

const always = (): boolean => true;

/**
 * Every stage the gateway knows. Order here does not matter: the pipeline order is STAGE_ORDER
 * in src/pipeline/phases.ts. Each entry's schemas are the ones its definition declares (checked
 * by src/stages/registry.test.ts).
 */
export const STAGE_DEFINITIONS: readonly StageEntry[] = [
  {
    name: 'ip-filter',
    global: { key: 'ipFilter', schema: IpFilterGlobalSchema },
    route: { key: 'ipFilter', schema: IpFilterRouteSchema },
    // Automatic bans are on by default, so every configuration has the stage.
    usedBy: always,
    load: async () => (await import('./ip-filter/index.js')).ipFilterStage,
  },
  {
    name: 'rate-limit',
    global: { key: 'rateLimit', schema: RateLimitGlobalSchema },
    route: { key: 'rateLimit', schema: RouteRateLimitSchema },
    usedBy: mentions('rateLimit', 'rateLimit'),
    load: async () => (await import('./rate-limit/index.js')).rateLimitStage,
  },
  {
    name: 'rate-limit-identity',
    usedBy: mentions('rateLimit', 'rateLimit'),
    load: async () => (await import('./rate-limit/index.js')).rateLimitIdentityStage,
  },
  {
    name: 'authenticate',
    global: { key: 'authentication', schema: AuthenticationSchema },
    route: { key: 'auth', schema: RouteAuthSchema },
    // Every route has it: public routes too, where it removes client-sent identity headers.
    usedBy: always,
    load: async () => (await import('./authn/index.js')).authenticateDefinition,
  },
  {
    name: 'authorize',
    global: { key: 'authorization', schema: AuthorizationSchema },
    route: { key: 'allow', schema: RouteAllowSchema },
    usedBy: mentions('authorization', 'allow'),
    load: async () => (await import('./authz/index.js')).authorizeDefinition,
  },
  {
    name: 'validate',
    global: { key: 'validation', schema: ValidationGlobalSchema },
    route: { key: 'validation', schema: ValidationRouteSchema },
    usedBy: mentions('validation', 'validation'),
    load: async () => (await import('./validate/index.js')).validateStageDefinition,
  },
  {
    name: 'waf',
    global: { key: 'waf', schema: WafGlobalSchema },
    route: { key: 'waf', schema: WafRouteSchema },
    // Without the top-level section there is no rule set, and a route's `waf` has no effect.
    usedBy: mentions('waf', undefined),
    load: async () => (await import('./waf/index.js')).wafStage,
  },
  {
    name: 'transform',
    route: { key: 'transform', schema: TransformRouteSchema },
    usedBy: mentions(undefined, 'transform'),
    load: async () => (await import('./transform/index.js')).transformStageDefinition,
  },
  {
    name: 'cors',
    route: { key: 'cors', schema: CorsRouteSchema },
    usedBy: mentions(undefined, 'cors'),
    load: async () => (await import('./cors/index.js')).corsStage,
  },
  {
    name: 'headers',
    global: { key: 'securityHeaders', schema: HeadersGlobalSchema },
    route: { key: 'headers', schema: HeadersRouteSchema },
    // Security headers apply to every answer.
    usedBy: always,
    load: async () => (await import('./headers/index.js')).headersStage,
  },
];

/** Gateway-wide services (not pipeline stages), set up before the stages. */
export const SERVICE_DEFINITIONS: readonly ServiceEntry[] = [
  {
    name: 'store',
    global: { key: 'store', schema: storeSchema },
    // The store service opens the store only for these (see src/services/store.ts).
    usedBy: (config) =>
      config.store !== undefined ||
      config.identityProvider !== undefined ||
      routesOf(config).some((route) => route.auth !== undefined),
    load: async () => (await import('../services/store.js')).storeService,
  },
  {
    name: 'identityProvider',
    global: { key: 'identityProvider', schema: IdentityProviderSchema },
    usedBy: mentions('identityProvider', undefined),
    load: async () => (await import('../idp/service.js')).identityProviderService,
  },
];

/**
 * The definitions a configuration uses, imported now. Entries already loaded (a definition
 * rather than an entry, as tests pass) are taken as they are.
 */
export async function loadDefinitions<D extends StageDefinition | ServiceDefinition>(
  entries: readonly (D | { readonly usedBy: (config: ConfigView) => boolean; readonly load: () => Promise<D> })[],
  config: ConfigView,
): Promise<D[]> {
  const loaded: D[] = [];
  for (const entry of entries) {
    if (!('load' in entry)) loaded.push(entry);
    else if (entry.usedBy(config)) loaded.push(await entry.load());
  }
  return loaded;
}
