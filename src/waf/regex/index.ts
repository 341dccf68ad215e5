import { COUNTING, counters } from '../counters.js';
import { PhraseMatcher } from './aho-corasick.js';
import { LazyDfa } from './dfa.js';
import { emit, emittedTestIsExact } from './emit.js';
import { requiredLiterals } from './literals.js';
import { type Node, parsePattern, RegexSyntaxError } from './parse.js';
import { enableLinearFallback, LINEAR_FLAG } from './v8-flags.js';

export type { PhraseMatch } from './aho-corasick.js';
export { PhraseMatcher } from './aho-corasick.js';
export { RegexSyntaxError } from './parse.js';
export { BACKTRACKS_BEFORE_FALLBACK, enableLinearFallback } from './v8-flags.js';

const linearAvailable = enableLinearFallback();

/** A CRS / ModSecurity `@rx` pattern compiled to run over byte strings. */
export interface SeclangRegex {
  /** The pattern as written in the rule. */
  readonly pattern: string;
  /** The JavaScript regex source it was translated to (no flags). */
  readonly source: string;
  /** Number of capturing groups (TX:1 ... for `capture`). */
  readonly groupCount: number;
  /**
   * Lower-cased strings of which every match contains at least one (case-insensitively); empty
   * when none could be derived. `test` and `exec` use them to skip the regex.
   */
  readonly requiredLiterals: readonly string[];
  /**
   * True when V8's linear-time engine accepts the translation, so that a match attempt falls back
   * to it after BACKTRACKS_BEFORE_FALLBACK backtracks: the cost of any input is then bounded
   * (linear in its length). False only for patterns with lookarounds or back-references, which
   * CRS does not use.
   */
  readonly linear: boolean;
  /**
   * True when `test` runs on Portcullis's lazy DFA (one pass, constant work per byte once warm):
   * every pattern without lookarounds or back-references. `exec` confirms with it first too.
   */
  readonly dfa: boolean;
  test(input: string): boolean;
  /** First match with its groups (index 0 is the whole match), or null. */
  exec(input: string): RegExpExecArray | null;
}

/**
 * Translates a PCRE pattern (ModSecurity's dialect, byte mode) to a JavaScript regex that gives the
 * same answers on byte strings, with a literal prefilter. Throws RegexSyntaxError with a plain
 * message for an invalid or unsupported pattern.
 */
export function compileSeclangRegex(pattern: string): SeclangRegex {
  const parsed = parsePattern(pattern);
  const source = emit(parsed.root);
  let regex: RegExp;
  try {
    regex = new RegExp(source, '');
  } catch (error) {
    throw new RegexSyntaxError(`pattern cannot be compiled: ${(error as Error).message}`);
  }
  return new CompiledRegex(pattern, source, parsed.groupCount, parsed.root, regex);
}

/**
 * Values up to this length go to V8's backtracking engine when its linear-time fallback covers the
 * pattern: there it is faster than the DFA, and the fallback caps its worst case (measured in
 * bench/waf-regex.bench.ts). Longer values, and every value of a pattern the fallback does not
 * cover, run on the DFA.
 */
export const SHORT_VALUE = 128;

/**
 * Except for large patterns that can start on many bytes (CRS 932235/932236/932239: thousands of
 * NFA states, command names with evasion characters between letters): V8 tries them at every
 * position and costs 10-15 µs on a 40-byte benign value where the DFA costs 0.25 µs
 * (bench/waf-regex.bench.ts). Both answers are exact, so only the cost differs.
 */
const DFA_ONLY_NFA_SIZE = 500;
const DFA_ONLY_START_WIDTH = 20;

/**
 * Everything but parsing is built on first use: a CRS load compiles some 300 patterns, most of
 * which the prefilter keeps from ever running on a given deployment's traffic.
 */
class CompiledRegex implements SeclangRegex {
  readonly pattern: string;
  readonly source: string;
  readonly groupCount: number;
  readonly #root: Node;
  readonly #regex: RegExp;
  #literals: readonly string[] | undefined;
  #prefilter: Prefilter | undefined;
  #dfa: LazyDfa | null | undefined;
  #linear: boolean | undefined;
  #shortPath: boolean | undefined;

  constructor(pattern: string, source: string, groupCount: number, root: Node, regex: RegExp) {
    this.pattern = pattern;
    this.source = source;
    this.groupCount = groupCount;
    this.#root = root;
    this.#regex = regex;
  }

