import type { RequestContext, ResponseHead } from './context.js';
import { STAGE_ORDER } from './phases.js';
import { CONTINUE, type MaybePromise, type Stage, type Verdict } from './stage.js';

/**
 * A route's stages, pre-sorted per phase so the hot path touches only the hooks that exist.
 * Request phases run in STAGE_ORDER; response phases run in reverse (the stage nearest the
 * client sees the response last), like nested middleware.
 */
export interface Pipeline {
  readonly stages: readonly Stage[];
  readonly requestHead: readonly Stage[];
  readonly wantsRequestBody: readonly Stage[];
  readonly requestBody: readonly Stage[];
  readonly responseHead: readonly Stage[];
  readonly wantsResponseBody: readonly Stage[];
  readonly responseBody: readonly Stage[];
  readonly log: readonly Stage[];
}

export function compilePipeline(stages: readonly Stage[]): Pipeline {
  const rank = (s: Stage) => STAGE_ORDER.indexOf(s.name);
  const ordered = [...stages].sort((a, b) => rank(a) - rank(b));
  const reversed = [...ordered].reverse();
  return {
    stages: ordered,
    requestHead: ordered.filter((s) => s.requestHead),
    wantsRequestBody: ordered.filter((s) => s.wantsRequestBody && s.requestBody),
    requestBody: ordered.filter((s) => s.requestBody),
    responseHead: reversed.filter((s) => s.responseHead),
    wantsResponseBody: reversed.filter((s) => s.wantsResponseBody && s.responseBody),
    responseBody: reversed.filter((s) => s.responseBody),
    log: ordered.filter((s) => s.log),
  };
}

/** How a phase calls one stage; module-level, so the synchronous path allocates no closure. */
type Call = (stage: Stage, ctx: RequestContext, head: ResponseHead) => MaybePromise<Verdict>;

const callRequestHead: Call = (s, ctx) => s.requestHead!(ctx);
const callRequestBody: Call = (s, ctx) => s.requestBody!(ctx);
const callResponseHead: Call = (s, ctx, head) => s.responseHead!(ctx, head);
const callResponseBody: Call = (s, ctx, head) => s.responseBody!(ctx, head);
/** Request phases have no response head yet. */
const NO_HEAD = undefined as unknown as ResponseHead;

/**
 * Calls each stage of a phase until one answers. Synchronous verdicts stay synchronous (no
 * promise, no microtask, no closure) so a pipeline of cheap checks costs next to nothing; only
 * a stage that answers with a promise makes the rest of the phase wait for it.
 */
function run(
  stages: readonly Stage[],
  call: Call,
  ctx: RequestContext,
  head: ResponseHead,
  from = 0,
): MaybePromise<Verdict> {
  for (let i = from; i < stages.length; i++) {
    const verdict = call(stages[i] as Stage, ctx, head);
    if (verdict instanceof Promise)
      return verdict.then((v) => (v.kind === 'continue' ? run(stages, call, ctx, head, i + 1) : v));
    if (verdict.kind !== 'continue') return verdict;
  }
  return CONTINUE;
}

export function runRequestHead(p: Pipeline, ctx: RequestContext): MaybePromise<Verdict> {
  return run(p.requestHead, callRequestHead, ctx, NO_HEAD);
}

export function needsRequestBody(p: Pipeline, ctx: RequestContext): boolean {
  for (const s of p.wantsRequestBody) if (s.wantsRequestBody!(ctx)) return true;
  return false;
}

export function runRequestBody(p: Pipeline, ctx: RequestContext): MaybePromise<Verdict> {
  return run(p.requestBody, callRequestBody, ctx, NO_HEAD);
}

export function runResponseHead(p: Pipeline, ctx: RequestContext, head: ResponseHead): MaybePromise<Verdict> {
  return run(p.responseHead, callResponseHead, ctx, head);
}

export function needsResponseBody(p: Pipeline, ctx: RequestContext, head: ResponseHead): boolean {
  for (const s of p.wantsResponseBody) if (s.wantsResponseBody!(ctx, head)) return true;
  return false;
}

export function runResponseBody(p: Pipeline, ctx: RequestContext, head: ResponseHead): MaybePromise<Verdict> {
  return run(p.responseBody, callResponseBody, ctx, head);
}

/** Log hooks must not throw; one that does is reported and the others still run. */
export function runLog(p: Pipeline, ctx: RequestContext, status: number, onError: (error: unknown) => void): void {
  for (const s of p.log) {
    try {
      s.log!(ctx, status);
    } catch (error) {
      onError(error);
    }
  }
}
