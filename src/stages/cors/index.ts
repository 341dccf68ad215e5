import { ConfigError, type KeyPath } from '../../config/errors.js';
import type { HeaderMap } from '../../pipeline/context.js';
import { CONTINUE, respondProblem, type Stage, type Verdict } from '../../pipeline/stage.js';
import type { StageDefinition } from '../definition.js';
import { type CorsRoute, CorsRouteSchema } from './schema.js';

/** A route's CORS policy, compiled at load. */
export interface CorsPolicy {
  /** Exact allowed origins; empty when `anyOrigin`. */
  readonly origins: ReadonlySet<string>;
  /** The "*" entry: any origin, never with credentials. */
  readonly anyOrigin: boolean;
  readonly methods: ReadonlySet<string>;
  /** Lower-case allowed request header names. */
  readonly headers: ReadonlySet<string>;
  readonly credentials: boolean;
  /** Precomputed header values. */
  readonly allowMethods: string;
  readonly allowHeaders: string | undefined;
  readonly exposeHeaders: string | undefined;
  readonly maxAge: string;
}

export const DEFAULT_MAX_AGE = 600;
const DEFAULT_METHODS = ['GET', 'HEAD', 'POST'];

/**
 * CORS for one route (Fetch Standard, "CORS protocol"). A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered here: 204 with the allow-lists when origin, method
 * and every requested header are allowed, else 403 PC_ERR_CORS. Other requests go on; their
 * response gets Access-Control-Allow-Origin only when the origin is on the list. The upstream's
 * own Access-Control-* headers are dropped: on a route with a CORS policy, the gateway's policy is
 * the only one, so an upstream that reflects any Origin cannot widen it.
 */
export function createCorsStage(policy: CorsPolicy): Stage {
  const { anyOrigin, credentials, allowMethods, allowHeaders, exposeHeaders, maxAge } = policy;
  const isAllowed = (origin: string) => anyOrigin || policy.origins.has(origin);
  // With "*" the answer is the same for every origin; otherwise it depends on Origin, and a
  // shared cache must know that even for answers that carry no Access-Control-Allow-Origin
  // (Fetch Standard, "CORS protocol and HTTP caches").
  const varyOrigin = !anyOrigin;

  return {
    name: 'cors',
    requestHead(ctx): Verdict {
      const origin = ctx.headers.origin;
      const requestedMethod = ctx.headers['access-control-request-method'];
      if (ctx.method !== 'OPTIONS' || origin === undefined || typeof requestedMethod !== 'string') return CONTINUE;

      if (!isAllowed(origin)) return refuse('origin not on the CORS allow-list');
      if (!policy.methods.has(requestedMethod)) return refuse(`method ${requestedMethod} not allowed by CORS`);
      const requestedHeaders = ctx.headers['access-control-request-headers'];
      if (typeof requestedHeaders === 'string' && requestedHeaders !== '') {
        for (const raw of requestedHeaders.split(',')) {
          const name = raw.trim().toLowerCase();
          if (name !== '' && !policy.headers.has(name)) return refuse(`request header ${name} not allowed by CORS`);
        }
      }

      const headers: HeaderMap = {
        'access-control-allow-origin': anyOrigin ? '*' : origin,
        'access-control-allow-methods': allowMethods,
        'access-control-max-age': maxAge,
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      };
      if (allowHeaders !== undefined) headers['access-control-allow-headers'] = allowHeaders;
      if (credentials) headers['access-control-allow-credentials'] = 'true';
      return { kind: 'respond', decision: 'preflight', response: { kind: 'plain', status: 204, headers } };
    },
    responseHead(ctx, head) {
      const out = head.headers;
      for (const name of UPSTREAM_CORS_HEADERS) if (out[name] !== undefined) delete out[name];
      if (varyOrigin) appendVary(out, 'Origin');
      const origin = ctx.headers.origin;
      if (origin === undefined || !isAllowed(origin)) return CONTINUE;
      out['access-control-allow-origin'] = anyOrigin ? '*' : origin;
      if (credentials) out['access-control-allow-credentials'] = 'true';
      if (exposeHeaders !== undefined) out['access-control-expose-headers'] = exposeHeaders;
      return CONTINUE;
    },
  };
}

const UPSTREAM_CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
];

