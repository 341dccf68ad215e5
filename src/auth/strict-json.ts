/**
 * A JSON reader that refuses duplicate member names. JSON.parse keeps the last duplicate, so a
 * token whose header says `"alg":"HS256","alg":"none"` could be read differently by two parsers
 * (RFC 8725 §2.6, RFC 7515 §4 "MUST reject ... duplicate Header Parameter names"). JOSE headers
 * and claims sets are small, so a plain recursive reader is enough; depth is bounded.
 */
export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
}

const MAX_DEPTH = 32;

export function parseStrictJson(text: string): unknown {
  const reader = new Reader(text);
  reader.skipSpace();
  const value = reader.value(0);
  reader.skipSpace();
  if (!reader.done()) throw new StrictJsonError('trailing characters after the JSON value');
  return value;
}

class Reader {
  readonly #text: string;
  #pos = 0;
  constructor(text: string) {
    this.#text = text;
  }

  done(): boolean {
    return this.#pos >= this.#text.length;
  }

  skipSpace(): void {
    const text = this.#text;
    while (this.#pos < text.length) {
      const c = text.charCodeAt(this.#pos);
      // RFC 8259 §2: the only insignificant whitespace is space, tab, LF, CR.
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.#pos++;
    }
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new StrictJsonError('JSON nested too deeply');
    const c = this.#text[this.#pos];
    if (c === '{') return this.#object(depth);
    if (c === '[') return this.#array(depth);
    if (c === '"') return this.#string();
    return this.#literal();
  }

  #object(depth: number): Record<string, unknown> {
    this.#pos++;
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.skipSpace();
    if (this.#text[this.#pos] === '}') {
      this.#pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.#text[this.#pos] !== '"') throw new StrictJsonError('expected a member name');
      const key = this.#string();
      if (seen.has(key)) throw new StrictJsonError('duplicate member name');
      seen.add(key);
      this.skipSpace();
      if (this.#text[this.#pos] !== ':') throw new StrictJsonError('expected ":"');
      this.#pos++;
      this.skipSpace();
      // Define, not assign, as JSON.parse does: a "__proto__" member must stay data, never a prototype.
      Object.defineProperty(out, key, {
        value: this.value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipSpace();
      const next = this.#text[this.#pos++];
      if (next === '}') break;
      if (next !== ',') throw new StrictJsonError('expected "," or "}"');
    }
    return out;
  }

  #array(depth: number): unknown[] {
    this.#pos++;
    const out: unknown[] = [];
    this.skipSpace();
    if (this.#text[this.#pos] === ']') {
      this.#pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      out.push(this.value(depth + 1));
      this.skipSpace();
      const next = this.#text[this.#pos++];
      if (next === ']') break;
      if (next !== ',') throw new StrictJsonError('expected "," or "]"');
    }
    return out;
  }

  #string(): string {
    const start = this.#pos;
    this.#pos++;
    const text = this.#text;
    for (;;) {
      if (this.#pos >= text.length) throw new StrictJsonError('unterminated string');
      const c = text.charCodeAt(this.#pos);
      if (c === 0x22) break;
      if (c < 0x20) throw new StrictJsonError('control character in string');
      if (c === 0x5c) this.#pos++;
      this.#pos++;
    }
    this.#pos++;
    // The delimited slice is a complete JSON string; JSON.parse decodes its escapes (and rejects bad ones).
    try {
      return JSON.parse(text.slice(start, this.#pos)) as string;
    } catch {
      throw new StrictJsonError('invalid string escape');
    }
  }

  #literal(): unknown {
    const match = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      this.#text.slice(this.#pos, this.#pos + 400),
    );
    if (!match) throw new StrictJsonError('unexpected token');
    this.#pos += match[0].length;
    return JSON.parse(match[0]);
  }
}
