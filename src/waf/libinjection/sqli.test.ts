import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectSQLi, explainSQLi } from './sqli.js';
import { fold, MAX_FOLDED_TOKENS } from './sqli-grammar.js';
import { type QuoteContext, SqlTokenizer } from './sqli-tokenizer.js';

function shape(input: string, context: QuoteContext = 'none'): string {
  return fold(new SqlTokenizer(input, context)).fingerprint;
}

function raw(input: string, context: QuoteContext = 'none'): string[] {
  const tokenizer = new SqlTokenizer(input, context);
  const out: string[] = [];
  for (let t = tokenizer.next(); t !== undefined; t = tokenizer.next()) out.push(`${t.cls}:${t.value}`);
  return out;
}

describe('SQL tokenizer', () => {
  test('classifies words, numbers, strings, variables and punctuation', () => {
    assert.deepEqual(raw("SELECT name, @@version FROM users WHERE id = 0x1F AND x LIKE 'a%';"), [
      'E:select',
      'n:name',
      ',:,',
      'v:@',
      'k:from',
      'n:users',
      'k:where',
      'n:id',
      'o:=',
      '1:1',
      '&:and',
      'n:x',
      'o:like',
      "s:'",
      ';:;',
    ]);
  });

  test('a word is a function only when a call follows', () => {
    assert.deepEqual(raw('sleep(1) sleep'), ['f:sleep', '(:(', '1:1', '):)', 'n:sleep']);
    assert.deepEqual(raw('char (65)'), ['f:char', '(:(', '1:1', '):)']);
  });

  test('merges two-word keywords', () => {
    assert.deepEqual(raw('UNION ALL select 1 ORDER  BY 2 waitfor delay x is not y'), [
      'U:union all',
      'E:select',
      '1:1',
      'B:order by',
      '1:1',
      'T:waitfor delay',
      'n:x',
      'o:is not',
      'n:y',
    ]);
  });

  test('strings: doubled quotes and backslashes do not close them; prefixes N/X/B/E', () => {
    const t = new SqlTokenizer("'it''s \\' still' x", 'none');
    assert.deepEqual(t.next(), { cls: 's', value: "'", closed: true });
    assert.deepEqual(t.next(), { cls: 'n', value: 'x', closed: true });
    assert.deepEqual(raw("N'abc' X'4142'"), ["s:'", "s:'"]);
    assert.deepEqual(new SqlTokenizer("'open", 'none').next(), { cls: 's', value: "'", closed: false });
  });

  test('a quote context makes the first token the rest of the application string', () => {
    assert.deepEqual(raw("abc' or 1", "'"), ["s:'", '&:or', '1:1']);
    assert.deepEqual(raw('abc" or 1', '"'), ['s:"', '&:or', '1:1']);
    assert.deepEqual(raw('no quote here', "'"), ["s:'"]);
  });

  test('comments: --, #, /* */, unterminated; MySQL /*! */ content is code', () => {
    assert.deepEqual(raw('1 -- x\n2 # y\n3 /* z */ 4 /* open'), [
      '1:1',
      'c:--',
      '1:1',
      'c:#',
      '1:1',
      'c:/*',
      '1:1',
      'c:/*',
    ]);
    assert.deepEqual(raw('1 /*!50000UNION*/ /*!SELECT*/ 2'), ['1:1', 'U:union', 'E:select', '1:1']);
  });

  test('`--` is a comment before space, end, a word, `+`, `#` or `!`; not before `-` or a quote', () => {
    assert.deepEqual(raw('1--'), ['1:1', 'c:--']);
    assert.deepEqual(raw('1 --x'), ['1:1', 'c:--']);
    assert.deepEqual(raw("1--'"), ['1:1', 'o:-', 'o:-', "s:'"]);
    assert.deepEqual(raw('---'), ['o:-', 'c:--']);
  });

  test('comments record whether they swallow quotes', () => {
    assert.equal(new SqlTokenizer('# a', 'none').next()?.quoted, false);
    assert.equal(new SqlTokenizer('# "a"', 'none').next()?.quoted, true);
    assert.equal(new SqlTokenizer("/* ' */", 'none').next()?.quoted, true);
  });

  test('the context literal ends at a backslash-quote (ANSI); later literals honour MySQL escapes', () => {
    assert.deepEqual(raw("a\\' or 'b\\' c'", "'"), ["s:'", '&:or', "s:'"]);
  });

  test('quoted identifiers and \\N', () => {
    assert.deepEqual(raw('`a b` [c d] \\N \\x'), ['n:`', 'n:[', '1:\\n', '?:\\', 'n:x']);
  });

  test('operators, longest first; && and || are connectives', () => {
    assert.deepEqual(raw('a<=>b<>c!=d||e&&f:=g'), [
      'n:a',
      'o:<=>',
      'n:b',
      'o:<>',
      'n:c',
      'o:!=',
      'n:d',
      '&:||',
      'n:e',
      '&:&&',
      'n:f',
      'o::=',
      'n:g',
    ]);
  });
});

