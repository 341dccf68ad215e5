import { SQL_FUNCTIONS, SQL_WORD_PAIRS, SQL_WORDS, type SqlTokenClass, WORD_KEYS, wordKey } from './sqli-keywords.js';

/**
 * Where the input is assumed to land in the application's query: as-is (a number or an
 * identifier), or inside a string literal opened by `'` or `"` that the input may close.
 */
export type QuoteContext = 'none' | "'" | '"';

export interface SqlToken {
  readonly cls: SqlTokenClass;
  /** Lower-cased word, operator text, or the opening quote of a string. */
  readonly value: string;
  /** For strings: a closing quote was found. For comments: the comment was terminated. */
  readonly closed: boolean;
  /** For comments: the body contains a `'` or `"`, so it swallows more quoted text. */
  readonly quoted?: boolean;
  /** For comments: the body is at most one short word and holds no quote (`--`, `-- -`, `#x`). */
  readonly truncating?: boolean;
  /**
   * For block comments: a second opener comes before the comment closes (`a/*b/*c*\/`; the
   * opener may share its star with the closer, as in the path `/*` `/*` `/`). PostgreSQL
   * nests block comments, MySQL and SQL Server do not, so the databases disagree on where the
   * comment ends and what after it is code: an evasion, never a plain value.
   */
  readonly nested?: boolean;
}

/** Longer than every word in the tables: no lower-casing of long runs of text. */
const MAX_WORD_LOOKUP = 40;

const OPERATORS_3 = new Set(['<=>', '->>']);
// `@>` and `<@` are PostgreSQL containment (arrays, JSON, ranges).
const OPERATORS_2 = new Set(['<>', '<=', '>=', '!=', '!<', '!>', '<<', '>>', ':=', '::', '->', '==', '@>', '<@']);
const LOGIC_2 = new Set(['&&', '||']);
const OPERATORS_1 = new Set(['=', '<', '>', '+', '-', '*', '/', '%', '^', '|', '&', '~', '!']);
const PUNCTUATION: ReadonlyMap<string, SqlTokenClass> = new Map<string, SqlTokenClass>([
  ['(', '('],
  [')', ')'],
  [',', ','],
  [';', ';'],
  ['.', '.'],
  [':', ':'],
  ['{', '{'],
  ['}', '}'],
]);
/** Single letters that prefix a string literal: N'..' (national), X'..' / B'..' (hex, bit), E'..' (PostgreSQL escapes). */
const STRING_PREFIXES = new Set(['n', 'x', 'b', 'e']);

function isSpace(c: number): boolean {
  // NUL, TAB..CR, SPACE, and NBSP, which MySQL also skips between tokens.
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x00 || c === 0xa0;
}

/**
 * `--` starts a comment when followed by the end, whitespace or a control byte (MySQL's rule),
 * or by a letter, digit, `+`, `#` or `!` (SQL Server, PostgreSQL and SQLite need nothing after
 * it; those are the bytes injections put there). Before `-` or a quote it is taken as two
 * minus signs: `-----BEGIN` and `'--'` are not comments anyone relies on.
 */
