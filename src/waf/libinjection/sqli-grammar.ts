import { FINGERPRINT_FUNCTIONS, HIGH_RISK_FUNCTIONS, type SqlTokenClass } from './sqli-keywords.js';
import type { QuoteContext, SqlToken, SqlTokenizer } from './sqli-tokenizer.js';

/**
 * How many folded tokens the grammar looks at. An injection has to turn the application's
 * query into an attack within its first few tokens (close the literal, then connect a new
 * predicate, query or statement), so a short window suffices, and it bounds the work per input.
 */
export const MAX_FOLDED_TOKENS = 8;

export interface FoldedSequence {
  readonly tokens: readonly SqlToken[];
  /** One class letter per folded token, e.g. `s&sos`. */
  readonly fingerprint: string;
  /** The whole input was consumed: the last token is the end of the input. */
  readonly complete: boolean;
  /** A nested block comment was read within the window (SqlToken.nested); folded away like any comment. */
  readonly nestedComment: boolean;
}

/** After these, an operator can only be unary (`- 1`, `NOT x`, `~0`). */
const EXPECTS_OPERAND = new Set<SqlTokenClass>(['o', '&', '(', ',', 'k', 'E', 'U', 'B', 'T', ';']);
const UNARY = new Set(['-', '+', '~', '!', 'not']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '^', '|', '&', '<<', '>>', 'div', 'mod']);

/**
 * Tokenizes and folds: comments followed by more code act as whitespace (`UNION/**\/SELECT`),
 * unary operators vanish (`-1`, `NOT 1`), arithmetic between numbers and variables collapses
 * to one value (`2010-01-01`, `1+1`, `@a-@b`), qualified names collapse (`a . b`), runs of
 * the same parenthesis collapse to one. What remains is the shape of the
 * statement, which is what the rules below judge.
 */
export function fold(tokenizer: SqlTokenizer): FoldedSequence {
  const out: SqlToken[] = [];
  let trailingComment: SqlToken | undefined;
  let nestedComment = false;
  let exhausted = false;
  while (out.length < MAX_FOLDED_TOKENS) {
    const token = tokenizer.next();
    if (token === undefined) {
      exhausted = true;
      break;
    }
    if (token.cls === 'c') {
      trailingComment = token;
      if (token.nested) nestedComment = true;
      continue;
    }
    trailingComment = undefined;
    const prev = out.at(-1);
    if (token.cls === 'o' && UNARY.has(token.value) && (prev === undefined || EXPECTS_OPERAND.has(prev.cls))) continue;
    if (
      (token.cls === '1' || token.cls === 'v') &&
      prev?.cls === 'o' &&
      ARITHMETIC.has(prev.value) &&
      (out.at(-2)?.cls === '1' || out.at(-2)?.cls === 'v')
    ) {
      out.pop();
      continue;
    }
    // Nesting depth does not change the statement's shape: `((((select` reads as `(select`.
    if ((token.cls === '(' || token.cls === ')') && prev?.cls === token.cls) continue;
    // A PostgreSQL cast (`'1'::int`) keeps the shape of the value it casts.
    if (token.cls === 'n' && prev?.cls === 'o' && prev.value === '::' && out.length >= 2) {
      out.pop();
      continue;
    }
    if (token.cls === 'n' && prev?.cls === '.' && out.at(-2)?.cls === 'n') {
      out.pop();
      continue;
    }
    out.push(token);
  }
  if (trailingComment !== undefined && out.length < MAX_FOLDED_TOKENS) out.push(trailingComment);
  const complete = exhausted || tokenizer.atEnd;
  let fingerprint = '';
  for (const token of out) fingerprint += token.cls;
  return { tokens: out, fingerprint, complete, nestedComment };
}

/** Operators that compare: the heart of a tautology (`'a'='a`). */
const SYMBOLIC_COMPARISONS = new Set(['=', '==', '<>', '!=', '<=>', '<', '>', '<=', '>=', '!<', '!>']);
const EQUALITY = new Set(['=', '==', '<>', '!=', '<=>']);
const COMPARISONS = new Set([
  ...SYMBOLIC_COMPARISONS,
  'like',
  'ilike',
  'rlike',
  'regexp',
  'glob',
  'is',
  'is not',
  'in',
  'between',
  'sounds like',
  'not like',
  'not regexp',
  'not rlike',
  'not in',
  'not between',
  '@>',
  '<@',
]);