  get requiredLiterals(): readonly string[] {
    this.#literals ??= requiredLiterals(this.#root);
    return this.#literals;
  }

  get linear(): boolean {
    if (this.#linear === undefined) {
      this.#linear = false;
      if (linearAvailable) {
        try {
          new RegExp(this.source, LINEAR_FLAG);
          this.#linear = true;
        } catch {
          this.#linear = false;
        }
      }
    }
    return this.#linear;
  }

  get dfa(): boolean {
    return this.#automaton() !== null;
  }

  #automaton(): LazyDfa | null {
    if (this.#dfa === undefined) this.#dfa = LazyDfa.build(this.#root);
    return this.#dfa;
  }

  #slowOnV8(): boolean {
    const dfa = this.#automaton();
    return dfa !== null && dfa.nfaSize >= DFA_ONLY_NFA_SIZE && dfa.startWidth >= DFA_ONLY_START_WIDTH;
  }

  #passes(input: string): boolean {
    this.#prefilter ??= makePrefilter(this.requiredLiterals);
    return this.#prefilter(input);
  }

  /**
   * Whether the pattern matches, in time linear in the input whatever the input. Short values go
   * straight to V8 (its literal scanning beats the prefilter there) unless the pattern is slow
   * there (DFA_ONLY_NFA_SIZE), and then straight to the DFA; longer values are prefiltered and
   * run on the DFA.
   */
  test(input: string): boolean {
    this.#shortPath ??= this.linear && emittedTestIsExact(this.#root) && !this.#slowOnV8();
    if (COUNTING) counters.regexTests++;
    const short = input.length <= SHORT_VALUE;
    if (short && this.#shortPath) {
      if (COUNTING) counters.regexShortV8++;
      return this.#regex.test(input);
    }
    const dfa = this.#automaton();
    // On a short value the DFA's own pass costs about what the prefilter's would, and the rule
    // engine has already checked these literals (RuleSet.literals): there the prefilter would
    // pass every value it is given, so it is a second pass for nothing.
    if (!(short && dfa !== null) && !this.#passes(input)) {
      if (COUNTING) counters.regexPrefilterRejects++;
      return false;
    }
    if (COUNTING) dfa === null ? counters.regexV8++ : counters.regexDfa++;
    // Without a DFA (lookarounds, back-references), V8's engine is all there is.
    return dfa === null ? this.#regex.test(input) : dfa.test(input);
  }

  exec(input: string): RegExpExecArray | null {
    // The backtracking engine only runs on values already proved to match.
    if (!this.test(input)) return null;
    if (COUNTING) counters.regexExec++;
    return this.#regex.exec(input);
  }
}

type Prefilter = (input: string) => boolean;

const SMALL_SET = 4;

function makePrefilter(literals: readonly string[]): Prefilter {
  if (literals.length === 0) return () => true;
  if (literals.length > SMALL_SET) {
    const matcher = new PhraseMatcher(literals);
    return (input) => matcher.find(input) !== null;
  }
  const caseless = literals.some((l) => /[a-z]/.test(l));
  return (input) => {
    const haystack = caseless ? lowerCached(input) : input;
    for (const l of literals) if (haystack.includes(l)) return true;
    return false;
  };
}

/**
 * The ASCII-lower-cased form of recent values. Rules run one after another over the same few
 * transformed values, so a small cache turns one lower-casing per rule into one per value.
 */
const lowerCache = new Map<string, string>();
const LOWER_CACHE_SIZE = 256;

function lowerCached(input: string): string {
  let lower = lowerCache.get(input);
  if (lower === undefined) {
    lower = asciiLower(input);
    if (lowerCache.size >= LOWER_CACHE_SIZE) lowerCache.delete(lowerCache.keys().next().value as string);
    lowerCache.set(input, lower);
  }
  return lower;
}

function asciiLower(s: string): string {
  // String#toLowerCase also maps bytes 0xC0-0xDE, which ModSecurity's C locale does not; the
  // prefilter only needs a superset, but the literals are folded the same ASCII-only way.
  let out = '';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      out += s.slice(run, i) + String.fromCharCode(c + 0x20);
      run = i + 1;
    }
  }
  return run === 0 ? s : out + s.slice(run);
}
