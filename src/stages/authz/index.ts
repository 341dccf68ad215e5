import { bearerChallenge } from '../../auth/challenge.js';
import { ConfigError } from '../../config/errors.js';
import type { RequestContext } from '../../pipeline/context.js';
import { CONTINUE, respondProblem, type Stage, type Verdict } from '../../pipeline/stage.js';
import { RoutePolicy } from '../../policy/policy.js';
import { type RoleDefinition, RoleGraph } from '../../policy/rbac.js';
import type { Store } from '../../store/types.js';
import type { RouteSettings, Services, StageDefinition } from '../definition.js';
import { type AuthorizationConfig, AuthorizationSchema, type RouteAllow, RouteAllowSchema } from './schema.js';

export interface AuthzShared {
  readonly graph: RoleGraph;
  readonly realm: string;
  /** Credential headers CEL conditions must not see. */
  readonly hiddenHeaders: readonly string[];
}

/**
 * Roles come from `authorization.roles` and, when a store is configured, from its role table;
 * a role defined in both uses the configuration's definition (the file is what `check` sees).
 */
export async function setupAuthorization(
  global: AuthorizationConfig | undefined,
  services: Services,
): Promise<AuthzShared> {
  const roles: Record<string, RoleDefinition> = {};
  const store = services.shared.get('store') as Store | undefined;
  if (store) {
    for (const role of await store.roles.list())
      roles[role.name] = { permissions: role.permissions, inherits: role.inherits };
  }
  Object.assign(roles, global?.roles ?? {});
  const authn = services.config.authentication as { realm?: string; apiKeys?: { header?: string } } | undefined;
  return {
    graph: new RoleGraph(roles, ['authorization', 'roles']),
    realm: authn?.realm ?? 'portcullis',
    hiddenHeaders: [authn?.apiKeys?.header ?? 'x-api-key'],
  };
}

const BEARER_METHODS = new Set(['jwt', 'introspection']);

/**
 * The `authorize` stage: the route's `allow` against ctx.identity.
 *   requirement unmet               403 PC_ERR_FORBIDDEN
 *   token lacks a scope             403 PC_ERR_INSUFFICIENT_SCOPE, and for bearer tokens
 *                                   WWW-Authenticate: Bearer error="insufficient_scope", scope="..." (RFC 6750 §3.1)
 */
export function createAuthorizeStage(route: RouteSettings<RouteAllow>, shared: AuthzShared): Stage | undefined {
  if (route.settings === undefined) return undefined;
  const path = [...route.path, 'allow'];
  if (route.public || route.route.auth === undefined) {
    throw new ConfigError(path, '"allow" needs "auth" on the route: there is no identity to check on a public route');
  }
  const policy = new RoutePolicy(route.settings, shared.graph, path, shared.hiddenHeaders);
  return {
    name: 'authorize',
    requestHead(ctx: RequestContext): Verdict {
      const identity = ctx.identity;
      if (!identity) return respondProblem('unauthenticated', 'PC_ERR_UNAUTHENTICATED', { reason: 'no identity' });
      const decision = policy.evaluate(identity, ctx);
      if (decision.allowed) return CONTINUE;
      if (decision.kind === 'insufficient_scope') {
        return respondProblem('forbidden', 'PC_ERR_INSUFFICIENT_SCOPE', {
          reason: 'insufficient scope',
          ...(BEARER_METHODS.has(identity.method)
            ? {
                headers: { 'www-authenticate': bearerChallenge(shared.realm, 'insufficient_scope', decision.required) },
              }
            : {}),
        });
      }
      return respondProblem('forbidden', 'PC_ERR_FORBIDDEN', { reason: decision.reason });
    },
  };
}

export const authorizeDefinition: StageDefinition<AuthorizationConfig, RouteAllow, AuthzShared> = {
  name: 'authorize',
  global: { key: 'authorization', schema: AuthorizationSchema },
  route: { key: 'allow', schema: RouteAllowSchema },
  setup: (global, services) => setupAuthorization(global, services),
  create: (route, shared) => createAuthorizeStage(route, shared),
};
