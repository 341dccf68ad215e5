import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import proxyAddr from 'proxy-addr';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { problemJson } from '../errors/problem.js';
import type { RequestContext } from '../pipeline/context.js';
import { runRequestHead } from '../pipeline/runner.js';
import type { Verdict } from '../pipeline/stage.js';
import { normalizeTarget } from '../routing/normalize.js';
import { forwardHeaders, stripPort } from './handler.js';
import { refusedHead } from './rejected.js';
import type { Runtime } from './runtime.js';

/**
 * WebSocket (RFC 6455) upgrades on routes with `websocket: true`. The request-head stages
 * (IP filter, rate limit, authentication, authorization, WAF on headers) run exactly as for any
 * request; then the connection is handed to the upstream and bytes flow both ways.
 */
export function createUpgradeHandler(options: { current: () => Runtime; logger: Logger }) {
  return function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const runtime = options.current();
    const id = randomUUID();
    const fail = (code: ErrorCode, status: number = ERROR_CODES[code].status) => {
      const body = problemJson(code, id, status);
      socket.end(
        `HTTP/1.1 ${status} ${ERROR_CODES[code].title}\r\nContent-Type: application/problem+json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    socket.on('error', () => socket.destroy());
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || req.method !== 'GET')
      return fail('PC_ERR_BAD_REQUEST');
    // The server lets a request without Host through to the handlers (requireHostHeader: false);
    // RFC 9112 §3.2 is enforced here as in the request handler.
    if (refusedHead(req)) return fail('PC_ERR_BAD_REQUEST');
    const normal = normalizeTarget(req.url ?? '/');
    if (!normal.ok) return fail('PC_ERR_BAD_PATH');
    const hostHeader = req.headers.host ?? '';
    const match = runtime.router.match('GET', stripPort(hostHeader).toLowerCase(), normal.path);
    if (match.kind !== 'found' || !match.value.websocket) return fail('PC_ERR_NOT_FOUND');
    const route = match.value;
    const trust = proxyAddr.compile(runtime.config.server.trustedProxies);
    const clientIp = proxyAddr(req, trust);
    const tls = (req.socket as TLSSocket).encrypted === true;
    const peerAddress = req.socket.remoteAddress ?? '';
    const ctx: RequestContext = {
      id,
      startedAt: performance.now(),
      method: 'GET',
      path: normal.path,
      rawTarget: req.url ?? '/',
      query: normal.query,
      host: stripPort(hostHeader).toLowerCase(),
      headers: req.headers,
      clientIp,
      peer: { address: peerAddress, port: req.socket.remotePort ?? 0, tls, protocol: 'http/1.1' },
      routeName: route.name,
      params: match.params,
      upstreamHeaders: forwardHeaders(req.headers, route, {
        clientIp,
        peerAddress,
        peerTrusted: trust(peerAddress, 0),
        proto: tls ? 'https' : 'http',
        host: hostHeader,
        idHeader: runtime.config.server.requestIdHeader,
        id,
      }),
      upstreamPath: normal.path,
      upstreamQuery: normal.query,
      requestBody: undefined,
      responseBody: undefined,
      identity: undefined,
      decision: 'allowed',
      logFields: {},
      state: new Map(),
    };
    const proceed = (verdict: Verdict) => {
      if (verdict.kind !== 'continue') {
        const r = verdict.response;
        return fail(r.kind === 'problem' ? r.code : 'PC_ERR_FORBIDDEN', r.status);
      }
      const target = route.upstream?.pick();
      if (!target) return fail('PC_ERR_UPSTREAM_UNAVAILABLE');
      const path = ctx.upstreamQuery ? `${ctx.upstreamPath}?${ctx.upstreamQuery}` : ctx.upstreamPath;
      target.pool
        .upgrade({ path, method: 'GET', headers: ctx.upstreamHeaders as Record<string, string>, protocol: 'websocket' })
        .then(({ headers, socket: upstream }) => {
          let out = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n';
          for (const [k, v] of Object.entries(headers)) {
            if (k === 'connection' || k === 'upgrade' || v === undefined) continue;
            for (const value of Array.isArray(v) ? v : [v]) out += `${k}: ${value}\r\n`;
          }
          socket.write(`${out}\r\n`);
          if (head.length > 0) upstream.write(head);
          upstream.on('error', () => socket.destroy());
          socket.on('close', () => upstream.destroy());
          upstream.on('close', () => socket.destroy());
          upstream.pipe(socket);
          socket.pipe(upstream);
        })
        .catch((error: Error) => {
          options.logger.warn({ requestId: id, err: error.message }, 'websocket upstream failed');
          fail('PC_ERR_UPSTREAM_BAD_RESPONSE');
        });
    };
    const v = runRequestHead(route.pipeline, ctx);
    if (v instanceof Promise) v.then(proceed, () => fail('PC_ERR_INTERNAL'));
    else proceed(v);
  };
}
