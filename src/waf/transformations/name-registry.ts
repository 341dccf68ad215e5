/**
 * A read-only map keyed by SecLang name whose lookups ignore ASCII case: ModSecurity's lexer
 * accepts `t:base64decode` for `t:base64Decode` and `@RX` for `@rx`, and CRS itself relies on
 * the first. Iteration yields the canonical spellings.
 */
export class NameRegistry<V> implements ReadonlyMap<string, V> {
  readonly #canonical: ReadonlyMap<string, V>;
  readonly #folded = new Map<string, V>();

  constructor(entries: Iterable<readonly [string, V]>) {
    const canonical = new Map<string, V>();
    for (const [name, value] of entries) {
      const key = name.toLowerCase();
      if (this.#folded.has(key)) throw new Error(`duplicate registry name ${name}`);
      canonical.set(name, value);
      this.#folded.set(key, value);
    }
    this.#canonical = canonical;
  }

  get size(): number {
    return this.#canonical.size;
  }

  get(name: string): V | undefined {
    return this.#folded.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.#folded.has(name.toLowerCase());
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.#canonical) callback.call(thisArg, value, key, this);
  }

  entries(): MapIterator<[string, V]> {
    return this.#canonical.entries();
  }

  keys(): MapIterator<string> {
    return this.#canonical.keys();
  }

  values(): MapIterator<V> {
    return this.#canonical.values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.#canonical.entries();
  }
}
