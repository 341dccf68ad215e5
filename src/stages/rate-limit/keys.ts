import { Environment } from '@marcbachmann/cel-js';
import { ConfigError, type KeyPath } from '../../config/errors.js';
import type { RequestContext } from '../../pipeline/context.js';
import { type AggregationOptions, ipKey } from '../../ratelimit/ip.js';

/** The bucket a request falls in for one limit; undefined when the limit does not apply. */
export type KeyFunction = (ctx: RequestContext) => string | undefined;

/** Whether the key needs ctx.identity (then the limit runs after authentication). */
export function keyNeedsIdentity(key: string): boolean {
  return key === 'subject' || key === 'apiKey' || key === 'client' || key === 'cel';
}

/** Requests without the header share one bucket, so omitting it is no way around the limit. */
const ABSENT = '-';

export function compileKey(
  key: string,
  expression: string | undefined,
  aggregation: AggregationOptions,
  path: KeyPath,
): KeyFunction {
  switch (key) {
    // Only ctx.clientIp: the core derives it through the trusted-proxy list, so a client-sent
    // X-Forwarded-For can never move it into a fresh bucket (SECURITY-REQUIREMENTS H-14).
    case 'ip':
      return ipKeyFunction(aggregation);
    // No identity (anonymous request on a public route): the limit does not apply; pair it with
    // an ip limit to cover anonymous traffic.
    case 'subject':
      return (ctx) => ctx.identity?.subject;
    case 'apiKey':
      return (ctx) => ctx.identity?.apiKeyId;
    case 'client':
      return (ctx) => ctx.identity?.clientId;
    case 'route':
      return () => '*';
    case 'cel':
      if (expression === undefined) throw new ConfigError([...path, 'expression'], 'key: cel needs an expression');
      return compileCelKey(expression, [...path, 'expression']);
    default: {
      const name = key.slice('header:'.length).toLowerCase();
      return (ctx) => {
        const value = ctx.headers[name];
        if (value === undefined) return ABSENT;
        return Array.isArray(value) ? value.join(',') : value;
      };
    }
  }
}

/** Recent IPv6 client keys remembered per limit; the map is emptied when it reaches this size. */
export const RECENT_IPV6_KEYS = 4096;

/**
 * IPv4 keys come from a short parse loop. IPv6 keys (expand, mask to the prefix, format per
 * RFC 5952) cost about 3 µs, so a client's next requests reuse the answer from a bounded map;
 * clearing it when full keeps memory fixed when a client rotates through its /64.
 */
function ipKeyFunction(aggregation: AggregationOptions): KeyFunction {
  const recent = new Map<string, string>();
  return (ctx) => {
    const ip = ctx.clientIp;
    if (!ip.includes(':')) return ipKey(ip, aggregation) ?? ip;
    let key = recent.get(ip);
    if (key === undefined) {
      key = ipKey(ip, aggregation) ?? ip;
      if (recent.size >= RECENT_IPV6_KEYS) recent.clear();
      recent.set(ip, key);
    }
    return key;
  };
}

// Bounded at parse time so a configuration cannot make one request expensive.
const environment = new Environment({
  limits: { maxAstNodes: 500, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 },
})
  .registerVariable('identity', 'map')
  .registerVariable('request', 'map');

const KEY_TYPES = new Set(['string', 'int', 'uint', 'dyn']);

/** A bucket from a CEL expression over `request` and `identity` (empty strings when anonymous). */
function compileCelKey(source: string, path: KeyPath): KeyFunction {
  let program: ReturnType<typeof environment.parse>;
  try {
    program = environment.parse(source);
  } catch (error) {
    throw new ConfigError(path, describe(source, error));
  }
  const checked = program.check();
  if (!checked.valid) throw new ConfigError(path, describe(source, checked.error));
  if (!KEY_TYPES.has(String(checked.type))) {
    throw new ConfigError(path, `a rate-limit key must be a string or an integer, this one is ${checked.type}`);
  }
  return (ctx) => {
    let value: unknown;
    try {
      value = program(celInput(ctx));
    } catch {
      // A missing field or a type mismatch: one shared bucket, so the limit stays in force.
      return '!error';
    }
    if (value === null || value === undefined || value === '') return undefined;
    return typeof value === 'string' || typeof value === 'bigint' || typeof value === 'number'
      ? String(value)
      : '!error';
  };
}

function celInput(ctx: RequestContext): Record<string, unknown> {
  const id = ctx.identity;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return {
    identity: {
      subject: id?.subject ?? '',
      method: id?.method ?? '',
      issuer: id?.issuer ?? '',
      roles: id?.roles ?? [],
      scopes: id?.scopes ?? [],
      claims: id?.claims ?? {},
      clientId: id?.clientId ?? '',
      apiKeyId: id?.apiKeyId ?? '',
      plan: id?.plan ?? '',
    },
    request: {
      method: ctx.method,
      path: ctx.path,
      host: ctx.host,
      route: ctx.routeName,
      params: ctx.params,
      query: Object.fromEntries(new URLSearchParams(ctx.query)),
      headers,
      clientIp: ctx.clientIp,
    },
  };
}

function describe(source: string, error: unknown): string {
  const e = error as { message?: string; node?: { pos?: number } };
  const message = (e.message ?? String(error)).split('\n')[0]!.trim();
  const pos = e.node?.pos;
  if (typeof pos !== 'number') return `invalid CEL expression: ${message}`;
  const before = source.slice(0, pos);
  return `invalid CEL expression: ${message} at line ${before.split('\n').length} column ${pos - before.lastIndexOf('\n')}`;
}
