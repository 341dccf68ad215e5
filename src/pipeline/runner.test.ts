import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestContext } from './context.js';
import { compilePipeline, runRequestHead, runResponseHead } from './runner.js';
import { CONTINUE, respondProblem, type Stage } from './stage.js';

const ctx = {} as RequestContext;

describe('pipeline runner', () => {
  test('runs request hooks in STAGE_ORDER whatever order the stages were given', () => {
    const calls: string[] = [];
    const mk = (name: Stage['name']): Stage => ({
      name,
      requestHead: () => {
        calls.push(name);
        return CONTINUE;
      },
    });
    const p = compilePipeline([mk('waf'), mk('authenticate'), mk('ip-filter')]);
    assert.equal(runRequestHead(p, ctx), CONTINUE);
    assert.deepEqual(calls, ['ip-filter', 'authenticate', 'waf']);
  });
  test('stops at the first answer, sync or async, and skips the rest', async () => {
    const calls: string[] = [];
    const p = compilePipeline([
      { name: 'rate-limit', requestHead: async () => (calls.push('rl'), CONTINUE) },
      {
        name: 'authenticate',
        requestHead: async () => (calls.push('authn'), respondProblem('unauthenticated', 'PC_ERR_UNAUTHENTICATED')),
      },
      { name: 'waf', requestHead: () => (calls.push('waf'), CONTINUE) },
    ]);
    const verdict = await runRequestHead(p, ctx);
    assert.equal(verdict.kind, 'respond');
    assert.deepEqual(calls, ['rl', 'authn']);
  });
  test('a pipeline with nothing to do answers synchronously', () => {
    const p = compilePipeline([{ name: 'headers', responseHead: () => CONTINUE }]);
    assert.equal(runRequestHead(p, ctx), CONTINUE);
  });
  test('response hooks run in reverse order', () => {
    const calls: string[] = [];
    const mk = (name: Stage['name']): Stage => ({
      name,
      responseHead: () => {
        calls.push(name);
        return CONTINUE;
      },
    });
    const p = compilePipeline([mk('authenticate'), mk('headers'), mk('transform')]);
    runResponseHead(p, ctx, { status: 200, headers: {} });
    assert.deepEqual(calls, ['headers', 'transform', 'authenticate']);
  });
});
