import { anyAsIsShape, classify, fold, MAX_FOLDED_TOKENS, unionSelectAhead } from './sqli-grammar.js';
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
  const plain = plainAnswer(input);
  if (plain !== undefined) return plain;
  const asIs = { fingerprint: '' };
  const finding = analyse(input, asIs);
  if (finding !== undefined) return { matched: true, fingerprint: finding.fingerprint };
  return { matched: false, fingerprint: asIs.fingerprint };
}

/** Answers of the plain path, by fingerprint (at most 4^8 of them; kept up to a bound). */
const PLAIN_RESULTS = new Map<string, SqliResult>();
const PLAIN_RESULTS_LIMIT = 4096;

/**
 * The answer for the commonest values, without building tokens: values made of words, numbers,
 * the punctuation `, ; : . ( ) { } ?` and the operators `- + * / % =`, separated by spaces, with no
 * word in the SQL vocabulary (`quantity`, `Jane Doe`, `9.99`, `WID-0042`, `2026-01-15`,
 * `application/json`, `Mozilla/5.0 (X11; Linux x86_64)`, `q=0.9`); undefined for anything else,
 * which takes the full analysis. Keywords (`with`, `from`, `and`, `select`, `null`...) may
 * occur too: they only change the fingerprint, which the rule shapes then judge. It reproduces
 * exactly what SqlTokenizer and fold do on these bytes:
 * - no quote and no comment can occur (`--`, `/*` and `*\/` are left to the full analysis), so the
 *   as-is reading is the only one and no comment is nested; past the window, where the scan
 *   stops, the input is searched for a quote or `union` instead;
 * - a word (letters, digits, `_`, and `.` before a letter: a qualified name) is classed as
 *   SqlTokenizer#word classes it, after the same WORD_KEYS pre-check (a word over 40 bytes is
 *   never looked up): a bareword `n`, a function name without a call after it `n`, or its
 *   keyword class `k E B & 1` (words that pair with the next, operator words, `union` and
 *   `waitfor` are left to the full analysis); a number (`\d+`, `\d+\.\d*`, `\.\d+`;
 *   not `0x`, `0b` or an exponent, left to the full analysis) is `1`; punctuation is its own
 *   class; each operator is a single-byte `o` (a byte that could start a longer operator, `-=`,
 *   `:=`, `==`..., is left to the full analysis);
 * - fold drops `-` and `+` where an operand is expected (first, or after `o , ; ( k E B &`),
 *   merges `1 o 1` into `1` when the operator is arithmetic (all but `=`), collapses `((` and
 *   `))`, folds `n . n` into `n`, and stops after 8 tokens; nothing else in fold applies here;
 * - an as-is reading that starts with a symbolic operator is not analysed (sqli.ts, analyse);
 *   otherwise the fingerprint goes through the same shape test as classify (anyAsIsShape): when
 *   no rule's shape matches, no rule can, and when one does, the full analysis decides;
 * - the UNION pass needs a `U` token, which only the keyword `union` produces.
 */
