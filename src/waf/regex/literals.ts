import type { Node } from './parse.js';

/**
 * Required literals: a set of lower-cased strings such that every match of the pattern contains
 * at least one of them (compared case-insensitively). When none occurs in a value, the regex
 * cannot match and need not run. An empty result means no such set was found.
 *
 * Each node is summarised by `exact` — every string it can match, when that set is small — and
 * `required` — the best "one of these must appear" set found inside it. Sequences concatenate
 * exact sets; alternations unite them; an optional part breaks the chain.
 */
const MAX_EXACT = 64;
const MAX_REQUIRED = 512;
const MAX_EXPAND_SET = 8;

interface Summary {
  /** All strings the node can match (folded to lower case), or null when unknown or too many. */
  readonly exact: readonly string[] | null;
  /** One of these appears in every match; null means no constraint is known. */
  readonly required: readonly string[] | null;
}

export function requiredLiterals(root: Node): string[] {
  const s = summarise(root);
  const best = pick(s.required, s.exact);
  return best === null ? [] : [...new Set(best)];
}

function summarise(node: Node): Summary {
  switch (node.type) {
    case 'set': {
      const folded = new Set<string>();
      for (const c of node.set.codes()) {
        folded.add(String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c));
        if (folded.size > MAX_EXPAND_SET) return { exact: null, required: null };
      }
      return { exact: [...folded], required: null };
    }
    case 'assert':
    case 'look':
      return { exact: [''], required: null };
    case 'backref':
      return { exact: null, required: null };
    case 'group':
      return summarise(node.body);
    case 'alt':
      return summariseAlternation(node.alternatives.map(summarise));
    case 'seq':
      return summariseSequence(node.items.map(summarise));
    case 'repeat': {
      const body = summarise(node.body);
      if (node.min === 0) return { exact: node.max === 0 ? [''] : null, required: null };
      if (node.min === node.max && body.exact !== null && node.min <= 16) {
        return summariseSequence(Array.from({ length: node.min }, () => body));
      }
      return { exact: null, required: pick(body.required, body.exact) };
    }
  }
}

function score(s: readonly string[] | null): number {
  if (s === null || s.length === 0) return -1;
  let shortest = Number.POSITIVE_INFINITY;
  for (const x of s) shortest = Math.min(shortest, x.length === 1 && isCommonByte(x.charCodeAt(0)) ? 0.5 : x.length);
  if (shortest === 0) return -1;
  return Math.min(shortest, 8) * 1000 - s.length;
}

function isCommonByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x20;
}

function summariseAlternation(parts: Summary[]): Summary {
  let exact: string[] | null = [];
  let required: string[] | null = [];
  for (const p of parts) {
    if (exact !== null) exact = p.exact === null ? null : exact.concat(p.exact);
    const r = pick(p.required, p.exact);
    required = required === null || r === null ? null : required.concat(r);
  }
  if (exact !== null && exact.length > MAX_EXACT) exact = null;
  if (required !== null && required.length > MAX_REQUIRED) required = null;
  return { exact: exact === null ? null : [...new Set(exact)], required };
}

function summariseSequence(parts: Summary[]): Summary {
  let best: string[] | null = null;
  let run: string[] | null = [''];
  let whole = true;
  const flush = (): void => {
    if (run !== null) best = pick(best, run);
  };
  for (const p of parts) {
    best = pick(best, p.required);
    if (p.exact !== null && run !== null && run.length * p.exact.length <= MAX_EXACT) {
      const next: string[] = [];
      for (const a of run) for (const b of p.exact) next.push(a + b);
      run = next;
      continue;
    }
    whole = false;
    flush();
    run = p.exact === null ? [''] : [...p.exact];
  }
  flush();
  return { exact: whole && run !== null ? [...new Set(run as string[])] : null, required: best };
}

/**
 * The better of two candidate sets: longer shortest string first, then fewer strings. A single
 * letter, digit or space counts as half a byte: some letter occurs in nearly every value, so a set
 * such as CRS 932's command initials (`b`, `c`, `d`...) rejects nothing, where the command
 * separators in front of them (`;`, `|`, `&`, a newline...) reject almost every benign value.
 */
function pick(a: readonly string[] | null, b: readonly string[] | null): string[] | null {
  const sa = score(a);
  const sb = score(b);
  if (sa < 0 && sb < 0) return null;
  return (sa >= sb ? a : b) as string[];
}