/** Procedures an attacker runs on SQL Server after `EXEC`: extended (`xp_`) and system (`sp_`) ones. */
const PROCEDURE_PREFIX = /^(?:xp_|sp_|master\b|dbo\.)/;

/**
 * A predicate after a connective must compare (`OR 1=1`, `AND x LIKE 'a%'`): arithmetic
 * there is prose (`1 AND A1/2 INCH`), and so are words joined by a word operator (`and
 * convert between IPv4`, `or does not match`), since prose uses in, is, like, between and not
 * as words. A symbol, or a literal or variable on either side, makes it SQL.
 */
function connectedPredicateIsSql(tokens: readonly SqlToken[]): boolean {
  const at = tokens.findIndex((t) => t.cls === '&');
  const [left, op, right] = [tokens[at + 1], tokens[at + 2], tokens[at + 3]];
  if (left === undefined || op?.cls !== 'o' || !'1snv'.includes(left.cls)) return true;
  if (!COMPARISONS.has(op.value)) return false;
  return SYMBOLIC_COMPARISONS.has(op.value) || left.cls !== 'n' || (right !== undefined && right.cls !== 'n');
}

/**
 * The comment that truncates a query is short and bare: `'--`, `'#`, `'-- -`, `'/*`. One that
 * swallows more quoted text or several words (`7" #2 CIRCULAR NEEDLE`, `href="#top">`) is the
 * user's own text.
 */
function endsWithTruncatingComment(tokens: readonly SqlToken[]): boolean {
  const last = tokens.at(-1);
  return last?.cls === 'c' && last.truncating === true;
}

/** A trailing comment, if any, is not quoted text (rules where the comment is not the evidence). */
function endsWithBareComment(tokens: readonly SqlToken[]): boolean {
  const last = tokens.at(-1);
  return last?.cls !== 'c' || last.quoted !== true;
}

function isSelect(token: SqlToken | undefined): boolean {
  return token?.cls === 'E' && token.value === 'select';
}

interface Rule {
  /** The injection technique the shape corresponds to. */
  readonly technique: string;
  /**
   * Over the fingerprint; `$` only matches at the real end of the input. Anchored rules start
   * at the first token, which in a quoted context is the application's own string literal.
   */
  readonly shape: RegExp;
  /** `quoted`: only meaningful when the input closed the application's string. */
  readonly scope: 'quoted' | 'any';
  readonly also?: (tokens: readonly SqlToken[]) => boolean;
}

/**
 * The injection grammar, built for Portcullis. Each rule is one way of turning a value slot
 * into attacker-controlled SQL; `[s1]\)*` at the start is the value the application expected,
 * followed by any parentheses the attacker closes to escape the surrounding expression.
 * Prose does not fit these shapes: words that are not SQL become barewords (`n`), and a
 * bareword right after the closing quote or number breaks every pattern.
 */