function refuse(reason: string): Verdict {
  return respondProblem('forbidden', 'PC_ERR_CORS', { reason });
}

function appendVary(headers: HeaderMap, value: string): void {
  const existing = headers.vary;
  if (existing === undefined) {
    headers.vary = value;
    return;
  }
  const joined = Array.isArray(existing) ? existing.join(', ') : existing;
  const present = joined
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .some((part) => part === '*' || part === value.toLowerCase());
  if (!present) headers.vary = `${joined}, ${value}`;
}

/**
 * Checks the route's `cors` section and compiles it. Refuses, with the key path: "*" together
 * with credentials (Fetch forbids it and browsers reject the answer), the "null" origin (sent by
 * sandboxed frames and file: pages, so allowing it allows anyone: ASVS 3.4.2), origins that are
 * not in serialized form, wildcards in methods or headers, and routes whose methods leave out
 * OPTIONS (the preflight could never reach this stage).
 */
export function compileCorsPolicy(settings: CorsRoute, path: KeyPath, routeMethods?: readonly string[]): CorsPolicy {
  const credentials = settings.credentials === true;
  const origins = new Set<string>();
  let anyOrigin = false;
  settings.origins.forEach((entry, i) => {
    const at = [...path, 'origins', i];
    if (entry === '*') {
      if (credentials) throw new ConfigError(at, 'origin "*" cannot be combined with credentials: list the origins');
      if (settings.origins.length > 1) throw new ConfigError(at, 'origin "*" must be the only entry');
      anyOrigin = true;
      return;
    }
    if (entry.toLowerCase() === 'null') {
      throw new ConfigError(at, 'the "null" origin is sent by sandboxed and file: pages; allowing it allows anyone');
    }
    origins.add(serializedOrigin(entry, at));
  });

  if (routeMethods !== undefined && !routeMethods.includes('OPTIONS')) {
    throw new ConfigError(
      [...path.slice(0, -1), 'match', 'methods'],
      'a route with cors must allow OPTIONS, or preflight requests never reach the CORS stage',
    );
  }
  const methodList = settings.methods ?? routeMethods?.filter((m) => m !== 'OPTIONS') ?? DEFAULT_METHODS;
  const headerList = (settings.headers ?? []).map((h) => h.toLowerCase());
  for (const [key, list] of [
    ['headers', headerList],
    ['exposeHeaders', settings.exposeHeaders ?? []],
  ] as const) {
    const star = list.indexOf('*');
    if (star >= 0) throw new ConfigError([...path, key, star], 'wildcards are not allowed: list the header names');
  }
  const exposeList = settings.exposeHeaders ?? [];
  return {
    origins,
    anyOrigin,
    methods: new Set(methodList),
    headers: new Set(headerList),
    credentials,
    allowMethods: methodList.join(', '),
    allowHeaders: headerList.length > 0 ? headerList.join(', ') : undefined,
    exposeHeaders: exposeList.length > 0 ? exposeList.join(', ') : undefined,
    maxAge: String(settings.maxAge ?? DEFAULT_MAX_AGE),
  };
}

/** RFC 6454 §6.2: the ASCII serialization a browser puts in Origin; anything else never matches. */
function serializedOrigin(entry: string, at: KeyPath): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new ConfigError(at, `"${entry}" is not an origin: write scheme://host[:port]`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(at, `"${entry}" is not an http or https origin`);
  }
  if (url.origin !== entry) {
    throw new ConfigError(at, `"${entry}" is not how a browser sends this origin: write "${url.origin}"`);
  }
  return url.origin;
}

function routeMethodsOf(route: Readonly<Record<string, unknown>>): readonly string[] | undefined {
  const match = route.match;
  if (match === null || typeof match !== 'object') return undefined;
  const methods = (match as { methods?: unknown }).methods;
  return Array.isArray(methods) && methods.every((m) => typeof m === 'string') ? (methods as string[]) : undefined;
}

export const corsStage: StageDefinition<undefined, CorsRoute, undefined> = {
  name: 'cors',
  route: { key: 'cors', schema: CorsRouteSchema },
  create(route) {
    if (route.settings === undefined) return undefined;
    return createCorsStage(compileCorsPolicy(route.settings, [...route.path, 'cors'], routeMethodsOf(route.route)));
  },
};
