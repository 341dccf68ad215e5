import type { Node } from './parse.js';
import { parsePattern } from './parse.js';

/**
 * Pathological inputs for the ReDoS bound: textbook catastrophic patterns with their attack
 * strings, and a generator that derives attack strings from any pattern. The generator pumps
 * what the pattern itself repeats: a prefix that enters the pattern, then many copies of bytes
 * (and literal runs) that its quantifiers can absorb in more than one way, then a byte that makes
 * the attempt fail, so a backtracking engine explores every split before giving up.
 */
export interface Attack {
  readonly label: string;
  readonly pattern: string;
  /** Builds an input of about `length` bytes. */
  readonly input: (length: number) => string;
}

export const TEXTBOOK_ATTACKS: readonly Attack[] = [
  { label: 'nested plus', pattern: '^(a+)+$', input: (n) => `${'a'.repeat(n)}!` },
  { label: 'overlapping alternation', pattern: '^(a|a)*$', input: (n) => `${'a'.repeat(n)}!` },
  { label: 'alternation with common prefix', pattern: '^(a|ab)*c$', input: (n) => `${'ab'.repeat(n / 2)}!` },
  { label: 'word and optional space', pattern: '^(\\w+\\s?)*$', input: (n) => `${'word '.repeat(n / 5)}!` },
  { label: 'dot star pair', pattern: '(.*a){12}', input: (n) => 'a'.repeat(n) },
  { label: 'quadratic scan', pattern: '\\s*#?\\s*$', input: (n) => `${' '.repeat(n)}!` },
  {
    label: 'email-like',
    pattern: '^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@)',
    input: (n) => `${'a'.repeat(n)}!`,
  },
  { label: 'case-insensitive nested', pattern: '(?i)^(?:x+x+)+y', input: (n) => 'X'.repeat(n) },
  { label: 'bounded nested', pattern: '(?:a{1,10}){1,10}b', input: (n) => 'a'.repeat(n) },
  { label: 'sql-like', pattern: '(?i)(?:union\\s*(?:all|distinct)?\\s*)+select', input: (n) => 'union '.repeat(n / 6) },
];

/** Attack strings derived from one pattern, each a function of the target length. */
export function derivedAttacks(pattern: string): Array<(length: number) => string> {
  const root = parsePattern(pattern).root;
  const pumps = new Set<string>();
  const prefixes = new Set<string>(['']);
  collect(root, pumps, prefixes);
  for (const filler of ['a', ' ', '0', "'", '(', '<', '%', '/', '\\', '.', 'aA0 ']) pumps.add(filler);
  const attacks: Array<(length: number) => string> = [];
  for (const prefix of [...prefixes].slice(0, 4)) {
    for (const pump of [...pumps].slice(0, 24)) {
      attacks.push((length) => `${prefix}${pump.repeat(Math.max(1, Math.floor(length / pump.length)))}\x00`);
    }
  }
  return attacks;
}

/** Gathers literal runs under quantifiers (the pumps) and leading literals (the prefixes). */
function collect(node: Node, pumps: Set<string>, prefixes: Set<string>, underRepeat = false): void {
  switch (node.type) {
    case 'set': {
      const codes = node.set.codes();
      if (underRepeat && codes.length > 0) {
        pumps.add(String.fromCharCode(codes[0] as number));
        if (codes.length > 1) pumps.add(String.fromCharCode(codes[codes.length - 1] as number));
      }
      return;
    }
    case 'seq': {
      let run = '';
      for (const item of node.items) {
        if (item.type === 'set' && item.set.size <= 2) run += String.fromCharCode(item.set.codes()[0] as number);
        else {
          if (run.length >= 2) prefixes.add(run);
          run = '';
        }
        collect(item, pumps, prefixes, underRepeat);
      }
      if (run.length >= 2) {
        prefixes.add(run);
        if (underRepeat) pumps.add(run);
      }
      return;
    }
    case 'alt':
      for (const a of node.alternatives) collect(a, pumps, prefixes, underRepeat);
      return;
    case 'group':
    case 'look':
      collect(node.body, pumps, prefixes, underRepeat);
      return;
    case 'repeat':
      collect(node.body, pumps, prefixes, underRepeat || node.max > 1);
      return;
    default:
      return;
  }
}
