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

type Hook = (stage: Stage) => MaybePromise<Verdict>;

/**
 * Calls each stage until one answers. Synchronous verdicts stay synchronous (no promise, no
 * microtask) so a pipeline of cheap checks costs next to nothing.
 */
function run(stages: readonly Stage[], hook: Hook, from = 0): MaybePromise<Verdict> {
  for (let i = from; i < stages.length; i++) {
    const verdict = hook(stages[i] as Stage);
    if (verdict instanceof Promise) return verdict.then((v) => (v.kind === 'continue' ? run(stages, hook, i + 1) : v));
    if (verdict.kind !== 'continue') return verdict;
  }
  return CONTINUE;
}

export function runRequestHead(p: Pipeline, ctx: RequestContext): MaybePromise<Verdict> {
  if (p.requestHead.length === 0) return CONTINUE;
  return run(p.requestHead, (s) => s.requestHead!(ctx));
}

export function needsRequestBody(p: Pipeline, ctx: RequestContext): boolean {
  for (const s of p.wantsRequestBody) if (s.wantsRequestBody!(ctx)) return true;
  return false;
}

export function runRequestBody(p: Pipeline, ctx: RequestContext): MaybePromise<Verdict> {
  if (p.requestBody.length === 0) return CONTINUE;
  return run(p.requestBody, (s) => s.requestBody!(ctx));
}

export function runResponseHead(p: Pipeline, ctx: RequestContext, head: ResponseHead): MaybePromise<Verdict> {
  if (p.responseHead.length === 0) return CONTINUE;
  return run(p.responseHead, (s) => s.responseHead!(ctx, head));
}

export function needsResponseBody(p: Pipeline, ctx: RequestContext, head: ResponseHead): boolean {
  for (const s of p.wantsResponseBody) if (s.wantsResponseBody!(ctx, head)) return true;
  return false;
}

export function runResponseBody(p: Pipeline, ctx: RequestContext, head: ResponseHead): MaybePromise<Verdict> {
  if (p.responseBody.length === 0) return CONTINUE;
  return run(p.responseBody, (s) => s.responseBody!(ctx, head));
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
