/**
 * The schema-aware WAF corpus, seen from the validate stage: benign traffic passes, attacks in
 * free-text fields pass validation and are never marked pinned (the WAF keeps inspecting them),
 * and attacks in pinned fields are refused by validation. Prints the share of arguments (and of
 * argument bytes) the WAF may skip; docs/validation.md reports these figures.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import type { Verdict } from '../../src/pipeline/stage.js';
import { WAF_HINTS, type WafHints } from '../../src/stages/validate/index.js';
import { makeContext } from './context.js';
import { type LoadedPetstore, loadPetstore } from './petstore.js';

interface CorpusEntry {
  id: string;
  operation: string;
  method: string;
  path: string;
  params?: Record<string, string>;
  query?: string;
  headers?: Record<string, string>;
  body?: unknown;
  target?: string;
  cls?: string;
}

const corpus = (name: string): CorpusEntry[] =>
  JSON.parse(readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8')) as CorpusEntry[];

let pets: LoadedPetstore;
before(async () => {
  pets = await loadPetstore();
});

async function validate(entry: CorpusEntry): Promise<{ verdict: Verdict; hints: WafHints | undefined }> {
  const stage = pets.stages.get(entry.operation)!;
  const ctx = makeContext({
    method: entry.method,
    path: entry.path,
    query: entry.query ?? '',
    headers: entry.headers ?? {},
    params: entry.params ?? {},
    ...(entry.body !== undefined ? { body: JSON.stringify(entry.body) } : {}),
  });
  let verdict = await stage.requestHead!(ctx);
  if (verdict.kind === 'continue' && stage.wantsRequestBody?.(ctx)) verdict = await stage.requestBody!(ctx);
  return { verdict, hints: ctx.state.get(WAF_HINTS) as WafHints | undefined };
}

/** Whether a target location (/query/q, /body/a/b, /path/petId) is marked pinned. */
function pinned(hints: WafHints, target: string): boolean {
  const [, where, ...rest] = target.split('/');
  const name = rest.join('/');
  if (where === 'body') return hints.body.has(`/${name}`);
  if (where === 'query') return hints.query.has(name);
  if (where === 'path') return hints.path.has(name);
  return false;
}

/** Every argument the WAF would see: [location, value] pairs. */
function argumentsOf(entry: CorpusEntry): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of new URLSearchParams(entry.query ?? '')) out.push([`/query/${k}`, v]);
  for (const [k, v] of Object.entries(entry.params ?? {})) out.push([`/path/${k}`, v]);
  const walk = (value: unknown, pointer: string): void => {
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${pointer}/${k}`);
    } else out.push([`/body${pointer}`, String(value)]);
  };
  if (entry.body !== undefined) walk(entry.body, '');
  return out;
}

describe('schema-aware WAF corpus', () => {
  test('benign traffic passes validation; share of arguments the WAF may skip', async (t) => {
    let args = 0;
    let skipped = 0;
    let bytes = 0;
    let skippedBytes = 0;
    for (const entry of corpus('benign.json')) {
      const { verdict, hints } = await validate(entry);
      assert.equal(verdict.kind, 'continue', `${entry.id} refused: ${JSON.stringify(verdict)}`);
      for (const [location, value] of argumentsOf(entry)) {
        args++;
        bytes += Buffer.byteLength(value);
        if (hints && pinned(hints, location)) {
          skipped++;
          skippedBytes += Buffer.byteLength(value);
        }
      }
    }
    t.diagnostic(`benign: ${args} arguments, ${skipped} pinned (${((100 * skipped) / args).toFixed(1)}%)`);
    t.diagnostic(
      `benign: ${bytes} argument bytes, ${skippedBytes} pinned (${((100 * skippedBytes) / bytes).toFixed(1)}%)`,
    );
    assert.ok(skipped > 0);
  });

  test('attacks in free-text fields pass validation and stay inspected', async () => {
    for (const entry of corpus('attacks-free-text.json')) {
      const { verdict, hints } = await validate(entry);
      assert.equal(verdict.kind, 'continue', `${entry.id} should reach the WAF`);
      assert.equal(pinned(hints!, entry.target!), false, `${entry.id}: ${entry.target} must not be skipped`);
    }
  });

  test('no attack in a pinned field is both accepted and skipped', async (t) => {
    let refused = 0;
    const entries = corpus('attacks-pinned.json');
    for (const entry of entries) {
      const { verdict, hints } = await validate(entry);
      if (verdict.kind === 'respond') refused++;
      else assert.equal(pinned(hints!, entry.target!), false, `${entry.id}: accepted and skipped at ${entry.target}`);
    }
    t.diagnostic(`attacks in pinned fields: ${refused}/${entries.length} refused by validation`);
  });
});
