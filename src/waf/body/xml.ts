import type { BodyProcessor } from './types.js';

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * XML: a well-formedness check and the values `XML:/*` (text nodes) and `XML://@*` (attribute
 * values) select. ModSecurity hands the body to libxml2; this is a small non-validating
 * tokenizer that never resolves external entities (no XXE) and never recurses.
 */
export const xml: BodyProcessor = (body, _contentType, sink) => {
  const texts: string[] = [];
  const attributes: string[] = [];
  const open: string[] = [];
  let i = 0;
  const n = body.length;
  let sawRoot = false;
  while (i < n) {
    const lt = body.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const text = body.slice(i, textEnd);
      if (open.length === 0) {
        if (text.trim() !== '') return fail('content outside the root element');
      } else {
        const decoded = decodeEntities(text);
        if (decoded === undefined) return fail('invalid entity reference');
        if (decoded.trim() !== '') texts.push(decoded);
      }
    }
    if (lt === -1) break;
    if (body.startsWith('<?', lt)) {
      const end = body.indexOf('?>', lt + 2);
      if (end === -1) return fail('unterminated processing instruction');
      i = end + 2;
    } else if (body.startsWith('<!--', lt)) {
      const end = body.indexOf('-->', lt + 4);
      if (end === -1) return fail('unterminated comment');
      i = end + 3;
    } else if (body.startsWith('<![CDATA[', lt)) {
      const end = body.indexOf(']]>', lt + 9);
      if (end === -1 || open.length === 0) return fail('misplaced or unterminated CDATA section');
      const text = body.slice(lt + 9, end);
      if (text.trim() !== '') texts.push(text);
      i = end + 3;
    } else if (body.startsWith('<!', lt)) {
      // DOCTYPE: skipped whole, internal subset included; entities it declares are never expanded.
      let depth = 0;
      let j = lt + 2;
      for (; j < n; j++) {
        const c = body[j];
        if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      if (j >= n) return fail('unterminated declaration');
      i = j + 1;
    } else if (body[lt + 1] === '/') {
      const end = body.indexOf('>', lt);
      if (end === -1) return fail('unterminated end tag');
      const name = body.slice(lt + 2, end).trim();
      if (open.pop() !== name) return fail(`mismatched end tag </${name}>`);
      i = end + 1;
    } else {
      const tag = readTag(body, lt);
      if (typeof tag === 'string') return fail(tag);
      if (open.length === 0) {
        if (sawRoot) return fail('extra content after the root element');
        sawRoot = true;
      }
      for (const v of tag.attributes) attributes.push(v);
      if (!tag.selfClosing) open.push(tag.name);
      i = tag.end;
    }
  }
  if (!sawRoot) return fail('no root element');
  if (open.length > 0) return fail(`unclosed element <${open[open.length - 1]}>`);
  for (const t of texts) sink.addToCollection('XML', '/*', t);
  for (const a of attributes) sink.addToCollection('XML', '//@*', a);
  return undefined;
};

function fail(reason: string) {
  return { message: `XML parsing error: ${reason}` };
}

interface Tag {
  name: string;
  attributes: string[];
  selfClosing: boolean;
  end: number;
}

function readTag(body: string, lt: number): Tag | string {
  let j = lt + 1;
  const nameMatch = /^[A-Za-z_:\u0080-\u00ff][\w:.\-\u0080-\u00ff]*/.exec(body.slice(j, j + 256));
  if (!nameMatch) return 'invalid element name';
  const name = nameMatch[0];
  j += name.length;
  const attributes: string[] = [];
  const n = body.length;
  for (;;) {
    while (j < n && /\s/.test(body[j]!)) j++;
    if (j >= n) return 'unterminated start tag';
    if (body[j] === '>') return { name, attributes, selfClosing: false, end: j + 1 };
    if (body[j] === '/' && body[j + 1] === '>') return { name, attributes, selfClosing: true, end: j + 2 };
    const attr = /^[A-Za-z_:\u0080-\u00ff][\w:.\-\u0080-\u00ff]*/.exec(body.slice(j, j + 256));
    if (!attr) return 'invalid attribute';
    j += attr[0].length;
    while (j < n && /\s/.test(body[j]!)) j++;
    if (body[j] !== '=') return 'attribute without value';
    j++;
    while (j < n && /\s/.test(body[j]!)) j++;
    const q = body[j];
    if (q !== '"' && q !== "'") return 'unquoted attribute value';
    const close = body.indexOf(q, j + 1);
    if (close === -1) return 'unterminated attribute value';
    const rawValue = body.slice(j + 1, close);
    const value = decodeEntities(rawValue);
    if (value === undefined || rawValue.includes('<')) return 'invalid attribute value';
    attributes.push(value);
    j = close + 1;
  }
}

/** Decodes the predefined and numeric entities; undefined when a reference is malformed. */
function decodeEntities(text: string): string | undefined {
  if (!text.includes('&')) return text;
  let bad = false;
  const out = text.replace(/&([^;&\s]{0,12});?/g, (all, name: string) => {
    if (!all.endsWith(';')) {
      bad = true;
      return all;
    }
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) {
        bad = true;
        return all;
      }
      return Buffer.from(String.fromCodePoint(code), 'utf8').toString('latin1');
    }
    const v = ENTITIES[name];
    if (v === undefined) {
      // An entity the document declared (or not): left as written, never expanded.
      return all;
    }
    return v;
  });
  return bad ? undefined : out;
}