const RULES: readonly Rule[] = [
  {
    // `' OR '1'='1`, `1 AND 1=2`, `') or ('a'='a`, `' and sleep(5)`, `' or 1--`
    technique: 'boolean predicate appended to the value',
    shape: /^\(*[s1v]\)*&(?:[1snv]o|[1v][c&);]|s[c;]|f\(|\(+[1snvf(E]|E[1vfo(])/,
    scope: 'any',
    also: (tokens) => connectedPredicateIsSql(tokens) && endsWithBareComment(tokens),
  },
  {
    // `x' AND 1` / `x' OR TRUE` ending the input: the application's quote is cut off by the
    // attacker's own; the predicate is complete.
    technique: 'boolean constant appended to the value',
    shape: /^s\)*&[1v]$/,
    scope: 'quoted',
  },
  {
    // `admin'--`, `admin')#`, `x';--`: the rest of the application's query is commented out.
    technique: 'comment truncation after closing the literal',
    shape: /^s\)*;?c$/,
    scope: 'quoted',
    also: endsWithTruncatingComment,
  },
  {
    // `admin'='' --`, `x' - 0 #`
    technique: 'expression then comment truncation',
    shape: /^s\)*(?:o[1snv])+c$/,
    scope: 'quoted',
    also: endsWithTruncatingComment,
  },
  {
    // `admin' and unlikely(id)--`, `x' or json (id);`: whatever sits between the connective
    // and the end, the input closed the literal, chained a predicate and cut the query off.
    technique: 'predicate and truncation after closing the literal',
    shape: /^s\)*&(?!n[c;]$)[^c;]*[c;]$/,
    scope: 'quoted',
    also: (tokens) => tokens.at(-1)?.cls === ';' || endsWithTruncatingComment(tokens),
  },
  {
    // `x'='x`, `'1' not regexp '2`: the literal becomes one side of a comparison.
    technique: 'comparison tautology on the literal',
    shape: /^s\)*(?:o[s1v])+$/,
    scope: 'any',
    // Equality only: `"> "` and `'< '` are prompts and arrows far more often than `x'>'y`.
    also: (tokens) => EQUALITY.has(tokens.find((t) => t.cls === 'o')?.value ?? ''),
  },
  {
    // `1--`, `@@version#`: a numeric slot whose query is cut off right after the value.
    technique: 'comment truncation after a number',
    shape: /^[1v]\)*c$/,
    scope: 'any',
    // A written number or variable; `TRUE#LAST` is a word that happens to be a constant.
    also: (tokens) => (tokens[0]?.value === '1' || tokens[0]?.cls === 'v') && endsWithTruncatingComment(tokens),
  },
  {
    // `1 INTO OUTFILE '/var/www/x.php'`: MySQL writes the result to a file.
    technique: 'file write',
    shape: /kk/,
    scope: 'any',
    also: (tokens) =>
      tokens.some(
        (t, i) => t.value === 'into' && (tokens[i + 1]?.value === 'outfile' || tokens[i + 1]?.value === 'dumpfile'),
      ),
  },
  {
    // `(CASE WHEN 4518=5617 THEN 1 ELSE NULL END)`: a conditional that builds a boolean oracle.
    technique: 'CASE WHEN conditional',
    shape: /kk[1snv]o/,
    scope: 'any',
    also: (tokens) =>
      tokens.some(
        (t, i) =>
          t.value === 'case' && tokens[i + 1]?.value === 'when' && SYMBOLIC_COMPARISONS.has(tokens[i + 3]?.value ?? ''),
      ),
  },
  {
    // `UNION SELECT`, `UNION ALL (SELECT`, `UNION/**/DISTINCT/**/SELECT`
    technique: 'UNION-based extraction',
    shape: /U(?:k)?\(*E/,
    scope: 'any',
  },
  {
    // `-1 union`, `-1 union #`: the second query follows in another parameter or line.
    technique: 'UNION-based extraction',
    shape: /^[s1]\)*U(?:c|$)/,
    scope: 'any',
  },
  {
    // `1; DROP TABLE t`, `'; EXEC xp_cmdshell`, `'; WAITFOR DELAY`
    technique: 'stacked query',
    shape: /^[s1v]?\)*;(?:E(?:[kvfo(1sc]|nk|$)|T)/,
    scope: 'any',
  },
  {
    // `';SELECT p`: the literal closed, the statement ended, another begins.
    technique: 'stacked query',
    shape: /^s\)*;[ET]/,
    scope: 'quoted',
  },
  {
    // `x(1);INSERT INTO`, `a; DROP TABLE`: a statement whose next token is SQL, anywhere.
    technique: 'stacked query',
    shape: /;(?:E[kvf(]|T)/,
    scope: 'any',
  },
  {
    // `EXEC master..xp_cmdshell 'dir'`, `EXEC sp_configure`, `DECLARE @q varchar(99)`
    technique: 'procedure execution or variable declaration',
    shape: /(?:^|;)E[nv]/,
    scope: 'any',
    also: (tokens) =>
      tokens.some((t, i) => {
        const next = tokens[i + 1];
        if (t.cls !== 'E' || next === undefined) return false;
        if (t.value === 'declare') return next.cls === 'v';
        return (t.value === 'exec' || t.value === 'execute') && next.cls === 'n' && PROCEDURE_PREFIX.test(next.value);
      }),
  },
  {
    // `'+sleep(5)+'`, `1-(SELECT ...)`, `'||(SELECT ...)`, `@x:=(SELECT ...)`
    technique: 'function call or sub-query inside the value expression',
    shape: /^[s1v]\)*o(?:f\(|\(+E)/,
    scope: 'any',
  },
  {
    // `ascii(substring((SELECT ...`, `convert(int,(SELECT ...`
    technique: 'sub-query as a function argument',
    shape: /f\((?:[1snv],)?\(*E/,
    scope: 'any',
    also: (tokens) => tokens.some(isSelect),
  },
  {
    // `(SELECT * FROM`, `(select count(`, `(SELECT @@version`
    technique: 'parenthesised sub-query',
    shape: /\(E(?:ok|f\(|v|\(|[1n](?:,[1n])*k)/,
    scope: 'any',
    also: (tokens) => tokens.some(isSelect),
  },
  {
    // `HOPE AND 8=3`, `(x) OR 'a'='a'`: a word, then a comparison of two literals, which is
    // only ever written to make a condition constant.
    technique: 'constant comparison appended to a word',
    shape: /^\(*n\)*&\(*(?:1o1|sos|1os|so1)/,
    scope: 'any',
    also: (tokens) => {
      const op = tokens.find((t, i) => t.cls === 'o' && i > 1);
      return SYMBOLIC_COMPARISONS.has(op?.value ?? '');
    },
  },
  {
    // `SELECT a,b FROM t WHERE`, `select sin(1),2 from bar limit`: a query with its clauses.
    technique: 'SELECT statement as the value',
    shape: /^\(*E[^k;]*kn[kB]/,
    scope: 'any',
    also: (tokens) => {
      const first = tokens.findIndex((t) => t.cls === 'k');
      const second = tokens[first + 2];
      return (
        isSelect(tokens.find((t) => t.cls === 'E')) &&
        tokens[first]?.value === 'from' &&
        (second?.cls === 'B' || second?.value === 'where')
      );
    },
  },
  {
    // `LENGTH(load_file('/etc/passwd'))`, `1 and 0<benchmark(5,md5(1))`: a delay, file or
    // extraction call anywhere in the window, with SQL arguments.
    technique: 'high-risk SQL function call',
    shape: /f\((?:\)|[1sv](?:[),o]|$)|[f(Ev]|$)/,
    scope: 'any',
    also: (tokens) =>
      tokens.some((t, i) => t.cls === 'f' && HIGH_RISK_FUNCTIONS.has(t.value) && tokens[i + 1]?.cls === '('),
  },
  {
    // `ascii(substring(version() from 1))`, `' and user()='root`: server reconnaissance.
    technique: 'server fingerprinting call',
    shape: /(?:^|[(o&,Ek])f\(\)/,
    scope: 'any',
    also: (tokens) =>
      tokens.some(
        (t, i) =>
          t.cls === 'f' &&
          FINGERPRINT_FUNCTIONS.has(t.value) &&
          tokens[i + 1]?.cls === '(' &&
          tokens[i + 2]?.cls === ')',
      ),
  },
  {
    // `' select @@version`, `' select(...)`: SQL Server runs a statement placed right after the
    // literal with no separator.
    technique: 'statement after closing the literal',
    shape: /^s\)*E[vf]/,
    scope: 'quoted',
    also: (tokens) => isSelect(tokens.find((t) => t.cls === 'E')),
  },
  {
    // `(load_file(`, `sleep(`, `extractvalue(` at the start of the value.
    technique: 'high-risk SQL function call',
    shape: /^\(*f\((?:$|[1sv](?:[),o]|$)|[f(Ev])/,
    scope: 'any',
    also: (tokens) => HIGH_RISK_FUNCTIONS.has(tokens.find((t) => t.cls === 'f')?.value ?? ''),
  },
  {
    // `x" sleep(10) "`: a call placed right after the closed literal.
    technique: 'function call after closing the literal',
    shape: /^s\)*f\(/,
    scope: 'quoted',
  },
  {
    // `' ORDER BY 5--`, `1 GROUP BY 1,2`, `' HAVING 1=1`
    technique: 'result-shaping clause appended to the value',
    shape: /^[s1]\)*B[1nv(]/,
    scope: 'any',
  },
  {
    // `'; WAITFOR DELAY '0:0:5'`, `')waitfor delay'5:0:20'`
    technique: 'time delay statement',
    shape: /T[s1(]/,
    scope: 'any',
  },
  {
    // `" | type %x% | "`: the literal is closed and piped into an expression (`|` is bitwise
    // or in MySQL, and no product name or path puts it after a quote). `+` is left to the
    // function and sub-query rule: `4'+X+4'` is a size.
    technique: 'expression built after closing the literal',
    shape: /^s\)*o[1nsv]o/,
    scope: 'quoted',
    also: (tokens) => {
      const first = tokens.find((t) => t.cls === 'o' || t.cls === '&');
      return first?.value === '|';
    },
  },
  {
    // `or 1=1`, `) or (1=1`, `|| sleep(5)`: the value slot already held the left operand.
    technique: 'predicate starting with a connective',
    shape: /^\)*&(?:[1snv]o[1snv(]|f\(|\(+[E1sf])/,
    scope: 'any',
    also: connectedPredicateIsSql,
  },
  {
    // `sleep(20)`, `version()`, `benchmark(10000000,md5(1))` as the whole value.
    technique: 'SQL function call as the value',
    shape: /^f\((?:\)|[1sv](?:[)o]|$))/,
    scope: 'any',
  },
  {
    // `SELECT * FROM`, `SELECT version()`, `SELECT @@version`, `SELECT 1,2,3--`
    technique: 'SELECT statement as the value',
    shape: /^\(*E(?:ok|f\(|v|\(|1(?:,1)*(?:c|U|$))/,
    scope: 'any',
    also: (tokens) => tokens.find((t) => t.cls === 'E')?.value === 'select',
  },
];

const MAY_MATCH = /[o&UETBfc;(vk]/;

/**
 * Streams the rest of the input looking for UNION [ALL|DISTINCT] [(...] SELECT: the one
 * shape strong enough to count wherever it appears, since prose does not put these two
 * keywords together. Comments in between are whitespace, as MySQL reads them.
 */
export function unionSelectAhead(tokenizer: SqlTokenizer): boolean {
  let afterUnion = false;
  for (let token = tokenizer.next(); token !== undefined; token = tokenizer.next()) {
    if (token.cls === 'c') continue;
    if (afterUnion && token.cls === 'E' && token.value === 'select') return true;
    if (token.cls === 'U') afterUnion = token.value.startsWith('union');
    else if (!(afterUnion && (token.cls === '(' || (token.cls === 'k' && token.value === 'all')))) afterUnion = false;
  }
  return false;
}

/**
 * Which rules' shapes a subject (fingerprint, `~` when the window ended early) matches, per
 * scope. A shape is a pure function of the subject, and real traffic produces few distinct
 * subjects (`n`, `1no1`, `nonn1n`...), so the answer is kept and the rules' regexes run once per
 * subject instead of once per value. Bounded: when full, the cache starts over, so crafted inputs
 * with ever new fingerprints cost what they cost without it.
 */
const SHAPE_CACHE_LIMIT = 4096;
const NO_SHAPES: readonly number[] = [];
const shapesAnyScope = new Map<string, readonly number[]>();
const shapesQuoted = new Map<string, readonly number[]>();

function matchingShapes(subject: string, quoted: boolean): readonly number[] {
  const cache = quoted ? shapesQuoted : shapesAnyScope;
  let hits = cache.get(subject);
  if (hits === undefined) {
    const found: number[] = [];
    for (let i = 0; i < RULES.length; i++) {
      const rule = RULES[i] as Rule;
      if ((quoted || rule.scope === 'any') && rule.shape.test(subject)) found.push(i);
    }
    hits = found.length === 0 ? NO_SHAPES : found;
    if (cache.size >= SHAPE_CACHE_LIMIT) cache.clear();
    cache.set(subject, hits);
  }
  return hits;
}

/**
 * Whether some rule's shape matches this as-is fingerprint (`complete`: the window reached the end
 * of the input). When none does, classify answers undefined whatever the tokens behind it, since
 * every rule needs its shape to match before its token check runs.
 */
export function anyAsIsShape(fingerprint: string, complete: boolean): boolean {
  if (!MAY_MATCH.test(fingerprint)) return false;
  return matchingShapes(complete ? fingerprint : `${fingerprint}~`, false).length > 0;
}

/** The technique the folded sequence matches, or undefined when it is not injection-shaped. */
export function classify(sequence: FoldedSequence, context: QuoteContext): string | undefined {
  // Every rule needs an operator, connective, statement, clause, call, comment, `;`, `(`,
  // variable or keyword: prose (`nnnnnnnn`) is settled without running them.
  if (!MAY_MATCH.test(sequence.fingerprint)) return undefined;
  // A trailing marker keeps `$` from matching where the window ended before the input did.
  const subject = sequence.complete ? sequence.fingerprint : `${sequence.fingerprint}~`;
  // In rule order: the first rule whose shape and token check both hold names the technique.
  for (const index of matchingShapes(subject, context !== 'none')) {
    const rule = RULES[index] as Rule;
    if (rule.also === undefined || rule.also(sequence.tokens)) return rule.technique;
  }
  return undefined;
}
