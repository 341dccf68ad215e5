import type { Node } from './parse.js';

/**
 * A counted repetition `x{n,m}` is written out as `x…x(?:x(?:x)?)?`: V8's linear-time engine
 * refuses a regex whose quantifiers multiply past a small replication factor, but accepts the
 * same language spelled out. Only capture-free bodies are unrolled (unrolling a capture would
 * renumber the groups), and only while the source stays under this budget.
 */
const UNROLL_BUDGET = 60_000;

/**
 * JavaScript source, without flags, for a parsed pattern, matching over byte strings exactly as
 * PCRE does in byte mode. No `i`, `m` or `s` flag is needed: case, `.` and anchors are resolved.
 *
 * `$` outside multiline mode (PCRE: end of subject, or before a newline that ends it) is written
 * `(?:\n?$)`, consuming that final newline instead of looking ahead: lookarounds keep V8 from
 * running the regex in linear time. A match reports the same outcome; only a pattern that must
 * match the final newline after `$` (such as `a$\n`) differs, and the matched text may include it.
 */
export function emit(node: Node): string {
  switch (node.type) {
    case 'set':
      return node.set.toSource();
    case 'seq':
      return node.items.map((item) => emitInSequence(item)).join('');
    case 'alt':
      return node.alternatives.map(emit).join('|');
    case 'group':
      return node.capture ? `(${emit(node.body)})` : `(?:${emit(node.body)})`;
    case 'look':
      return `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}${emit(node.body)})`;
    case 'backref':
      return `(?:\\${node.group})`;
    case 'assert':
      switch (node.kind) {
        case 'start':
          return '^';
        case 'end':
          return '$';
        case 'endOrFinalNewline':
          return '(?:\\n?$)';
        case 'lineStart':
          return '(?:^|(?<=\\n)(?!$))';
        case 'lineEnd':
          return '(?=\\n|$)';
        case 'wordBoundary':
          return '\\b';
        case 'notWordBoundary':
          return '\\B';
      }
      break;
    case 'repeat':
      return emitRepeat(node.body, node.min, node.max, node.greedy);
  }
  throw new Error('unreachable');
}

function emitInSequence(node: Node): string {
  return node.type === 'alt' ? `(?:${emit(node)})` : emit(node);
}

function atomSource(body: Node): string {
  const source = emit(body);
  if (body.type === 'set' || body.type === 'group' || body.type === 'backref') return source;
  if (body.type === 'assert' && source.length <= 2) return source;
  return `(?:${source})`;
}

function emitRepeat(body: Node, min: number, max: number, greedy: boolean): string {
  const atom = atomSource(body);
  const lazy = greedy ? '' : '?';
  const unbounded = max === Number.POSITIVE_INFINITY;
  const native = (): string => {
    if (min === 0 && unbounded) return `${atom}*${lazy}`;
    if (min === 1 && unbounded) return `${atom}+${lazy}`;
    if (min === 0 && max === 1) return `${atom}?${lazy}`;
    if (unbounded) return `${atom}{${min},}${lazy}`;
    return min === max ? `${atom}{${min}}` : `${atom}{${min},${max}}${lazy}`;
  };
  const simple = (min === 0 || min === 1) && (unbounded || max === 1);
  if (simple || hasCapture(body)) return native();
  const optionalCount = unbounded ? 0 : max - min;
  const size = atom.length * (min + optionalCount + 1) + optionalCount * 6;
  if (size > UNROLL_BUDGET) return native();
  let out = atom.repeat(unbounded ? Math.max(0, min - 1) : min);
  if (unbounded) return `${out}${atom}+${lazy}`;
  let tail = '';
  for (let k = 0; k < optionalCount; k++) tail = `(?:${atom}${tail})?${lazy}`;
  out += tail;
  return out;
}

function hasCapture(node: Node): boolean {
  switch (node.type) {
    case 'group':
      return node.capture || hasCapture(node.body);
    case 'seq':
      return node.items.some(hasCapture);
    case 'alt':
      return node.alternatives.some(hasCapture);
    case 'look':
    case 'repeat':
      return hasCapture(node.body);
    default:
      return false;
  }
}

/**
 * Whether the emitted source decides "matches or not" exactly as PCRE: true unless some `$`
 * (outside multiline mode) can be followed by more pattern, where consuming the final newline
 * (see `emit`) could change the answer, as in `a$\n` or `$^`.
 */
export function emittedTestIsExact(node: Node, atEnd = true): boolean {
  switch (node.type) {
    case 'assert':
      return node.kind !== 'endOrFinalNewline' || atEnd;
    case 'seq':
      return node.items.every((item, i) => emittedTestIsExact(item, atEnd && i === node.items.length - 1));
    case 'alt':
      return node.alternatives.every((a) => emittedTestIsExact(a, atEnd));
    case 'group':
      return emittedTestIsExact(node.body, atEnd);
    case 'repeat':
      return emittedTestIsExact(node.body, atEnd && node.max <= 1);
    case 'look':
      return emittedTestIsExact(node.body, false);
    default:
      return true;
  }
}
