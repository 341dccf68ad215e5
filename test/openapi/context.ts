/** A RequestContext built by hand, for calling stage hooks directly in tests. */
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../../src/pipeline/context.js';

export interface ContextInit {
  method?: string;
  path?: string;
  query?: string;
  headers?: IncomingHttpHeaders;
  params?: Record<string, string>;
  body?: string | Buffer;
  routeName?: string;
}

export function makeContext(init: ContextInit = {}): RequestContext {
  const path = init.path ?? '/';
  const query = init.query ?? '';
  const headers: IncomingHttpHeaders = { host: 'gw.test', ...init.headers };
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  if (body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  return {
    id: 'req-1',
    startedAt: 0,
    method: init.method ?? 'GET',
    path,
    rawTarget: query === '' ? path : `${path}?${query}`,
    query,
    host: 'gw.test',
    headers,
    clientIp: '127.0.0.1',
    peer: { address: '127.0.0.1', port: 50000, tls: false, protocol: 'http/1.1' },
    routeName: init.routeName ?? 'test',
    params: init.params ?? {},
    upstreamHeaders: { ...headers },
    upstreamPath: path,
    upstreamQuery: query,
    requestBody: body,
    responseBody: undefined,
    identity: undefined,
    decision: 'allowed',
    logFields: {},
    state: new Map(),
  };
}
