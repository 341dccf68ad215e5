import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import proxyAddr from 'proxy-addr';
import { util as undiciUtil } from 'undici';
import type { ErrorCode } from '../errors/codes.js';
import { PROBLEM_CONTENT_TYPE, type ProblemItem, problemJson } from '../errors/problem.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { HeaderMap, PeerInfo, RequestContext, ResponseHead } from '../pipeline/context.js';
import { type Decision, SECURITY_DECISIONS } from '../pipeline/phases.js';
import {
  needsRequestBody,
  needsResponseBody,
  runLog,
  runRequestBody,
  runRequestHead,
  runResponseBody,
  runResponseHead,
} from '../pipeline/runner.js';
import type { StageResponse, Verdict } from '../pipeline/stage.js';
import { type ForwardControl, forward, type UpstreamFailure } from '../proxy/forward.js';
import { normalizeTarget } from '../routing/normalize.js';
import { GATEWAY_HEADERS_KEY } from '../stages/headers/index.js';
import { inspectRefused, refusedHead } from './rejected.js';
import type { CompiledRoute, Runtime } from './runtime.js';

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/**
 * Client-sent headers that claim facts only the gateway may state (ASVS 4.1.3, RFC 9700 §4.13):
 * dropped, then set by the gateway where it has the fact. Method-override headers are dropped so
 * a backend framework cannot turn an allowed POST into a DELETE behind the policy's back.
 */
const SPOOFABLE = new Set([
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'x-client-cert',
  'x-ssl-client-cert',
  'x-ssl-client-verify',
  'x-ssl-client-s-dn',
  'x-forwarded-client-cert',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

// RFC 9110 §7.6.1: connection-specific fields are never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Request fields never forwarded as the client sent them: one lookup per field. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, ...SPOOFABLE]);

/** Bytes a kept request id may hold: `[A-Za-z0-9._:@-]`, indexed by char code. */
const REQUEST_ID_CHARS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-')
  REQUEST_ID_CHARS[c.charCodeAt(0)] = 1;

/**
 * A client's request id is kept when it is 1 to 128 of REQUEST_ID_CHARS (it goes into log lines
 * and upstream headers as is). A loop, not a regular expression: it runs on every request, and
 * the regexp call costs several times the scan of a 36-character UUID.
 */
export function isRequestId(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > 128) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || REQUEST_ID_CHARS[c] === 0) return false;
  }
  return true;
}

const FAILURE_STATUS: Record<UpstreamFailure, { status: number; code: ErrorCode }> = {
  unavailable: { status: 503, code: 'PC_ERR_UPSTREAM_UNAVAILABLE' },
  'bad-response': { status: 502, code: 'PC_ERR_UPSTREAM_BAD_RESPONSE' },
  timeout: { status: 504, code: 'PC_ERR_UPSTREAM_TIMEOUT' },
};

/**
 * Declared bodies up to this size are read whole before the upstream request (one write upstream,
 * no stream handling); it is the stream high-water mark node:http buffers per request anyway.
 */
const SMALL_BODY_BYTES = 16 * 1024;

const EMPTY_BODY = Buffer.alloc(0);

class BodyTooLarge extends Error {
  readonly code = 'PC_BODY_TOO_LARGE';
}

export interface HandlerOptions {
  readonly current: () => Runtime;
  readonly logger: Logger;
  readonly accessLogger: Logger | undefined;
  /** One line per security refusal (SECURITY_DECISIONS), with or without the access log. */
  readonly securityLogger?: Logger | undefined;
  readonly metrics: GatewayMetrics;
  /** True while draining: answers carry `Connection: close` so keep-alive clients move on. */
  readonly draining?: () => boolean;
}

/**
 * The data plane: one function per request, for HTTP/1.1 and HTTP/2 alike.
 *
 * normalise ─▶ route ─▶ requestHead stages ─▶ [body stages] ─▶ upstream ─▶ responseHead stages
 *   ─▶ [response body stages] ─▶ client ─▶ log
 */
