/** A set of byte values 0-255, the unit every character-matching regex atom compiles to. */
export class ByteSet {
  readonly #bits = new Uint32Array(8);

  static of(...codes: number[]): ByteSet {
    const set = new ByteSet();
    for (const c of codes) set.add(c);
    return set;
  }

  static range(from: number, to: number): ByteSet {
    return new ByteSet().addRange(from, to);
  }

  static all(): ByteSet {
    return ByteSet.range(0, 255);
  }

  add(code: number): this {
    (this.#bits[code >> 5] as number) |= 1 << (code & 31);
    return this;
  }

  addRange(from: number, to: number): this {
    for (let c = from; c <= to; c++) this.add(c);
    return this;
  }

  addSet(other: ByteSet): this {
    for (let k = 0; k < 8; k++) (this.#bits[k] as number) |= other.#bits[k] as number;
    return this;
  }

  has(code: number): boolean {
    return code >= 0 && code <= 255 && ((this.#bits[code >> 5] as number) & (1 << (code & 31))) !== 0;
  }

  complement(): ByteSet {
    const out = new ByteSet();
    for (let k = 0; k < 8; k++) out.#bits[k] = ~(this.#bits[k] as number);
    return out;
  }

  /** Adds the other ASCII case of every ASCII letter: PCRE's caseless matching in byte mode. */
  foldAsciiCase(): this {
    for (let c = 0x41; c <= 0x5a; c++) {
      if (this.has(c) || this.has(c + 0x20)) {
        this.add(c);
        this.add(c + 0x20);
      }
    }
    return this;
  }

  get size(): number {
    let n = 0;
    for (let c = 0; c < 256; c++) if (this.has(c)) n++;
    return n;
  }

  /** Members in ascending order. */
  codes(): number[] {
    const out: number[] = [];
    for (let c = 0; c < 256; c++) if (this.has(c)) out.push(c);
    return out;
  }

  /** JavaScript source for this set: one escaped byte, or a class of ranges. */
  toSource(): string {
    const size = this.size;
    if (size === 1) return escapeByte(this.codes()[0] as number);
    if (size === 256) return '[\\s\\S]';
    // A mostly-full set reads (and runs) better negated; bytes above 0xff never occur.
    if (size > 128) return `[^${this.complement().#rangesSource()}]`;
    return `[${this.#rangesSource()}]`;
  }

  #rangesSource(): string {
    let out = '';
    let c = 0;
    while (c < 256) {
      if (!this.has(c)) {
        c++;
        continue;
      }
      let end = c;
      while (end + 1 < 256 && this.has(end + 1)) end++;
      out += escapeByte(c);
      if (end === c + 1) out += escapeByte(end);
      else if (end > c) out += `-${escapeByte(end)}`;
      c = end + 1;
    }
    return out;
  }
}

export function escapeByte(code: number): string {
  if (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x5f
  )
    return String.fromCharCode(code);
  return `\\x${code.toString(16).padStart(2, '0')}`;
}
