/**
 * The WAF regex layer, measured on CRS v4's own patterns.
 *
 *   npx tsx bench/waf-regex.bench.ts [path/to/crs]      (default ../shared/crs, or $CRS_DIR)
 *
 * 1. Compile: how many @rx patterns translate, how many run on the lazy DFA, why any fail, and the
 *    time to compile them all.
 * 2. Short values: mean cost per pattern per value on typical benign request values, for the
 *    production path (literal prefilter + DFA), the DFA alone, and V8's backtracking engine on the
 *    same translated source (what a naive engine would pay).
 * 3. Pathological inputs: every pattern against the attack strings derived from it
 *    (src/waf/regex/redos-corpus.ts): at SHORT_VALUE bytes on V8's engine with its linear-time
 *    fallback (the path short values take), and at 4 KiB and 64 KiB on the DFA, warm and cold; the
 *    worst costs are the bounds stated in docs/reference/seclang-operators.md. Also the textbook
 *    catastrophic patterns. Timings are CPU-bound wall time, best of 3: run on an idle machine.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCrsPatterns } from '../src/waf/regex/crs-patterns.js';
import { LazyDfa } from '../src/waf/regex/dfa.js';
import { compileSeclangRegex, type SeclangRegex, SHORT_VALUE } from '../src/waf/regex/index.js';
import { parsePattern } from '../src/waf/regex/parse.js';
import { derivedAttacks, TEXTBOOK_ATTACKS } from '../src/waf/regex/redos-corpus.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const crsDir = process.argv[2] ?? process.env.CRS_DIR ?? join(root, '../shared/crs');
const patterns = readCrsPatterns(join(crsDir, 'rules'));

// 1. Compile
const compiled: Array<{ id: number; regex: SeclangRegex; dfa: LazyDfa | null }> = [];
const failures: string[] = [];
const start = performance.now();
for (const p of patterns) {
  try {
    compiled.push({ id: p.ruleId, regex: compileSeclangRegex(p.pattern), dfa: null });
  } catch (error) {
    failures.push(`${p.ruleId}: ${(error as Error).message}`);
  }
}
const compileMs = performance.now() - start;
for (const c of compiled) c.dfa = LazyDfa.build(parsePattern(c.regex.pattern).root);
console.log(`CRS @rx patterns: ${patterns.length} found, ${compiled.length} compiled in ${compileMs.toFixed(0)} ms`);
console.log(
  `  on the lazy DFA: ${compiled.filter((c) => c.regex.dfa).length}; V8-linear-capable source: ${compiled.filter((c) => c.regex.linear).length}`,
);
console.log(
  `  with required literals (prefilter): ${compiled.filter((c) => c.regex.requiredLiterals.length > 0).length}`,
);
for (const f of failures) console.log(`  FAILED ${f}`);

// 2. Short benign values
const VALUES = [
  'hello',
  '12345',
  'john.doe@example.com',
  '/index.php',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'en-US,en;q=0.5',
  'The quick brown fox jumps over the lazy dog',
  '2024-01-31T12:00:00Z',
  'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  '{"name":"Rex","tags":["a","b"]}',
  'search terms with spaces',
];
function perCall(run: (v: string) => unknown, rounds: number): number {
  for (let r = 0; r < 3; r++) for (const v of VALUES) run(v);
  const t = performance.now();
  for (let r = 0; r < rounds; r++) for (const v of VALUES) run(v);
  return ((performance.now() - t) * 1000) / (rounds * VALUES.length);
}
const rounds = 200;
const backtracking = compiled.map((c) => new RegExp(c.regex.source));
let prod = 0;
let dfaOnly = 0;
let v8 = 0;
compiled.forEach((c, i) => {
  prod += perCall((v) => c.regex.test(v), rounds);
  const dfa = c.dfa;
  if (dfa !== null) dfaOnly += perCall((v) => dfa.test(v), rounds);
  const re = backtracking[i] as RegExp;
  v8 += perCall((v) => re.test(v), rounds);
});
const n = compiled.length;
console.log(`\nShort benign values (${VALUES.length} values, mean per pattern per value):`);
console.log(`  prefilter + DFA (production): ${((prod / n) * 1000).toFixed(0)} ns`);
console.log(`  DFA alone:                    ${((dfaOnly / n) * 1000).toFixed(0)} ns`);
console.log(`  V8 backtracking, same source: ${((v8 / n) * 1000).toFixed(0)} ns`);
console.log(`  all ${n} patterns on one value: ${prod.toFixed(1)} µs`);

// 3. Pathological inputs
function best(run: () => unknown): number {
  let b = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    run();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}
console.log('\nPathological inputs derived from each pattern (best of 3 per input):');
{
  let worst = 0;
  let worstId = 0;
  let count = 0;
  compiled.forEach((c, i) => {
    const re = backtracking[i] as RegExp;
    for (const attack of derivedAttacks(c.regex.pattern)) {
      const input = attack(SHORT_VALUE);
      const ms = best(() => re.test(input));
      count++;
      if (ms > worst) {
        worst = ms;
        worstId = c.id;
      }
    }
  });
  console.log(
    `  ${SHORT_VALUE} B x ${count} inputs on V8 + linear fallback: worst ${worst.toFixed(3)} ms (rule ${worstId})`,
  );
}
for (const length of [4096, 65536]) {
  let worst = 0;
  let worstId = 0;
  let count = 0;
  let coldWorst = 0;
  for (const c of compiled) {
    const dfa = c.dfa;
    if (dfa === null) continue;
    // At 64 KiB a sample of each pattern's attacks keeps the run to minutes on a shared machine.
    const attacks = derivedAttacks(c.regex.pattern);
    for (const attack of length > 4096 ? attacks.slice(0, 8) : attacks) {
      const input = attack(length);
      const fresh = LazyDfa.build(parsePattern(c.regex.pattern).root) as LazyDfa;
      const t = performance.now();
      fresh.test(input);
      coldWorst = Math.max(coldWorst, performance.now() - t);
      const ms = best(() => dfa.test(input));
      count++;
      if (ms > worst) {
        worst = ms;
        worstId = c.id;
      }
    }
  }
  console.log(
    `  ${length} B x ${count} inputs: worst warm ${worst.toFixed(2)} ms (rule ${worstId}) = ${((worst * 1e6) / length).toFixed(0)} ns/B; worst cold (fresh DFA) ${coldWorst.toFixed(2)} ms = ${((coldWorst * 1e6) / length).toFixed(0)} ns/B`,
  );
}
console.log('\nTextbook catastrophic patterns, 64 KiB input (V8 backtracking on 30 bytes for comparison):');
for (const a of TEXTBOOK_ATTACKS) {
  const r = compileSeclangRegex(a.pattern);
  const big = a.input(65536);
  const ms = best(() => r.test(big));
  console.log(`  ${a.label.padEnd(32)} ${ms.toFixed(2)} ms   /${a.pattern}/`);
}
