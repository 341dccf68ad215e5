import type { Form } from './forms.js';
import type { MutableCollection } from './types.js';

const NONE: readonly CollectionEntry[] = [];

/** One value in a collection; `key` keeps the case it arrived with. */
export interface CollectionEntry {
  readonly key: string;
  /** `key` lower-cased once, for the case-insensitive selectors. */
  readonly lower: string;
  value: string;
  /** The engine's Form of `value`, kept while `value` is unchanged (transaction.ts #formOf). */
  form: Form | undefined;
}

/**
 * A multi-valued, insertion-ordered collection (ARGS, REQUEST_HEADERS, TX...). Keys compare
 * case-insensitively, as ModSecurity's selectors do (`REQUEST_HEADERS:user-agent`).
 */
export class KeyedCollection implements MutableCollection {
  #entries: CollectionEntry[] = [];
  #index = new Map<string, CollectionEntry[]>();
  #version = 0;

  /** Bumped on every change, so views derived from this collection know when to rebuild. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#entries.length;
  }

  entries(): readonly CollectionEntry[] {
    return this.#entries;
  }

  add(key: string, value: string, lower = key.toLowerCase()): void {
    this.#version++;
    const entry: CollectionEntry = { key, lower, value, form: undefined };
    this.#entries.push(entry);
    const list = this.#index.get(lower);
    if (list) list.push(entry);
    else this.#index.set(lower, [entry]);
  }

  /** Replaces every value of `key` with one value. */
  set(key: string, value: string, lower = key.toLowerCase()): void {
    const list = this.#index.get(lower);
    if (list && list.length === 1) {
      this.#version++;
      list[0]!.value = value;
      return;
    }
    if (list) this.remove(key);
    this.add(key, value, lower);
  }

  get(key: string, lower = key.toLowerCase()): string | undefined {
    return this.#index.get(lower)?.[0]?.value;
  }

  getAll(key: string): readonly CollectionEntry[] {
    return this.#index.get(key.toLowerCase()) ?? NONE;
  }

  /** `getAll` for a key the caller lower-cased already (selectors do it once, at load). */
  getAllLower(lower: string): readonly CollectionEntry[] {
    return this.#index.get(lower) ?? NONE;
  }

  has(key: string): boolean {
    return this.#index.has(key.toLowerCase());
  }

  remove(key: string): void {
    const lower = key.toLowerCase();
    if (!this.#index.delete(lower)) return;
    this.#version++;
    this.#entries = this.#entries.filter((e) => e.key.toLowerCase() !== lower);
  }

  clear(): void {
    this.#version++;
    this.#entries = [];
    this.#index.clear();
  }
}
