import { ConfigError, type KeyPath } from '../config/errors.js';
import type { Identity } from '../pipeline/identity.js';
import { type Condition, type ConditionInput, compileCondition } from './conditions.js';
import type { RoleGraph } from './rbac.js';

/** A list means any-of; the object form spells out anyOf and/or allOf (both must hold when both are given). */
export type Requirement =
  | readonly string[]
  | { readonly anyOf?: readonly string[]; readonly allOf?: readonly string[] };

/** One set of requirements; every kind present must hold. */
export interface AllowRule {
  readonly roles?: Requirement;
  readonly permissions?: Requirement;
  readonly scopes?: Requirement;
  /** CEL expressions over `identity` and `request`; all must be true. */
  readonly when?: string | readonly string[];
}

/** The route key `allow`: a rule, optionally replaced per HTTP method. */
export interface AllowConfig extends AllowRule {
  readonly perMethod?: Readonly<Record<string, AllowRule>>;
}

export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly kind: 'forbidden'; readonly reason: string }
  | { readonly allowed: false; readonly kind: 'insufficient_scope'; readonly required: readonly string[] };

export interface RequestFacts {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  /** Raw query string without '?'. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly clientIp: string;
}

interface CompiledRequirement {
  readonly anyOf: readonly string[] | undefined;
  readonly allOf: readonly string[];
}

interface CompiledRule {
  readonly roles: CompiledRequirement | undefined;
  readonly permissions: CompiledRequirement | undefined;
  readonly scopes: CompiledRequirement | undefined;
  readonly when: readonly Condition[];
}

const ALLOWED: Decision = Object.freeze({ allowed: true });
// Credentials never reach expressions: a condition has no business reading them, and a log of
// a failing expression must not be able to echo them.
const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * A route's `allow`, compiled once at load. `evaluate` is pure and synchronous: identity and
 * request facts in, a decision out. Roles are expanded through the RoleGraph (inheritance) and
 * permissions come only from roles.
 */
export class RoutePolicy {
  readonly #default: CompiledRule;
  readonly #perMethod: ReadonlyMap<string, CompiledRule>;
  readonly #graph: RoleGraph;
  readonly #hiddenHeaders: ReadonlySet<string>;

  constructor(config: AllowConfig, graph: RoleGraph, path: KeyPath, hiddenHeaders: readonly string[] = []) {
    this.#graph = graph;
    this.#default = compileRule(config, path);
    const perMethod = new Map<string, CompiledRule>();
    for (const [method, rule] of Object.entries(config.perMethod ?? {})) {
      perMethod.set(method.toUpperCase(), compileRule(rule, [...path, 'perMethod', method]));
    }
    this.#perMethod = perMethod;
    this.#hiddenHeaders = new Set([...HIDDEN_HEADERS, ...hiddenHeaders.map((h) => h.toLowerCase())]);
  }

  evaluate(identity: Identity, request: RequestFacts): Decision {
    const rule = this.#perMethod.get(request.method) ?? this.#default;
    const grants = this.#graph.expand(identity.roles);
    if (rule.roles && !satisfied(rule.roles, grants.roles)) return forbidden('missing role');
    if (rule.permissions && !satisfied(rule.permissions, grants.permissions)) return forbidden('missing permission');
    if (rule.when.length > 0) {
      const input = conditionInput(identity, grants.permissions, request, this.#hiddenHeaders);
      for (const [i, condition] of rule.when.entries()) {
        if (!condition(input)) return forbidden(`condition ${i} is false`);
      }
    }
    if (rule.scopes && !satisfied(rule.scopes, new Set(identity.scopes))) {
      return { allowed: false, kind: 'insufficient_scope', required: requiredList(rule.scopes) };
    }
    return ALLOWED;
  }
}

function forbidden(reason: string): Decision {
  return { allowed: false, kind: 'forbidden', reason };
}

function compileRule(rule: AllowRule, path: KeyPath): CompiledRule {
  const when = rule.when === undefined ? [] : typeof rule.when === 'string' ? [rule.when] : rule.when;
  return {
    roles: compileRequirement(rule.roles, [...path, 'roles']),
    permissions: compileRequirement(rule.permissions, [...path, 'permissions']),
    scopes: compileRequirement(rule.scopes, [...path, 'scopes']),
    when: when.map((source, i) =>
      compileCondition(source, typeof rule.when === 'string' ? [...path, 'when'] : [...path, 'when', i]),
    ),
  };
}

function compileRequirement(req: Requirement | undefined, path: KeyPath): CompiledRequirement | undefined {
  if (req === undefined) return undefined;
  if (isList(req)) {
    if (req.length === 0) throw new ConfigError(path, 'an empty list would deny everyone; remove the key instead');
    return { anyOf: req, allOf: [] };
  }
  if (req.anyOf === undefined && req.allOf === undefined) throw new ConfigError(path, 'give anyOf or allOf');
  if (req.anyOf !== undefined && req.anyOf.length === 0) throw new ConfigError([...path, 'anyOf'], 'anyOf is empty');
  return { anyOf: req.anyOf, allOf: req.allOf ?? [] };
}

function isList(req: Requirement): req is readonly string[] {
  return Array.isArray(req);
}

function satisfied(req: CompiledRequirement, held: ReadonlySet<string>): boolean {
  for (const needed of req.allOf) if (!held.has(needed)) return false;
  if (req.anyOf === undefined) return true;
  for (const option of req.anyOf) if (held.has(option)) return true;
  return false;
}

/** RFC 6750 §3: the scope attribute lists the scopes needed; for any-of, each alternative is named. */
function requiredList(req: CompiledRequirement): string[] {
  return [...new Set([...req.allOf, ...(req.anyOf ?? [])])];
}

function conditionInput(
  identity: Identity,
  permissions: ReadonlySet<string>,
  request: RequestFacts,
  hidden: ReadonlySet<string>,
): ConditionInput {
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(request.query)) if (!(k in query)) query[k] = v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) {
    if (v === undefined || hidden.has(k)) continue;
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return {
    identity: {
      subject: identity.subject,
      method: identity.method,
      issuer: identity.issuer ?? '',
      roles: identity.roles,
      permissions: [...permissions],
      scopes: identity.scopes,
      claims: identity.claims,
      clientId: identity.clientId ?? '',
      plan: identity.plan ?? '',
    },
    request: {
      method: request.method,
      path: request.path,
      params: request.params,
      query,
      headers,
      clientIp: request.clientIp,
    },
  };
}