function plainAnswer(input: string): SqliResult | undefined {
  const n = input.length;
  // The folded tokens, one code each (KIND_CODE): the class, except that an operator is `a`
  // (arithmetic) or `=`, since fold treats them differently; both are `o` in the fingerprint.
  // Kept as numbers, not as a string: the answer is looked up by them (PLAIN_BY_KEY), and the
  // fingerprint string is only built the first time a shape is seen.
  const folded = FOLDED;
  let count = 0;
  let complete = true;
  let i = 0;
  for (;;) {
    while (i < n && input.charCodeAt(i) === 0x20) i++;
    if (i >= n) break;
    if (count >= MAX_FOLDED_TOKENS) {
      // fold stops here without reading on; the rest only matters to the quoted readings and
      // the UNION pass, which need a quote or the word `union`.
      complete = false;
      if (input.includes("'") || input.includes('"') || MENTIONS_UNION.test(input)) return undefined;
      break;
    }
    const c = input.charCodeAt(i);
    const next = input.charCodeAt(i + 1);
    let kind: number;
    if (isDigitCode(c) || (c === 0x2e && isDigitCode(next))) {
      if (c === 0x30 && ((next | 0x20) === 0x78 || (next | 0x20) === 0x62)) return undefined;
      while (i < n && isDigitCode(input.charCodeAt(i))) i++;
      if (input.charCodeAt(i) === 0x2e) {
        i++;
        while (i < n && isDigitCode(input.charCodeAt(i))) i++;
      }
      if ((input.charCodeAt(i) | 0x20) === 0x65) {
        const after = input.charCodeAt(i + 1);
        if (isDigitCode(after) || after === 0x2b || after === 0x2d) return undefined;
      }
      kind = 0x31;
    } else if (isPlainWordStart(c)) {
      const start = i;
      for (;;) {
        i++;
        while (i < n && isPlainWordByte(input.charCodeAt(i))) i++;
        const stop = input.charCodeAt(i);
        // `$` and bytes above 0x7f continue a word (the tokenizer's word bytes).
        if (stop === 0x24 || stop >= 0x80) return undefined;
        if (stop !== 0x2e) break;
        // A qualified name (`schema.table`) when a letter follows the dot.
        const after = input.charCodeAt(i + 1);
        if (after === 0x24 || after >= 0x80) return undefined;
        if (!isPlainWordStart(after)) break;
      }
      const length = i - start;
      kind = 0x6e;
      if (length <= 40 && WORD_KEYS.has(wordKey(length, c, input.charCodeAt(i - 1)))) {
        const word = input.slice(start, i).toLowerCase();
        // As SqlTokenizer#word: a function only when a call follows; words that may pair with the
        // next one, operator words, UNION and WAITFOR are left to the full analysis.
        if (SQL_WORD_PAIRS.has(word)) return undefined;
        if (SQL_FUNCTIONS.has(word) && nextNonSpace(input, i) === 0x28) return undefined;
        const cls = SQL_WORDS.get(word);
        if (cls !== undefined) {
          if (cls === 'o' || cls === 'U' || cls === 'T') return undefined;
          kind = cls.charCodeAt(0);
        }
      }
    } else {
      kind = PLAIN_SYMBOL[c] ?? 0;
      if (kind === 0) return undefined;
      // The first byte of a longer operator or of a comment.
      if ((c === 0x2d || c === 0x3a || c === 0x3d) && next < 256 && (PLAIN_OPERATOR_SECOND[next] ?? 0) === 1) {
        return undefined;
      }
      if ((c === 0x2d && next === 0x2d) || (c === 0x2f && next === 0x2a) || (c === 0x2a && next === 0x2f)) {
        return undefined;
      }
      i++;
    }
    const last = count === 0 ? 0 : (folded[count - 1] as number);
    // fold: `-` or `+` where an operand is expected is unary and vanishes.
    if ((c === 0x2d || c === 0x2b) && (count === 0 || EXPECTS_OPERAND_KIND[last] === 1)) continue;
    // fold: `1 o 1` with an arithmetic operator keeps the first number.
    if (kind === 0x31 && last === 0x61 && count >= 2 && folded[count - 2] === 0x31) {
      count--;
      continue;
    }
    // fold: runs of one parenthesis are one.
    if ((kind === 0x28 || kind === 0x29) && last === kind) continue;
    // fold: a qualified name written `a . b` is one name.
    if (kind === 0x6e && last === 0x2e && count >= 2 && folded[count - 2] === 0x6e) {
      count--;
      continue;
    }
    folded[count++] = kind;
  }
  // Distinct for each (token list, complete): a leading 1 (so that the count of codes shows),
  // the bit, then at most 8 codes below 32: 42 bits in all, exact in a double.
  let key = complete ? 3 : 2;
  for (let k = 0; k < count; k++) key = key * 32 + (KIND_CODE[folded[k] as number] as number);
  let result = PLAIN_BY_KEY.get(key);
  if (result === undefined) {
    let fingerprint = '';
    for (let k = 0; k < count; k++) {
      const kind = folded[k] as number;
      fingerprint += kind === 0x61 || kind === 0x3d ? 'o' : String.fromCharCode(kind);
    }
    // analyse: an as-is reading that opens with a symbolic operator is not SQL there.
    if (fingerprint.charCodeAt(0) !== 0x6f && anyAsIsShape(fingerprint, complete)) result = null;
    else {
      result = PLAIN_RESULTS.get(fingerprint);
      if (result === undefined) {
        result = Object.freeze({ matched: false, fingerprint });
        if (PLAIN_RESULTS.size < PLAIN_RESULTS_LIMIT) PLAIN_RESULTS.set(fingerprint, result);
      }
    }
    if (PLAIN_BY_KEY.size < PLAIN_RESULTS_LIMIT) PLAIN_BY_KEY.set(key, result);
  }
  return result ?? undefined;
}

