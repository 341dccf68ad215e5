import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { OPERATORS } from './registry.js';
import type { OperatorTx } from './types.js';

class FakeTx implements OperatorTx {
  readonly captures: string[] = [];
  matched: string | undefined;
  readonly capturing: boolean;
  readonly #vars: Record<string, string>;

  constructor(capturing = false, vars: Record<string, string> = {}) {
    this.capturing = capturing;
    this.#vars = vars;
  }

  expandMacros(text: string): string {
    return text.replace(/%\{([^}]+)\}/g, (_m, name: string) => this.#vars[name.toLowerCase()] ?? '');
  }

  setCapture(index: number, value: string): void {
    this.captures[index] = value;
  }

  setMatchedData(value: string): void {
    this.matched = value;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pc-ops-'));
const options = { baseDir: dir };

function run(name: string, argument: string, input: string, tx = new FakeTx()): boolean {
  const factory = OPERATORS.get(name);
  assert.ok(factory, `@${name} is registered`);
  return factory(argument, options).evaluate(tx, input);
}

/** [argument, input, expected] per operator. */
const CASES: Readonly<Record<string, ReadonlyArray<readonly [string, string, boolean]>>> = {
  rx: [
    ['(?i)union\\s+select', 'x UNION  SELECT y', true],
    ['^\\d+$', '123\n', true],
    ['^\\d+$', '12a', false],
  ],
  pm: [
    ['nikto sqlmap', 'Mozilla SQLMap/1.0', true],
    ['nikto sqlmap', 'Mozilla', false],
    ['|41 42|c', 'xxABC', true],
    ['a\\ b', 'a b', true],
    ['a\\ b', 'a', false],
  ],
  streq: [
    ['POST', 'POST', true],
    ['POST', 'post', false],
    ['', '', true],
  ],
  strmatch: [
    ['WebZIP', 'Mozilla WebZIP/3', true],
    ['WebZIP', 'webzip', false],
  ],
  contains: [
    ['.php', '/index.php?x', true],
    ['.php', '/index.asp', false],
  ],
  containsWord: [
    ['select', '1 select 2', true],
    ['select', 'selection', false],
    ['select', 'select_1', true],
    ['select', 'x1select', true],
    ['', 'anything', true],
  ],
  beginsWith: [
    ['GET', 'GET / HTTP/1.1', true],
    ['GET', 'POST /', false],
  ],
  endsWith: [
    ['HTTP/1.1', 'GET / HTTP/1.1', true],
    ['HTTP/1.1', 'GET / HTTP/1.0', false],
  ],
  within: [
    ['GET HEAD POST', 'HEAD', true],
    ['GET HEAD POST', 'PUT', false],
    ['GET', '', true],
  ],
  eq: [
    ['5', '5', true],
    ['5', ' 5abc', true],
    ['0', 'abc', true],
    ['5', '6', false],
    ['0', '99999999999', true],
  ],
  ge: [
    ['5', '5', true],
    ['5', '4', false],
    ['-1', '-1', true],
  ],
  gt: [
    ['5', '6', true],
    ['5', '5', false],
  ],
  le: [
    ['5', '5', true],
    ['5', '6', false],
  ],
  lt: [
    ['5', '4', true],
    ['5', '5', false],
    ['1', '', true],
  ],
  validateByteRange: [
    ['32-126', 'hello world', false],
    ['32-126', 'hello\tworld', true],
    ['9,10,13,32-126', 'a\tb', false],
    ['1-255', 'a\x00b', true],
    ['32-126', '\xff', true],
  ],
  validateUrlEncoding: [
    ['', '/a%20b', false],
    ['', '/a%zz', true],
    ['', '/a%4', true],
    ['', '/a%', true],
    ['', '100%25', false],
  ],
  validateUtf8Encoding: [
    ['', 'plain', false],
    ['', 'caf\xc3\xa9', false],
    ['', '\xf0\x9f\x98\x80', false],
    ['', '\xc0\xaf', true],
    ['', '\xed\xa0\x80', true],
    ['', '\xe2\x82', true],
    ['', '\xf4\x90\x80\x80', true],
    ['', '\xff', true],
  ],
  ipMatch: [
    ['127.0.0.1,10.0.0.0/8', '10.1.2.3', true],
    ['127.0.0.1,10.0.0.0/8', '11.1.2.3', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['::1,2001:db8::/32', '2001:db8::5', true],
    ['::1,2001:db8::/32', '2001:db9::5', false],
    ['10.0.0.0/8', 'not-an-ip', false],
  ],
  unconditionalMatch: [['', 'x', true]],
  noMatch: [['', 'x', false]],
  verifyCC: [
    ['\\d{13,16}', 'card 4111111111111111 end', true],
    ['\\d{13,16}', 'card 4111111111111112 end', false],
  ],
  detectSQLi: [
    ["1' OR '1'='1", "1' OR '1'='1", true],
    ['', 'hello world', false],
  ],
  detectXSS: [
    ['', '<script>alert(1)</script>', true],
    ['', 'hello world', false],
  ],
};

describe('operators', () => {
  for (const [name, cases] of Object.entries(CASES)) {
    test(name, () => {
      for (const [argument, input, expected] of cases) {
        const operatorArgument = name === 'detectSQLi' ? '' : argument;
        assert.equal(
          run(name, operatorArgument, input),
          expected,
          `@${name} ${JSON.stringify(argument)} on ${JSON.stringify(input)}`,
        );
      }
    });
  }

  test('every operator CRS v4 uses is registered, case-insensitively', () => {
    for (const name of [
      'rx',
      'lt',
      'eq',
      'ge',
      'pmFromFile',
      'gt',
      'pm',
      'streq',
      'within',
      'validateByteRange',
      'contains',
      'endsWith',
      'ipMatch',
      'detectXSS',
      'detectSQLi',
      'validateUtf8Encoding',
      'validateUrlEncoding',
      'unconditionalMatch',
      'beginsWith',
    ]) {
      assert.ok(OPERATORS.has(name), name);
      assert.ok(OPERATORS.has(name.toUpperCase()), name);
    }
    assert.equal(OPERATORS.get('pmf'), OPERATORS.get('pmFromFile'));
  });

  test('macros in arguments expand at evaluation time', () => {
    const factory = OPERATORS.get('ge');
    assert.ok(factory);
    const op = factory('%{tx.threshold}', options);
    assert.equal(op.evaluate(new FakeTx(false, { 'tx.threshold': '5' }), '7'), true);
    assert.equal(op.evaluate(new FakeTx(false, { 'tx.threshold': '9' }), '7'), false);
    assert.equal(
      run('within', '%{tx.allowed_methods}', 'PUT', new FakeTx(false, { 'tx.allowed_methods': 'GET PUT' })),
      true,
    );
    assert.equal(run('rx', '^%{tx.p}$', 'abc', new FakeTx(false, { 'tx.p': 'a.c' })), true);
  });

  test('@rx capture fills TX:0-9 and the matched data', () => {
    const tx = new FakeTx(true);
    assert.equal(run('rx', '(a)(b)?(c)', 'xacy', tx), true);
    assert.equal(tx.matched, 'ac');
    assert.equal(tx.captures[0], 'ac');
    assert.equal(tx.captures[1], 'a');
    assert.equal(tx.captures[2], undefined);
    assert.equal(tx.captures[3], 'c');
    const many = new FakeTx(true);
    run('rx', '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)', 'abcdefghijk', many);
    assert.equal(many.captures.length, 10);
  });

  test('@rx on a long value without capture reports the whole value as matched data', () => {
    const tx = new FakeTx(false);
    const long = `${'x'.repeat(5000)}attack`;
    assert.equal(run('rx', 'att?ack', long, tx), true);
    assert.equal(tx.matched, long);
    const short = new FakeTx(false);
    assert.equal(run('rx', 'att?ack', 'an attack', short), true);
    assert.equal(short.matched, 'attack');
  });

  test('@pm capture and matched data hold the phrase as it appears in the input', () => {
    const tx = new FakeTx(true);
    assert.equal(run('pm', 'sqlmap', 'ua SQLMap', tx), true);
    assert.equal(tx.captures[0], 'SQLMap');
    assert.equal(tx.matched, 'SQLMap');
  });

  test('@detectSQLi captures the fingerprint', () => {
    const tx = new FakeTx(true);
    assert.equal(run('detectSQLi', '', "1' OR '1'='1", tx), true);
    assert.ok((tx.captures[0] ?? '').length > 0);
  });

  test('@pmFromFile and @ipMatchFromFile read files relative to the rule directory, skipping comments', () => {
    writeFileSync(join(dir, 'words.data'), '# comment\n\nfoo bar\r\nbaz\n');
    writeFileSync(join(dir, 'ips.data'), '# blocked\n192.168.0.0/16\n::1\n');
    assert.equal(run('pmFromFile', 'words.data', 'xx FOO BAR yy'), true);
    assert.equal(run('pmFromFile', 'words.data', 'foo'), false);
    assert.equal(run('pmFromFile', 'words.data', '# comment'), false);
    assert.equal(run('pmf', 'words.data', 'BAZ'), true);
    assert.equal(run('ipMatchFromFile', 'ips.data', '192.168.4.4'), true);
    assert.equal(run('ipMatchF', 'ips.data', '10.0.0.1'), false);
  });

  test('bad arguments fail at load with a plain sentence', () => {
    const build = (name: string, argument: string): void => {
      (OPERATORS.get(name) as NonNullable<ReturnType<typeof OPERATORS.get>>)(argument, options);
    };
    assert.throws(() => build('rx', '(unclosed'), /missing \)/);
    assert.throws(() => build('validateByteRange', '10-300'), /outside 0-255/);
    assert.throws(() => build('ipMatch', '10.0.0.0/40'), /prefix length/);
    assert.throws(() => build('ipMatch', 'nope'), /invalid IP/);
    assert.throws(() => build('pmFromFile', 'missing.data'), /cannot read/);
    assert.throws(() => build('pmFromFile', 'https://example.com/list'), /remote files/);
    assert.throws(() => build('pm', '|4|'), /odd number/);
    assert.throws(() => build('geoLookup', ''), /not supported/);
  });

  test('@ipMatch on IPv4 agrees with node:net BlockList for random networks and addresses', () => {
    const quad = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((q) => q.join('.'));
    fc.assert(
      fc.property(quad, fc.integer({ min: 0, max: 32 }), fc.boolean(), quad, (net, prefix, single, address) => {
        const entry = single ? net : `${net}/${prefix}`;
        const list = new BlockList();
        if (single) list.addAddress(net, 'ipv4');
        else list.addSubnet(net, prefix, 'ipv4');
        assert.equal(run('ipMatch', entry, address), list.check(address, 'ipv4'), `${entry} ${address}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('operators on their fast paths answer as the plain definitions', () => {
  const bytes = fc
    .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x20, max: 0x7e })), { maxLength: 40 })
    .map((codes) => String.fromCharCode(...codes));

  test('@validateByteRange: a byte outside the ranges, for any ranges', () => {
    const range = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
      .map(([a, b]) => (a === b ? `${a}` : `${Math.min(a, b)}-${Math.max(a, b)}`));
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 6 }), bytes, (ranges, input) => {
        const allowed = new Set<number>();
        for (const r of ranges) {
          const [from, to = from] = r.split('-').map(Number) as [number, number?];
          for (let c = from; c <= to; c++) allowed.add(c);
        }
        const expected = [...input].some((ch) => !allowed.has(ch.charCodeAt(0)));
        assert.equal(
          run('validateByteRange', ranges.join(','), input),
          expected,
          `${ranges} on ${JSON.stringify(input)}`,
        );
      }),
      { numRuns: 3000 },
    );
    // Codes above 0xff (never in a byte string) are outside every range.
    assert.equal(run('validateByteRange', '0-255', 'a\u0100'), true);
  });

  test('@validateUtf8Encoding: exactly the inputs a strict UTF-8 decoder rejects', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const utf8ish = fc
      .array(
        fc.oneof(
          fc.integer({ min: 0, max: 255 }),
          fc.constantFrom(
            0x41,
            0x80,
            0xbf,
            0xc2,
            0xc0,
            0xdf,
            0xe0,
            0xed,
            0xef,
            0xf0,
            0xf4,
            0xf5,
            0x9f,
            0xa0,
            0x8f,
            0x90,
          ),
        ),
        { maxLength: 24 },
      )
      .map((codes) => String.fromCharCode(...codes));
    fc.assert(
      fc.property(fc.oneof(utf8ish, bytes), (input) => {
        let valid = true;
        try {
          decoder.decode(Buffer.from(input, 'latin1'));
        } catch {
          valid = false;
        }
        assert.equal(run('validateUtf8Encoding', '', input), !valid, JSON.stringify(input));
      }),
      { numRuns: 5000 },
    );
  });

  test('@pm: a value shorter than every phrase does not match, a longer one still can', () => {
    assert.equal(run('pm', 'abcd efgh', 'abc'), false);
    assert.equal(run('pm', 'abcd efgh', 'xABCDx'), true);
    assert.equal(run('pm', 'abcd |00|', '\0'), true);
  });
});
