/**
 * One pass over a value for the required literals of every pattern of a rule set at once.
 *
 * CRS runs some 300 `@rx` patterns, most of them over the same few transformed values. Each
 * pattern has required literals (literals.ts): strings of which every match contains one. Rather
 * than each pattern searching the value for its own literals, a single Aho-Corasick automaton
 * over the union of all of them reports which patterns can match a value; a rule then checks one
 * bit before running its regex. The answer is a necessary condition only: a set bit means "run
 * the regex", a clear bit means "cannot match", never more.
 *
 * Matching is case-insensitive for ASCII letters only (the literals are folded the same way), as
 * the per-pattern prefilter in index.ts. The transition table is dense (states × byte columns,
 * every byte absent from all literals sharing one column); output links go to the nearest state
 * along the failure chain that ends a literal, so a scan visits each such state at most once.
 *
 * Aho & Corasick, "Efficient string matching", CACM 18(6), 1975.
 */

/** Table cells (2 bytes each) allowed for the automaton; patterns beyond it are left unfiltered. */
const MAX_CELLS = 4 << 20;
/** States a 16-bit transition table can name. */
const MAX_STATES = 0xffff;

export class LiteralScanner {
  /** Number of filter slots; `scan` returns one bit per slot. */
  readonly slots: number;
  readonly #columnOf = new Uint8Array(256);
  readonly #columns: number;
  readonly #delta: Uint16Array;
  /** Per state: the slots whose literal ends exactly here, as a range of #outSlots. */
  readonly #outStart: Int32Array;
  readonly #outSlots: Int32Array;
  /** Per state: the nearest state on its failure chain that ends a literal, or 0. */
  readonly #outLink: Int32Array;
  /** Per state: scan number that last reported it (a state's outputs are set once per scan). */
  readonly #seen: Uint32Array;
  #scanNumber = 0;
  /** Slots left out of the automaton (budget), reported present in every scan: the initial hits. */
  readonly #always: Uint32Array;

