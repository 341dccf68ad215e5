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

/**
 * Byte classes, one table lookup instead of a chain of comparisons per byte. SPACE: NUL,
 * TAB..CR, SPACE, and NBSP, which MySQL also skips between tokens. WORD: letters, digits, `_`,
 * `$` and every byte from 0x80 (NBSP included: inside a word it does not end it). OP_FIRST /
 * OP_SECOND: the bytes that can start, and follow the first byte of, a multi-byte operator.
 */
const SPACE = 1;
const DIGIT = 2;
const WORD = 4;
const HEX = 8;
const OP_FIRST = 16;
const OP_SECOND = 32;
const CLASS = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]) CLASS[c]! |= SPACE;
for (let c = 0x30; c <= 0x39; c++) CLASS[c]! |= DIGIT | WORD | HEX;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c]! |= WORD | (c <= 0x46 ? HEX : 0);
for (let c = 0x61; c <= 0x7a; c++) CLASS[c]! |= WORD | (c <= 0x66 ? HEX : 0);
for (let c = 0x80; c <= 0xff; c++) CLASS[c]! |= WORD;
CLASS[0x5f]! |= WORD;
CLASS[0x24]! |= WORD;
for (const ch of '<>!=-:|&') CLASS[ch.charCodeAt(0)]! |= OP_FIRST;
for (const ch of '<>=!:|&@') CLASS[ch.charCodeAt(0)]! |= OP_SECOND;

/**
 * Class bits of a char code. Codes above 0xff only occur outside byte strings and are word
 * bytes; NaN (a read past the end) has none.
 */
function classOf(c: number): number {
  if (c < 256) return CLASS[c] as number;
  return c > 255 ? WORD : 0;
}

function isSpace(c: number): boolean {
  return c < 256 && ((CLASS[c] as number) & SPACE) !== 0;
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
  return (classOf(c) & WORD) !== 0;
}