/** The folded kinds of the value plainAnswer is reading (one call at a time, never re-entered). */
const FOLDED = new Uint8Array(MAX_FOLDED_TOKENS);

/**
 * plainAnswer's answer by (kinds, complete) key: the no-match result, or null when some rule's
 * shape matches and the full analysis must decide. Both depend on nothing else.
 */
const PLAIN_BY_KEY = new Map<number, SqliResult | null>();

/**
 * The single-byte tokens of the plain path, by byte: punctuation is its own class; `- + * / %`
 * are arithmetic operators (`a`), `=` a comparison (`=`).
 */
const PLAIN_SYMBOL: Record<number, number> = {};
for (const ch of ',;:.(){}?') PLAIN_SYMBOL[ch.charCodeAt(0)] = ch.charCodeAt(0);
for (const ch of '-+*/%') PLAIN_SYMBOL[ch.charCodeAt(0)] = 0x61;
PLAIN_SYMBOL[0x3d] = 0x3d;
/**
 * A code below 32 for each kind plainAnswer can produce, for PLAIN_BY_KEY's key: numbers, names,
 * every keyword class, the single-byte symbols.
 */
const KIND_CODE = new Uint8Array(128);
{
  let code = 1;
  for (const kind of ['1', 'n', ...SQL_WORDS.values()]
    .map((k) => k.charCodeAt(0))
    .concat(Object.values(PLAIN_SYMBOL))) {
    if (KIND_CODE[kind] === 0) KIND_CODE[kind] = code++;
  }
  if (code > 32) throw new Error('plainAnswer: more token kinds than a 5-bit code holds');
}
/** Bytes that make a longer operator after `-`, `:` or `=` (SqlTokenizer's OP_SECOND). */
const PLAIN_OPERATOR_SECOND = new Uint8Array(256);
for (const ch of '<>=!:|&@') PLAIN_OPERATOR_SECOND[ch.charCodeAt(0)] = 1;
/** fold's EXPECTS_OPERAND, among the plain path's kinds: operators, `, ; (` and keywords `k E B &`. */
const EXPECTS_OPERAND_KIND = new Uint8Array(128);
for (const kind of [0x61, 0x3d, 0x2c, 0x3b, 0x28, 0x6b, 0x45, 0x42, 0x26]) EXPECTS_OPERAND_KIND[kind] = 1;

/** The char code of the first byte at or after `i` that is not a space, NaN at the end. */
function nextNonSpace(input: string, i: number): number {
  while (input.charCodeAt(i) === 0x20) i++;
  return input.charCodeAt(i);
}

/** A byte that continues a plain word: ASCII letter, digit or `_`. */
function isPlainWordByte(c: number): boolean {
  return isPlainWordStart(c) || isDigitCode(c);
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
