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
  /** Abort the upstream exchange (a stage refused the answer, or a limit was hit). */
  abort(reason?: Error): void;
  /**
   * The client went away. A request not yet sent whole is aborted; one already sent has its
   * answer read and dropped (up to DRAIN_BYTES within DRAIN_MS, else aborted), so the upstream
   * keep-alive connection survives: cutting it would cost a new connection per abandoned request.
   */
  abandon(): void;
}

/** How much of an abandoned answer is read to keep its connection, and for how long at most. */
export const DRAIN_BYTES = 64 * 1024;
export const DRAIN_MS = 1_000;

/**
 * Sends one request upstream with undici's dispatch() and a raw handler: no stream objects on the
 * response path. Retries on another target only when nothing was received and the request is
 * idempotent with a replayable body.
 */
export function forward(upstream: Upstream, request: ForwardRequest, handler: ForwardHandler): ForwardControl {
  const exchange = new Exchange(upstream, request, handler);
  exchange.attempt();
  return exchange;
}

/**
 * One request's upstream exchange: undici's handler for each attempt and the caller's control.
 * A class rather than closures: its methods are shared, a request allocates one object. undici
 * calls nothing on a handler after onError, so a retry reuses it with the per-attempt fields reset.
 */
class Exchange implements Dispatcher.DispatchHandler, ForwardControl {
  readonly #upstream: Upstream;
  readonly #request: ForwardRequest;
  readonly #handler: ForwardHandler;
  #attemptsLeft: number;
  #target: Target | undefined;
  #lastError: Error | undefined;
  #abortCurrent: ((err?: Error) => void) | undefined;
  #aborted: Error | undefined;
  #headersReceived = false;
  #settled = false;
  #requestSent = false;
  /** Abandoned by the client: the handler hears nothing more, the answer is drained. */
  #drained = -1;
  #drainTimer: NodeJS.Timeout | undefined;
  #resume: (() => void) | undefined;

  constructor(upstream: Upstream, request: ForwardRequest, handler: ForwardHandler) {
    this.#upstream = upstream;
    this.#request = request;
    this.#handler = handler;
    this.#attemptsLeft = IDEMPOTENT.has(request.method) && !isStream(request.body) ? upstream.retries : 0;
  }

  attempt(): void {
    const target = this.#upstream.pick(this.#target);
    if (!target) {
      // A retry with no other target left reports the failure that caused it.
      const error = this.#lastError;
      if (error) this.#handler.onError(classify(error), error, false);
      else
        this.#handler.onError(
          'unavailable',
          new Error(`no available target in upstream ${this.#upstream.name}`),
          false,
        );
      return;
    }
    this.#target = target;
    this.#headersReceived = false;
    this.#settled = false;
    this.#requestSent = false;
    target.inflight++;
    const request = this.#request;
    target.pool.dispatch(
      {
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: request.headers as Record<string, string | string[]>,
        body: request.body,
      },
      this,
    );
  }

  abort(reason?: Error): void {
    this.#aborted = reason ?? new Error('aborted');
    this.#abortCurrent?.(this.#aborted);
  }

  abandon(): void {
    if (this.#settled || this.#aborted !== undefined || this.#drained >= 0) return;
    if (!this.#requestSent) {
      this.abort(new Error('client closed the connection'));
      return;
    }
    this.#drained = 0;
    this.#drainTimer = setTimeout(() => this.abort(new Error('abandoned answer too slow to drain')), DRAIN_MS);
    this.#drainTimer.unref();
    // The handler may have paused the body for a client that will never read it.
    this.#resume?.();
  }

  #settle(): void {
    if (!this.#settled) {
      this.#settled = true;
      (this.#target as Target).inflight--;
    }
    if (this.#drainTimer !== undefined) {
      clearTimeout(this.#drainTimer);
      this.#drainTimer = undefined;
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abortCurrent = abort;
    if (this.#aborted) abort(this.#aborted);
  }

  onRequestSent(): void {
    this.#requestSent = true;
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    this.#headersReceived = true;
    this.#resume = resume;
    const target = this.#target as Target;
    // 5xx from the backend still counts as a live backend for the breaker; connection-level
    // failures are what open it.
    target.succeeded();
    if (this.#drained >= 0) return true;
    return this.#handler.onHeaders(status, rawHeaders, resume, target);
  }

  onData(chunk: Buffer): boolean {
    if (this.#drained < 0) return this.#handler.onData(chunk);
    this.#drained += chunk.length;
    if (this.#drained > DRAIN_BYTES) this.abort(new Error('abandoned answer too large to drain'));
    return true;
  }

  onComplete(): void {
    this.#settle();
    if (this.#drained < 0) this.#handler.onComplete();
  }

  onError(error: Error): void {
    this.#settle();
    if (this.#aborted || this.#drained >= 0) return;
    const headersReceived = this.#headersReceived;
    if (!headersReceived) (this.#target as Target).failed(Date.now());
    if (!headersReceived && this.#attemptsLeft > 0 && isConnectFailure(error)) {
      this.#attemptsLeft--;
      this.#lastError = error;
      this.attempt();
      return;
    }
    this.#handler.onError(headersReceived ? 'bad-response' : classify(error), error, headersReceived);
  }
}

function isStream(body: unknown): body is Readable {
  return body !== null && typeof body === 'object' && typeof (body as Readable).pipe === 'function';
}