function isHexDigit(c: number): boolean {
  return c < 256 && ((CLASS[c] as number) & HEX) !== 0;
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

/** The other tokens whose every field is fixed, shared for the same reason. */
const NUMBER: SqlToken = Object.freeze({ cls: '1', value: '1', closed: true });
const VARIABLE: SqlToken = Object.freeze({ cls: 'v', value: '@', closed: true });
const MYSQL_NULL: SqlToken = Object.freeze({ cls: '1', value: '\\n', closed: true });
const LONG_WORD: SqlToken = Object.freeze({ cls: 'n', value: '', closed: true });
const STRINGS: Readonly<Record<string, readonly [open: SqlToken, closed: SqlToken]>> = {
  "'": [Object.freeze({ cls: 's', value: "'", closed: false }), Object.freeze({ cls: 's', value: "'", closed: true })],
  '"': [Object.freeze({ cls: 's', value: '"', closed: false }), Object.freeze({ cls: 's', value: '"', closed: true })],
};
const MULTI_BYTE_OPERATORS: ReadonlyMap<string, SqlToken> = new Map(
  [...OPERATORS_3, ...OPERATORS_2, ...LOGIC_2].map((op) => [
    op,
    Object.freeze({ cls: LOGIC_2.has(op) ? '&' : 'o', value: op, closed: true }),
  ]),
);
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
    const start = this.#pos;
    if (start >= s.length) return undefined;
    const c = s.charCodeAt(start);
    const bits = classOf(c);
    // Words and numbers first: they are most of what real values hold.
    if ((bits & DIGIT) !== 0) return this.#number(start);
    if ((bits & WORD) !== 0) return this.#word(start);
    const next = s.charCodeAt(start + 1);
    switch (c) {
      case 0x27: // '
        return this.#string(start + 1, "'");
      case 0x22: // "
        return this.#string(start + 1, '"');
      case 0x60: // `
        return this.#delimitedIdentifier(start, '`');
      case 0x5b: // [
        return this.#delimitedIdentifier(start, ']');
      case 0x23: // #
        return this.#lineComment(start);
      case 0x2d: // -
        if (next === 0x2d && startsDashComment(s.charCodeAt(start + 2))) return this.#lineComment(start);
        break;
      case 0x2f: // /
        if (next === 0x2a) return this.#blockComment(start);
        break;
      case 0x2a: // *
        if (next === 0x2f && this.#inExecutableComment) {
          this.#inExecutableComment = false;
          this.#pos = start + 2;
          return null;
        }
        break;
      case 0x40: // @
        if (next === 0x3e) {
          this.#pos = start + 2;
          return MULTI_BYTE_OPERATORS.get('@>') as SqlToken;
        }
        return this.#variable(start);
      case 0x2e: // .
        if (isDigit(next)) return this.#number(start);
        break;
      case 0x5c: // \
        // MySQL spells NULL as \N.
        if (next === 0x4e) {
          this.#pos = start + 2;
          return MYSQL_NULL;
        }
        this.#pos = start + 1;
        return singleByteToken(0x5c);
    }
    return this.#operator(start, c, next);
  }

  #skipSpace(): void {
    const s = this.#s;
    let i = this.#pos;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    this.#pos = i;
  }

  /** A string body starting at `from`; `''` doubles (and, MySQL-style, backslash escapes) do not close it. */
  #string(from: number, quote: "'" | '"', backslashEscapes = true): SqlToken {
    const s = this.#s;
    const q = quote.charCodeAt(0);
    const tokens = STRINGS[quote] as readonly [SqlToken, SqlToken];
    let i = from;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x5c && backslashEscapes) {
        i += 2;
        continue;
      }
      if (c === q) {
        if (s.charCodeAt(i + 1) === q) {
          i += 2;
          continue;
        }
        this.#pos = i + 1;
        return tokens[1];
      }
      i++;
    }
    this.#pos = s.length;
    return tokens[0];
  }

  #delimitedIdentifier(start: number, close: string): SqlToken {
    const end = this.#s.indexOf(close, start + 1);
    this.#pos = end === -1 ? this.#s.length : end + 1;
    return { cls: 'n', value: this.#s[start]!, closed: end !== -1 };
  }

  #lineComment(start: number): SqlToken {
    const end = this.#s.indexOf('\n', start);
    this.#pos = end === -1 ? this.#s.length : end + 1;
    const value = this.#s.charCodeAt(start) === 0x23 ? '#' : '--';
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
    if (s.charCodeAt(start + 2) === 0x21) {
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
    if (end !== -1) {
      const opener = s.indexOf('/*', start + 2);
      if (opener !== -1 && opener < end) return { ...token, nested: true };
    }
    return token;
  }

  #variable(start: number): SqlToken {
    const s = this.#s;
    let i = start + 1;
    if (s.charCodeAt(i) === 0x40) i++;
    const q = s.charCodeAt(i);
    if (q === 0x27 || q === 0x22 || q === 0x60) {
      const end = s.indexOf(s[i]!, i + 1);
      this.#pos = end === -1 ? s.length : end + 1;
    } else {
      const nameStart = i;
      for (;;) {
        const c = s.charCodeAt(i);
        if (i >= s.length || !(isWordChar(c) || c === 0x2e)) break;
        i++;
      }
      // A lone `@` names nothing (`!@#$%`, e-mail-like text): not a variable.
      if (i === nameStart) {
        this.#pos = start + 1;
        return singleByteToken(0x40);
      }
      this.#pos = i;
    }
    return VARIABLE;
  }

  #number(start: number): SqlToken {
    const s = this.#s;
    const n = s.length;
    let i = start;
    const first = s.charCodeAt(i);
    const second = s.charCodeAt(i + 1) | 0x20;
    if (first === 0x30 && second === 0x78 && isHexDigit(s.charCodeAt(i + 2))) {
      i += 2;
      while (i < n && isHexDigit(s.charCodeAt(i))) i++;
    } else if (first === 0x30 && second === 0x62 && (s.charCodeAt(i + 2) & 0xfe) === 0x30) {
      i += 2;
      while ((s.charCodeAt(i) & 0xfe) === 0x30) i++;
    } else {
      while (i < n && isDigit(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) === 0x2e) {
        i++;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
      }
      if ((s.charCodeAt(i) | 0x20) === 0x65) {
        const after = s.charCodeAt(i + 1);
        if (isDigit(after) || after === 0x2b || after === 0x2d) {
          i += 2;
          while (i < n && isDigit(s.charCodeAt(i))) i++;
        }
      }
    }
    this.#pos = i;
    return NUMBER;
  }

  #word(start: number): SqlToken {
    const s = this.#s;
    const n = s.length;
    let i = start;
    for (;;) {
      while (i < n && isWordChar(s.charCodeAt(i))) i++;
      // Qualified names (schema.table, package.function) are one name.
      if (s.charCodeAt(i) !== 0x2e) break;
      const after = s.charCodeAt(i + 1);
      if (!isWordChar(after) || isDigit(after)) break;
      i++;
    }
    const length = i - start;
    const first = s.charCodeAt(start);
    if (length === 1 && s.charCodeAt(i) === 0x27) {
      // N'..' (national), X'..' / B'..' (hex, bit), E'..' (PostgreSQL escapes).
      const letter = first | 0x20;
      if (first < 0x80 && (letter === 0x6e || letter === 0x78 || letter === 0x62 || letter === 0x65)) {
        return this.#string(i + 1, "'");
      }
    }
    this.#pos = i;
    if (length > MAX_WORD_LOOKUP) return LONG_WORD;
    const raw = s.slice(start, i).toLowerCase();
    if (!WORD_KEYS.has(wordKey(length, first, s.charCodeAt(i - 1)))) return { cls: 'n', value: raw, closed: true };

    if (SQL_FUNCTIONS.has(raw) && this.#nextNonSpace() === 0x28) return { cls: 'f', value: raw, closed: true };
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

  /** The char code of the next byte that is not whitespace, NaN at the end. */
  #nextNonSpace(): number {
    const s = this.#s;
    let i = this.#pos;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    return s.charCodeAt(i);
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

  #operator(start: number, c: number, next: number): SqlToken {
    // Only pairs that can begin a longer operator need the lookups below.
    if ((classOf(c) & OP_FIRST) !== 0 && next < 256 && ((CLASS[next] as number) & OP_SECOND) !== 0) {
      const s = this.#s;
      const three = MULTI_BYTE_OPERATORS.get(s.slice(start, start + 3));
      if (three !== undefined && three.value.length === 3) {
        this.#pos = start + 3;
        return three;
      }
      const two = MULTI_BYTE_OPERATORS.get(s.slice(start, start + 2));
      if (two !== undefined) {
        this.#pos = start + 2;
        return two;
      }
    }
    this.#pos = start + 1;
    return singleByteToken(c);
  }
}