export function createRequestHandler(options: HandlerOptions): (req: Req, res: Res) => void {
  const { logger, metrics } = options;
  let trustFn: ((addr: string, i: number) => boolean) | undefined;
  let trustFor: Runtime | undefined;

  return function handleRequest(anyReq: Req, anyRes: Res): void {
    // The HTTP/2 compatibility API mirrors HTTP/1's; one set of calls serves both.
    const req = anyReq as IncomingMessage;
    const res = anyRes as ServerResponse;
    const runtime = options.current();
    runtime.inflight++;
    const startedAt = performance.now();
    if (trustFor !== runtime) {
      trustFn = proxyAddr.compile(runtime.config.server.trustedProxies);
      trustFor = runtime;
    }
    const headers = req.headers as IncomingHttpHeaders;
    const idHeader = runtime.config.server.requestIdHeader;
    const incomingId = headers[idHeader];
    const id = typeof incomingId === 'string' && isRequestId(incomingId) ? incomingId : randomUUID();
    const socket = req.socket;
    const tls = (socket as TLSSocket).encrypted === true;
    // Read once: each read of the getter goes through net.Socket's peer-name lookup.
    const peerAddress = socket.remoteAddress ?? '';
    // proxy-addr parses the forwarding chain; without one the peer is the client.
    const clientIp =
      headers['x-forwarded-for'] === undefined ? peerAddress : proxyAddr(req as IncomingMessage, trustFn!);
    const method = req.method ?? 'GET';
    const rawTarget = req.url ?? '/';
    const hostHeader = (headers[':authority'] as string | undefined) ?? headers.host ?? '';
    const host = stripPort(hostHeader).toLowerCase();

    let route: CompiledRoute | undefined;
    let ctx: RequestContext | undefined;
    let decision: Decision = 'allowed';
    let upstreamMs: number | undefined;
    let finished = false;
    let logReason: string | undefined;
    let upstreamControl: ForwardControl | undefined;

    // The one 'close' listener: accounting and logging, then the upstream exchange is cut if the
    // answer did not finish (the client went away).
    const finish = () => {
      if (finished) return;
      finished = true;
      runtime.release();
      const status = res.statusCode;
      const totalMs = performance.now() - startedAt;
      const d = ctx?.decision ?? decision;
      metrics.request(route?.name ?? '(none)', status, d, totalMs / 1000);
      if (ctx && route && route.pipeline.log.length > 0)
        runLog(route.pipeline, ctx, status, (error) => logger.error({ err: error, requestId: id }, 'log stage failed'));
      const security = options.securityLogger !== undefined && SECURITY_DECISIONS.has(d);
      if (security || options.accessLogger) {
        const line = {
          requestId: id,
          route: route?.name,
          method,
          path: ctx?.path ?? rawTarget,
          status,
          decision: d,
          upstreamMs: upstreamMs === undefined ? undefined : round(upstreamMs),
          totalMs: round(totalMs),
          clientIp,
          identity: ctx?.identity?.subject,
          ...(logReason ? { reason: logReason } : {}),
          ...(ctx && hasKeys(ctx.logFields) ? ctx.logFields : {}),
        };
        if (security) options.securityLogger!.warn({ event: 'request.refused', ...line });
        options.accessLogger?.info(line);
      }
      if (upstreamControl !== undefined && !res.writableFinished) {
        upstreamControl.abandon();
      }
    };
    // `on`, not `once`: finish() runs once by itself, and once() would wrap it per request.
    res.on('close', finish);
    if (options.draining?.() && req.httpVersionMajor === 1) res.shouldKeepAlive = false;

    const sendProblem = (status: number, code: ErrorCode, extra?: HeaderMap, errors?: readonly ProblemItem[]): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = problemJson(code, id, status, errors);
      const security = runtime.services.shared.get(GATEWAY_HEADERS_KEY) as ((tls: boolean) => HeaderMap) | undefined;
      const out: HeaderMap = {
        ...security?.(tls),
        'content-type': PROBLEM_CONTENT_TYPE,
        'content-length': String(Buffer.byteLength(body)),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        [idHeader]: id,
        ...extra,
      };
      res.writeHead(status, out as Record<string, string>);
      res.end(method === 'HEAD' ? undefined : body);
    };

    const respond = (verdict: Exclude<Verdict, { kind: 'continue' }>): void => {
      decision = verdict.decision;
      if (ctx) ctx.decision = verdict.decision;
      if (verdict.reason) logReason = verdict.reason;
      sendStageResponse(verdict.response);
    };

    const sendStageResponse = (response: StageResponse): void => {
      if (response.kind === 'problem') {
        sendProblem(response.status ?? statusOf(response.code), response.code, response.headers, response.errors);
        return;
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const out: HeaderMap = { [idHeader]: id, ...response.headers };
      if (response.body !== undefined) out['content-length'] = String(Buffer.byteLength(response.body));
      res.writeHead(response.status, out as Record<string, string>);
      res.end(method === 'HEAD' ? undefined : response.body);
    };

    try {
      const limits = runtime.config.server.limits;
      // Refused before any route: the WAF's inspector (top-level `waf`) still logs the request.
      const refuse = (status: number, code: ErrorCode, refusal: Decision, reason?: string, extra?: HeaderMap) => {
        decision = refusal;
        if (reason) logReason = reason;
        const outcome = { decision: refusal, status, ...(reason ? { reason } : {}) };
        inspectRefused(runtime, req, { requestId: id, clientIp }, outcome, logger);
        sendProblem(status, code, extra);
      };
      if (rawTarget.length > limits.maxUriBytes) return refuse(414, 'PC_ERR_URI_TOO_LONG', 'bad_request');
      // RFC 9112 §3.2: a request with more than one Host field is refused.
      if (req.httpVersionMajor === 1 && countHost(req.rawHeaders) > 1)
        return refuse(400, 'PC_ERR_BAD_REQUEST', 'bad_request', 'more than one Host header', { connection: 'close' });
      const badHead = refusedHead(req);
      if (badHead) return refuse(400, 'PC_ERR_BAD_REQUEST', 'bad_request', badHead, { connection: 'close' });
      const normal = normalizeTarget(rawTarget);
      if (!normal.ok) return refuse(400, 'PC_ERR_BAD_PATH', 'bad_request', normal.reason);
      const match = runtime.router.match(method, host, normal.path);
      if (match.kind === 'not-found') return refuse(404, 'PC_ERR_NOT_FOUND', 'not_found');
      if (match.kind === 'method-not-allowed')
        return refuse(405, 'PC_ERR_METHOD_NOT_ALLOWED', 'method_not_allowed', undefined, {
          allow: match.allow.join(', '),
        });
      route = match.value;
      const r = route;
      const address = peerAddress;
      const port = socket.remotePort ?? 0;
      const protocol = req.httpVersion === '2.0' ? 'h2' : req.httpVersion === '1.0' ? 'http/1.0' : 'http/1.1';
      const peer: PeerInfo =
        tls && (socket as TLSSocket).authorized
          ? { address, port, tls, protocol, certificate: (socket as TLSSocket).getPeerCertificate(true) }
          : { address, port, tls, protocol };
      const upstreamHeaders = forwardHeaders(headers, r, {
        clientIp,
        peerAddress: peer.address,
        peerTrusted: peer.address !== clientIp || trustFn!(peer.address, 0),
        proto: tls ? 'https' : 'http',
        host: hostHeader,
        idHeader,
        id,
      });
      let upstreamPath = normal.path;
      if (r.stripPrefix && upstreamPath.startsWith(r.stripPrefix)) {
        upstreamPath = upstreamPath.slice(r.stripPrefix.length);
        if (!upstreamPath.startsWith('/')) upstreamPath = `/${upstreamPath}`;
      }
      if (r.addPrefix) upstreamPath = r.addPrefix.replace(/\/$/, '') + upstreamPath;
      ctx = {
        id,
        startedAt,
        method,
        path: normal.path,
        rawTarget,
        query: normal.query,
        host,
        headers,
        clientIp,
        peer,
        routeName: r.name,
        params: match.params,
        upstreamHeaders,
        upstreamPath,
        upstreamQuery: normal.query,
        requestBody: undefined,
        responseBody: undefined,
        identity: undefined,
        decision: 'allowed',
        logFields: {},
        state: new Map(),
      };
      const c = ctx;

      // RFC 9110 §15.5.14: refuse a declared oversize body before reading it.
      const declared = headers['content-length'];
      const declaredBytes = declared === undefined ? -1 : Number(declared);
      if (declaredBytes > r.maxBodyBytes) {
        decision = 'too_large';
        sendProblem(413, 'PC_ERR_BODY_TOO_LARGE', { connection: 'close' });
        return;
      }

      const bodyFailed = (error: Error): void => {
        if (error instanceof BodyTooLarge) {
          decision = 'too_large';
          sendProblem(413, 'PC_ERR_BODY_TOO_LARGE', { connection: 'close' });
        } else res.destroy();
      };

      const afterHead = (verdict: Verdict): void => {
        if (verdict.kind !== 'continue') return respond(verdict);
        if (needsRequestBody(r.pipeline, c)) {
          collectBody(req, r.maxBodyBytes, (error, body) => {
            if (error) return bodyFailed(error);
            c.requestBody = body;
            then(runRequestBody(r.pipeline, c), (v) =>
              v.kind !== 'continue' ? respond(v) : send(c.requestBody ?? null),
            );
          });
          return;
        }
        if (!hasBody(headers)) return send(null);
        // A small declared body is read whole and goes upstream in the same write as the head: a
        // Buffer spares undici its stream path (listeners, a write per chunk). Bounded by
        // SMALL_BODY_BYTES per request; anything larger, or chunked, streams.
        if (declaredBytes !== -1 && declaredBytes <= SMALL_BODY_BYTES && r.upstream && !r.internal) {
          collectBody(req, r.maxBodyBytes, (error, body) => (error ? bodyFailed(error) : send(body!)));
          return;
        }
        send(declaredBytes !== -1 ? req : limitStream(req, r.maxBodyBytes));
      };

      const send = (body: Buffer | NodeJS.ReadableStream | AsyncIterable<Buffer> | null): void => {
        if (r.internal || !r.upstream) {
          // In-process upstream (e.g. the identity provider): it answers on res itself.
          r.internal?.(req, res, c);
          return;
        }
        const upstream = r.upstream;
        if (Buffer.isBuffer(body)) {
          c.upstreamHeaders['content-length'] = String(body.length);
          delete c.upstreamHeaders['transfer-encoding'];
        }
        const path = c.upstreamQuery ? `${c.upstreamPath}?${c.upstreamQuery}` : c.upstreamPath;
        const sentAt = performance.now();
        let head: ResponseHead | undefined;
        let buffered: Buffer[] | undefined;
        let bufferedBytes = 0;
        let resumeUpstream: (() => void) | undefined;
        let drainListened = false;
        // Back-pressure: the 'drain' listener is added at the first write the socket refuses, not
        // per answer (most answers fit the socket buffer).
        const write = (chunk: Buffer): boolean => {
          if (res.write(chunk)) return true;
          if (!drainListened && resumeUpstream !== undefined) {
            drainListened = true;
            res.on('drain', resumeUpstream);
          }
          return false;
        };
        const control = forward(
          upstream,
          { method, path, headers: c.upstreamHeaders, body: body as never },
          {
            onHeaders(status, rawHeaders, resume) {
              resumeUpstream = resume;
              upstreamMs = performance.now() - sentAt;
              metrics.upstream(upstream.name, upstreamMs / 1000);
              head = { status, headers: responseHeaders(rawHeaders) };
              const h = head;
              h.headers[idHeader] = id;
              const verdict = runResponseHead(r.pipeline, c, h);
              const proceed = (v: Verdict) => {
                if (v.kind !== 'continue') {
                  control.abort();
                  return respond(v);
                }
                if (needsResponseBody(r.pipeline, c, h)) {
                  buffered = [];
                  return;
                }
                res.writeHead(h.status, h.headers as Record<string, string>);
              };
              if (verdict instanceof Promise) {
                // Hold the body until the async stage has decided.
                verdict.then((v) => {
                  proceed(v);
                  resume();
                });
                return false;
              }
              proceed(verdict);
              return true;
            },
            onData(chunk) {
              if (buffered) {
                bufferedBytes += chunk.length;
                if (bufferedBytes > r.maxResponseBufferBytes) {
                  // Past the cap the body streams untouched (stages that needed it are told why).
                  c.logFields.responseBufferExceeded = true;
                  res.writeHead(head!.status, head!.headers as Record<string, string>);
                  for (const b of buffered) res.write(b);
                  buffered = undefined;
                  return write(chunk);
                }
                buffered.push(chunk);
                return true;
              }
              if (res.writableEnded || res.destroyed) return false;
              return write(chunk);
            },
            onComplete() {
              if (buffered && head) {
                const h = head;
                c.responseBody = Buffer.concat(buffered);
                then(runResponseBody(r.pipeline, c, h), (v) => {
                  if (v.kind !== 'continue') return respond(v);
                  const out = c.responseBody ?? Buffer.alloc(0);
                  delete h.headers['transfer-encoding'];
                  h.headers['content-length'] = String(out.length);
                  res.writeHead(h.status, h.headers as Record<string, string>);
                  res.end(out);
                });
                return;
              }
              res.end();
            },
            onError(failure, error, headersReceived) {
              if (error instanceof BodyTooLarge || (error as { cause?: unknown }).cause instanceof BodyTooLarge) {
                decision = 'too_large';
                return sendProblem(413, 'PC_ERR_BODY_TOO_LARGE', { connection: 'close' });
              }
              if (res.destroyed) return;
              logReason = `${failure}: ${(error as { code?: string }).code ?? error.message}`;
              if (headersReceived || res.headersSent) {
                res.destroy();
                return;
              }
              decision = 'upstream_error';
              c.decision = 'upstream_error';
              const mapped = FAILURE_STATUS[failure];
              sendProblem(mapped.status, mapped.code);
            },
          },
        );
        upstreamControl = control;
      };

      then(runRequestHead(r.pipeline, c), afterHead);
    } catch (error) {
      // A bug, never a client's fault: log the detail, answer 500 without it.
      logger.error({ err: error, requestId: id }, 'request handler failed');
      decision = 'error';
      sendProblem(500, 'PC_ERR_INTERNAL');
    }

    function then(v: Verdict | Promise<Verdict>, next: (v: Verdict) => void): void {
      if (v instanceof Promise) {
        v.then(next, (error: unknown) => {
          logger.error({ err: error, requestId: id }, 'stage failed');
          decision = 'error';
          if (ctx) ctx.decision = 'error';
          sendProblem(500, 'PC_ERR_INTERNAL');
        });
      } else next(v);
    }
  };
}

