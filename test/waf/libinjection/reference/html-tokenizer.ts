/**
 * A subset of the HTML Living Standard tokenizer (§13.2.5 "Tokenization"): enough to find the
 * tags, attributes and comments a browser would build from an input, wherever in a page the
 * input lands. Character references are not decoded (the WAF's t:htmlEntityDecode does that
 * before the operator runs) and no tree is built: this only reports what it meets.
 */

/**
 * Where the input starts: in text (data state), or inside an attribute value the page opened
 * with `"`, `'` or no quote. In an attribute context the input can close the value and go on
 * to add attributes to the page's own tag.
 */
export type HtmlContext = 'data' | 'attr-double' | 'attr-single' | 'attr-unquoted';

export interface HtmlVisitor {
  /** A start tag's name as written (not lower-cased). Return true to stop scanning. */
  startTag(name: string): boolean;
  /**
   * An attribute of a start tag that has a value (`name=value`). Attributes without `=` are
   * not reported: they carry no script or URL.
   */
  attribute(name: string, value: string): boolean;
  /** `<!-- -->` content, or the body of a bogus comment (`<?...>`, `<!x...>`). */
  comment(text: string, bogus: boolean): boolean;
}

function isHtmlSpace(c: number): boolean {
  // §13.2.5.32: TAB, LF, FF, CR, SPACE.
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

function isAsciiAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/**
 * Scans `input` from `context`, calling the visitor for each tag, attribute and comment.
 * Returns true as soon as the visitor does. One forward pass: every byte is consumed once.
 *
 * `dataStates` (one byte per input byte) lets several passes share work: the `data` pass
 * marks every position it crossed in the data state, and a later pass that reaches the data
 * state at a marked position stops there, since the tokenizer's state is then the same and
 * the data pass already saw everything that follows without the visitor stopping it.
 */
export function scanHtml(input: string, context: HtmlContext, visitor: HtmlVisitor, dataStates?: Uint8Array): boolean {
  const s = input;
  const n = s.length;
  let i = 0;
  // Inside a tag (start or end), the attribute scanner below runs; `reportAttributes` is false
  // for end tags, whose attributes browsers drop.
  let inTag = false;
  let reportAttributes = false;

  if (context !== 'data') {
    const quote = context === 'attr-double' ? '"' : context === 'attr-single' ? "'" : '';
    i = quote === '' ? skipUnquotedValue(s, 0) : closeQuoted(s, 0, quote);
    if (quote !== '' && i > n) return false;
    inTag = true;
    reportAttributes = true;
  }

  while (i < n) {
    if (inTag) {
      const r = scanAttributes(s, i, reportAttributes ? visitor : undefined);
      if (r === STOPPED) return true;
      i = r;
      inTag = false;
      continue;
    }
    // §13.2.5.1 data state: only `<` starts markup.
    const segment = i;
    if (dataStates !== undefined && context !== 'data' && dataStates[i] === 1) return false;
    while (i < n && s.charCodeAt(i) !== 0x3c) i++;
    if (dataStates !== undefined && context === 'data') dataStates.fill(1, segment, i + 1);
    if (i >= n) return false;
    i++;
    const c = s.charCodeAt(i);
    if (isAsciiAlpha(c)) {
      // §13.2.5.8 tag name state
      const end = endOfName(s, i);
      if (visitor.startTag(s.slice(i, end))) return true;
      i = end;
      inTag = true;
      reportAttributes = true;
    } else if (c === 0x2f) {
      // §13.2.5.7 end tag open state
      if (isAsciiAlpha(s.charCodeAt(i + 1))) {
        i = endOfName(s, i + 1);
        inTag = true;
        reportAttributes = false;
      } else if (s.charCodeAt(i + 1) === 0x3e) {
        i += 2;
      } else {
        const r = bogusComment(s, i + 1, visitor);
        if (r === STOPPED) return true;
        i = r;
      }
    } else if (c === 0x21) {
      // §13.2.5.42 markup declaration open state
      if (s.startsWith('--', i + 1)) {
        const [end, next] = commentEnd(s, i + 3);
        if (visitor.comment(s.slice(i + 3, end), false)) return true;
        i = next;
      } else {
        const r = bogusComment(s, i + 1, visitor);
        if (r === STOPPED) return true;
        i = r;
      }
    } else if (c === 0x3f) {
      // §13.2.5.6: `<?` is a bogus comment in HTML (a processing instruction in XML).
      const r = bogusComment(s, i, visitor);
      if (r === STOPPED) return true;
      i = r;
    }
  }
  return false;
}

const STOPPED = -1;

/**
 * Where a comment whose body starts at `from` ends (§13.2.5.43-52): at `-->`, at `--!>`, or
 * at once for `<!-->` and `<!--->`. Returns the end of the body and the index after the
 * comment; each `>` is looked at once.
 */
function commentEnd(s: string, from: number): [number, number] {
  if (s[from] === '>') return [from, from + 1];
  if (s[from] === '-' && s[from + 1] === '>') return [from, from + 2];
  let k = s.indexOf('>', from);
  while (k !== -1) {
    if (k - 2 >= from && s[k - 1] === '-' && s[k - 2] === '-') return [k - 2, k + 1];
    if (k - 3 >= from && s[k - 1] === '!' && s[k - 2] === '-' && s[k - 3] === '-') return [k - 3, k + 1];
    k = s.indexOf('>', k + 1);
  }
  return [s.length, s.length];
}

function endOfName(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isHtmlSpace(c) || c === 0x2f || c === 0x3e) break;
    i++;
  }
  return i;
}

