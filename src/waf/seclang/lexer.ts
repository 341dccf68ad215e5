/** One SecLang directive with where it was written. */
export interface Directive {
  /** Directive name as written (SecRule, Include...). */
  readonly name: string;
  /** Everything after the name, continuation lines joined. */
  readonly rest: string;
  readonly file: string;
  /** Line the directive starts on (1-based). */
  readonly line: number;
  /** The directive as one logical line, for error messages. */
  readonly text: string;
}

/** A SecLang syntax or semantic error, naming the file, the line and the offending text. */
export class SecLangError extends Error {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  constructor(file: string, line: number, text: string, message: string) {
    const excerpt = text.length > 160 ? `${text.slice(0, 157)}...` : text;
    super(`${file}:${line}: ${message} (in: ${excerpt})`);
    this.name = 'SecLangError';
    this.file = file;
    this.line = line;
    this.text = text;
  }
}

/**
 * Splits a configuration file into logical directives.
 *
 * ModSecurity (Apache's config reader, and libmodsecurity's lexer) treats a trailing backslash as
 * a line continuation and `#` at the start of a line as a comment. Lines are trimmed before they
 * are joined, so the indentation of continuation lines never ends up inside an argument; this is
 * what CRS's `"id:1,\` / `    phase:2"` layout relies on.
 */
export function splitDirectives(text: string, file: string): Directive[] {
  const out: Directive[] = [];
  const lines = text.split(/\r?\n/);
  let buffer = '';
  let startLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (buffer === '') {
      if (line === '' || line.startsWith('#')) continue;
      startLine = i + 1;
    } else if (line.startsWith('#')) {
      // A comment inside a continued directive: ModSecurity's lexer skips it as well.
      continue;
    }
    if (line.endsWith('\\')) {
      buffer += line.slice(0, -1);
      continue;
    }
    buffer += line;
    if (buffer !== '') out.push(makeDirective(buffer, file, startLine));
    buffer = '';
  }
  if (buffer !== '') out.push(makeDirective(buffer, file, startLine));
  return out;
}

function makeDirective(text: string, file: string, line: number): Directive {
  const match = /^(\S+)\s*(.*)$/s.exec(text)!;
  return { name: match[1]!, rest: match[2]!, file, line, text };
}

/**
 * Splits directive arguments on white space. A double-quoted argument runs to the first quote
 * preceded by an even number of backslashes; inside it only `\"` is unescaped, every other
 * backslash is kept for the regex or action parser (as libmodsecurity and Coraza do).
 * Throws a plain Error on an unterminated quote.
 */
export function splitArguments(rest: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = rest.length;
  while (i < n) {
    while (i < n && isSpace(rest.charCodeAt(i))) i++;
    if (i >= n) break;
    const quote = rest[i];
    if (quote === '"' || quote === "'") {
      let j = i + 1;
      let backslashes = 0;
      for (; j < n; j++) {
        const c = rest[j];
        if (c === '\\') {
          backslashes++;
          continue;
        }
        if (c === quote && backslashes % 2 === 0) break;
        backslashes = 0;
      }
      if (j >= n) throw new Error(`unterminated ${quote === '"' ? 'double' : 'single'} quote`);
      out.push(unescapeQuote(rest.slice(i + 1, j), quote));
      i = j + 1;
      if (i < n && !isSpace(rest.charCodeAt(i))) throw new Error('missing white space after a quoted argument');
      continue;
    }
    let j = i;
    while (j < n && !isSpace(rest.charCodeAt(j))) j++;
    out.push(rest.slice(i, j));
    i = j;
  }
  return out;
}

function unescapeQuote(text: string, quote: string): string {
  if (!text.includes('\\')) return text;
  return text.replaceAll(`\\${quote}`, quote);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}
