import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { hasSlot, LiteralScanner } from './literal-scan.js';

/** Every slot whose set has a literal in the input, ASCII case-insensitively. */
function naive(sets: readonly (readonly string[])[], input: string): boolean[] {
  const lower = input.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return sets.map((set) => set.some((l) => lower.includes(l)));
}

describe('LiteralScanner', () => {
  test('reports each slot whose literals occur, ignoring ASCII case only', () => {
    const scanner = new LiteralScanner([['select', 'union'], ['<'], ['he', 'she'], ['\xe9t\xe9']]);
    const bits = (input: string) => [0, 1, 2, 3].map((slot) => hasSlot(scanner.scan(input), slot));
    assert.deepEqual(bits('1 UNION SELECT 2'), [true, false, false, false]);
    assert.deepEqual(bits('<b>ushers</b>'), [false, true, true, false]);
    assert.deepEqual(bits('\xc9T\xc9'), [false, false, false, false]);
    assert.deepEqual(bits('\xe9T\xe9'), [false, false, false, true]);
    assert.deepEqual(bits(''), [false, false, false, false]);
  });

  test('a slot with an empty literal, or beyond the table budget, is always reported', () => {
    const scanner = new LiteralScanner([['x', ''], ['abc']]);
    assert.equal(hasSlot(scanner.scan('zzz'), 0), true);
    assert.equal(hasSlot(scanner.scan('zzz'), 1), false);
    const huge = Array.from({ length: 70_000 }, (_v, i) => `w${i.toString(36)}x${'q'.repeat(60)}`);
    const over = new LiteralScanner([['abc'], huge, ['def']]);
    assert.equal(hasSlot(over.scan('abc'), 1), true);
    assert.equal(hasSlot(over.scan('abc'), 2), false);
    assert.equal(hasSlot(over.scan('xdefx'), 2), true);
  });

  test('agrees with a naive search over many slots (property)', () => {
    const literal = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', ';', ' '), minLength: 1, maxLength: 4 });
    const sets = fc.array(fc.array(literal, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 40 });
    const lowered = sets.map((s) => s.map((set) => set.map((l) => l.toLowerCase())));
    const input = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'B', 'C', ';', ' ', 'x'), maxLength: 24 });
    fc.assert(
      fc.property(lowered, fc.array(input, { minLength: 1, maxLength: 4 }), (slotSets, inputs) => {
        const scanner = new LiteralScanner(slotSets);
        // Several scans in a row: the per-scan stamps must not leak from one value to the next.
        for (const s of inputs) {
          const hits = scanner.scan(s);
          assert.deepEqual(
            slotSets.map((_set, i) => hasSlot(hits, i)),
            naive(slotSets, s),
            `${JSON.stringify(slotSets)} on ${JSON.stringify(s)}`,
          );
        }
      }),
      { numRuns: 1500 },
    );
  });
});