function bogusComment(s: string, from: number, visitor: HtmlVisitor): number {
  const close = s.indexOf('>', from);
  const end = close === -1 ? s.length : close;
  if (visitor.comment(s.slice(from, end), true)) return STOPPED;
  return close === -1 ? s.length : close + 1;
}

/** Index after the closing quote of a value starting at `from`; length+1 when unterminated. */
function closeQuoted(s: string, from: number, quote: string): number {
  const close = s.indexOf(quote, from);
  return close === -1 ? s.length + 1 : close + 1;
}

/** §13.2.5.38 attribute value (unquoted) state: ends at whitespace or `>`. */
function skipUnquotedValue(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isHtmlSpace(c) || c === 0x3e) break;
    i++;
  }
  return i;
}

/**
 * From the before-attribute-name state (§13.2.5.32) to the end of the tag. Returns the index
 * after `>` (or the input length), or STOPPED when the visitor stopped.
 */
function scanAttributes(s: string, i: number, visitor: HtmlVisitor | undefined): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isHtmlSpace(c) || c === 0x2f) {
      // `/` outside a value is the self-closing flag or a parse error; either way it separates.
      i++;
      continue;
    }
    if (c === 0x3e) return i + 1;
    // §13.2.5.33 attribute name state: a leading `=` belongs to the name.
    const nameStart = i;
    i++;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (isHtmlSpace(d) || d === 0x2f || d === 0x3e || d === 0x3d) break;
      i++;
    }
    const nameEnd = i;
    // §13.2.5.34 after attribute name state
    let j = i;
    while (j < n && isHtmlSpace(s.charCodeAt(j))) j++;
    if (s[j] !== '=') {
      i = j;
      continue;
    }
    // §13.2.5.35 before attribute value state
    j++;
    while (j < n && isHtmlSpace(s.charCodeAt(j))) j++;
    const q = s[j];
    let value: string;
    if (q === '"' || q === "'" || q === '`') {
      // The backtick is not a quote in HTML5, but legacy IE engines honoured it.
      const close = s.indexOf(q, j + 1);
      const end = close === -1 ? n : close;
      value = s.slice(j + 1, end);
      i = close === -1 ? n : close + 1;
    } else {
      const end = skipUnquotedValue(s, j);
      value = s.slice(j, end);
      i = end;
    }
    if (visitor?.attribute(s.slice(nameStart, nameEnd), value)) return STOPPED;
  }
  return n;
}
