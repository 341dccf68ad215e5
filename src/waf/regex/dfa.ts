import type { ByteSet } from './byte-set.js';
import { type AssertKind, type Node, singleByteSet } from './parse.js';

/**
 * A lazily built DFA that answers "does the pattern match anywhere in the input?" in one pass,
 * with a constant amount of work per byte once its states are cached — the ReDoS-proof path for
 * every pattern without back-references or lookarounds (except a lookahead of one byte, `(?!\s)`).
 *
 * Construction: Thompson's NFA over byte sets (K. Thompson, "Regular expression search algorithm",
 * CACM 11(6), 1968), simulated as a DFA whose states are created on first use, as RE2 does
 * (R. Cox, "Regular Expression Matching in the Wild", 2010). Zero-width assertions (`^ $ \b \B`
 * and their multiline forms) are resolved during the epsilon closure from the class of the previous
 * byte, which is part of the DFA state, and the next byte, which selects the transition.
 *
 * Cost: a cached transition is one table lookup; building a state is linear in the NFA size; the
 * cache is bounded (MAX_STATES) and flushed when full, so no input costs more than
 * O(input length × NFA size) and typical inputs cost O(input length).
 */

const MAX_NFA_STATES = 250_000;
const MAX_STATES = 4096;

enum Op {
  Byte = 0,
  Split = 1,
  Assert = 2,
  Match = 3,
  /** A lookahead of one byte, `(?=S)` or `(?!S)`: decided by the next byte, like `\b`. */
  Peek = 4,
}

interface NfaState {
  op: Op;
  set?: Uint8Array;
  next: number;
  out?: number[];
  kind?: AssertKind;
  /** Peek: whether the next byte must be outside `set` (or the input end there). */
  negate?: boolean;
}

/** Class of the byte before the current position. */
enum Prev {
  Start = 0,
  Word = 1,
  Newline = 2,
  Other = 3,
}

const END = -1;
const UNKNOWN = -1;
const ACCEPT = -2;

function isWordByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function prevClassOf(c: number): Prev {
  if (c === 0x0a) return Prev.Newline;
  return isWordByte(c) ? Prev.Word : Prev.Other;
}

class NfaBuilder {
  readonly states: NfaState[] = [];
  // Counted repetitions compile the same set many times: share its table.
  readonly #tables = new Map<ByteSet, Uint8Array>();

  push(state: NfaState): number {
    if (this.states.length >= MAX_NFA_STATES) throw new TooLarge();
    this.states.push(state);
    return this.states.length - 1;
  }

  /** Compiles `node` so that it continues to state `next`; returns its entry state. */
  compile(node: Node, next: number): number {
    switch (node.type) {
      case 'set': {
        let table = this.#tables.get(node.set);
        if (table === undefined) {
          table = toTable(node.set);
          this.#tables.set(node.set, table);
        }
        return this.push({ op: Op.Byte, set: table, next });
      }
      case 'seq': {
        let entry = next;
        for (let i = node.items.length - 1; i >= 0; i--) entry = this.compile(node.items[i] as Node, entry);
        return entry;
      }
      case 'alt':
        return this.push({ op: Op.Split, next: -1, out: node.alternatives.map((a) => this.compile(a, next)) });
      case 'group':
        return this.compile(node.body, next);
      case 'assert':
        return this.push({ op: Op.Assert, kind: node.kind, next });
      case 'repeat': {
        let tail = next;
        if (node.max === Number.POSITIVE_INFINITY) {
          const loop = this.push({ op: Op.Split, next: -1, out: [] });
          (this.states[loop] as NfaState).out = [this.compile(node.body, loop), next];
          tail = loop;
        } else {
          for (let k = 0; k < node.max - node.min; k++) {
            tail = this.push({ op: Op.Split, next: -1, out: [this.compile(node.body, tail), next] });
          }
        }
        for (let k = 0; k < node.min; k++) tail = this.compile(node.body, tail);
        return tail;
      }
      case 'look': {
        const set = node.behind ? null : singleByteSet(node.body);
        if (set === null) throw new Unsupported();
        return this.push({ op: Op.Peek, set: toTable(set), negate: node.negate, next });
      }
      case 'backref':
        throw new Unsupported();
    }
  }
}

class TooLarge extends Error {}
class Unsupported extends Error {}

