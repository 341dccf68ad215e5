/**
 * Schema-aware WAF measurement: the corpus of test/openapi/corpus through the validate stage and
 * the WAF stage (OWASP CRS), once inspecting every argument and once skipping the arguments the
 * validate stage marks pinned (as `removeTargets` for that request). Prints false positives on
 * benign traffic, detections on attacks, and WAF time per request for both.
 *
 *   npx tsx test/openapi/waf-measure.ts [crs-dir=/work/shared/crs] [paranoia=1]
 */
import { readFileSync } from 'node:fs';
import type { RequestContext } from '../../src/pipeline/context.js';
import type { Stage, Verdict } from '../../src/pipeline/stage.js';
import { WAF_HINTS, type WafHints } from '../../src/stages/validate/index.js';
import { createWafStage, wafStage } from '../../src/stages/waf/index.js';
import { makeContext } from './context.js';
import { loadPetstore, testServices } from './petstore.js';

interface CorpusEntry {
  id: string;
  operation: string;
  method: string;
  path: string;
  params?: Record<string, string>;
  query?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

const crsDir = process.argv[2] ?? '/work/shared/crs';
const paranoia = Number(process.argv[3] ?? 1);
const corpus = (name: string): CorpusEntry[] =>
  JSON.parse(readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8')) as CorpusEntry[];

const services = testServices();
const shared = await wafStage.setup!({ crs: { dir: crsDir }, paranoiaLevel: paranoia }, services);
const pets = await loadPetstore();

function contextOf(entry: CorpusEntry): RequestContext {
  const query = entry.query ?? '';
  return makeContext({
    method: entry.method,
    path: entry.path,
    query,
    headers: {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
      accept: 'application/json',
      ...entry.headers,
    },
    params: entry.params ?? {},
    ...(entry.body !== undefined ? { body: JSON.stringify(entry.body) } : {}),
  });
}

async function run(stage: Stage, ctx: RequestContext): Promise<Verdict> {
  let verdict = await stage.requestHead!(ctx);
  if (verdict.kind === 'continue' && stage.wantsRequestBody?.(ctx)) verdict = await stage.requestBody!(ctx);
  return verdict;
}

/**
 * CRS decides in phase 2 (rule 949110). For a request without a body the WAF stage runs phase 2
 * from responseHead (when the upstream has answered), so that hook is called here too.
 */
async function runWaf(stage: Stage, ctx: RequestContext): Promise<Verdict> {
  const verdict = await run(stage, ctx);
  if (verdict.kind !== 'continue' || stage.responseHead === undefined) return verdict;
  return stage.responseHead(ctx, { status: 200, headers: { 'content-type': 'application/json' } });
}

/** The pinned arguments as SecLang targets, the way the WAF names them (JSON as json.a.0.b). */
function targetsOf(hints: WafHints): string {
  const targets: string[] = [];
  for (const name of hints.query) targets.push(`ARGS:${name}`, `ARGS_GET:${name}`);
  for (const pointer of hints.body) {
    const name = `json${pointer.replaceAll('/', '.').replaceAll('~1', '/').replaceAll('~0', '~')}`;
    targets.push(`ARGS:${name}`, `ARGS_POST:${name}`);
  }
  for (const name of hints.headers) targets.push(`REQUEST_HEADERS:${name}`);
  return targets.join('|');
}

function wafFor(removeTargets: string): Stage {
  return createWafStage({
    waf: shared.waf!,
    mode: 'block',
    paranoiaLevel: paranoia,
    detectionParanoiaLevel: paranoia,
    inbound: 5,
    outbound: 4,
    removeRuleIds: [],
    removeTargets: removeTargets === '' ? [] : [{ ids: [1, 999_999_999], targets: removeTargets }],
  });
}
const plainWaf = wafFor('');

interface Tally {
  total: number;
  refusedByValidation: number;
  blockedFull: number;
  blockedHinted: number;
  msFull: number;
  msHinted: number;
  /** Entries the WAF alone blocks but validate + hinted WAF lets through, and the reverse. */
  onlyFull: string[];
  onlyHinted: string[];
  blockedIds: string[];
}

async function measure(file: string): Promise<Tally> {
  const t: Tally = {
    total: 0,
    refusedByValidation: 0,
    blockedFull: 0,
    blockedHinted: 0,
    msFull: 0,
    msHinted: 0,
    onlyFull: [],
    onlyHinted: [],
    blockedIds: [],
  };
  for (const entry of corpus(file)) {
    t.total++;
    const full = contextOf(entry);
    let started = performance.now();
    const fullVerdict = await runWaf(plainWaf, full);
    t.msFull += performance.now() - started;
    if (fullVerdict.kind === 'respond') {
      t.blockedFull++;
      t.blockedIds.push(entry.id);
    }

    const ctx = contextOf(entry);
    const validated = await run(pets.stages.get(entry.operation)!, ctx);
    if (validated.kind === 'respond') {
      t.refusedByValidation++;
      t.blockedHinted++;
      continue;
    }
    const hints = ctx.state.get(WAF_HINTS) as WafHints;
    started = performance.now();
    const hinted = await runWaf(wafFor(targetsOf(hints)), contextOf(entry));
    t.msHinted += performance.now() - started;
    if (hinted.kind === 'respond') t.blockedHinted++;
    if (fullVerdict.kind === 'respond' && hinted.kind !== 'respond') t.onlyFull.push(entry.id);
    if (fullVerdict.kind !== 'respond' && hinted.kind === 'respond') t.onlyHinted.push(entry.id);
  }
  return t;
}

console.log(`CRS ${crsDir}, paranoia level ${paranoia}`);
for (const file of ['benign.json', 'attacks-free-text.json', 'attacks-pinned.json']) {
  // Warm the rule engine so the first file does not pay for JIT.
  if (file === 'benign.json') await measure(file);
  const t = await measure(file);
  console.log(
    `${file.padEnd(24)} n=${t.total}  WAF only: blocked ${t.blockedFull}  ` +
      `validate+hinted WAF: blocked ${t.blockedHinted} (${t.refusedByValidation} by validation)  ` +
      `WAF ms/request: ${(t.msFull / t.total).toFixed(3)} full, ${(t.msHinted / Math.max(1, t.total - t.refusedByValidation)).toFixed(3)} hinted`,
  );
  console.log(`  WAF-only blocked: ${t.blockedIds.join(' ') || '-'}`);
  console.log(
    `  blocked by WAF only without hints: ${t.onlyFull.join(' ') || '-'}; only with hints: ${t.onlyHinted.join(' ') || '-'}`,
  );
}
shared.close();
