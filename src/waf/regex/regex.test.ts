import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PhraseMatcher } from './aho-corasick.js';
import { compileSeclangRegex, RegexSyntaxError } from './index.js';

const matches = (pattern: string, input: string): boolean => compileSeclangRegex(pattern).test(input);

describe('PCRE byte-mode semantics', () => {
  test('\\s is ASCII whitespace only: not 0xA0 or 0x85, unlike JavaScript', () => {
    assert.equal(matches('a\\sb', 'a\x0bb'), true);
    assert.equal(matches('a\\sb', 'a\xa0b'), false);
    assert.equal(matches('a\\sb', 'a\x85b'), false);
    assert.equal(matches('a\\Sb', 'a\xa0b'), true);
    assert.equal(matches('a[^\\s]b', 'a\xa0b'), true);
  });

  test('. matches CR (JavaScript excludes it) but not LF; (?s) makes it match LF', () => {
    assert.equal(matches('a.b', 'a\rb'), true);
    assert.equal(matches('a.b', 'a\nb'), false);
    assert.equal(matches('(?s)a.b', 'a\nb'), true);
    assert.equal(matches('(?s:a.)b|x.y', 'x\ny'), false);
  });

  test('$ matches at the end and before a final newline; \\z only at the end', () => {
    assert.equal(matches('abc$', 'abc\n'), true);
    assert.equal(matches('abc$', 'abc\n\n'), false);
    assert.equal(matches('abc\\z', 'abc\n'), false);
    assert.equal(matches('abc\\Z', 'abc\n'), true);
    assert.equal(matches('^abc$', 'xabc'), false);
    assert.equal(matches('$^', '\n'), true);
    assert.equal(matches('a$\n', 'a\n'), true);
    assert.equal(matches('a$\n', 'a\n\n'), false);
  });

  test('(?m) anchors at line starts and ends', () => {
    assert.equal(matches('(?m)^b$', 'a\nb\nc'), true);
    assert.equal(matches('^b$', 'a\nb\nc'), false);
    assert.equal(matches('(?m)^\\z', 'a\n'), false);
    assert.equal(matches('(?m)^\\z', `${'a'.repeat(200)}\n`), false);
    assert.equal(matches('(?m)^x', `${'a'.repeat(200)}\nx`), true);
  });

  test('(?i) folds ASCII only: 0xC9 and 0xE9 stay distinct as in PCRE byte mode', () => {
    assert.equal(matches('(?i)select', 'SeLeCt'), true);
    assert.equal(matches('(?i)\xe9', '\xc9'), false);
    assert.equal(matches('(?i)[a-c]x', 'BX'), true);
    assert.equal(matches('(?i)[^a]', 'A'), false);
  });

  test('scoped and inline option groups apply to their group only', () => {
    assert.equal(matches('a(?i:b)c', 'aBc'), true);
    assert.equal(matches('a(?i:b)c', 'aBC'), false);
    assert.equal(matches('(a(?i)b)c', 'aBc'), true);
    assert.equal(matches('(a(?i)b)c', 'aBC'), false);
    assert.equal(matches('(?i)a(?-i:b)', 'Ab'), true);
    assert.equal(matches('(?i)a(?-i:b)', 'AB'), false);
  });

  test('escapes: \\x{..}, \\xHH, octal, \\Q..\\E, \\e, \\cX', () => {
    assert.equal(matches('\\x{ff}\\x41', '\xffA'), true);
    assert.equal(matches('\\101\\0', 'A\x00'), true);
    assert.equal(matches('\\Q.*+\\E', 'a.*+'), true);
    assert.equal(matches('\\Q.*+\\E', 'aaa'), false);
    assert.equal(matches('\\e\\cA', '\x1b\x01'), true);
    assert.throws(() => compileSeclangRegex('\\x{100}'), RegexSyntaxError);
  });

  test('POSIX classes, negated too', () => {
    assert.equal(matches('^[[:alpha:]]+$', 'abcXYZ'), true);
    assert.equal(matches('^[[:alpha:]]+$', 'abc1'), false);
    assert.equal(matches('[[:^digit:]]', '123'), false);
    assert.equal(matches('[[:punct:][:space:]]', 'a b'), true);
  });

  test('a { that does not start a quantifier is literal', () => {
    assert.equal(matches('a{x', 'a{x'), true);
    assert.equal(matches('a{,2}', 'a{,2}'), true);
    assert.equal(matches('^a{2,3}$', 'aaa'), true);
    assert.equal(matches('^a{2,3}$', 'aaaa'), false);
    assert.equal(matches('^a{2,}$', 'a'), false);
    assert.equal(matches('^(?:ab){1,40}?c$', `${'ab'.repeat(40)}c`), true);
    assert.equal(matches('^(?:ab){1,40}c$', `${'ab'.repeat(41)}c`), false);
  });

  test('capture groups keep their numbers; named groups count', () => {
    const r = compileSeclangRegex('(a)(?:b)(?<n>c)(?P<m>d){2}');
    assert.equal(r.groupCount, 3);
    const m = r.exec('xabcdd');
    assert.ok(m);
    assert.deepEqual([m[0], m[1], m[2], m[3]], ['abcdd', 'a', 'c', 'd']);
    assert.equal(matches('(a)\\1', 'aa'), true);
    assert.equal(matches('(?<q>[\'"])x\\k<q>', '"x"'), true);
  });

  test('extended mode skips whitespace and comments', () => {
    assert.equal(matches('(?x) a b # comment\n c', 'abc'), true);
  });

  test('unsupported constructs fail with a plain message', () => {
    for (const p of [
      '(?:ab)++',
      '(?>a)',
      '(?|a)',
      '(?R)',
      '\\p{L}',
      '(a',
      'a)',
      '[a',
      '*a',
      'a{3,2}',
      '[z-a]',
      '(?U)a',
    ]) {
      assert.throws(() => compileSeclangRegex(p), RegexSyntaxError, p);
    }
  });
});

