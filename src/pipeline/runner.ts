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
 * The rest of a phase after a stage answered with a promise: waits for it, then calls the
 * following stages through `hook`. The synchronous loops below allocate nothing per request;
 * only a pipeline that goes asynchronous pays for this closure.
 */
function resumeAfter(pending: Promise<Verdict>, stages: readonly Stage[], hook: Hook, from: number): Promise<Verdict> {
  return pending.then((v) => (v.kind === 'continue' ? continueFrom(stages, hook, from) : v));
}

function continueFrom(stages: readonly Stage[], hook: Hook, from: number): MaybePromise<Verdict> {
  for (let i = from; i < stages.length; i++) {
    const verdict = hook(stages[i] as Stage);
    if (verdict instanceof Promise) return resumeAfter(verdict, stages, hook, i + 1);
    if (verdict.kind !== 'continue') return verdict;
  }
  return CONTINUE;
}

// Each phase calls its stages until one answers. Synchronous verdicts stay synchronous (no
// promise, no microtask, no closure) so a pipeline of cheap checks costs next to nothing.

export function runRequestHead(p: Pipeline, ctx: RequestContext): MaybePromise<Verdict> {
  const stages = p.requestHead;
  for (let i = 0; i < stages.length; i++) {
    const verdict = (stages[i] as Stage).requestHead!(ctx);
    if (verdict instanceof Promise) return resumeAfter(verdict, stages, (s) => s.requestHead!(ctx), i + 1);
    if (verdict.kind !== 'continue') return verdict;
  }
  return CONTINUE;
}

export function needsRequestBody(p: Pipeline, ctx: RequestContext): boolean {
  for (const s of p.wantsRequestBody) if (s.wantsRequestBody!(ctx)) return true;
  return false;
}

export function runRequestBody(p: Pipeline, ctx: RequestContext): MaybePromise<Verdict> {
  const stages = p.requestBody;
  for (let i = 0; i < stages.length; i++) {
    const verdict = (stages[i] as Stage).requestBody!(ctx);
    if (verdict instanceof Promise) return resumeAfter(verdict, stages, (s) => s.requestBody!(ctx), i + 1);
    if (verdict.kind !== 'continue') return verdict;
  }
  return CONTINUE;
}

export function runResponseHead(p: Pipeline, ctx: RequestContext, head: ResponseHead): MaybePromise<Verdict> {
  const stages = p.responseHead;
  for (let i = 0; i < stages.length; i++) {
    const verdict = (stages[i] as Stage).responseHead!(ctx, head);
    if (verdict instanceof Promise) return resumeAfter(verdict, stages, (s) => s.responseHead!(ctx, head), i + 1);
    if (verdict.kind !== 'continue') return verdict;
  }
  return CONTINUE;
}

export function needsResponseBody(p: Pipeline, ctx: RequestContext, head: ResponseHead): boolean {
  for (const s of p.wantsResponseBody) if (s.wantsResponseBody!(ctx, head)) return true;
  return false;
}

export function runResponseBody(p: Pipeline, ctx: RequestContext, head: ResponseHead): MaybePromise<Verdict> {
  const stages = p.responseBody;
  for (let i = 0; i < stages.length; i++) {
    const verdict = (stages[i] as Stage).responseBody!(ctx, head);
    if (verdict instanceof Promise) return resumeAfter(verdict, stages, (s) => s.responseBody!(ctx, head), i + 1);
    if (verdict.kind !== 'continue') return verdict;
  }
  return CONTINUE;
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