function toTable(set: ByteSet): Uint8Array {
  const table = new Uint8Array(256);
  for (const c of set.codes()) table[c] = 1;
  return table;
}

interface DfaState {
  /** NFA states reached by the last byte (the start state is added at every position). */
  readonly nfa: readonly number[];
  readonly prev: Prev;
  /** Whether the pattern matches at the end of the input from here: -1 unknown, 0, 1. */
  endAccept: number;
}

/** Initial room in the transition table, in states (it doubles as states are created). */
const INITIAL_TABLE_STATES = 16;

export class LazyDfa {
  readonly #nfa: readonly NfaState[];
  readonly #start: number;
  #states: DfaState[] = [];
  #index = new Map<string, number>();
  /**
   * Cached transitions, 256 per state (state × 256 + byte -> next state, UNKNOWN or ACCEPT): one
   * typed-array read per input byte once warm. Replaced, not mutated, when the cache is flushed.
   */
  #table = new Int32Array(INITIAL_TABLE_STATES * 256).fill(UNKNOWN);
  /** Per state: 1 when it holds no NFA state (an anchored pattern can no longer match). */
  #dead = new Uint8Array(INITIAL_TABLE_STATES);
  /** True when no match can start after position 0 (the pattern is anchored with ^ or \A). */
  readonly #anchored: boolean;
  // Scratch space for closures, reused to avoid allocation per transition.
  readonly #mark: Uint32Array;
  #generation = 0;
  /** Id of the state at the input's start (no NFA state yet, previous class Start), or -1. */
  #startId = -1;

  /** Returns null when the pattern needs lookarounds or back-references, or is too large. */
  static build(root: Node): LazyDfa | null {
    const builder = new NfaBuilder();
    try {
      const match = builder.push({ op: Op.Match, next: -1 });
      const start = builder.compile(root, match);
      return new LazyDfa(builder.states, start);
    } catch (error) {
      if (error instanceof TooLarge || error instanceof Unsupported) return null;
      throw error;
    }
  }

  private constructor(nfa: readonly NfaState[], start: number) {
    this.#nfa = nfa;
    this.#start = start;
    this.#mark = new Uint32Array(nfa.length);
    let anchored = true;
    for (const prev of [Prev.Word, Prev.Newline, Prev.Other]) {
      for (const next of [END, 0x61, 0x0a, 0x20]) {
        // One-byte lookaheads pass whatever the next byte: these four probe only the assertions.
        const c = this.#closure([], prev, next, false, true);
        if (c.match || c.bytes.length > 0) anchored = false;
      }
    }
    this.#anchored = anchored;
    const first = new Uint8Array(256);
    for (const prev of [Prev.Start, Prev.Word, Prev.Other]) {
      for (const id of this.#closure([], prev, 0x61, false, true).bytes) {
        const set = (nfa[id] as NfaState).set as Uint8Array;
        for (let c = 0; c < 256; c++) first[c] |= set[c] as number;
      }
    }
    this.startWidth = first.reduce((a, b) => a + b, 0);
  }

  /**
   * How many distinct bytes can begin a match. A backtracking engine tries the whole pattern at
   * every position holding one of them, so a wide start over a large pattern is slow there.
   */
  readonly startWidth: number;

  get stateCount(): number {
    return this.#states.length;
  }

  get nfaSize(): number {
    return this.#nfa.length;
  }

