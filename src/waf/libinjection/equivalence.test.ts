import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BENIGN, SQLI, XSS } from '../../../test/waf/libinjection/corpus.js';
import {
  argumentValues,
  loadCrsTests,
  sqliTransforms,
  xssTransforms,
} from '../../../test/waf/libinjection/crs-fixture.js';
import * as reference from '../../../test/waf/libinjection/reference/index.js';
import { detectSQLi, detectXSS, explainSQLi, explainXSS } from './index.js';

/**
 * The detectors were made cheaper without changing any answer: the version before that work
 * (test/waf/libinjection/reference) is the oracle, over the corpora, the CRS vectors and
 * generated inputs of every kind the WAF hands them.
 */
function same(input: string): void {
  assert.deepEqual(detectSQLi(input), reference.detectSQLi(input), `detectSQLi ${JSON.stringify(input)}`);
  assert.deepEqual(explainSQLi(input), reference.explainSQLi(input), `explainSQLi ${JSON.stringify(input)}`);
  assert.equal(detectXSS(input), reference.detectXSS(input), `detectXSS ${JSON.stringify(input)}`);
  assert.deepEqual(explainXSS(input), reference.explainXSS(input), `explainXSS ${JSON.stringify(input)}`);
}

/** One char per byte, as the engine hands values to operators. */
const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

const byteString = fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1'));

/** Everyday values: what nearly every call sees. */
const REALISTIC = [
  'Jane Doe',
  "O'Brien",
  'jane.doe+shop@example.co.uk',
  '3f2c1c9e-8a7b-4d1e-9f55-2b6a0c4d7e81',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEwMjkifQ.c2lnbmF0dXJl',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'en-US,en;q=0.9',
  '2026-01-15T10:21:33.512Z',
  '+49 30 1234567',
  'USB-C cable 2m',
  '9.99',
  '-17',
  '1e10',
  '0x1F',
  'Please leave the parcel with the neighbour if nobody answers.',
  '/api/items?id=42&sort=name',
  '{"a":[1,2,{"b":"c"}]}',
];

/** Pieces that open, close or classify something in one of the tokenizers. */
const FRAGMENTS = [
  ...REALISTIC,
  "'",
  '"',
  '`',
  '[',
  ']',
  '/*',
  '/*!',
  '/*!5',
  '*/',
  '--',
  '-- -',
  '#',
  '\n',
  '\0',
  '\xa0',
  '\\',
  '\\N',
  '@',
  '@@',
  '@>',
  '(',
  ')',
  ';',
  ',',
  '.',
  ':',
  '::',
  '=',
  '<>',
  '<=>',
  '->>',
  '||',
  '&&',
  '!',
  '-',
  '+',
  '1',
  '0x',
  '0b1',
  '1.5e+3',
  " N'",
  " x'",
  'or',
  'and',
  'not',
  'is not',
  'like',
  'union',
  'union all',
  'select',
  'from',
  'where',
  'order by',
  'group by',
  'into',
  'outfile',
  'case',
  'when',
  'exec',
  'xp_cmdshell',
  'declare',
  'waitfor delay',
  'sleep',
  'sleep(',
  'version()',
  'benchmark(',
  'char',
  'true',
  'null',
  ' ',
  '<',
  '</',
  '<!--',
  '-->',
  '<!',
  '<?',
  '<a ',
  '<svg',
  '<script>',
  '<img src=x ',
  'on',
  'onerror=',
  'x',
  '&#',
  '&#x',
  '&tab;',
  'javascript:',
  'data:text/html,',
  'style=',
  'expression(',
  '>',
];
const fragmentString = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((parts) => parts.join(''));
const fragmentSpaced = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 20 }).map((parts) => parts.join(' '));
/** A realistic value with a few fragments spliced in at random places. */
const spliced = fc
  .tuple(
    fc.constantFrom(...REALISTIC),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS)), { minLength: 1, maxLength: 4 }),
  )
  .map(([base, edits]) => {
    let s = base;
    for (const [at, piece] of edits) {
      const k = at % (s.length + 1);
      s = s.slice(0, k) + piece + s.slice(k);
    }
    return s;
  });
