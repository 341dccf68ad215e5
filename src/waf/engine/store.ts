import { KeyedCollection } from './collection.js';
import type { PersistentStore } from './transaction.js';

/**
 * ModSecurity's persistent collections (initcol:ip=...), kept in this process's memory. Each
 * (collection, key) record expires after SecCollectionTimeout seconds without use; the number
 * of records is capped so a flood of distinct keys cannot grow memory without bound.
 */
export class MemoryCollectionStore implements PersistentStore {
  readonly #records = new Map<string, { data: KeyedCollection; expires: number }>();
  readonly #maxRecords: number;

  constructor(maxRecords = 100_000) {
    this.#maxRecords = maxRecords;
  }

  open(collection: string, key: string, timeoutSeconds: number): KeyedCollection {
    const id = `${collection}\u0000${key}`;
    const now = Date.now();
    const hit = this.#records.get(id);
    if (hit && hit.expires > now) {
      hit.expires = now + timeoutSeconds * 1000;
      return hit.data;
    }
    if (this.#records.size >= this.#maxRecords) this.#evict(now);
    const data = new KeyedCollection();
    this.#records.set(id, { data, expires: now + timeoutSeconds * 1000 });
    return data;
  }

  get size(): number {
    return this.#records.size;
  }

  #evict(now: number): void {
    for (const [id, r] of this.#records) if (r.expires <= now) this.#records.delete(id);
    // Still full: drop the oldest records (Map keeps insertion order).
    const excess = this.#records.size - Math.floor(this.#maxRecords * 0.9);
    if (excess <= 0) return;
    let n = 0;
    for (const id of this.#records.keys()) {
      if (n++ >= excess) break;
      this.#records.delete(id);
    }
  }
}
