import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors/codes.js';
import { PROBLEM_CONTENT_TYPE, problemJson } from '../errors/problem.js';
import type { RejectedInspector, RejectedRequest } from '../stages/waf/rejected.js';
import { inspect, rejectedFromMessage, rejectedFromPacket } from './rejected.js';

export interface ClientErrorOptions {
  /** The WAF's inspector for refused requests (top-level `waf`), when configured. */
  readonly inspector?: RejectedInspector | undefined;
  /** The response header that carries the request id (`server.requestIdHeader`). */
  readonly requestIdHeader?: string;
  readonly onLog?: (fields: Record<string, unknown>) => void;
}

interface Answer {
  readonly status: number;
  readonly reason: string;
  readonly code: ErrorCode;
  readonly decision: string;
}

const BAD_REQUEST: Answer = { status: 400, reason: 'Bad Request', code: 'PC_ERR_BAD_REQUEST', decision: 'bad_request' };
const NOT_IMPLEMENTED: Answer = {
  status: 501,
  reason: 'Not Implemented',
  code: 'PC_ERR_METHOD_NOT_IMPLEMENTED',
  decision: 'method_not_implemented',
};
const HEADERS_TOO_LARGE: Answer = {
  status: 431,
  reason: 'Request Header Fields Too Large',
  code: 'PC_ERR_HEADERS_TOO_LARGE',
  decision: 'too_large',
};
const TIMEOUT: Answer = { status: 408, reason: 'Request Timeout', code: 'PC_ERR_REQUEST_TIMEOUT', decision: 'timeout' };

/**
 * Answers what Node's HTTP parser refused before any handler ran: oversized headers (431),
 * slow clients (408), an unknown method (501, RFC 9110 §9.1) and malformed or smuggling-shaped
 * requests (400: both Content-Length and Transfer-Encoding, bad chunking, bare LF, invalid
 * characters in the target or a field...). RFC 9112 §6.3 / §11.2: such a message is never
 * forwarded, and the connection is closed after the answer.
 *
 * Before answering, the bytes the parser refused are read leniently and given to the WAF's
 * inspector (logging only), so malformed attack probes still leave their rule lines.
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Socket,
  options: ClientErrorOptions = {},
): void {
  const code = error.code ?? 'UNKNOWN';
  if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
    options.onLog?.({ code });
    socket.destroy();
    return;
  }
  const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
  const timeout = code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT';
  if (timeout) {
    options.onLog?.({ code });
    if (pending?.headersSent) socket.destroy();
    else writeAnswer(socket, TIMEOUT, randomUUID(), options.requestIdHeader, true);
    return;
  }

  const requestId = randomUUID();
  const { bytesParsed, rawPacket } = error as { bytesParsed?: number; rawPacket?: Buffer };
  const request = Buffer.isBuffer(rawPacket)
    ? rejectedFromPacket(rawPacket, bytesParsed ?? rawPacket.length, {
        requestId,
        clientIp: socket.remoteAddress ?? '',
        clientPort: socket.remotePort ?? 0,
      })
    : undefined;
  let answer = BAD_REQUEST;
  if (code === 'HPE_HEADER_OVERFLOW') answer = HEADERS_TOO_LARGE;
  else if (code === 'HPE_INVALID_METHOD' && request?.methodToken) answer = NOT_IMPLEMENTED;
  const fields: Record<string, unknown> = { code, requestId, status: answer.status };
  if (request && options.inspector) {
    fields['waf'] = inspect(options.inspector, request, {
      decision: answer.decision,
      status: answer.status,
      reason: (error as { reason?: string }).reason ?? code,
    });
  }
  options.onLog?.(fields);

  const send = () => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    // HTTP/0.9 (RFC 1945 §4.1): a request line without a version gets a body without a head.
    writeAnswer(socket, answer, requestId, options.requestIdHeader, request?.protocol !== '');
  };
  // The error is in a pipelined message after a complete request whose response is still on its
  // way: answers go out in request order (RFC 9112 §9.3.2), so the refusal waits for it.
  if (pending && !pending.writableFinished && (pending.req as IncomingMessage | undefined)?.complete) {
    pending.once('finish', send);
    pending.once('close', () => {
      if (!pending.writableFinished) socket.destroy();
    });
    return;
  }
  if (pending?.headersSent) {
    socket.destroy();
    return;
  }
  send();
}

/**
 * A CONNECT request (Node hands it to the server's `connect` event, outside the request
 * handler): the gateway proxies requests, it does not open tunnels. RFC 9112 §3.2.3: the target
 * must be authority-form, `host:port`; otherwise 400, else 501. The WAF inspects it first.
 */
export function answerConnect(req: IncomingMessage, socket: Socket, options: ClientErrorOptions = {}): void {
  const requestId = randomUUID();
  const answer = AUTHORITY_FORM.test(req.url ?? '') ? NOT_IMPLEMENTED : BAD_REQUEST;
  const fields: Record<string, unknown> = { code: 'CONNECT', requestId, status: answer.status };
  if (options.inspector) {
    const request: RejectedRequest = rejectedFromMessage(req, { requestId, clientIp: socket.remoteAddress ?? '' });
    fields['waf'] = inspect(options.inspector, request, {
      decision: answer.decision,
      status: answer.status,
      reason: answer === BAD_REQUEST ? 'CONNECT target is not authority-form' : 'CONNECT is not supported',
    });
  }
  options.onLog?.(fields);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  writeAnswer(socket, answer, requestId, options.requestIdHeader, true);
}

/** RFC 9112 §3.2.3 authority-form: uri-host ":" port (RFC 3986 §3.2.2 reg-name or IP literal). */
const AUTHORITY_FORM = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=-]+):\d{1,5}$/;

function writeAnswer(socket: Socket, answer: Answer, requestId: string, idHeader: string | undefined, head: boolean) {
  const body = problemJson(answer.code, requestId, answer.status);
  if (!head) {
    socket.end(body);
    return;
  }
  socket.end(
    `HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n` +
      `${idHeader ? `${idHeader}: ${requestId}\r\n` : ''}Connection: close\r\n\r\n${body}`,
  );
}
