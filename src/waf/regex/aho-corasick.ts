/**
 * Aho-Corasick over byte strings, case-insensitive for ASCII letters (as ModSecurity's @pm). One
 * pass over the input, constant work per byte: the automaton is a complete transition table over
 * the bytes that occur in the phrases (every other byte shares one column).
 *
 * Aho & Corasick, "Efficient string matching", CACM 18(6), 1975.
 */
export interface PhraseMatch {
  /** Index of the phrase in the list given to the constructor. */
  readonly phrase: number;
  /** Offset just past the match in the input. */
  readonly end: number;
}

/**
 * Above this many table cells (states × byte columns) the automaton keeps sparse transitions and
 * failure links instead of a full table: CRS's php-errors.data alone would need 12 MB as a table.
 * Matching stays linear (each byte moves at most one level down and failure links only go up).
 */
const MAX_TABLE_CELLS = 1 << 20;

export class PhraseMatcher {
  readonly #columnOf = new Uint16Array(256);
  readonly #columns: number;
  readonly #delta: Int32Array | null;
  readonly #children: readonly Map<number, number>[] | null;
  readonly #fail: Int32Array;
  /** Per state: index of the shortest phrase ending there (own or through failure links), or -1. */
  readonly #output: Int32Array;
  readonly #phrases: readonly string[];

  constructor(phrases: readonly string[]) {
    this.#phrases = phrases;
    const folded = phrases.map(foldAscii);
    let columns = 1;
    for (const p of folded) {
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        if (this.#columnOf[c] === 0) {
          this.#columnOf[c] = columns++;
          if (c >= 0x61 && c <= 0x7a) this.#columnOf[c - 0x20] = this.#columnOf[c] as number;
        }
      }
    }
    this.#columns = columns;
    // Trie with child maps, then a breadth-first pass computing failure links and the full table.
    const children: Map<number, number>[] = [new Map()];
    const output: number[] = [-1];
    folded.forEach((p, index) => {
      let state = 0;
      for (let i = 0; i < p.length; i++) {
        const col = this.#columnOf[p.charCodeAt(i)] as number;
        let next = (children[state] as Map<number, number>).get(col);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          output.push(-1);
          (children[state] as Map<number, number>).set(col, next);
        }
        state = next;
      }
      const current = output[state] as number;
      if (current === -1 || (phrases[current] as string).length > p.length) output[state] = index;
    });
    const states = children.length;
    const dense = states * columns <= MAX_TABLE_CELLS;
    const delta = dense ? new Int32Array(states * columns) : null;
    const fail = new Int32Array(states);
    const root = children[0] as Map<number, number>;
    const queue: number[] = [];
    for (const [col, next] of root) {
      if (delta !== null) delta[col] = next;
      queue.push(next);
    }
    const step = (state: number, col: number): number => {
      if (delta !== null) return delta[state * columns + col] as number;
      for (let s = state; ; s = fail[s] as number) {
        const next = (children[s] as Map<number, number>).get(col);
        if (next !== undefined) return next;
        if (s === 0) return 0;
      }
    };
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const f = fail[state] as number;
      if (output[state] === -1) output[state] = output[f] as number;
      const kids = children[state] as Map<number, number>;
      if (delta !== null) {
        for (let col = 0; col < columns; col++) {
          const next = kids.get(col);
          if (next === undefined) delta[state * columns + col] = delta[f * columns + col] as number;
          else delta[state * columns + col] = next;
        }
      }
      for (const [col, next] of kids) {
        fail[next] = step(f, col);
        queue.push(next);
      }
    }
    this.#delta = delta;
    this.#children = delta === null ? children : null;
    this.#fail = fail;
    this.#output = Int32Array.from(output);
  }

  get phraseCount(): number {
    return this.#phrases.length;
  }

  /** The first match in the input (smallest end offset), or null. An empty phrase matches at 0. */
  find(input: string): PhraseMatch | null {
    const columns = this.#columns;
    const delta = this.#delta;
    const children = this.#children;
    const fail = this.#fail;
    const out = this.#output;
    const columnOf = this.#columnOf;
    let state = 0;
    if ((out[0] as number) >= 0) return { phrase: out[0] as number, end: 0 };
    for (let i = 0; i < input.length; i++) {
      const c = input.charCodeAt(i);
      const col = c < 256 ? (columnOf[c] as number) : 0;
      if (delta !== null) state = delta[state * columns + col] as number;
      else {
        for (;;) {
          const next = (children as Map<number, number>[])[state]?.get(col);
          if (next !== undefined) {
            state = next;
            break;
          }
          if (state === 0) break;
          state = fail[state] as number;
        }
      }
      const hit = out[state] as number;
      if (hit >= 0) return { phrase: hit, end: i + 1 };
    }
    return null;
  }

  phrase(index: number): string {
    return this.#phrases[index] as string;
  }
}

function foldAscii(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 0x20) : s[i];
  }
  return out;
}
