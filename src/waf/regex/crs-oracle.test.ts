import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { urlDecodeUni } from '../transformations/url-decode-uni.js';
import { readCrsPatterns } from './crs-patterns.js';
import { compileSeclangRegex } from './index.js';

/**
 * Differential test: every CRS v4 @rx pattern, translated, must give the same answer as Perl's
 * regex engine (byte strings, no locale: the PCRE semantics ModSecurity relies on) on the CRS
 * regression payloads written for that rule, plus a sample of others and variants that probe the
 * known JavaScript/PCRE differences (0xA0, \v, CR LF, a final newline, upper case, Latin-1 bytes).
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const crsDir = process.env.CRS_DIR ?? join(root, '../shared/crs');
const perl = spawnSync('perl', ['-e', '1']).status === 0;
const skip = !existsSync(join(crsDir, 'tests.json'))
  ? `CRS with tests.json not found at ${crsDir} (set CRS_DIR)`
  : !perl
    ? 'perl is not installed'
    : false;

const PERL_ORACLE = `
my %cache;
while (my $line = <STDIN>) {
  chomp $line;
  my ($p, $x) = split /\\t/, $line, 2;
  $p = pack('H*', $p);
  $x = pack('H*', $x // '');
  my $re = $cache{$p} //= (eval { qr/$p/ } // 'ERROR');
  print(($re eq 'ERROR') ? "E\\n" : (($x =~ $re) ? "1\\n" : "0\\n"));
}`;

test('CRS @rx translations agree with a PCRE-semantics oracle (Perl)', { skip }, () => {
  const patterns = readCrsPatterns(join(crsDir, 'rules'));
  assert.ok(patterns.length > 250, `found only ${patterns.length} @rx patterns`);
  const tests = JSON.parse(readFileSync(join(crsDir, 'tests.json'), 'utf8')) as Array<{
    rule_id: number;
    stages: Array<{ input?: { uri?: string; data?: string; headers?: Record<string, string> } }>;
  }>;
  const byRule = new Map<number, string[]>();
  const all: string[] = [];
  for (const t of tests) {
    for (const stage of t.stages) {
      const input = stage.input ?? {};
      const raw = [input.uri, input.data, ...Object.values(input.headers ?? {})].filter(
        (s): s is string => typeof s === 'string',
      );
      const values = raw.flatMap((s) => {
        const d = urlDecodeUni(Buffer.from(s, 'utf8').toString('latin1'));
        return [
          d,
          `${d}\n`,
          d.toUpperCase(),
          d.replace(/ /g, '\xa0'),
          d.replace(/ /g, '\x0b'),
          d.replace(/[aeo]/g, '\xe9'),
        ];
      });
      const list = byRule.get(t.rule_id) ?? [];
      list.push(...values);
      byRule.set(t.rule_id, list);
      all.push(...values);
    }
  }
  const lines: string[] = [];
  const ours: boolean[] = [];
  let seed = 1;
  for (const p of patterns) {
    const regex = compileSeclangRegex(p.pattern);
    const sample = Array.from({ length: 20 }, () => all[(seed = (seed * 7919 + 13) % all.length)] as string);
    for (const x of new Set([...(byRule.get(p.ruleId) ?? []), ...sample])) {
      lines.push(`${Buffer.from(p.pattern, 'latin1').toString('hex')}\t${Buffer.from(x, 'latin1').toString('hex')}`);
      ours.push(regex.test(x));
    }
  }
  const run = spawnSync('perl', ['-e', PERL_ORACLE], { input: `${lines.join('\n')}\n`, maxBuffer: 1 << 28 });
  const answers = run.stdout.toString().split('\n');
  const differences: string[] = [];
  let positives = 0;
  for (let i = 0; i < ours.length; i++) {
    assert.notEqual(answers[i], 'E', `perl could not compile pattern in line ${i}`);
    const expected = answers[i] === '1';
    if (expected) positives++;
    if (expected !== ours[i]) differences.push((lines[i] as string).slice(0, 200));
  }
  assert.ok(positives > 1000, `the corpus should exercise matches, got ${positives}`);
  assert.deepEqual(differences, []);
});

test('random patterns agree with the oracle on short (V8) and long (DFA) values', {
  skip: perl ? false : 'perl is not installed',
}, () => {
  let seed = 20_241_129;
  const rand = (n: number): number => {
    // xorshift32: exact in 32-bit integer arithmetic.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const atoms = [
    'a',
    'b',
    'ab',
    '.',
    '\\s',
    '\\S',
    '\\w',
    '\\W',
    '\\d',
    '[a-c]',
    '[^a]',
    '\\b',
    '\\B',
    '^',
    '$',
    '\\z',
    '\\Z',
    '\\A',
    '\\n',
    'x',
    '(?i:a)',
    'A',
    '[[:alpha:]]',
    '\\xa0',
    '(?s:.)',
  ];
  const quantifiers = ['', '', '', '*', '+', '?', '{2}', '{1,3}', '*?', '{0,2}', '{2,}'];
  // The oracle backtracks: groups are never quantified and at most two atoms per pattern repeat
  // without bound, so that no generated pattern is catastrophic for Perl itself.
  let unbounded = 0;
  const pattern = (depth: number): string => {
    let s = '';
    for (let i = 0, n = 1 + rand(4); i < n; i++) {
      if (rand(6) === 0 && depth < 2) {
        s += `(?:${pattern(depth + 1)}|${pattern(depth + 1)})`;
        continue;
      }
      const atom = atoms[rand(atoms.length)] as string;
      let q = /^[$^]$|^\\[bBzZA]$/.test(atom) ? '' : (quantifiers[rand(quantifiers.length)] as string);
      if (/[*+]|,\}/.test(q) && ++unbounded > 2) q = '?';
      s += atom + q;
    }
    return s;
  };
  const bytes = ['a', 'b', 'A', 'B', 'x', ' ', '\n', '1', '\xa0', '\r', '_', 'c', '\x0b'];
  const lines: string[] = [];
  const ours: boolean[] = [];
  for (let k = 0; k < 1500; k++) {
    unbounded = 0;
    const p = (rand(5) === 0 ? '(?m)' : '') + (rand(4) === 0 ? '(?i)' : '') + pattern(0);
    const regex = compileSeclangRegex(p);
    for (let j = 0; j < 6; j++) {
      // Short values take V8's path; long ones (over SHORT_VALUE) the DFA. A long value is a run of
      // one byte then a short random tail, so that its answer still depends on the details.
      let x = rand(2) === 0 ? '' : (bytes[rand(bytes.length)] as string).repeat(130);
      for (let i = 0, length = rand(12); i < length; i++) x += bytes[rand(bytes.length)];
      if (rand(3) === 0) x += '\n';
      lines.push(`${Buffer.from(p, 'latin1').toString('hex')}\t${Buffer.from(x, 'latin1').toString('hex')}`);
      ours.push(regex.test(x));
    }
  }
  const run = spawnSync('perl', ['-e', PERL_ORACLE], {
    input: `${lines.join('\n')}\n`,
    maxBuffer: 1 << 28,
    timeout: 60_000,
  });
  assert.equal(run.status, 0, 'the oracle did not finish');
  const answers = run.stdout.toString().split('\n');
  const differences = ours
    .map((mine, i) => ((answers[i] === '1') === mine ? null : (lines[i] as string)))
    .filter((d) => d !== null);
  assert.deepEqual(differences, []);
});
