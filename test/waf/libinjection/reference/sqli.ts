import { classify, fold, unionSelectAhead } from './sqli-grammar.js';
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
  const asIs = { fingerprint: '' };
  const finding = analyse(input, asIs);
  if (finding !== undefined) return { matched: true, fingerprint: finding.fingerprint };
  return { matched: false, fingerprint: asIs.fingerprint };
}

/** Which context and technique matched, for `waf explain` and for tests; undefined when nothing did. */
export function explainSQLi(input: string): SqliFinding | undefined {
  return analyse(input);
}
