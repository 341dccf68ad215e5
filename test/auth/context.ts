import { mkdtempSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { PeerInfo, RequestContext } from '../../src/pipeline/context.js';
import type { Services } from '../../src/stages/definition.js';

/** A RequestContext as the core would build it, for calling stage hooks directly. */
export function makeContext(
  init: {
    method?: string;
    path?: string;
    query?: string;
    headers?: IncomingHttpHeaders;
    params?: Record<string, string>;
    clientIp?: string;
    peer?: Partial<PeerInfo>;
    id?: string;
  } = {},
): RequestContext {
  const headers = init.headers ?? {};
  return {
    id: init.id ?? 'req-1',
    startedAt: performance.now(),
    method: init.method ?? 'GET',
    path: init.path ?? '/',
    rawTarget: init.path ?? '/',
    query: init.query ?? '',
    host: 'gw.example',
    headers,
    clientIp: init.clientIp ?? '198.51.100.7',
    peer: { address: '127.0.0.1', port: 5555, tls: false, protocol: 'http/1.1', ...init.peer },
    routeName: 'r',
    params: init.params ?? {},
    upstreamHeaders: { ...headers },
    upstreamPath: init.path ?? '/',
    upstreamQuery: init.query ?? '',
    requestBody: undefined,
    responseBody: undefined,
    identity: undefined,
    decision: 'allowed',
    logFields: {},
    state: new Map(),
  };
}

export function makeServices(config: Record<string, unknown> = {}): Services {
  const dir = mkdtempSync(join(tmpdir(), 'pc-auth-'));
  return {
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    configDir: dir,
    dataDir: dir,
    config,
    shared: new Map(),
  };
}
