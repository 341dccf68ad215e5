import { ByteSet } from './byte-set.js';

/**
 * A PCRE pattern (the dialect ModSecurity hands to libpcre, in byte mode, and the RE2 subset CRS
 * restricts itself to) parsed into a small tree. Every atom that consumes one byte is a ByteSet,
 * with case-insensitivity, `.`, `\s` and POSIX classes already resolved against PCRE's "C"
 * locale tables, so that the emitter never depends on JavaScript's own (different) rules.
 */
export type Node =
  | { readonly type: 'set'; readonly set: ByteSet }
  | { readonly type: 'seq'; readonly items: readonly Node[] }
  | { readonly type: 'alt'; readonly alternatives: readonly Node[] }
  | { readonly type: 'group'; readonly capture: boolean; readonly body: Node }
  | { readonly type: 'look'; readonly behind: boolean; readonly negate: boolean; readonly body: Node }
  | {
      readonly type: 'repeat';
      readonly min: number;
      readonly max: number;
      readonly greedy: boolean;
      readonly body: Node;
    }
  | { readonly type: 'assert'; readonly kind: AssertKind }
  | { readonly type: 'backref'; readonly group: number };

export type AssertKind =
  | 'start' // \A, ^ without (?m)
  | 'end' // \z
  | 'endOrFinalNewline' // $ without (?m), \Z
  | 'lineStart' // ^ with (?m)
  | 'lineEnd' // $ with (?m)
  | 'wordBoundary'
  | 'notWordBoundary';

export interface ParsedPattern {
  readonly root: Node;
  readonly groupCount: number;
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
}

const DIGIT = ByteSet.range(0x30, 0x39);
const WORD = ByteSet.range(0x30, 0x39).addRange(0x41, 0x5a).addRange(0x61, 0x7a).add(0x5f);
// PCRE \s in byte mode (since 8.34): SP, \t, \n, \v, \f, \r. JavaScript's \s also takes 0xA0.
const SPACE = ByteSet.of(0x20).addRange(0x09, 0x0d);
const HSPACE = ByteSet.of(0x09, 0x20, 0xa0);
const VSPACE = ByteSet.range(0x0a, 0x0d).add(0x85);

const POSIX: Readonly<Record<string, ByteSet>> = {
  alnum: ByteSet.range(0x30, 0x39).addRange(0x41, 0x5a).addRange(0x61, 0x7a),
  alpha: ByteSet.range(0x41, 0x5a).addRange(0x61, 0x7a),
  ascii: ByteSet.range(0x00, 0x7f),
  blank: ByteSet.of(0x09, 0x20),
  cntrl: ByteSet.range(0x00, 0x1f).add(0x7f),
  digit: DIGIT,
  graph: ByteSet.range(0x21, 0x7e),
  lower: ByteSet.range(0x61, 0x7a),
  print: ByteSet.range(0x20, 0x7e),
  punct: ByteSet.range(0x21, 0x2f).addRange(0x3a, 0x40).addRange(0x5b, 0x60).addRange(0x7b, 0x7e),
  space: SPACE,
  upper: ByteSet.range(0x41, 0x5a),
  word: WORD,
  xdigit: ByteSet.range(0x30, 0x39).addRange(0x41, 0x46).addRange(0x61, 0x66),
};

/** The byte set of an item that always matches exactly one byte (a set, or a group around one). */
export function singleByteSet(node: Node): ByteSet | null {
  if (node.type === 'set') return node.set;
  if (node.type === 'group') return singleByteSet(node.body);
  return null;
}

function hasCapturingGroup(node: Node): boolean {
  return node.type === 'group' && (node.capture || hasCapturingGroup(node.body));
}

export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
}

/** Parses a PCRE pattern whose characters are bytes (latin1). Throws RegexSyntaxError. */
export function parsePattern(pattern: string): ParsedPattern {
  return new Parser(pattern).parse();
}

class Parser {
  readonly #src: string;
  #pos = 0;
  #groups = 0;
  readonly #names = new Map<string, number>();

  constructor(src: string) {
    this.#src = src;
  }

  parse(): ParsedPattern {
    const root = this.#alternation({ i: false, m: false, s: false, x: false });
    if (this.#pos < this.#src.length) this.#fail('unmatched )');
    return { root, groupCount: this.#groups };
  }

  #fail(message: string): never {
    throw new RegexSyntaxError(`${message} at offset ${this.#pos}`);
  }

  #peek(offset = 0): string | undefined {
    return this.#src[this.#pos + offset];
  }