/**
 * Space-separated words and numbers, the values detectSQLi answers without tokenizing when no
 * word is SQL: keywords, words that share a keyword's length and first and last letters, words
 * holding `union`, long words, and numbers in every spelling the tokenizer reads differently.
 */
const WORDS = [
  'name',
  'Jane',
  'DOE',
  'quantity',
  '_id',
  'cus_1029',
  'Gadget',
  'x',
  'n',
  'select',
  'SELECT',
  'sleect',
  'union',
  'reunion',
  'unions',
  'or',
  'OR',
  'oh',
  'and',
  'ant',
  'order',
  'by',
  'group',
  'waitfor',
  'sleep',
  'null',
  'from',
  'fram',
  'a'.repeat(40),
  'b'.repeat(41),
  'select'.repeat(8),
  '42',
  '0',
  '007',
  '9.99',
  '9.',
  '.5',
  '1e5',
  '0x1F',
  '0b1',
  '10000mAh',
  'v2',
  '$x',
  'a.b',
  'e',
  // in WORD_KEYS by length and first and last letter, but in no word table
  'street',
  'unitPrice',
  'locale',
  'code',
  // functions, which are barewords unless a call follows
  'user',
  'char',
  'Version',
  'if',
  // keywords the plain path folds into the fingerprint
  'with',
  'having',
  'true',
  'exec',
  'declare',
  'drop',
  'db.user',
  'xp_cmdshell',
  // operators and numbers the plain path folds
  '-',
  '+',
  '--',
  '-1',
  '+2',
  '2026-01-15',
  '3.14.1',
  '1.2.',
  '1.e5',
  '1em',
  'WID-0042',
  'de-DE',
  'x.5',
  'v2.5',
  '->',
  '$',
  'caf\xe9',
];
const wordRun = fc
  .array(
    fc.tuple(
      fc.constantFrom(...WORDS),
      fc.constantFrom(
        ' ',
        '  ',
        '',
        ',',
        ', ',
        ' ,',
        '-',
        ' - ',
        '+',
        '.',
        '. ',
        ';',
        '; ',
        ':',
        '=',
        '/',
        '*',
        '%',
        '?',
        '(',
        ')',
        '((',
        '{',
        '}',
        '\t',
        "'",
        '"',
        '/*',
        '*/',
        '-=',
        '::',
        ':=',
        '==',
        '=>',
      ),
    ),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.map(([w, sep]) => w + sep).join(''));

/** The plain path's alphabet and its edges, byte by byte, with SQL words mixed in. */
const plainBytes = fc
  .array(
    fc.constantFrom(
      ...'abcxyzAEN_01259 ,;:.(){}?-+*/%=e'.split(''),
      'or',
      'and',
      'select',
      'union',
      'user',
      'street',
      '0x',
      '1e',
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

/** ASCII printable text, to cover every byte class in every combination. */
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

describe('detectors answer exactly as before their cost work', () => {
  test('hand corpus and everyday values', () => {
    for (const input of [...BENIGN, ...SQLI, ...XSS, ...REALISTIC]) {
      same(input);
      same(latin1(input));
      same(input.toUpperCase());
    }
  });

  test('CRS regression test values, as rules 942100 and 941100 transform them', (t) => {
    const tests = loadCrsTests();
    if (tests === undefined) {
      t.skip('CRS regression tests not found');
      return;
    }
    let n = 0;
    for (const crs of tests) {
      for (const stage of crs.stages) {
        for (const value of argumentValues(stage.input, true)) {
          same(value);
          same(sqliTransforms(value));
          same(xssTransforms(value));
          n++;
        }
      }
    }
    assert.ok(n > 1000, `only ${n} values`);
  });

  test('generated inputs', () => {
    fc.assert(
      fc.property(fc.oneof(fragmentString, fragmentSpaced, spliced, wordRun, plainBytes, printable, byteString), same),
      {
        numRuns: 30_000,
      },
    );
  });
});