function statusOf(code: ErrorCode): number {
  return PROBLEM_STATUS[code];
}

import { ERROR_CODES } from '../errors/codes.js';

const PROBLEM_STATUS = Object.fromEntries(Object.entries(ERROR_CODES).map(([k, v]) => [k, v.status])) as Record<
  ErrorCode,
  number
>;

export function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(1, end);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['content-length'] !== undefined
    ? headers['content-length'] !== '0'
    : headers['transfer-encoding'] !== undefined;
}

function countHost(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // ASCII case folding by hand: `| 0x20` lower-cases letters, and no other byte folds to these.
    if (
      name.length === 4 &&
      (name.charCodeAt(0) | 0x20) === 104 &&
      (name.charCodeAt(1) | 0x20) === 111 &&
      (name.charCodeAt(2) | 0x20) === 115 &&
      (name.charCodeAt(3) | 0x20) === 116
    )
      n++;
  }
  return n;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

export interface ForwardingFacts {
  clientIp: string;
  peerAddress: string;
  peerTrusted: boolean;
  proto: string;
  host: string;
  idHeader: string;
  id: string;
}

/** Request headers for the upstream: hop-by-hop removed, forwarding headers set honestly. */
export function forwardHeaders(headers: IncomingHttpHeaders, route: CompiledRoute, facts: ForwardingFacts): HeaderMap {
  const out: HeaderMap = {};
  const listed = connectionListed(headers.connection);
  const preserveHost = route.upstream?.preserveHost === true;
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' h2 pseudo-header */ || NOT_FORWARDED.has(name) || listed?.has(name)) continue;
    // Without preserveHost undici sends the upstream's own host; `delete` would slow the object.
    if (name === 'host' && !preserveHost) continue;
    out[name] = headers[name];
  }
  if (preserveHost && !out.host && facts.host) out.host = facts.host;
  // Only a trusted proxy's forwarding chain is kept; anyone else's is replaced.
  const xff = headers['x-forwarded-for'];
  out['x-forwarded-for'] = facts.peerTrusted && xff ? `${xff}, ${facts.peerAddress}` : facts.peerAddress;
  out['x-forwarded-proto'] = facts.proto;
  out['x-real-ip'] = facts.clientIp;
  if (facts.host) out['x-forwarded-host'] = facts.host;
  // RFC 7239
  const node = facts.peerAddress.includes(':') ? `"[${facts.peerAddress}]"` : facts.peerAddress;
  const hostWithoutQuotes = facts.host.includes('"') ? facts.host.replace(/"/g, '') : facts.host;
  const forwarded = `for=${node};proto=${facts.proto}${facts.host ? `;host="${hostWithoutQuotes}"` : ''}`;
  out.forwarded = facts.peerTrusted && headers.forwarded ? `${headers.forwarded}, ${forwarded}` : forwarded;
  out[facts.idHeader] = facts.id;
  return out;
}