  test(input: string): boolean {
    const n = input.length;
    // Looked up once per cache generation: the key string #stateFor builds costs more than a
    // short value's whole walk.
    let s = this.#startId;
    if (s < 0) s = this.#startId = this.#stateFor([], Prev.Start);
    const anchored = this.#anchored;
    let table = this.#table;
    for (let i = 0; i < n; i++) {
      const c = input.charCodeAt(i) & 0xff;
      let t: number;
      if (c === 0x0a && i === n - 1) {
        // `$` also holds before a final newline: this one position needs the wider context.
        t = this.#transition(s, c, true);
        table = this.#table;
      } else {
        t = table[s * 256 + c] as number;
        if (t === UNKNOWN) {
          const states = this.#states;
          t = this.#transition(s, c, false);
          // Only cache into a state that survived a possible flush of the cache.
          if (this.#states === states) this.#table[s * 256 + c] = t;
          table = this.#table;
        }
      }
      if (t === ACCEPT) return true;
      s = t;
      if (anchored && this.#dead[s] === 1) return false;
    }
    return this.#acceptsAtEnd(s);
  }

  #acceptsAtEnd(s: number): boolean {
    const state = this.#states[s] as DfaState;
    if (state.endAccept === -1) state.endAccept = this.#closure(state.nfa, state.prev, END, false).match ? 1 : 0;
    return state.endAccept === 1;
  }

  /** Next DFA state id after reading byte `c` in state `s`, or ACCEPT when a match ends before it. */
  #transition(s: number, c: number, finalNewline: boolean): number {
    const state = this.#states[s] as DfaState;
    const closure = this.#closure(state.nfa, state.prev, c, finalNewline);
    if (closure.match) return ACCEPT;
    const targets: number[] = [];
    for (const b of closure.bytes) {
      const nfa = this.#nfa[b] as NfaState;
      if ((nfa.set as Uint8Array)[c] === 1) targets.push(nfa.next);
    }
    targets.sort((a, b) => a - b);
    const unique: number[] = [];
    for (const t of targets) if (unique[unique.length - 1] !== t) unique.push(t);
    if (this.#states.length >= MAX_STATES) {
      // Bounded memory: drop every cached state and continue from the current one.
      this.#states = [];
      this.#index = new Map();
      this.#table = new Int32Array(INITIAL_TABLE_STATES * 256).fill(UNKNOWN);
      this.#dead = new Uint8Array(INITIAL_TABLE_STATES);
      this.#startId = -1;
    }
    return this.#stateFor(unique, prevClassOf(c));
  }

  #stateFor(nfa: number[], prev: Prev): number {
    const key = `${prev}:${nfa.join(',')}`;
    let id = this.#index.get(key);
    if (id === undefined) {
      id = this.#states.length;
      this.#states.push({ nfa, prev, endAccept: -1 });
      this.#index.set(key, id);
      if ((id + 1) * 256 > this.#table.length) {
        const table = new Int32Array(this.#table.length * 2).fill(UNKNOWN);
        table.set(this.#table);
        this.#table = table;
        const dead = new Uint8Array(this.#dead.length * 2);
        dead.set(this.#dead);
        this.#dead = dead;
      }
      this.#dead[id] = nfa.length === 0 ? 1 : 0;
    }
    return id;
  }

  /** Epsilon closure of `from` plus the start state, under the context (previous class, next byte). */
  #closure(
    from: readonly number[],
    prev: Prev,
    next: number,
    finalNewline: boolean,
    anyPeek = false,
  ): { bytes: number[]; match: boolean } {
    this.#generation++;
    if (this.#generation === 0xffffffff) {
      this.#mark.fill(0);
      this.#generation = 1;
    }
    const gen = this.#generation;
    const mark = this.#mark;
    const bytes: number[] = [];
    let match = false;
    const stack: number[] = [this.#start, ...from];
    while (stack.length > 0) {
      const id = stack.pop() as number;
      if (mark[id] === gen) continue;
      mark[id] = gen;
      const st = this.#nfa[id] as NfaState;
      switch (st.op) {
        case Op.Byte:
          bytes.push(id);
          break;
        case Op.Match:
          match = true;
          break;
        case Op.Split:
          for (const o of st.out as number[]) stack.push(o);
          break;
        case Op.Assert:
          if (holds(st.kind as AssertKind, prev, next, finalNewline)) stack.push(st.next);
          break;
        case Op.Peek: {
          const inSet = next !== END && (st.set as Uint8Array)[next] === 1;
          if (anyPeek || inSet !== st.negate) stack.push(st.next);
          break;
        }
      }
      if (match) break;
    }
    return { bytes, match };
  }
}

function holds(kind: AssertKind, prev: Prev, next: number, finalNewline: boolean): boolean {
  switch (kind) {
    case 'start':
      return prev === Prev.Start;
    case 'end':
      return next === END;
    case 'endOrFinalNewline':
      return next === END || (finalNewline && next === 0x0a);
    case 'lineStart':
      // PCRE: not after a newline that ends the subject.
      return prev === Prev.Start || (prev === Prev.Newline && next !== END);
    case 'lineEnd':
      return next === END || next === 0x0a;
    case 'wordBoundary':
    case 'notWordBoundary': {
      const before = prev === Prev.Word;
      const after = next !== END && isWordByte(next);
      return kind === 'wordBoundary' ? before !== after : before === after;
    }
  }
}