describe('possessive quantifiers', () => {
  test('take the whole run of a one-byte item and never give it back', () => {
    assert.equal(matches('^a\\s*+\\s', 'a   '), false);
    assert.equal(matches('^a\\s*\\s', 'a   '), true);
    assert.equal(matches('^a\\s*+;', 'a  ;'), true);
    assert.equal(matches('^x[ab]++b', 'xabab'), false);
    assert.equal(matches('^x[ab]++c', 'xababc'), true);
    assert.equal(matches('^a?+a$', 'a'), false);
    assert.equal(matches('^a?+a$', 'aa'), true);
    assert.equal(matches('^a{1,3}+a$', 'aaa'), false);
    assert.equal(matches('^a{1,3}+a$', 'aaaa'), true);
    assert.equal(matches('^a{2}+$', 'aa'), true);
    assert.equal(matches('^(?:\\d)*+1', '1231'), false);
  });

  test('Debian CRS 3.3 rule 920600: a trailing space after charset= is not a value', () => {
    const accept = compileSeclangRegex('^[a-z]+/[a-z]+(?:\\s*+;\\s*+charset\\s*+=\\s*+[^(),/:;<=>?]+)?$');
    assert.equal(accept.test('text/html; charset=utf-8'), true);
    assert.equal(accept.test('text/html; charset= '), false);
    assert.equal(accept.dfa, true);
  });

  test('keep capture numbering; refuse what cannot be expressed exactly', () => {
    const m = compileSeclangRegex('(\\s)*+(x)').exec('a  x');
    assert.deepEqual([m?.[1], m?.[2]], [' ', 'x']);
    for (const p of ['(?:ab)*+', 'a(bc)++', '(a){1,3}+'])
      assert.throws(() => compileSeclangRegex(p), RegexSyntaxError, p);
  });

  test('agree with an atomic-group reference on the DFA and on V8 (property)', () => {
    // `(?=(X))\k` is an atomic group in JavaScript: the lookahead takes X's greedy match and
    // the back-reference consumes exactly it, with no way back in. Possessive X+ is (?>X).
    const item = fc.constantFrom('a', '[ab]', '\\s', '(?:b)');
    const quant = fc.constantFrom(
      ['*', '{0,}'],
      ['+', '{1,}'],
      ['?', '{0,1}'],
      ['{2}', '{2}'],
      ['{1,3}', '{1,3}'],
      ['{0,2}', '{0,2}'],
    );
    const tail = fc.constantFrom('', 'a', 'b', ' ', '$', 'ab', '[ a]');
    const input = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'c'), maxLength: 10 });
    fc.assert(
      fc.property(fc.boolean(), item, quant, tail, input, (anchored, x, [q, counted], t, s) => {
        const head = anchored ? '^' : '';
        const pattern = `${head}c?${x}${q}+${t}`;
        const reference = new RegExp(`${head}c?(?=(${x}${counted}))\\1${t === '$' ? '(?:\\n?$)' : t}`);
        const r = compileSeclangRegex(pattern);
        assert.equal(r.test(s), reference.test(s), `${pattern} on ${JSON.stringify(s)}`);
        assert.equal(r.test(s.padEnd(200, 'c')), reference.test(s.padEnd(200, 'c')), `${pattern} (long)`);
        assert.equal(r.exec(s)?.[0], reference.exec(s)?.[0], `${pattern} exec`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('lazy DFA', () => {
  test('keeps exact answers when its state cache fills up and is flushed', async () => {
    const { LazyDfa } = await import('./dfa.js');
    const { parsePattern } = await import('./parse.js');
    // The 13th byte from the end is an `a`: 2^13 DFA states, twice the cache, so it is flushed
    // and the transition table rebuilt while a value is being read.
    const pattern = '[ab]*a[ab]{12}$';
    const dfa = LazyDfa.build(parsePattern(pattern).root);
    assert.ok(dfa);
    const reference = /[ab]*a[ab]{12}$/;
    let seed = 11;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    for (let k = 0; k < 300; k++) {
      const length = 14 + (next() % 400);
      const input = Array.from({ length }, () => (next() % 2 === 0 ? 'a' : 'b')).join('');
      assert.equal(dfa.test(input), reference.test(input), input);
    }
    assert.ok(dfa.stateCount <= 4096);
  });
});

describe('linear-time fallback', () => {
  test('every translation of a plain pattern qualifies for the linear engine', () => {
    for (const p of ['^(a+)+$', '(?i)(?:union|select){1,255}', '[a-z]{1,255}x', '(a|ab)*c', '\\bfoo\\b$']) {
      assert.equal(compileSeclangRegex(p).linear, true, p);
    }
  });

  test('lookarounds and back-references are reported as not linear', () => {
    assert.equal(compileSeclangRegex('a(?=b)').linear, false);
    assert.equal(compileSeclangRegex('(a)\\1').linear, false);
  });

  test('catastrophic backtracking is cut short', () => {
    const r = compileSeclangRegex('^(a+)+$');
    const start = performance.now();
    assert.equal(r.test(`${'a'.repeat(5000)}!`), false);
    assert.ok(performance.now() - start < 200);
  });
});

describe('required literals', () => {
  test('are derived from literal runs and alternations, lower-cased', () => {
    assert.deepEqual(compileSeclangRegex('(?i)foo.*Bar').requiredLiterals.length, 1);
    assert.deepEqual([...compileSeclangRegex('(?:alpha|beta)\\d').requiredLiterals].sort(), ['alpha', 'beta']);
    assert.deepEqual(compileSeclangRegex('a?b*').requiredLiterals, []);
    assert.deepEqual(compileSeclangRegex('SELECT\\s+FROM').requiredLiterals.length, 1);
  });

  test('the prefilter never hides a match (property)', () => {
    // `$` is left out: the JavaScript source consumes a final newline for `$` (see emit.ts), so it
    // is not a faithful reference there; the Perl oracle test covers `$`.
    const atoms = fc.constantFrom('a', 'b', 'ab', 'AB', '(?i)', '.', '\\s', '[a-c]', 'x', '\\d', '\\b', '^', '|');
    const quant = fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}');
    const pattern = fc
      .array(fc.tuple(atoms, quant), { minLength: 1, maxLength: 6 })
      .map((parts) =>
        parts.map(([a, q]) => (a === '|' || a === '(?i)' || a === '^' || a === '\\b' ? a : `(?:${a})${q}`)).join(''),
      );
    const input = fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'B', 'x', '1', ' ', '\n', 'c'), maxLength: 12 });
    fc.assert(
      fc.property(pattern, input, (p, s) => {
        let r: ReturnType<typeof compileSeclangRegex>;
        try {
          r = compileSeclangRegex(p);
        } catch {
          return;
        }
        assert.equal(r.test(s), new RegExp(r.source).test(s), `${p} on ${JSON.stringify(s)}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('PhraseMatcher', () => {
  test('finds the earliest phrase, ignoring ASCII case only', () => {
    const m = new PhraseMatcher(['he', 'she', 'his', 'hers', '\xe9t\xe9']);
    assert.deepEqual(m.find('ushers'), { phrase: 1, end: 4 });
    assert.equal(m.find('USHERS')?.end, 4);
    assert.equal(m.find('xxx'), null);
    assert.equal(m.find('\xc9T\xc9'), null);
    assert.equal(m.find('\xe9T\xe9')?.phrase, 4);
  });

  test('the sparse form used for large phrase lists finds the same matches', () => {
    let seed = 7;
    const rand = (n: number): number => {
      // xorshift32: exact in 32-bit integer arithmetic.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 ._-/\\:;<>()[]{}=+*&^%$#@!~';
    const word = (len: number): string => Array.from({ length: len }, () => alphabet[rand(alphabet.length)]).join('');
    // 2,000 phrases of 20 bytes over 60 columns: well above the dense table's cell budget.
    const phrases = Array.from({ length: 2000 }, () => word(20));
    const matcher = new PhraseMatcher(phrases);
    for (let k = 0; k < 200; k++) {
      const text = k % 2 === 0 ? word(60) : `${word(10)}${(phrases[rand(2000)] as string).toUpperCase()}${word(10)}`;
      const lower = text.toLowerCase();
      assert.equal(
        matcher.find(text) !== null,
        phrases.some((p) => lower.includes(p)),
        text,
      );
    }
  });

  test('agrees with a naive search (property)', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A'), minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 6 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'B'), maxLength: 20 }),
        (phrases, text) => {
          const lower = text.toLowerCase();
          const naive = phrases.some((p) => lower.includes(p.toLowerCase()));
          assert.equal(new PhraseMatcher(phrases).find(text) !== null, naive);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