  #code(offset = 0): number {
    return this.#src.charCodeAt(this.#pos + offset);
  }

  #eat(text: string): boolean {
    if (this.#src.startsWith(text, this.#pos)) {
      this.#pos += text.length;
      return true;
    }
    return false;
  }

  /** `flags` is mutated by inline `(?i)` settings, which last to the end of the enclosing group. */
  #alternation(flags: Flags): Node {
    const alternatives: Node[] = [this.#sequence(flags)];
    while (this.#peek() === '|') {
      this.#pos++;
      alternatives.push(this.#sequence(flags));
    }
    return alternatives.length === 1 ? (alternatives[0] as Node) : { type: 'alt', alternatives };
  }

  #sequence(flags: Flags): Node {
    const items: Node[] = [];
    for (;;) {
      if (flags.x) this.#skipExtended();
      const c = this.#peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.#atom(flags);
      if (atom === null) continue;
      if (flags.x) this.#skipExtended();
      items.push(this.#quantified(atom, flags));
    }
    return items.length === 1 ? (items[0] as Node) : { type: 'seq', items };
  }

  #skipExtended(): void {
    for (;;) {
      const c = this.#code();
      if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) this.#pos++;
      else if (c === 0x23) {
        while (this.#pos < this.#src.length && this.#peek() !== '\n') this.#pos++;
      } else return;
    }
  }

  #quantified(atom: Node, flags: Flags): Node {
    let min: number;
    let max: number;
    const c = this.#peek();
    if (c === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (c === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      // PCRE: a `{` that does not start a valid quantifier is a literal.
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(this.#pos, this.#pos + 32));
      if (m === null) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
      if (max < min) this.#fail('numbers out of order in {} quantifier');
      if (min > 65535 || (max !== Number.POSITIVE_INFINITY && max > 65535))
        this.#fail('number too big in {} quantifier');
      this.#pos += m[0].length - 1;
    } else return atom;
    this.#pos++;
    let greedy = true;
    let possessive = false;
    if (this.#eat('?')) greedy = false;
    else if (this.#eat('+')) possessive = true;
    if (flags.x) this.#skipExtended();
    if (atom.type === 'assert' || atom.type === 'look') {
      // A quantified assertion: repeating a zero-width test changes nothing unless it may be skipped.
      return min === 0 ? { type: 'seq', items: [] } : atom;
    }
    return possessive ? this.#possessive(atom, min, max) : { type: 'repeat', min, max, greedy, body: atom };
  }

  /**
   * PCRE possessive quantifiers (`*+ ++ ?+ {n,m}+`) take as many repetitions as they can and never
   * give any back. For an item that matches exactly one byte from a set S (`\s*+`, `[a-z]++`, the
   * only form in Debian's CRS 3.3), that is exactly expressible without atomic groups:
   *
   *   S{n,}+   = S{n,}(?!S)            the run of S is taken whole
   *   S{n,m}+  = S{m}|S{n,m-1}(?!S)    m bytes when at least m are there, else the whole run
   *   S{n}+    = S{n}
   *
   * so a possessive pattern matches the same strings as in PCRE, and the one-byte lookahead keeps it
   * on the DFA (linear time). Over longer items possessiveness depends on backtracking into the
   * item, which neither a DFA nor a JavaScript regex without atomic groups can express: refused.
   */
  #possessive(atom: Node, min: number, max: number): Node {
    const set = singleByteSet(atom);
    if (set === null) this.#fail('possessive quantifiers are only supported on a single character or class');
    const notBefore: Node = { type: 'look', behind: false, negate: true, body: { type: 'set', set } };
    const repeat = (lo: number, hi: number): Node => ({ type: 'repeat', min: lo, max: hi, greedy: true, body: atom });
    if (min === max) return repeat(min, max);
    if (max === Number.POSITIVE_INFINITY) return { type: 'seq', items: [repeat(min, max), notBefore] };
    // The item appears in both alternatives: a capturing group there would be numbered twice.
    if (atom.type === 'group' && hasCapturingGroup(atom))
      this.#fail('a bounded possessive quantifier on a capturing group is not supported');
    return {
      type: 'group',
      capture: false,
      body: {
        type: 'alt',
        alternatives: [repeat(max, max), { type: 'seq', items: [repeat(min, max - 1), notBefore] }],
      },
    };
  }

  #atom(flags: Flags): Node | null {
    const c = this.#peek() as string;
    this.#pos++;
    switch (c) {
      case '(':
        return this.#group(flags);
      case '[':
        return { type: 'set', set: this.#class(flags) };
      case '.':
        return { type: 'set', set: flags.s ? ByteSet.all() : ByteSet.of(0x0a).complement() };
      case '^':
        return { type: 'assert', kind: flags.m ? 'lineStart' : 'start' };
      case '$':
        return { type: 'assert', kind: flags.m ? 'lineEnd' : 'endOrFinalNewline' };
      case '\\':
        return this.#escape(flags);
      case '*':
      case '+':
      case '?':
        this.#pos--;
        this.#fail('quantifier does not follow a repeatable item');
        break;
      default:
        break;
    }
    return this.#literal(c.charCodeAt(0), flags);
  }

  #literal(code: number, flags: Flags): Node {
    if (code > 0xff) this.#fail('character above 0xff in a byte pattern');
    const set = ByteSet.of(code);
    if (flags.i) set.foldAsciiCase();
    return { type: 'set', set };
  }

  #group(flags: Flags): Node | null {
    if (this.#peek() !== '?' && this.#peek() !== '*') {
      this.#groups++;
      return this.#groupBody(true, { ...flags });
    }
    if (this.#peek() === '*') this.#fail('backtracking control verbs are not supported');
    this.#pos++;
    if (this.#eat('#')) {
      const close = this.#src.indexOf(')', this.#pos);
      if (close === -1) this.#fail('missing ) after comment');
      this.#pos = close + 1;
      return null;
    }
    if (this.#eat(':')) return this.#groupBody(false, { ...flags });
    if (this.#eat('=')) return this.#look(false, false, flags);
    if (this.#eat('!')) return this.#look(false, true, flags);
    if (this.#eat('<=')) return this.#look(true, false, flags);
    if (this.#eat('<!')) return this.#look(true, true, flags);
    if (this.#eat('>')) this.#fail('atomic groups are not supported (not RE2-compatible)');
    if (this.#eat('|')) this.#fail('branch reset groups are not supported');
    if (this.#eat('P=')) return this.#namedBackref(')');
    if (
      this.#peek() === 'R' ||
      this.#peek() === '&' ||
      this.#eat('P>') ||
      /^[+-]?\d/.test(this.#src.slice(this.#pos, this.#pos + 2))
    )
      this.#fail('recursion and subroutine calls are not supported');
    const named = this.#eat('P<') || this.#eat('<') ? '>' : this.#eat("'") ? "'" : null;
    if (named !== null) {
      const end = this.#src.indexOf(named, this.#pos);
      const name = end === -1 ? '' : this.#src.slice(this.#pos, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.#fail('bad group name');
      this.#pos = end + 1;
      this.#groups++;
      this.#names.set(name, this.#groups);
      return this.#groupBody(true, { ...flags });
    }
    // Option setting: (?i) (?-i) (?im-sx) or scoped (?i:...).
    const m = /^([imsxU-]*)([:)])/.exec(this.#src.slice(this.#pos, this.#pos + 16));
    if (m === null) this.#fail('unrecognised character after (?');
    const local = this.#applyFlags(m[1] as string, m[2] === ':' ? { ...flags } : flags);
    this.#pos += m[0].length;
    if (m[2] === ')') return null;
    return this.#groupBody(false, local);
  }

  #applyFlags(spec: string, flags: Flags): Flags {
    let on = true;
    for (const f of spec) {
      if (f === '-') on = false;
      else if (f === 'U') this.#fail('the (?U) ungreedy option is not supported');
      else flags[f as keyof Flags] = on;
    }
    return flags;
  }

  #groupBody(capture: boolean, flags: Flags): Node {
    const body = this.#alternation(flags);
    if (!this.#eat(')')) this.#fail('missing )');
    return { type: 'group', capture, body };
  }

  #look(behind: boolean, negate: boolean, flags: Flags): Node {
    const body = this.#alternation({ ...flags });
    if (!this.#eat(')')) this.#fail('missing )');
    return { type: 'look', behind, negate, body };
  }

  #namedBackref(terminator: string): Node {
    const end = this.#src.indexOf(terminator, this.#pos);
    const name = end === -1 ? '' : this.#src.slice(this.#pos, end);
    const group = this.#names.get(name);
    if (group === undefined) this.#fail(`reference to unknown group ${name}`);
    this.#pos = end + 1;
    return { type: 'backref', group };
  }

  #escape(flags: Flags): Node {
    const c = this.#peek();
    if (c === undefined) this.#fail('\\ at end of pattern');
    this.#pos++;
    const set = (s: ByteSet): Node => ({ type: 'set', set: s });
    switch (c) {
      case 'd':
        return set(DIGIT);
      case 'D':
        return set(DIGIT.complement());
      case 'w':
        return set(WORD);
      case 'W':
        return set(WORD.complement());
      case 's':
        return set(SPACE);
      case 'S':
        return set(SPACE.complement());
      case 'h':
        return set(HSPACE);
      case 'H':
        return set(HSPACE.complement());
      case 'v':
        return set(VSPACE);
      case 'V':
        return set(VSPACE.complement());
      case 'N':
        return set(ByteSet.of(0x0a).complement());
      case 'C':
        return set(ByteSet.all());
      case 'R':
        return {
          type: 'alt',
          alternatives: [{ type: 'seq', items: [set(ByteSet.of(0x0d)), set(ByteSet.of(0x0a))] }, set(VSPACE)],
        };
      case 'b':
        return { type: 'assert', kind: 'wordBoundary' };
      case 'B':
        return { type: 'assert', kind: 'notWordBoundary' };
      case 'A':
        return { type: 'assert', kind: 'start' };
      case 'z':
        return { type: 'assert', kind: 'end' };
      case 'Z':
        return { type: 'assert', kind: 'endOrFinalNewline' };
      case 'Q': {
        const end = this.#src.indexOf('\\E', this.#pos);
        const text = this.#src.slice(this.#pos, end === -1 ? undefined : end);
        this.#pos = end === -1 ? this.#src.length : end + 2;
        return { type: 'seq', items: [...text].map((ch) => this.#literal(ch.charCodeAt(0), flags)) };
      }
      case 'E':
        return { type: 'seq', items: [] };
      case 'g':
        return this.#gReference();
      case 'k': {
        const open = this.#peek();
        const close = open === '<' ? '>' : open === '{' ? '}' : open === "'" ? "'" : null;
        if (close === null) this.#fail('\\k is not followed by a group name');
        this.#pos++;
        return this.#namedBackref(close);
      }
      case 'G':
      case 'K':
      case 'X':
      case 'p':
      case 'P':
        this.#pos--;
        this.#fail(`\\${c} is not supported`);
        break;
      default:
        break;
    }
    if (c >= '1' && c <= '9') {
      // PCRE: \1-\9 always back-reference; a longer number does when that many groups exist so far,
      // otherwise it is an octal escape.
      const m = /^\d*/.exec(this.#src.slice(this.#pos)) as RegExpExecArray;
      const number = Number(c + m[0]);
      if (number < 10 || number <= this.#groups) {
        this.#pos += m[0].length;
        return { type: 'backref', group: number };
      }
    }
    this.#pos--;
    return this.#literal(this.#escapedByte(false), flags);
  }

  #gReference(): Node {
    const m = /^(?:\{(-?\d+)\}|(-?\d+))/.exec(this.#src.slice(this.#pos));
    if (m === null) this.#fail('\\g is not followed by a number');
    this.#pos += m[0].length;
    let group = Number(m[1] ?? m[2]);
    if (group < 0) group = this.#groups + 1 + group;
    if (group <= 0) this.#fail('bad \\g reference');
    return { type: 'backref', group };
  }

  /** The byte of an escape that stands for one character; #pos is on the character after `\`. */
  #escapedByte(inClass: boolean): number {
    const c = this.#peek() as string;
    this.#pos++;
    switch (c) {
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 't':
        return 0x09;
      case 'f':
        return 0x0c;
      case 'e':
        return 0x1b;
      case 'a':
        return 0x07;
      case 'b':
        if (inClass) return 0x08;
        break;
      case 'c': {
        const ch = this.#peek();
        if (ch === undefined) this.#fail('\\c at end of pattern');
        this.#pos++;
        return (ch.toUpperCase().charCodeAt(0) ^ 0x40) & 0xff;
      }
      case 'x': {
        if (this.#peek() === '{') {
          const m = /^\{([0-9a-fA-F]+)\}/.exec(this.#src.slice(this.#pos));
          if (m === null) this.#fail('bad \\x{...} escape');
          const value = Number.parseInt(m[1] as string, 16);
          // Byte mode: PCRE rejects a code point above 0xff, since the subject is not decoded.
          if (value > 0xff) this.#fail('character value in \\x{...} is above 0xff');
          this.#pos += m[0].length;
          return value;
        }
        const m = /^[0-9a-fA-F]{0,2}/.exec(this.#src.slice(this.#pos)) as RegExpExecArray;
        this.#pos += m[0].length;
        return m[0] === '' ? 0 : Number.parseInt(m[0], 16);
      }
      case 'o': {
        const m = /^\{([0-7]+)\}/.exec(this.#src.slice(this.#pos));
        if (m === null) this.#fail('bad \\o{...} escape');
        const value = Number.parseInt(m[1] as string, 8);
        if (value > 0xff) this.#fail('character value in \\o{...} is above 0xff');
        this.#pos += m[0].length;
        return value;
      }
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      const m = /^[0-7]{0,2}/.exec(this.#src.slice(this.#pos)) as RegExpExecArray;
      this.#pos += m[0].length;
      const value = Number.parseInt(c + m[0], 8);
      if (value > 0xff) this.#fail('octal value is above \\377');
      return value;
    }
    if (/[A-Za-z0-9]/.test(c)) {
      this.#pos--;
      this.#fail(`unrecognised escape \\${c}`);
    }
    return c.charCodeAt(0);
  }

  #class(flags: Flags): ByteSet {
    const negate = this.#eat('^');
    const set = new ByteSet();
    let first = true;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) this.#fail('missing terminating ] for character class');
      if (c === ']' && !first) {
        this.#pos++;
        break;
      }
      first = false;
      if (c === '[' && this.#peek(1) === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.#src.slice(this.#pos, this.#pos + 16));
        if (m !== null) {
          const posix = POSIX[m[2] as string];
          if (posix === undefined) this.#fail(`unknown POSIX class name ${m[2]}`);
          set.addSet(m[1] === '^' ? posix.complement() : posix);
          this.#pos += m[0].length;
          continue;
        }
      }
      const low = this.#classAtom(set);
      if (low === null) continue;
      if (this.#peek() === '-' && this.#peek(1) !== ']' && this.#peek(1) !== undefined) {
        const save = this.#pos;
        this.#pos++;
        const high = this.#classAtom(null);
        if (high === null) {
          // `[a-\d]`: PCRE treats the hyphen as a literal.
          this.#pos = save + 1;
          set.add(low).add(0x2d);
          this.#classAtom(set);
          continue;
        }
        if (high < low) this.#fail('range out of order in character class');
        set.addRange(low, high);
        continue;
      }
      set.add(low);
    }
    if (flags.i) set.foldAsciiCase();
    return negate ? set.complement() : set;
  }

  /** One class member: returns its byte, or adds a multi-byte escape like \d to `into` and returns null. */
  #classAtom(into: ByteSet | null): number | null {
    const c = this.#peek() as string;
    if (c !== '\\') {
      this.#pos++;
      const code = c.charCodeAt(0);
      if (code > 0xff) this.#fail('character above 0xff in a byte pattern');
      return code;
    }
    const e = this.#peek(1);
    const shorthand: Readonly<Record<string, ByteSet>> = {
      d: DIGIT,
      D: DIGIT.complement(),
      w: WORD,
      W: WORD.complement(),
      s: SPACE,
      S: SPACE.complement(),
      h: HSPACE,
      H: HSPACE.complement(),
      v: VSPACE,
      V: VSPACE.complement(),
    };
    const s = e === undefined ? undefined : shorthand[e];
    if (s !== undefined) {
      if (into === null) return null;
      this.#pos += 2;
      into.addSet(s);
      return null;
    }
    if (e === 'Q') {
      this.#fail('\\Q inside a character class is not supported');
    }
    if (e === 'E') {
      this.#pos += 2;
      return this.#classAtom(into);
    }
    this.#pos++;
    return this.#escapedByte(true);
  }
}
