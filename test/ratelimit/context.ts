import type { IncomingHttpHeaders } from 'node:http';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { RequestContext } from '../../src/pipeline/context.js';
import type { Identity } from '../../src/pipeline/identity.js';
import type { Services } from '../../src/stages/definition.js';

/** A RequestContext as the core would build it, for calling stage hooks directly. */
export function makeContext(
  overrides: {
    clientIp?: string;
    headers?: IncomingHttpHeaders;
    identity?: Identity;
    routeName?: string;
    path?: string;
  } = {},
): RequestContext {
  return {
    id: 'req-1',
    startedAt: 0,
    method: 'GET',
    path: overrides.path ?? '/limited',
    rawTarget: overrides.path ?? '/limited',
    query: '',
    host: 'gw.test',
    headers: overrides.headers ?? {},
    clientIp: overrides.clientIp ?? '192.0.2.10',
    peer: { address: '127.0.0.1', port: 40000, tls: false, protocol: 'http/1.1' },
    routeName: overrides.routeName ?? 'limited',
    params: {},
    upstreamHeaders: {},
    upstreamPath: overrides.path ?? '/limited',
    upstreamQuery: '',
    requestBody: undefined,
    responseBody: undefined,
    identity: overrides.identity,
    decision: 'allowed',
    logFields: {},
    state: new Map(),
  };
}

export function makeIdentity(subject: string, extra: Partial<Identity> = {}): Identity {
  return { subject, method: 'jwt', roles: [], scopes: [], claims: {}, ...extra };
}

export function makeServices(config: Record<string, unknown> = {}): Services {
  return {
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    configDir: process.cwd(),
    dataDir: process.cwd(),
    config,
    shared: new Map(),
  };
}

/** A unique Redis key prefix per test run, so parallel runs never share counters. */
export function testPrefix(name: string): string {
  return `pctest:rl:${name}:${process.pid}:${Date.now().toString(36)}:`;
}

export { REDIS_URL, redisSkipReason } from '../helpers/redis.js';
