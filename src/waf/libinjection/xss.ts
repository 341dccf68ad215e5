import { type HtmlContext, type HtmlVisitor, scanHtml } from './html-tokenizer.js';

/**
 * Elements whose mere presence lets markup run script or pull in active content, so an input
 * that opens one is an attack whatever its attributes: script; the frame family and the plugin
 * family (load any URL, `javascript:` included); base (retargets every relative URL of the
 * page); link, meta and style (style sheets with script, `http-equiv=refresh` to a script URL);
 * svg and math (switch the parser to foreign content, where script and handlers hide in
 * namespaced forms); and legacy IE / SVG 1.2 elements that bound script (xml, import, isindex,
 * handler, listener, vmlframe).
 */
const DANGEROUS_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'base',
  'link',
  'meta',
  'style',
  'svg',
  'math',
  'xml',
  'import',
  'isindex',
  'handler',
  'listener',
  'vmlframe',
]);

/** Attributes a browser dereferences as a URL (HTML, SVG animation values, legacy IE). */
const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'data',
  'background',
  'poster',
  'codebase',
  'code',
  'classid',
  'archive',
  'dynsrc',
  'lowsrc',
  'longdesc',
  'cite',
  'usemap',
  'ping',
  'srcset',
  'manifest',
  'icon',
  'profile',
  'xlink:href',
  'values',
  'to',
  'from',
  'by',
  'content',
]);

/** Schemes whose URL is script text run in the page's origin. */
const SCRIPT_SCHEMES = new Set(['javascript', 'vbscript', 'livescript']);

/**
 * `data:` media types a browser renders as a document or runs as script. Raster images, audio
 * and video in a data URL are inert; an absent type is text/plain, but a script element
 * executes it (`<script src="data:,alert(1)">`), so it counts too.
 */
const ACTIVE_DATA_TYPES = new Set([
  '',
  'text/html',
  'text/xml',
  'application/xml',
  'application/xhtml+xml',
  'image/svg+xml',
  'text/javascript',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'text/ecmascript',
  'text/vbscript',
]);

/** The longest scheme or media type worth reading before giving up. */
const MAX_SCHEME = 32;

function localName(name: string): string {
  const lower = name.length <= 64 ? name.toLowerCase() : '';
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(colon + 1);
}

/**
 * The scheme of a URL as the URL parser sees it (WHATWG URL §4.4 "basic URL parser"): leading
 * C0 controls and spaces are stripped, and tabs and newlines are removed anywhere, so
 * `\tjava\nscript:` is `javascript:`. Returns the lower-cased scheme and where the rest starts.
 */
function urlScheme(value: string): { scheme: string; rest: number } | undefined {
  let i = 0;
  for (;;) {
    const c = value.charCodeAt(i);
    if (c <= 0x20) {
      i++;
      continue;
    }
    // `&#32;javascript:` is a space once the attribute value is decoded.
    const ref = c === 0x26 ? characterReference(value, i + 1) : undefined;
    if (ref !== undefined && ref.code <= 0x20) {
      i = ref.end;
      continue;
    }
    break;
  }
  if (value[i] === '`') i++;
  // Most values have no scheme at all: find where the run of scheme bytes ends without building
  // anything, and only spell the scheme out when a `:` ends the run. A character reference or a
  // removed tab or newline inside the run takes the byte-by-byte reading below.
  const start = i;
  let end = start;
  while (end < value.length && end - start <= MAX_SCHEME && isSchemeByte(value.charCodeAt(end))) end++;
  const stop = value.charCodeAt(end);
  if (end - start > MAX_SCHEME || end >= value.length) return undefined;
  if (stop === 0x3a) return { scheme: value.slice(start, end).toLowerCase(), rest: end + 1 };
  if (stop !== 0x26 && stop !== 0x09 && stop !== 0x0a && stop !== 0x0d) return undefined;
  let scheme = '';
  while (i < value.length && scheme.length <= MAX_SCHEME) {
    let c = value.charCodeAt(i);
    i++;
    if (c === 0x26) {
      // Attribute values are decoded before the URL parser sees them (HTML §13.2.5.72): an
      // input that skipped t:htmlEntityDecode still spells `java&#x09;script:` this way.
      const ref = characterReference(value, i);
      if (ref !== undefined) {
        c = ref.code;
        i = ref.end;
      }
    }
    if (c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c === 0x3a) return { scheme: scheme.toLowerCase(), rest: i };
    if (!isSchemeByte(c)) return undefined;
    scheme += String.fromCharCode(c);
  }
  return undefined;
}