/**
 * RFC 9110 §7.6.1: the field names a Connection header lists, undefined when it lists none but
 * the hop-by-hop `keep-alive` / `close` options (the usual case: no set to build).
 */
function connectionListed(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'keep-alive' || lower === 'close') return undefined;
  return new Set(lower.split(',').map((s) => s.trim()));
}

function responseHeaders(raw: Buffer[]): HeaderMap {
  const out: HeaderMap = {};
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    // undici's tree of known names answers with an interned lower-case string: no decode, no copy.
    const name = undiciUtil.headerNameToString(raw[i] as Buffer);
    const value = (raw[i + 1] as Buffer).toString('latin1');
    if (name === 'connection') listed = connectionListed(value);
    if (HOP_BY_HOP.has(name)) continue;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  if (listed) for (const name of listed) delete out[name];
  return out;
}

/**
 * Reads a whole request body, refusing it past `limit` (BodyTooLarge). A callback, not a promise:
 * the common one-chunk body is handed on as it arrived, without a copy or a microtask.
 */
function collectBody(
  req: IncomingMessage,
  limit: number,
  done: (error: Error | undefined, body: Buffer | undefined) => void,
): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  let settled = false;
  const settle = (error: Error | undefined, body: Buffer | undefined): void => {
    if (settled) return;
    settled = true;
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('error', onError);
    req.removeListener('close', onClose);
    done(error, body);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) {
      // The rest is read and dropped so the connection can answer 413.
      req.resume();
      settle(new BodyTooLarge('request body too large'), undefined);
      return;
    }
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  };
  const onEnd = (): void => settle(undefined, chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY_BODY));
  const onError = (error: Error): void => settle(error, undefined);
  // 'close' before 'end': the client went away mid-body.
  const onClose = (): void => settle(new Error('client aborted'), undefined);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.on('close', onClose);
}

/** A chunked body streamed upstream, cut when it passes the route's limit. */
async function* limitStream(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge('request body too large');
    yield chunk;
  }
}
