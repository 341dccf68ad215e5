import { classify, fold, MAX_FOLDED_TOKENS, unionSelectAhead } from './sqli-grammar.js';
import { SQL_FUNCTIONS, SQL_WORD_PAIRS, SQL_WORDS, WORD_KEYS, wordKey } from './sqli-keywords.js';
import { type QuoteContext, SqlTokenizer } from './sqli-tokenizer.js';

export interface SqliResult {
  readonly matched: boolean;
  /**
   * Folded token classes of the context that matched (of the as-is reading when none did),
   * e.g. `s&sos` for `x' or 'a'='a`. ModSecurity's @detectSQLi captures it into TX:0.
   */
  readonly fingerprint: string;
}

export interface SqliFinding {
  readonly context: QuoteContext;
  readonly fingerprint: string;
  readonly technique: string;
}

/**
 * The three places an input can land in a query: as a bare value (number, identifier), inside
 * a '...' literal, inside a "..." literal (a string in MySQL's default mode). A quoted reading
 * is only tried when the input contains that quote, since without it the input cannot leave
 * the literal.
 */
const CONTEXTS: readonly QuoteContext[] = ['none', "'", '"'];

/** Cheap test before the whole-input UNION scan. */
const MENTIONS_UNION = /union/i;

const UNION_BEYOND_WINDOW = 'UNION-based extraction (after the window)';
const NESTED_COMMENT = 'nested block comment (databases disagree on where it ends)';

/**
 * The full analysis; `asIs` receives the as-is fingerprint for the no-match answer. The
 * window pass runs first in every context; only when none matches and the input says
 * `union` is the whole input streamed once more per context, for a UNION SELECT that
 * expressions pushed past the window (`(1) group by (1) union select 1`).
 */
function analyse(input: string, asIs?: { fingerprint: string }): SqliFinding | undefined {
  const contexts: QuoteContext[] = [];
  const windows: string[] = [];
  for (const context of CONTEXTS) {
    if (context !== 'none' && !input.includes(context)) continue;
    const sequence = fold(new SqlTokenizer(input, context));
    if (context === 'none' && asIs !== undefined) asIs.fingerprint = sequence.fingerprint;
    // Wherever it stands, a nested block comment is an evasion (libinjection's "evil" token):
    // `/post/*/*/2 union all` hides from MySQL what PostgreSQL reads, and the other way round.
    if (sequence.nestedComment) return { context, fingerprint: sequence.fingerprint, technique: NESTED_COMMENT };
    // As-is, the value stands where the query expects an operand. One that opens with a
    // symbolic binary operator (`/post/foo/24 union ...`, a path) is a syntax error there,
    // not SQL. Word operators stay: `IN (SELECT ...)` can follow a column name.
    if (context === 'none' && sequence.tokens[0]?.cls === 'o' && !/^[a-z]/.test(sequence.tokens[0].value)) continue;
    const technique = classify(sequence, context);
    if (technique !== undefined) return { context, fingerprint: sequence.fingerprint, technique };
    contexts.push(context);
    windows.push(sequence.fingerprint);
  }
  if (!MENTIONS_UNION.test(input)) return undefined;
  for (const [i, context] of contexts.entries()) {
    if (unionSelectAhead(new SqlTokenizer(input, context))) {
      return { context, fingerprint: windows[i]!, technique: UNION_BEYOND_WINDOW };
    }
  }
  return undefined;
}

/**
 * Detects SQL injection by tokenizing the input as SQL in each quote context, folding the
 * tokens, and matching the folded shape against the injection grammar in sqli-grammar.ts.
 * The input is a byte string (one char per byte). Linear in the input length: each context is
 * one forward pass that stops after a few folded tokens, plus at most one full pass per
 * context when the input mentions UNION.
 */
export function detectSQLi(input: string): SqliResult {
  const plain = plainFingerprint(input);
  if (plain !== undefined) return plain;
  const asIs = { fingerprint: '' };
  const finding = analyse(input, asIs);
  if (finding !== undefined) return { matched: true, fingerprint: finding.fingerprint };
  return { matched: false, fingerprint: asIs.fingerprint };
}

/** Answers of the plain fast path, by fingerprint. */
const PLAIN_RESULTS = new Map<string, SqliResult>();

/**
 * The answer for the commonest values, without tokenizing: words, numbers and commas separated
 * by spaces (`quantity`, `Jane Doe`, `42`, `9.99`, `Widget, blue`) in which no word is in the
 * SQL vocabulary; undefined for anything else, which takes the full analysis. Why the answer is
 * exact:
 * - no quote, so the as-is reading is the only one, and no comment, so no nested one;
 * - the tokenizer reads such a word as one bareword `n` (it is in none of the word tables that
 *   SqlTokenizer#word looks up after the same WORD_KEYS pre-check; words over 40 bytes are never
 *   looked up), such a number (`\d+` or `\d+\.\d*` before a space, a comma or the end) as one
 *   number `1`, and a comma as `,`;
 * - folding drops or merges nothing without an operator, `.`, `::`, `(` or a comment, so the
 *   fingerprint is the first 8 of these;
 * - a fingerprint of only `n`, `1` and `,` matches no rule (classify's MAY_MATCH), and the UNION
 *   pass needs a `U` token, which only the keyword `union` produces.
 */
function plainFingerprint(input: string): SqliResult | undefined {
  const n = input.length;
  let fingerprint = '';
  let i = 0;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === 0x20) {
      i++;
      continue;
    }
    if (c === 0x2c) {
      if (fingerprint.length < MAX_FOLDED_TOKENS) fingerprint += ',';
      i++;
      continue;
    }
    const start = i;
    if (c >= 0x30 && c <= 0x39) {
      while (i < n && isDigitCode(input.charCodeAt(i))) i++;
      if (input.charCodeAt(i) === 0x2e) {
        i++;
        while (i < n && isDigitCode(input.charCodeAt(i))) i++;
      }
      if (i < n && !isPlainSeparator(input.charCodeAt(i))) return undefined;
      if (fingerprint.length < MAX_FOLDED_TOKENS) fingerprint += '1';
      continue;
    }
    if (!isPlainWordStart(c)) return undefined;
    i++;
    for (;;) {
      const d = input.charCodeAt(i);
      if (i >= n || isPlainSeparator(d)) break;
      if (!isPlainWordStart(d) && !isDigitCode(d)) return undefined;
      i++;
    }
    const length = i - start;
    if (length <= 40 && WORD_KEYS.has(wordKey(length, c, input.charCodeAt(i - 1)))) {
      const word = input.slice(start, i).toLowerCase();
      if (SQL_WORDS.has(word) || SQL_FUNCTIONS.has(word) || SQL_WORD_PAIRS.has(word)) return undefined;
    }
    if (fingerprint.length < MAX_FOLDED_TOKENS) fingerprint += 'n';
  }
  let result = PLAIN_RESULTS.get(fingerprint);
  if (result === undefined) {
    result = Object.freeze({ matched: false, fingerprint });
    PLAIN_RESULTS.set(fingerprint, result);
  }
  return result;
}

/** Space or comma: what may follow a word or number on the plain path. */
function isPlainSeparator(c: number): boolean {
  return c === 0x20 || c === 0x2c;
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** ASCII letter or `_`. */
function isPlainWordStart(c: number): boolean {
  return ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x5f;
}

/** Which context and technique matched, for `waf explain` and for tests; undefined when nothing did. */
export function explainSQLi(input: string): SqliFinding | undefined {
  return analyse(input);
}
