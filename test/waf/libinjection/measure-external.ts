/**
 * Detection and false-positive rates on an external payload directory laid out as one
 * URL-encoded input per line, files named sqli-*.txt, xss-*.txt and false_positives.txt (the
 * layout of libinjection's data/ folder, read here only as a measuring stick; nothing of it
 * is stored in this repository). Usage:
 *   npx tsx test/waf/libinjection/measure-external.ts <dir> [--show-misses]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectSQLi, detectXSS } from '../../../src/waf/libinjection/index.js';
import { urlDecodeUni } from './crs-fixture.js';

const [dir, flag] = process.argv.slice(2);
if (dir === undefined) {
  console.error('usage: measure-external.ts <dir> [--show-misses]');
  process.exit(2);
}

function inputs(file: string): string[] {
  return readFileSync(join(dir!, file), 'latin1')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map(urlDecodeUni);
}

const files = readdirSync(dir).sort();
const groups: Array<[string, (f: string) => boolean, (v: string) => boolean, boolean]> = [
  ['sqli', (f) => f.startsWith('sqli-'), (v) => detectSQLi(v).matched, true],
  ['xss', (f) => f.startsWith('xss-'), detectXSS, true],
  ['false_positives (detectSQLi)', (f) => f.startsWith('false_positives'), (v) => detectSQLi(v).matched, false],
  ['false_positives (detectXSS)', (f) => f.startsWith('false_positives'), detectXSS, false],
];
for (const [name, pick, detect, attacks] of groups) {
  let total = 0;
  let hits = 0;
  for (const file of files.filter(pick)) {
    const values = inputs(file);
    const flagged = values.filter(detect);
    total += values.length;
    hits += flagged.length;
    if (flag === '--show-misses') {
      for (const v of attacks ? values.filter((x) => !detect(x)) : flagged) {
        console.log(
          `  ${attacks ? 'miss' : 'hit '} ${file}: ${JSON.stringify(v).slice(0, 160)} ${detectSQLi(v).fingerprint}`,
        );
      }
    }
    if (attacks) console.log(`  ${file}: ${flagged.length}/${values.length}`);
  }
  console.log(`${name}: ${hits}/${total} flagged (${((100 * hits) / Math.max(total, 1)).toFixed(1)}%)`);
}
