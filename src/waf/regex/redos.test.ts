import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCrsPatterns } from './crs-patterns.js';
import { compileSeclangRegex } from './index.js';
import { derivedAttacks, TEXTBOOK_ATTACKS } from './redos-corpus.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const rulesDir = join(process.env.CRS_DIR ?? join(root, '../shared/crs'), 'rules');

/**
 * Time of one run; a run over `retryAbove` ms is repeated and the best kept, so that a GC pause or
 * a busy machine does not count as the regex's cost.
 */
function timeOf(run: () => unknown, retryAbove = 0): number {
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 3; k++) {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
    if (best <= retryAbove) break;
  }
  return best;
}

describe('ReDoS bound', () => {
  test('textbook catastrophic patterns run on the DFA in linear time', () => {
    for (const attack of TEXTBOOK_ATTACKS) {
      const regex = compileSeclangRegex(attack.pattern);
      assert.equal(regex.dfa, true, attack.label);
      const small = attack.input(16_384);
      const large = attack.input(65_536);
      const tSmall = timeOf(() => regex.test(small));
      const tLarge = timeOf(() => regex.test(large));
      // 64 KiB in well under the bound stated in docs/reference/seclang-operators.md (1 µs/byte).
      assert.ok(tLarge < 65, `${attack.label}: ${tLarge.toFixed(1)} ms for 64 KiB`);
      assert.ok(tLarge < Math.max(4, tSmall * 12), `${attack.label}: grows super-linearly (${tSmall} -> ${tLarge} ms)`);
    }
  });

  test('every CRS @rx pattern stays under 1 µs per byte on its derived pathological inputs', {
    skip: existsSync(rulesDir) ? false : `CRS rules not found at ${rulesDir} (set CRS_DIR)`,
  }, () => {
    const length = 8192;
    let worst = 0;
    let worstRule = 0;
    let inputs = 0;
    for (const p of readCrsPatterns(rulesDir)) {
      const regex = compileSeclangRegex(p.pattern);
      assert.equal(regex.dfa, true, `rule ${p.ruleId} does not run on the DFA`);
      for (const attack of derivedAttacks(p.pattern)) {
        const input = attack(length);
        const ms = timeOf(() => regex.test(input), length / 4000);
        inputs++;
        if (ms > worst) {
          worst = ms;
          worstRule = p.ruleId;
        }
      }
    }
    assert.ok(inputs > 5000, `only ${inputs} inputs`);
    assert.ok(worst < length / 1000, `rule ${worstRule}: ${worst.toFixed(2)} ms for ${length} bytes`);
  });
});
