import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Target, Upstream } from './upstream.js';

export interface ForwardRequest {
  readonly method: string;
  /** Path and query, as sent upstream. */
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** A stream is sent as it arrives (never retried); a Buffer may be retried. */
  readonly body: Readable | Buffer | null;
}

/** Why an upstream exchange failed, mapped to 502 / 503 / 504 by the caller. */
export type UpstreamFailure = 'unavailable' | 'bad-response' | 'timeout';

export interface ForwardHandler {
  /** Upstream answered. Return false to pause the body until resume() is called. */
  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, target: Target): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** headersReceived: the failure happened mid-body (only the connection can be cut then). */
  onError(failure: UpstreamFailure, error: Error, headersReceived: boolean): void;
}

// RFC 9110 §9.2.2: only idempotent requests may be retried automatically.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

export function classify(error: Error): UpstreamFailure {
  const code = (error as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  return 'bad-response';
}

/** A failure before any byte of the answer, on which another target may be tried. */
function isConnectFailure(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return (
    code === 'ECONNREFUSED' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'EHOSTUNREACH' ||
    code === 'ECONNRESET' ||
    code === 'UND_ERR_SOCKET'
  );
}

export interface ForwardControl {
  /** Abort the upstream exchange (client went away, or a limit was hit). */
  abort(reason?: Error): void;
}

/**
 * Sends one request upstream with undici's dispatch() and a raw handler: no stream objects on the
 * response path. Retries on another target only when nothing was received and the request is
 * idempotent with a replayable body.
 */
export function forward(upstream: Upstream, request: ForwardRequest, handler: ForwardHandler): ForwardControl {
  let abortCurrent: ((err?: Error) => void) | undefined;
  let aborted: Error | undefined;
  let attemptsLeft = IDEMPOTENT.has(request.method) && !isStream(request.body) ? upstream.retries : 0;
  let previous: Target | undefined;
  let lastError: Error | undefined;

  const attempt = () => {
    const target = upstream.pick(previous);
    if (!target) {
      // A retry with no other target left reports the failure that caused it.
      if (lastError) handler.onError(classify(lastError), lastError, false);
      else handler.onError('unavailable', new Error(`no available target in upstream ${upstream.name}`), false);
      return;
    }
    previous = target;
    target.inflight++;
    let headersReceived = false;
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        target.inflight--;
      }
    };
    const raw: Dispatcher.DispatchHandler = {
      onConnect(abort) {
        abortCurrent = abort;
        if (aborted) abort(aborted);
      },
      onHeaders(status, rawHeaders, resume) {
        headersReceived = true;
        // 5xx from the backend still counts as a live backend for the breaker; connection-level
        // failures are what open it.
        target.succeeded();
        return handler.onHeaders(status, rawHeaders, resume, target);
      },
      onData(chunk) {
        return handler.onData(chunk);
      },
      onComplete() {
        settle();
        handler.onComplete();
      },
      onError(error) {
        settle();
        if (aborted) return;
        if (!headersReceived) target.failed(Date.now());
        if (!headersReceived && attemptsLeft > 0 && isConnectFailure(error)) {
          attemptsLeft--;
          lastError = error;
          attempt();
          return;
        }
        handler.onError(headersReceived ? 'bad-response' : classify(error), error, headersReceived);
      },
    };
    target.pool.dispatch(
      {
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: request.headers as Record<string, string | string[]>,
        body: request.body,
      },
      raw,
    );
  };
  attempt();
  return {
    abort(reason) {
      aborted = reason ?? new Error('aborted');
      abortCurrent?.(aborted);
    },
  };
}

function isStream(body: unknown): body is Readable {
  return body !== null && typeof body === 'object' && typeof (body as Readable).pipe === 'function';
}