  /**
   * `literalSets[i]` are the lower-cased required literals of slot i (non-empty). Slots whose
   * literals do not fit in the table budget are reported as always possible.
   */
  constructor(literalSets: readonly (readonly string[])[]) {
    this.slots = literalSets.length;
    const trie: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    let columns = 1;
    const unfiltered: number[] = [];
    // Small sets first: when the budget runs out, what is left unfiltered are the largest sets
    // (long @pmFromFile lists), each of which would cost as much table as many patterns.
    const size = (set: readonly string[]) => set.reduce((n, l) => n + l.length, 0);
    const order = literalSets.map((_s, i) => i).sort((a, b) => size(literalSets[a]!) - size(literalSets[b]!));
    for (const slot of order) {
      const set = literalSets[slot] as readonly string[];
      // Budget check before adding: states only grow, columns at most by the new bytes.
      let newColumns = 0;
      for (const l of set) for (let i = 0; i < l.length; i++) if (this.#columnOf[l.charCodeAt(i)] === 0) newColumns++;
      let newStates = 0;
      for (const l of set) newStates += l.length;
      if (
        set.length === 0 ||
        trie.length + newStates > MAX_STATES ||
        (trie.length + newStates) * (columns + newColumns) > MAX_CELLS
      ) {
        unfiltered.push(slot);
        continue;
      }
      for (const literal of set) {
        let state = 0;
        for (let i = 0; i < literal.length; i++) {
          const c = literal.charCodeAt(i);
          if (this.#columnOf[c] === 0) {
            this.#columnOf[c] = columns;
            if (c >= 0x61 && c <= 0x7a) this.#columnOf[c - 0x20] = columns;
            columns++;
          }
          const col = this.#columnOf[c] as number;
          const kids = trie[state] as Map<number, number>;
          let next = kids.get(col);
          if (next === undefined) {
            next = trie.length;
            trie.push(new Map());
            ends.push([]);
            kids.set(col, next);
          }
          state = next;
        }
        const list = ends[state] as number[];
        if (list[list.length - 1] !== slot) list.push(slot);
      }
    }
    // The root ends a literal only for an empty one, which every value contains.
    for (const slot of (ends[0] as number[]).splice(0)) unfiltered.push(slot);
    this.#columns = columns;
    const states = trie.length;
    // Number the states breadth-first: the root and the shallow states, where a scan of everyday
    // text spends most of its steps, then share a few cache lines of the table (tens of thousands
    // of states numbered in insertion order put each one on a line of its own).
    {
      const order: number[] = [0];
      for (let head = 0; head < order.length; head++) {
        for (const next of (trie[order[head] as number] as Map<number, number>).values()) order.push(next);
      }
      const renumber = new Int32Array(states);
      for (let i = 0; i < states; i++) renumber[order[i] as number] = i;
      const oldTrie = trie.splice(0);
      const oldEnds = ends.splice(0);
      for (const old of order) {
        const kids = new Map<number, number>();
        for (const [col, next] of oldTrie[old] as Map<number, number>) kids.set(col, renumber[next] as number);
        trie.push(kids);
        ends.push(oldEnds[old] as number[]);
      }
    }
    const delta = new Uint16Array(states * columns);
    const fail = new Int32Array(states);
    const outLink = new Int32Array(states);
    const queue: number[] = [];
    for (const [col, next] of trie[0] as Map<number, number>) {
      delta[col] = next;
      queue.push(next);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const f = fail[state] as number;
      outLink[state] = (ends[f] as number[]).length > 0 ? f : (outLink[f] as number);
      const kids = trie[state] as Map<number, number>;
      for (let col = 0; col < columns; col++) {
        const next = kids.get(col);
        if (next === undefined) delta[state * columns + col] = delta[f * columns + col] as number;
        else {
          delta[state * columns + col] = next;
          fail[next] = state === 0 ? 0 : (delta[f * columns + col] as number);
          queue.push(next);
        }
      }
    }
    const outStart = new Int32Array(states + 1);
    const outSlots: number[] = [];
    for (let s = 0; s < states; s++) {
      outStart[s] = outSlots.length;
      for (const slot of ends[s] as number[]) outSlots.push(slot);
    }
    outStart[states] = outSlots.length;
    this.#delta = delta;
    this.#outStart = outStart;
    this.#outSlots = Int32Array.from(outSlots);
    this.#outLink = outLink;
    this.#seen = new Uint32Array(states);
    const always = new Uint32Array((this.slots + 31) >>> 5);
    for (const slot of unfiltered) always[slot >>> 5]! |= 1 << (slot & 31);
    this.#always = always;
  }

  /** A bit set of `slots` bits: bit i set when some literal of slot i occurs in the input. */
  scan(input: string): Uint32Array {
    const hits = this.#always.slice();
    let scan = ++this.#scanNumber;
    if (scan === 0xffffffff) {
      this.#seen.fill(0);
      this.#scanNumber = scan = 1;
    }
    const columnOf = this.#columnOf;
    const delta = this.#delta;
    const columns = this.#columns;
    const outStart = this.#outStart;
    const outSlots = this.#outSlots;
    const outLink = this.#outLink;
    const seen = this.#seen;
    let state = 0;
    for (let i = 0; i < input.length; i++) {
      state = delta[state * columns + (columnOf[input.charCodeAt(i) & 0xff] as number)] as number;
      // Walk the outputs of this state and its output chain, stopping at one already reported.
      for (let s = state; s !== 0 && seen[s] !== scan; s = outLink[s] as number) {
        seen[s] = scan;
        for (let k = outStart[s] as number, end = outStart[s + 1] as number; k < end; k++) {
          const slot = outSlots[k] as number;
          hits[slot >>> 5]! |= 1 << (slot & 31);
        }
      }
    }
    return hits;
  }
}

/** Whether bit `slot` is set in a `LiteralScanner.scan` result. */
export function hasSlot(hits: Uint32Array, slot: number): boolean {
  return ((hits[slot >>> 5] as number) & (1 << (slot & 31))) !== 0;
}
