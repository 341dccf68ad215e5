export function makeContext(init = {}) {
  const path = init.path ?? '/';
  const query = init.query ?? '';
  const headers = { host: 'gw.test', ...init.headers };
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
//# sourceMappingURL=context.js.map
