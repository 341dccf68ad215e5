import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors/codes.js';
import { PROBLEM_CONTENT_TYPE, problemJson } from '../errors/problem.js';

/**
 * Answers what Node's HTTP parser refused before any handler ran: oversized headers (431),
 * slow clients (408) and malformed or smuggling-shaped requests (400: both Content-Length and
 * Transfer-Encoding, bad chunking, bare LF...). RFC 9112 §6.3 / §11.2: such a message must not be
 * forwarded, and the connection is closed.
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Socket,
  onLog?: (code: string) => void,
): void {
  const code = error.code ?? 'UNKNOWN';
  onLog?.(code);
  if (!socket.writable || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  let status = 400;
  let problem: ErrorCode = 'PC_ERR_BAD_REQUEST';
  let reason = 'Bad Request';
  if (code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    problem = 'PC_ERR_HEADERS_TOO_LARGE';
    reason = 'Request Header Fields Too Large';
  } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    status = 408;
    problem = 'PC_ERR_REQUEST_TIMEOUT';
    reason = 'Request Timeout';
  } else if (code === 'ECONNRESET' || code === 'EPIPE') {
    socket.destroy();
    return;
  }
  const body = problemJson(problem, '-', status);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
