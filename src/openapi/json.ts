/**
 * A strict JSON parser for request and response bodies.
 *
 * JSON.parse keeps the last of duplicate keys and happily builds `__proto__` members, so two
 * parsers in the chain (ours and the upstream's) can read the same bytes differently (Bishop Fox,
 * "An Exploration of JSON Interoperability Vulnerabilities"). This parser follows the RFC 8259
 * grammar exactly and refuses what would be read ambiguously: duplicate member names, the
 * prototype-polluting names `__proto__` and `constructor`, nesting beyond a depth, and arrays or
 * objects beyond a size. Failures carry a JSON pointer to the container that failed, never the
 * offending text.
 */
import { Buffer, isUtf8 } from 'node:buffer';

export interface JsonLimits {
  /** Deepest nesting of arrays and objects; the top-level value is depth 1. */
  readonly maxDepth: number;
  readonly maxArrayLength: number;
  readonly maxProperties: number;
}

export const JSON_RULES = [
  'syntax',
  'encoding',
  'duplicateKey',
  'forbiddenKey',
  'maxDepth',
  'maxItems',
  'maxProperties',
] as const;
export type JsonRule = (typeof JSON_RULES)[number];

export type JsonParseResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly rule: JsonRule; readonly location: string };

export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({
  maxDepth: 32,
  maxArrayLength: 10_000,
  maxProperties: 1_000,
});

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

class JsonFailure {
  readonly rule: JsonRule;
  constructor(rule: JsonRule) {
    this.rule = rule;
  }
}

/** application/json or a structured +json type (RFC 6839 §3.1), parameters ignored. */
export function isJsonMediaType(type: string): boolean {
  const base = type.split(';')[0]!.trim().toLowerCase();
  return base === 'application/json' || base.endsWith('+json');
}

/** RFC 6901 §3: '~' and '/' inside a reference token are escaped as ~0 and ~1. */
export function escapePointerToken(token: string): string {
  return token.includes('~') || token.includes('/') ? token.replaceAll('~', '~0').replaceAll('/', '~1') : token;
}

/** Parses UTF-8 bytes; RFC 8259 §8.1 requires UTF-8 and forbids a byte order mark. */
export function parseStrictJsonBytes(bytes: Uint8Array, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonParseResult {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { ok: false, rule: 'encoding', location: '' };
  }
  // isUtf8 is a native check; decoding after it cannot meet an invalid sequence.
  if (!isUtf8(bytes)) return { ok: false, rule: 'encoding', location: '' };
  return parseStrictJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), limits);
}

/**
 * Two passes that together are cheaper than one pass in JavaScript: the engine's JSON.parse
 * checks the grammar and builds the value natively (its objects get the engine's fast shapes),
 * then a scan of the text looks for what JSON.parse lets through (duplicate or forbidden
 * member names, depth and sizes). Anything either pass refuses is parsed again by the
 * reference parser below, which names the rule and the location; refusals are the rare path.
 * The property tests hold both paths to the same answer on every input.
 */
export function parseStrictJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonParseResult {
  try {
    const value: unknown = JSON.parse(text);
    if (withinStrictRules(text, value, limits)) return { ok: true, value };
  } catch {
    // Not JSON (or too large for the engine): the reference parser says why.
  }
  return parseStrictJsonReference(text, limits);
}

/**
 * The reference parser: the RFC 8259 grammar in one recursive pass, with every strict rule at
 * the place it applies. Exported for the tests that compare it with parseStrictJson.
 */
