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