/** ASCII letters, digits, `+`, `-` and `.` (WHATWG URL §4.4 scheme state). */
function isSchemeByte(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e
  );
}

const NAMED_REFERENCES: ReadonlyMap<string, number> = new Map([
  ['tab', 0x09],
  ['newline', 0x0a],
  ['colon', 0x3a],
]);

/** A numeric or URL-relevant named character reference starting after `&`. */
function characterReference(s: string, i: number): { code: number; end: number } | undefined {
  let j = i;
  let code = 0;
  if (s[j] === '#') {
    j++;
    const hex = s[j] === 'x' || s[j] === 'X';
    if (hex) j++;
    const start = j;
    while (j < s.length && j - start < 8) {
      const d = Number.parseInt(s[j]!, hex ? 16 : 10);
      if (Number.isNaN(d)) break;
      code = code * (hex ? 16 : 10) + d;
      j++;
    }
    if (j === start) return undefined;
  } else {
    const start = j;
    while (j < s.length && j - start < 8 && /[a-zA-Z]/.test(s[j]!)) j++;
    const named = NAMED_REFERENCES.get(s.slice(start, j).toLowerCase());
    if (named === undefined) return undefined;
    code = named;
  }
  if (s[j] === ';') j++;
  return { code, end: j };
}

function isActiveUrl(value: string): boolean {
  const parsed = urlScheme(value);
  if (parsed === undefined) return false;
  if (SCRIPT_SCHEMES.has(parsed.scheme)) return true;
  if (parsed.scheme !== 'data') return false;
  // RFC 2397: data:[<mediatype>][;base64],<data>
  let type = '';
  for (let i = parsed.rest; i < value.length && type.length <= MAX_SCHEME; i++) {
    const ch = value[i]!;
    if (ch === ',' || ch === ';') break;
    if (ch.charCodeAt(0) > 0x20) type += ch;
  }
  return ACTIVE_DATA_TYPES.has(type.toLowerCase());
}

/**
 * CSS that runs script: IE's `expression()` and `behavior` (HTC files), Firefox's
 * `-moz-binding` (XBL), `@import` and `url()` of a script URL. Comments and escapes are removed
 * first, since CSS ignores comments between tokens and `\65 xpression` spells `expression`
 * after the WAF's t:cssDecode.
 */
function isActiveCss(value: string): boolean {
  let css = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '/' && value[i + 1] === '*') {
      const end = value.indexOf('*/', i + 2);
      if (end === -1) break;
      i = end + 1;
      continue;
    }
    if (ch === '\\' || value.charCodeAt(i) <= 0x20) continue;
    css += ch;
  }
  css = css.toLowerCase();
  return (
    css.includes('expression(') ||
    css.includes('behavior:') ||
    css.includes('behaviour:') ||
    css.includes('-moz-binding') ||
    css.includes('@import') ||
    css.includes('javascript:') ||
    css.includes('vbscript:')
  );
}

/**
 * Decides on each thing the HTML tokenizer reports. Stops (returns true) at the first sign of
 * script: a dangerous element, an event-handler attribute with a value, a script URL where a
 * URL is dereferenced, active CSS, a namespace declaration, or an IE conditional comment.
 */
