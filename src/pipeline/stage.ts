import type { ErrorCode } from '../errors/codes.js';
import type { ProblemItem } from '../errors/problem.js';
import type { HeaderMap, RequestContext, ResponseHead } from './context.js';
import type { Decision, StageName } from './phases.js';

/**
 * What a stage answers when it stops the request. Either a problem (built from the code alone,
 * RFC 9457) or a plain response (a CORS preflight, a redirect).
 */
export type StageResponse =
  | {
      readonly kind: 'problem';
      readonly code: ErrorCode;
      /** Overrides the code's default status (e.g. 503 for a fail-closed rate limiter). */
      readonly status?: number;
      readonly headers?: HeaderMap;
      /** Per-location validation failures (JSON pointer + rule), never raw input. */
      readonly errors?: readonly ProblemItem[];
    }
  | {
      readonly kind: 'plain';
      readonly status: number;
      readonly headers?: HeaderMap;
      readonly body?: string | Buffer;
    };

/** A stage either lets the request go on or answers it; it never throws on the data plane. */
export type Verdict =
  | { readonly kind: 'continue' }
  | {
      readonly kind: 'respond';
      readonly decision: Decision;
      readonly response: StageResponse;
      /** Why, for the log only (never sent to the client). */
      readonly reason?: string;
    };

export const CONTINUE: Verdict = Object.freeze({ kind: 'continue' });

export function respondProblem(
  decision: Decision,
  code: ErrorCode,
  options: { status?: number; headers?: HeaderMap; errors?: readonly ProblemItem[]; reason?: string } = {},
): Verdict {
  const response: StageResponse = {
    kind: 'problem',
    code,
    ...(options.status !== undefined ? { status: options.status } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.errors ? { errors: options.errors } : {}),
  };
  return { kind: 'respond', decision, response, ...(options.reason ? { reason: options.reason } : {}) };
}

export type MaybePromise<T> = T | Promise<T>;

/**
 * One security or transformation feature. Every hook is optional: the runner calls only the ones
 * present, so a stage that has nothing to do for a route costs nothing. Hooks are called in
 * STAGE_ORDER for request phases and in reverse order for response phases.
 */
export interface Stage {
  readonly name: StageName;
  /** Before the body is read. Most checks belong here. */
  requestHead?(ctx: RequestContext): MaybePromise<Verdict>;
  /** Whether this stage needs the whole request body for this request (it is then buffered, up to the route's body limit). */
  wantsRequestBody?(ctx: RequestContext): boolean;
  /** With ctx.requestBody set; the stage may replace it. */
  requestBody?(ctx: RequestContext): MaybePromise<Verdict>;
  /** The upstream answered; the stage may change head.status / head.headers in place. */
  responseHead?(ctx: RequestContext, head: ResponseHead): MaybePromise<Verdict>;
  /** Whether the whole response body is needed (buffered up to the route's response limit, streamed untouched past it). */
  wantsResponseBody?(ctx: RequestContext, head: ResponseHead): boolean;
  /** With ctx.responseBody set; the stage may replace it. */
  responseBody?(ctx: RequestContext, head: ResponseHead): MaybePromise<Verdict>;
  /** After the response is finished (or the client went away). Must not throw. */
  log?(ctx: RequestContext, status: number): void;
}
