import { classify, fold } from './sqli-grammar.js';
import { type QuoteContext, SqlTokenizer } from './sqli-tokenizer.js';

export interface SqliResult {
  readonly matched: boolean;
  /**
   * Folded token classes of the context that matched (of the as-is reading when none did),
   * e.g. `s&sos` for `x' or 'a'='a`. ModSecurity's @detectSQLi captures it into TX:0.
   */
  readonly fingerprint: string;
}

/**
 * The three places an input can land in a query: as a bare value (number, identifier), inside
 * a '...' literal, inside a "..." literal (a string in MySQL's default mode). A quoted reading
 * is only tried when the input contains that quote, since without it the input cannot leave
 * the literal.
 */
const CONTEXTS: readonly QuoteContext[] = ['none', "'", '"'];

/**
 * Detects SQL injection by tokenizing the input as SQL in each quote context, folding the
 * tokens, and matching the folded shape against the injection grammar in sqli-grammar.ts.
 * The input is a byte string (one char per byte). Linear in the input length: each context is
 * one forward pass that stops after a few folded tokens.
 */
export function detectSQLi(input: string): SqliResult {
  let asIs = '';
  for (const context of CONTEXTS) {
    if (context !== 'none' && !input.includes(context)) continue;
    const sequence = fold(new SqlTokenizer(input, context));
    if (classify(sequence, context) !== undefined) return { matched: true, fingerprint: sequence.fingerprint };
    if (context === 'none') asIs = sequence.fingerprint;
  }
  return { matched: false, fingerprint: asIs };
}

/** Which technique matched, for `waf explain` and for tests; undefined when nothing did. */
export function explainSQLi(
  input: string,
): { context: QuoteContext; fingerprint: string; technique: string } | undefined {
  for (const context of CONTEXTS) {
    if (context !== 'none' && !input.includes(context)) continue;
    const sequence = fold(new SqlTokenizer(input, context));
    const technique = classify(sequence, context);
    if (technique !== undefined) return { context, fingerprint: sequence.fingerprint, technique };
  }
  return undefined;
}