const VERDICT: HtmlVisitor = {
  startTag(name) {
    // `<x:script xmlns:x="http://www.w3.org/1999/xhtml">` is a script element in XHTML, and
    // XSLT elements (`xsl:`) can emit any markup.
    const local = localName(name);
    return DANGEROUS_TAGS.has(local) || (local !== name.toLowerCase() && /^xsl:/i.test(name));
  },
  attribute(name, value) {
    const lower = name.length <= 64 ? name.toLowerCase() : '';
    // Every on* attribute with a value is an event handler (HTML §8.1.8.2); browsers keep
    // adding events, so no list of names can be complete.
    if (lower.length > 2 && lower.startsWith('on')) return value.trim() !== '';
    if (lower === 'xmlns' || lower.startsWith('xmlns:')) return true;
    if (lower === 'style') return isActiveCss(value);
    if (lower === 'srcdoc') return value.includes('<');
    // SVG animation can set any attribute: `<set attributeName=onmouseover to=alert(1)>`,
    // or retarget a link, whose new value then comes from `to` / `values`.
    if (lower === 'attributename') {
      const target = value.trim().toLowerCase();
      return target.startsWith('on') || target === 'href' || target === 'xlink:href';
    }
    // IE data binding renders the bound field as HTML.
    if (lower === 'dataformatas') return value.trim().toLowerCase() === 'html';
    if (URL_ATTRIBUTES.has(lower) || URL_ATTRIBUTES.has(localName(name))) return isActiveUrl(value);
    return false;
  },
  comment(text, bogus) {
    const head = text.slice(0, MAX_SCHEME).toLowerCase();
    // IE conditional comments (`<!--[if IE]>`, `<![if ...]>`) are parsed as markup by IE;
    // `<?import>` binds an HTC behaviour, `<?xml-stylesheet>` applies XSLT in XML documents.
    // A DTD internal subset (`<!DOCTYPE x [`, `<!ENTITY`, `<!ATTLIST`) declares entities and
    // default attributes (xmlns, on*) for the XML parser.
    if (bogus) {
      return (
        head.startsWith('[if') ||
        head.startsWith('?import') ||
        head.startsWith('?xml-stylesheet') ||
        head.startsWith('entity') ||
        head.startsWith('attlist') ||
        (head.startsWith('doctype') && text.includes('['))
      );
    }
    return head.trimStart().startsWith('[if');
  },
};

/** Order matters only for speed: text first, then the attribute contexts. */
const CONTEXTS: readonly HtmlContext[] = ['data', 'attr-double', 'attr-single', 'attr-unquoted'];

/**
 * Detects cross-site scripting: scans the input as HTML from each place it could land in a
 * page (text, or an attribute value quoted with `"`, `'` or unquoted) and reports whether any
 * reading produces script. The input is a byte string (one char per byte). Linear: each
 * context is one forward pass.
 */
export function detectXSS(input: string): boolean {
  // The input may be a URL the page puts in an href/src: `javascript:alert(1)`.
  if (isActiveScriptUrl(input)) return true;
  // Every other finding is a tag (needs `<`) or an attribute value (needs `=`).
  const hasTag = input.includes('<');
  if (!hasTag && !input.includes('=')) return false;
  // Shared between the passes so that each stops where it rejoins the data pass.
  const dataStates = hasTag ? new Uint8Array(input.length + 1) : undefined;
  for (const context of CONTEXTS) {
    if (context === 'data' && !hasTag) continue;
    if (context === 'attr-double' && !input.includes('"')) continue;
    if (context === 'attr-single' && !input.includes("'")) continue;
    if (scanHtml(input, context, VERDICT, dataStates)) return true;
  }
  return false;
}

/**
 * A whole input that is a script URL. Stricter than in an attribute, since this is text that
 * may be prose: the scheme must be followed directly by script, not by a space
 * (`JavaScript: The Good Parts`).
 */
function isActiveScriptUrl(input: string): boolean {
  const parsed = urlScheme(input);
  if (parsed === undefined || !SCRIPT_SCHEMES.has(parsed.scheme)) return false;
  const next = input.charCodeAt(parsed.rest);
  return parsed.rest < input.length && next > 0x20;
}

export interface XssFinding {
  /** Where the input was read from: the page text, an attribute value, or the whole value as a URL. */
  readonly context: HtmlContext | 'url';
  /** What made it script, e.g. `attribute onerror="alert(1)"`. */
  readonly reason: string;
}

/** Why detectXSS flags the input, for `waf explain` and tests; undefined when it does not. */
export function explainXSS(input: string): XssFinding | undefined {
  if (isActiveScriptUrl(input)) return { context: 'url', reason: 'the value is a script URL' };
  for (const context of CONTEXTS) {
    let reason = '';
    const recorder: HtmlVisitor = {
      startTag(name) {
        if (!VERDICT.startTag(name)) return false;
        reason = `element <${name.slice(0, 64)}>`;
        return true;
      },
      attribute(name, value) {
        if (!VERDICT.attribute(name, value)) return false;
        reason = `attribute ${name.slice(0, 64)}="${value.slice(0, 64)}"`;
        return true;
      },
      comment(text, bogus) {
        if (!VERDICT.comment(text, bogus)) return false;
        reason = `${bogus ? 'markup declaration' : 'comment'} <!${text.slice(0, 64)}>`;
        return true;
      },
    };
    if (scanHtml(input, context, recorder)) return { context, reason };
  }
  return undefined;
}