export function parseStrictJsonReference(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonParseResult {
  const parser = new Parser(text, limits);
  try {
    return { ok: true, value: parser.parseDocument() };
  } catch (err) {
    if (err instanceof JsonFailure) return { ok: false, rule: err.rule, location: parser.location() };
    // A string too large for the engine, a stack overflow: still a refusal, not a crash.
    return { ok: false, rule: 'syntax', location: '' };
  }
}

class Parser {
  readonly #text: string;
  readonly #limits: JsonLimits;
  readonly #path: (string | number)[] = [];
  #pos = 0;

  constructor(text: string, limits: JsonLimits) {
    this.#text = text;
    this.#limits = limits;
  }

  location(): string {
    let out = '';
    for (const part of this.#path) out += `/${typeof part === 'number' ? part : escapePointerToken(part)}`;
    return out;
  }

  parseDocument(): unknown {
    this.#skipWhitespace();
    const value = this.#parseValue(0);
    this.#skipWhitespace();
    if (this.#pos !== this.#text.length) throw new JsonFailure('syntax');
    return value;
  }

  // RFC 8259 §2: insignificant whitespace is exactly space, tab, line feed and carriage return.
  #skipWhitespace(): void {
    const text = this.#text;
    let pos = this.#pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.#pos = pos;
  }

  #parseValue(depth: number): unknown {
    const c = this.#text.charCodeAt(this.#pos);
    switch (c) {
      case 0x7b:
        return this.#parseObject(depth + 1);
      case 0x5b:
        return this.#parseArray(depth + 1);
      case 0x22:
        return this.#parseString();
      case 0x74:
        return this.#literal('true', true);
      case 0x66:
        return this.#literal('false', false);
      case 0x6e:
        return this.#literal('null', null);
      default:
        return this.#parseNumber();
    }
  }

  #literal<T>(word: string, value: T): T {
    if (!this.#text.startsWith(word, this.#pos)) throw new JsonFailure('syntax');
    this.#pos += word.length;
    return value;
  }

  #parseObject(depth: number): Record<string, unknown> {
    if (depth > this.#limits.maxDepth) throw new JsonFailure('maxDepth');
    this.#pos++;
    const out: Record<string, unknown> = {};
    this.#skipWhitespace();
    if (this.#text.charCodeAt(this.#pos) === 0x7d) {
      this.#pos++;
      return out;
    }
    let count = 0;
    for (;;) {
      if (this.#text.charCodeAt(this.#pos) !== 0x22) throw new JsonFailure('syntax');
      const key = this.#parseString();
      if (FORBIDDEN_KEYS.has(key)) throw new JsonFailure('forbiddenKey');
      // Safe: '__proto__' was refused above, so own-property lookups see every earlier member.
      if (Object.hasOwn(out, key)) throw new JsonFailure('duplicateKey');
      if (++count > this.#limits.maxProperties) throw new JsonFailure('maxProperties');
      this.#skipWhitespace();
      if (this.#text.charCodeAt(this.#pos) !== 0x3a) throw new JsonFailure('syntax');
      this.#pos++;
      this.#skipWhitespace();
      this.#path.push(key);
      out[key] = this.#parseValue(depth);
      this.#path.pop();
      this.#skipWhitespace();
      const next = this.#text.charCodeAt(this.#pos++);
      if (next === 0x7d) return out;
      if (next !== 0x2c) throw new JsonFailure('syntax');
      this.#skipWhitespace();
    }
  }

  #parseArray(depth: number): unknown[] {
    if (depth > this.#limits.maxDepth) throw new JsonFailure('maxDepth');
    this.#pos++;
    const out: unknown[] = [];
    this.#skipWhitespace();
    if (this.#text.charCodeAt(this.#pos) === 0x5d) {
      this.#pos++;
      return out;
    }
    for (;;) {
      if (out.length >= this.#limits.maxArrayLength) throw new JsonFailure('maxItems');
      this.#path.push(out.length);
      out.push(this.#parseValue(depth));
      this.#path.pop();
      this.#skipWhitespace();
      const next = this.#text.charCodeAt(this.#pos++);
      if (next === 0x5d) return out;
      if (next !== 0x2c) throw new JsonFailure('syntax');
      this.#skipWhitespace();
    }
  }

  // RFC 8259 §7: control characters must be escaped; only the listed escapes exist.
  #parseString(): string {
    const text = this.#text;
    let pos = ++this.#pos;
    let start = pos;
    let out = '';
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        this.#pos = pos + 1;
        return out;
      }
      if (c < 0x20 || Number.isNaN(c)) throw new JsonFailure('syntax');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const e = text.charCodeAt(pos + 1);
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonFailure('syntax');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          throw new JsonFailure('syntax');
      }
      pos += 2;
      start = pos;
    }
  }

  // RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  #parseNumber(): number {
    const text = this.#text;
    const start = this.#pos;
    let pos = start;
    if (text.charCodeAt(pos) === 0x2d) pos++;
    const first = text.charCodeAt(pos);
    if (first === 0x30) pos++;
    else if (first >= 0x31 && first <= 0x39) pos = skipDigits(text, pos + 1);
    else throw new JsonFailure('syntax');
    if (text.charCodeAt(pos) === 0x2e) {
      const after = skipDigits(text, pos + 1);
      if (after === pos + 1) throw new JsonFailure('syntax');
      pos = after;
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === 0x2b || sign === 0x2d) pos++;
      const after = skipDigits(text, pos);
      if (after === pos) throw new JsonFailure('syntax');
      pos = after;
    }
    this.#pos = pos;
    return Number(text.slice(start, pos));
  }
}

function skipDigits(text: string, pos: number): number {
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c >= 0x30 && c <= 0x39) pos++;
    else return pos;
  }
}

const QUOTE = 0x22;
const COLON = 0x3a;
const BACKSLASH = 0x5c;

/**
 * Whether a document JSON.parse accepted keeps every strict rule. JSON.parse turns every object
 * of the text into one object of the value, and keeps only the last of duplicate members (the
 * earlier value, and anything nested in it, is dropped). So the text has duplicates exactly when
 * it names more members (a colon outside strings) than the value's objects have own keys.
 * Without duplicates the value is a faithful tree of the text, and depth, sizes and forbidden
 * names (JSON.parse defines `__proto__` as an own member) are read from it.
 */
function withinStrictRules(text: string, value: unknown, limits: JsonLimits): boolean {
  const members = countMembers(value, 0, limits);
  return members >= 0 && members === countMemberNames(text);
}

/** Own keys of every object below `value`, or -1 when a limit or a forbidden name is met. */
function countMembers(value: unknown, depth: number, limits: JsonLimits): number {
  if (value === null || typeof value !== 'object') return 0;
  if (depth >= limits.maxDepth) return -1;
  let total = 0;
  if (Array.isArray(value)) {
    if (value.length > limits.maxArrayLength) return -1;
    for (const item of value) {
      const below = countMembers(item, depth + 1, limits);
      if (below < 0) return -1;
      total += below;
    }
    return total;
  }
  const object = value as Record<string, unknown>;
  if (Object.hasOwn(object, '__proto__') || Object.hasOwn(object, 'constructor')) return -1;
  // Own keys only: an enumerable member added to Object.prototype must not count.
  const keys = Object.keys(object);
  if (keys.length > limits.maxProperties) return -1;
  for (const key of keys) {
    const below = countMembers(object[key], depth + 1, limits);
    if (below < 0) return -1;
    total += below;
  }
  return total + keys.length;
}

/** Member names in grammatical JSON text: the colons outside strings. */
function countMemberNames(text: string): number {
  let count = 0;
  for (let pos = 0; pos < text.length; pos++) {
    const c = text.charCodeAt(pos);
    if (c === QUOTE) pos = closingQuote(text, pos);
    else if (c === COLON) count++;
  }
  return count;
}

/** Index of the quote that closes the string opened at `open`. */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  for (;;) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}