function startsDashComment(next: number): boolean {
  if (Number.isNaN(next) || next <= 0x20) return true;
  return isWordChar(next) || next === 0x2b || next === 0x23 || next === 0x21;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isWordChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x5f || c === 0x24 || c >= 0x80;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * Tokens of one byte are immutable and the same every time: one object per byte value, so
 * that long runs (`((((`, `- - -`) cost no allocation.
 */
const SINGLE_BYTE_TOKENS: SqlToken[] = [];

function singleByteToken(code: number): SqlToken {
  let token = SINGLE_BYTE_TOKENS[code];
  if (token === undefined) {
    const ch = String.fromCharCode(code);
    const cls: SqlTokenClass = OPERATORS_1.has(ch) ? 'o' : (PUNCTUATION.get(ch) ?? '?');
    token = Object.freeze({ cls, value: ch, closed: true });
    SINGLE_BYTE_TOKENS[code] = token;
  }
  return token;
}

/**
 * A single forward pass over a byte string, producing SQL tokens on demand. Every byte is
 * looked at a bounded number of times, so tokenizing is linear in the input length.
 */
export class SqlTokenizer {
  readonly #s: string;
  #pos = 0;
  #pendingContext: QuoteContext;
  /** Inside MySQL's `/*! ... *\/`, whose content MySQL executes as code. */
  #inExecutableComment = false;

  constructor(input: string, context: QuoteContext) {
    this.#s = input;
    this.#pendingContext = context;
  }

  get atEnd(): boolean {
    this.#skipSpace();
    return this.#pos >= this.#s.length;
  }

  next(): SqlToken | undefined {
    for (;;) {
      const token = this.#lex();
      // null: bytes that MySQL treats as code markers, not tokens (`/*!`, its closing `*/`).
      if (token !== null) return token;
    }
  }

  #lex(): SqlToken | undefined | null {
    if (this.#pendingContext !== 'none') {
      // The application already opened the string: it runs from the first byte to the first
      // unescaped matching quote.
      const quote = this.#pendingContext;
      this.#pendingContext = 'none';
      // Read the ANSI way (backslash is an ordinary byte): PostgreSQL, SQLite, SQL Server and
      // Oracle end the literal at `\'`, and the reading that closes it is the one to check.
      return this.#string(0, quote, false);
    }
    this.#skipSpace();
    const s = this.#s;
    if (this.#pos >= s.length) return undefined;
    const start = this.#pos;
    const c = s.charCodeAt(start);
    const ch = s[start]!;

    if (ch === "'" || ch === '"') return this.#string(start + 1, ch);
    if (ch === '`') return this.#delimitedIdentifier(start, '`');
    if (ch === '[') return this.#delimitedIdentifier(start, ']');
    if (ch === '#') return this.#lineComment(start);
    if (ch === '-' && s[start + 1] === '-' && startsDashComment(s.charCodeAt(start + 2)))
      return this.#lineComment(start);
    if (ch === '/' && s[start + 1] === '*') return this.#blockComment(start);
    if (ch === '*' && s[start + 1] === '/' && this.#inExecutableComment) {
      this.#inExecutableComment = false;
      this.#pos = start + 2;
      return null;
    }
    if (ch === '@' && s[start + 1] === '>') {
      this.#pos = start + 2;
      return { cls: 'o', value: '@>', closed: true };
    }
    if (ch === '@') return this.#variable(start);
    if (isDigit(c) || (ch === '.' && isDigit(s.charCodeAt(start + 1)))) return this.#number(start);
    if (isWordChar(c)) return this.#word(start);
    if (ch === '\\') {
      // MySQL spells NULL as \N.
      if (s[start + 1] === 'N') {
        this.#pos = start + 2;
        return { cls: '1', value: '\\n', closed: true };
      }
      this.#pos = start + 1;
      return { cls: '?', value: '\\', closed: true };
    }
    return this.#operator(start, ch);
  }

  #skipSpace(): void {
    const s = this.#s;
    while (this.#pos < s.length && isSpace(s.charCodeAt(this.#pos))) this.#pos++;
  }

  /** A string body starting at `from`; `''` doubles (and, MySQL-style, backslash escapes) do not close it. */
  #string(from: number, quote: string, backslashEscapes = true): SqlToken {
    const s = this.#s;
    let i = from;
    while (i < s.length) {
      const ch = s[i];
      if (ch === '\\' && backslashEscapes) {
        i += 2;
        continue;
      }
      if (ch === quote) {
        if (s[i + 1] === quote) {
          i += 2;
          continue;
        }
        this.#pos = i + 1;
        return { cls: 's', value: quote, closed: true };
      }
      i++;
    }
    this.#pos = s.length;
    return { cls: 's', value: quote, closed: false };
  }

  #delimitedIdentifier(start: number, close: string): SqlToken {
    const end = this.#s.indexOf(close, start + 1);
    this.#pos = end === -1 ? this.#s.length : end + 1;
    return { cls: 'n', value: this.#s[start]!, closed: end !== -1 };
  }

  #lineComment(start: number): SqlToken {
    const end = this.#s.indexOf('\n', start);
    this.#pos = end === -1 ? this.#s.length : end + 1;
    const value = this.#s[start] === '#' ? '#' : '--';
    return this.#comment(value, start + value.length, end === -1 ? this.#s.length : end, true);
  }

  /** A comment token; looks at its body once to tell truncation from quoted text. */
  #comment(value: string, from: number, to: number, closed: boolean): SqlToken {
    const s = this.#s;
    let quoted = false;
    let words = 0;
    let inWord = false;
    let length = 0;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x27 || c === 0x22) quoted = true;
      if (isSpace(c)) {
        inWord = false;
        continue;
      }
      length++;
      if (!inWord) words++;
      inWord = true;
    }
    return { cls: 'c', value, closed, quoted, truncating: !quoted && words <= 1 && length <= 24 };
  }

  #blockComment(start: number): SqlToken | null {
    const s = this.#s;
    if (s[start + 2] === '!') {
      // MySQL executes `/*!code*/` (optionally `/*!50000code*/`, version-gated): what is
      // inside is SQL, not a comment.
      let i = start + 3;
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      this.#pos = i;
      this.#inExecutableComment = true;
      return null;
    }
    const end = s.indexOf('*/', start + 2);
    this.#pos = end === -1 ? s.length : end + 2;
    const token = this.#comment('/*', start + 2, end === -1 ? s.length : end, end !== -1);
    // The second opener may share its star with the closer (libinjection counts it too).
    if (end !== -1 && s.slice(start + 2, end + 1).includes('/*')) return { ...token, nested: true };
    return token;
  }

  #variable(start: number): SqlToken {
    const s = this.#s;
    let i = start + 1;
    if (s[i] === '@') i++;
    const q = s[i];
    if (q === "'" || q === '"' || q === '`') {
      const end = s.indexOf(q, i + 1);
      this.#pos = end === -1 ? s.length : end + 1;
    } else {
      const nameStart = i;
      while (i < s.length && (isWordChar(s.charCodeAt(i)) || s[i] === '.')) i++;
      // A lone `@` names nothing (`!@#$%`, e-mail-like text): not a variable.
      if (i === nameStart) {
        this.#pos = start + 1;
        return singleByteToken(0x40);
      }
      this.#pos = i;
    }
    return { cls: 'v', value: '@', closed: true };
  }

  #number(start: number): SqlToken {
    const s = this.#s;
    let i = start;
    const second = s[i + 1];
    if (s[i] === '0' && (second === 'x' || second === 'X') && isHexDigit(s.charCodeAt(i + 2))) {
      i += 2;
      while (i < s.length && isHexDigit(s.charCodeAt(i))) i++;
    } else if (s[i] === '0' && (second === 'b' || second === 'B') && (s[i + 2] === '0' || s[i + 2] === '1')) {
      i += 2;
      while (s[i] === '0' || s[i] === '1') i++;
    } else {
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      if (s[i] === '.') {
        i++;
        while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      }
      if ((s[i] === 'e' || s[i] === 'E') && (isDigit(s.charCodeAt(i + 1)) || /[+-]/.test(s[i + 1] ?? ''))) {
        i += 2;
        while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      }
    }
    this.#pos = i;
    return { cls: '1', value: '1', closed: true };
  }

  #word(start: number): SqlToken {
    const s = this.#s;
    let i = start;
    for (;;) {
      while (i < s.length && isWordChar(s.charCodeAt(i))) i++;
      // Qualified names (schema.table, package.function) are one name.
      if (s[i] === '.' && isWordChar(s.charCodeAt(i + 1)) && !isDigit(s.charCodeAt(i + 1))) i++;
      else break;
    }
    if (i - start === 1 && s[i] === "'" && STRING_PREFIXES.has(s[start]!.toLowerCase())) {
      return this.#string(i + 1, "'");
    }
    this.#pos = i;
    if (i - start > MAX_WORD_LOOKUP) return { cls: 'n', value: '', closed: true };
    const raw = s.slice(start, i).toLowerCase();
    if (!WORD_KEYS.has(wordKey(i - start, s.charCodeAt(start), s.charCodeAt(i - 1)))) {
      return { cls: 'n', value: raw, closed: true };
    }

    if (SQL_FUNCTIONS.has(raw) && this.#nextNonSpace() === '(') return { cls: 'f', value: raw, closed: true };
    const pair = SQL_WORD_PAIRS.get(raw);
    if (pair !== undefined) {
      const second = this.#peekWord();
      if (second !== undefined && pair.next.has(second.word)) {
        this.#pos = second.end;
        return { cls: pair.cls, value: `${raw} ${second.word}`, closed: true };
      }
    }
    return { cls: SQL_WORDS.get(raw) ?? 'n', value: raw, closed: true };
  }

  #nextNonSpace(): string | undefined {
    let i = this.#pos;
    while (i < this.#s.length && isSpace(this.#s.charCodeAt(i))) i++;
    return this.#s[i];
  }

  #peekWord(): { word: string; end: number } | undefined {
    const s = this.#s;
    let i = this.#pos;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    const start = i;
    while (i < s.length && i - start <= MAX_WORD_LOOKUP && isWordChar(s.charCodeAt(i))) i++;
    if (i === start) return undefined;
    return { word: s.slice(start, i).toLowerCase(), end: i };
  }

  #operator(start: number, ch: string): SqlToken {
    const s = this.#s;
    const second = s[start + 1];
    // Only pairs that can begin a longer operator need the lookups below.
    if (second !== undefined && '<>!=-:|&'.includes(ch) && '<>=!:|&@'.includes(second)) {
      const three = s.slice(start, start + 3);
      if (OPERATORS_3.has(three)) {
        this.#pos = start + 3;
        return { cls: 'o', value: three, closed: true };
      }
      const two = s.slice(start, start + 2);
      if (LOGIC_2.has(two)) {
        this.#pos = start + 2;
        return { cls: '&', value: two, closed: true };
      }
      if (OPERATORS_2.has(two)) {
        this.#pos = start + 2;
        return { cls: 'o', value: two, closed: true };
      }
    }
    this.#pos = start + 1;
    return singleByteToken(s.charCodeAt(start));
  }
}
