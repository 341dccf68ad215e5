/**
 * Figures for the detectors: detection and false-positive rates on the CRS regression corpus
 * and the hand-made corpus, and cost per call. Not a test (timings depend on the machine):
 * run with `npx tsx test/waf/libinjection/measure.ts`.
 */
import { detectSQLi, detectXSS } from '../../../src/waf/libinjection/index.js';
import { BENIGN, SQLI, XSS } from './corpus.js';
import { argumentValues, type CrsTest, loadCrsTests, sqliTransforms, xssTransforms } from './crs-fixture.js';

function rate(hits: number, total: number): string {
  return `${hits}/${total} (${((100 * hits) / Math.max(total, 1)).toFixed(1)}%)`;
}

/**
 * Over every test of a rule family: does the detector fire on any argument of a stage the
 * family's tests expect to be flagged by at least one of its rules (attacks), and on a stage
 * that expects none of them (mostly real-world false-positive regressions)?
 */
function family(
  tests: readonly CrsTest[],
  prefix: string,
  detect: (v: string) => boolean,
  transform: (v: string) => string,
) {
  let attacks = 0;
  let caught = 0;
  let benign = 0;
  let flagged = 0;
  for (const test of tests) {
    if (!String(test.rule_id).startsWith(prefix)) continue;
    for (const stage of test.stages) {
      const log = stage.output?.log;
      const values = argumentValues(stage.input, true).map(transform);
      const fired = values.some(detect);
      if (log?.expect_ids?.some((id) => String(id).startsWith(prefix))) {
        attacks++;
        if (fired) caught++;
      } else if (log?.no_expect_ids?.some((id) => String(id).startsWith(prefix))) {
        benign++;
        if (fired) flagged++;
      }
    }
  }
  return { attacks: rate(caught, attacks), negatives: rate(flagged, benign) };
}

/** Best of five timed batches after a warm-up batch: the machine is shared, the minimum is the detector. */
function microseconds(fn: (s: string) => unknown, input: string): number {
  const rounds = Math.max(50, Math.floor(2_000_000 / Math.max(input.length, 1)));
  for (let i = 0; i < rounds; i++) fn(input);
  let best = Number.POSITIVE_INFINITY;
  for (let batch = 0; batch < 5; batch++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) fn(input);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000 / rounds);
  }
  return best;
}

const sqli = (v: string) => detectSQLi(v).matched;
console.log('hand corpus');
console.log(`  SQLi attacks flagged by detectSQLi: ${rate(SQLI.filter(sqli).length, SQLI.length)}`);
console.log(`  XSS attacks flagged by detectXSS:   ${rate(XSS.filter(detectXSS).length, XSS.length)}`);
console.log(`  benign flagged by detectSQLi:       ${rate(BENIGN.filter(sqli).length, BENIGN.length)}`);
console.log(`  benign flagged by detectXSS:        ${rate(BENIGN.filter(detectXSS).length, BENIGN.length)}`);

const tests = loadCrsTests();
if (tests !== undefined) {
  const s = family(tests, '942', sqli, sqliTransforms);
  const x = family(tests, '941', detectXSS, xssTransforms);
  console.log('CRS regression corpus (any rule of the family; args, cookies, User-Agent, Referer, XML)');
  console.log(`  942xxx attack stages flagged by detectSQLi:   ${s.attacks}`);
  console.log(`  942xxx negative stages flagged by detectSQLi: ${s.negatives}`);
  console.log(`  941xxx attack stages flagged by detectXSS:    ${x.attacks}`);
  console.log(`  941xxx negative stages flagged by detectXSS:  ${x.negatives}`);
}

const prose = 'The quick brown fox jumps over the lazy dog; O\'Brien said "it\'s fine" and left at 5 or 6 pm. ';
const attack = "1' AND (SELECT 1 FROM (SELECT SLEEP(5))a) AND '1'='1 <img src=x onerror=alert(1)> ";
const sizes = [100, 10_240];
console.log('cost per call (µs)');
for (const [name, seed] of [
  ['prose', prose],
  ['attack', attack],
] as const) {
  for (const size of sizes) {
    // Flat one-byte strings, as the WAF gets them from a Buffer.
    const input = Buffer.from(seed.repeat(Math.ceil(size / seed.length)).slice(0, size), 'latin1').toString('latin1');
    console.log(
      `  ${name.padEnd(6)} ${String(size).padStart(6)} B: detectSQLi ${microseconds(detectSQLi, input).toFixed(2)}  detectXSS ${microseconds(detectXSS, input).toFixed(2)}`,
    );
  }
}
const benign10k = Buffer.from(('<p class="x">' + prose + '</p>').repeat(100).slice(0, 10_240), 'latin1').toString(
  'latin1',
);
console.log(
  `  html   ${String(10_240).padStart(6)} B: detectSQLi ${microseconds(detectSQLi, benign10k).toFixed(2)}  detectXSS ${microseconds(detectXSS, benign10k).toFixed(2)}`,
);