describe('folding', () => {
  test('drops unary operators, collapses arithmetic on numbers and qualified names', () => {
    assert.equal(shape('-1 or - -1 = ~1'), '1&1o1');
    assert.equal(shape('2010-01-01'), '1');
    assert.equal(shape('a . b'), 'n');
    assert.equal(shape('not 1'), '1');
  });

  test('a comment followed by code is whitespace; a trailing comment stays', () => {
    assert.equal(shape('1/**/or/**/1=1'), '1&1o1');
    assert.equal(shape("x'--", "'"), 'sc');
  });

  test('stops after the window', () => {
    const long = Array.from({ length: 50 }, () => 'a').join(' , ');
    assert.equal(shape(long).length, MAX_FOLDED_TOKENS);
  });
});

describe('detectSQLi', () => {
  test('reports the fingerprint of the matching context', () => {
    assert.deepEqual(detectSQLi("x' or 'a'='a"), { matched: true, fingerprint: 's&sos' });
    assert.deepEqual(detectSQLi('1 union select 2'), { matched: true, fingerprint: '1UE1' });
  });

  test('reports the as-is fingerprint when nothing matches', () => {
    assert.deepEqual(detectSQLi("O'Brien"), { matched: false, fingerprint: 'ns' });
    assert.deepEqual(detectSQLi(''), { matched: false, fingerprint: '' });
  });

  test('explains which context and technique matched', () => {
    assert.deepEqual(explainSQLi("admin'--"), {
      context: "'",
      fingerprint: 'sc',
      technique: 'comment truncation after closing the literal',
    });
    assert.equal(explainSQLi('1; drop table users')?.technique, 'stacked query');
    assert.equal(explainSQLi('hello world'), undefined);
  });

  test('quoted-only shapes do not fire on a complete literal read as-is', () => {
    // `"a" | b | "c"` is an expression over a complete literal; `x" | b | "` breaks out of one.
    assert.equal(detectSQLi('"Hello " | name | "!"').matched, false);
    assert.equal(detectSQLi('x" | b | "').matched, true);
    // `+` after a quote is how sizes are written (`4'+X+4'`); only a call or sub-query counts.
    assert.equal(detectSQLi("4'+X+4'+WOOD").matched, false);
    assert.equal(detectSQLi("4'+sleep(5)+'").matched, true);
  });

  test('a bareword right after the literal is prose, not a breakout', () => {
    assert.equal(detectSQLi("Miles O'Brien or Keiko").matched, false);
    assert.equal(detectSQLi("Miles O' or 1=1").matched, true);
  });

  test('word operators between words are prose after a connective', () => {
    assert.equal(detectSQLi('and convert between IPv4 and IPv6').matched, false);
    assert.equal(detectSQLi('and x between 1 and 2').matched, true);
    assert.equal(detectSQLi('or a = b').matched, true);
  });

  test('EXEC of a system procedure and DECLARE of a variable', () => {
    assert.equal(
      explainSQLi("exec master..xp_cmdshell 'dir'")?.technique,
      'procedure execution or variable declaration',
    );
    assert.equal(explainSQLi('DECLARE @q varchar(99)')?.technique, 'procedure execution or variable declaration');
    assert.equal(detectSQLi('execute the plan').matched, false);
  });

  test('truncation needs a comment that does not swallow more quoted text', () => {
    assert.equal(detectSQLi("admin'#").matched, true);
    assert.equal(detectSQLi('<a href="#top">up</a>').matched, false);
  });

  test('reconnaissance calls need SQL around them', () => {
    assert.equal(explainSQLi('ascii(substring(version() from 1 for 1))')?.technique, 'server fingerprinting call');
    assert.equal(detectSQLi('const v = await version();').matched, false);
  });

  test('high-risk calls anywhere in the window, with SQL arguments', () => {
    assert.equal(detectSQLi("LENGTH(load_file('/etc/passwd'))").matched, true);
    assert.equal(detectSQLi('sleep (8 hours) a night').matched, false);
  });

  test('a constant comparison after a word', () => {
    assert.equal(detectSQLi('HOPE AND 8=3').matched, true);
    assert.equal(detectSQLi('Tom and Jerry').matched, false);
    assert.equal(detectSQLi("(x) OR 'a'='a'").matched, true);
  });

  test('SELECT with FROM and a clause', () => {
    assert.equal(detectSQLi('select a,b from bar where').matched, true);
    assert.equal(detectSQLi('SELECT id FROM users ORDER BY 1').matched, true);
    assert.equal(detectSQLi('Select one from the list where you live').matched, false);
  });

  test('UNION SELECT counts anywhere, also past the window', () => {
    const far = '(1) group by (1) having 1 order by 1 union/**/all (select 1--';
    assert.equal(explainSQLi(far)?.technique, 'UNION-based extraction (after the window)');
    assert.equal(detectSQLi(`${'x '.repeat(5000)}union select 1`).matched, true);
    assert.equal(detectSQLi('the credit union selected a new board').matched, false);
    assert.equal(detectSQLi('union members select a leader').matched, false);
  });

  test('as-is, a value opening with a symbolic binary operator is not SQL (a path)', () => {
    assert.equal(detectSQLi('/post/foo/24 union all select 1,2,3 from aa/bar').matched, false);
    assert.equal(detectSQLi("/post/foo/24'union all select 1,2,3 from aa").matched, true);
    assert.equal(detectSQLi('in ( select * from t').matched, true);
  });

  test('a nested block comment is an evasion wherever it stands (CRS 942101-9)', () => {
    // The path REQUEST_FILENAME holds for `/post/%2A/%2A/2+union+all/bar` after t:urlDecodeUni.
    assert.equal(
      explainSQLi('/post/*/*/2 union all/bar')?.technique,
      'nested block comment (databases disagree on where it ends)',
    );
    assert.equal(detectSQLi('1 /* a /* b */ union select 2').matched, true);
    assert.equal(detectSQLi('/*/**/').matched, true);
    assert.equal(
      raw('a/*/*/b').find((t) => t.startsWith('c:')),
      'c:/*',
    );
    // A plain comment, an unterminated one and a lone wildcard path are not nested.
    assert.equal(detectSQLi('/post/foo/*/bar').matched, false);
    assert.equal(detectSQLi('a /* note */ b').matched, false);
    assert.equal(detectSQLi('docs/*.md and /*').matched, false);
    assert.equal(detectSQLi('/**/').matched, false);
  });

  test('CASE WHEN with a comparison, chained equalities, a SELECT after a connective', () => {
    assert.equal(detectSQLi('(CASE WHEN 4518=5617 THEN 1 ELSE NULL END)').matched, true);
    assert.equal(detectSQLi('in case when the phone rings').matched, false);
    assert.equal(detectSQLi("X' != 'Y' = 0 = '1").matched, true);
    assert.equal(detectSQLi('1 AND SELECT 1 FROM t').matched, true);
  });

  test('a number cut off by a comment; INTO OUTFILE', () => {
    assert.equal(detectSQLi('1 --').matched, true);
    assert.equal(detectSQLi('@@version#').matched, true);
    assert.equal(detectSQLi('1 # first item, then the rest').matched, false);
    assert.equal(detectSQLi('!@#$%^&').matched, false);
    assert.equal(detectSQLi("1 into outfile '/var/www/x.php'").matched, true);
  });

  test('bytes above 0x7f are word characters', () => {
    assert.equal(detectSQLi("caf\xe9' or 1=1").matched, true);
    assert.equal(detectSQLi('caf\xe9 cr\xe8me').matched, false);
  });
});
