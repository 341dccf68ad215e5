import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type HtmlContext, type HtmlVisitor, scanHtml } from './html-tokenizer.js';
import { detectSQLi, detectXSS } from './index.js';

/** One char per byte, 0-255: what the WAF hands the operators. */
const byteString = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1'));

/** Pieces that open or close something in one of the tokenizers: quotes, comments, markup. */
const FRAGMENTS = [
  "'",
  '"',
  '`',
  '[',
  '/*',
  '/*!',
  '/*!5',
  '*/',
  '--',
  '#',
  '\n',
  '\\',
  '@',
  '@@',
  '(',
  ')',
  ';',
  '1',
  '0x',
  '.',
  'or',
  'union',
  'select',
  'sleep(',
  '<',
  '</',
  '<!--',
  '<!',
  '<?',
  '<a ',
  '<svg',
  '=',
  ' ',
  'on',
  'x',
  '&#',
  '&#x',
  'javascript:',
  '>',
];
const fragmentString = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((parts) => parts.join(''));

describe('detector properties', () => {
  test('never throw, and answer in the documented shape', () => {
    fc.assert(
      fc.property(fc.oneof(byteString, fragmentString), (input) => {
        const sqli = detectSQLi(input);
        assert.equal(typeof sqli.matched, 'boolean');
        assert.match(sqli.fingerprint, /^[s1nvkEUBTfo&c(),;.:{}?]{0,8}$/);
        assert.equal(typeof detectXSS(input), 'boolean');
      }),
      { numRuns: 2000 },
    );
  });

  test('are pure: the same input gives the same answer', () => {
    fc.assert(
      fc.property(fragmentString, (input) => {
        assert.deepEqual(detectSQLi(input), detectSQLi(input));
        assert.equal(detectXSS(input), detectXSS(input));
      }),
      { numRuns: 300 },
    );
  });

  test('passes that share data-state marks decide as independent passes would', () => {
    // A visitor that stops on some tags and attributes, so that both outcomes occur.
    const visitor: HtmlVisitor = {
      startTag: (name) => name.toLowerCase() === 'svg',
      attribute: (name) => name.toLowerCase() === 'on',
      comment: () => false,
    };
    const contexts: HtmlContext[] = ['attr-double', 'attr-single', 'attr-unquoted'];
    // A small alphabet of markup pieces, so that quotes, `>` and tags interleave often.
    const markup = fc
      .array(fc.constantFrom('<a ', '<svg', '<!--', '-->', 'on', '=', '"', "'", '>', ' ', 'x'), { maxLength: 16 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(markup, (input) => {
        const independent = scanHtml(input, 'data', visitor) || contexts.some((c) => scanHtml(input, c, visitor));
        const marks = new Uint8Array(input.length + 1);
        const shared =
          scanHtml(input, 'data', visitor, marks) || contexts.some((c) => scanHtml(input, c, visitor, marks));
        assert.equal(shared, independent);
      }),
      { numRuns: 3000 },
    );
  });

  test('run in linear time: no input of n bytes costs more than c*n', () => {
    // c = 2 µs per byte: over 10x the slowest cost measured on the development machine
    // (about 0.15 µs per byte for runs of `-`, best of five, with a load average near 20 on
    // 2 cores), so a loaded runner passes, while a quadratic path over 200 KB (4e10 steps)
    // is orders of magnitude over.
    const n = 200_000;
    const perByteNs = 2_000;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 6 }), (parts) => {
        const unit = parts.join('');
        const input = Buffer.from(unit.repeat(Math.ceil(n / unit.length)).slice(0, n), 'latin1').toString('latin1');
        // The best of three runs: a garbage collection or a busy neighbour is not the detector.
        let elapsed = Number.POSITIVE_INFINITY;
        for (let run = 0; run < 3; run++) {
          const start = process.hrtime.bigint();
          detectSQLi(input);
          detectXSS(input);
          elapsed = Math.min(elapsed, Number(process.hrtime.bigint() - start));
        }
        assert.ok(elapsed < perByteNs * input.length, `${JSON.stringify(unit)} x${n / unit.length}: ${elapsed} ns`);
      }),
      { numRuns: 40 },
    );
  });
});
