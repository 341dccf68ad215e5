import { randomUUID } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyRepository, ListOptions, NewApiKey } from '../store/types.js';

/** The store's ApiKeyRepository in memory: one process, tests, and the CLI's dry runs. */
export class MemoryApiKeyRepository implements ApiKeyRepository {
  readonly #byId = new Map<string, ApiKeyRecord>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    for (const existing of this.#byId.values()) {
      if (existing.prefix === key.prefix || existing.id === key.id) throw new Error('PC_STORE_CONFLICT');
    }
    const record: ApiKeyRecord = {
      id: key.id ?? randomUUID(),
      prefix: key.prefix,
      hash: key.hash,
      name: key.name ?? null,
      owner: key.owner,
      scopes: [...(key.scopes ?? [])],
      plan: key.plan ?? null,
      createdAt: this.#now(),
      expiresAt: key.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
    };
    this.#byId.set(record.id, record);
    return record;
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#byId.get(id);
  }

  async getByPrefix(prefix: string): Promise<ApiKeyRecord | undefined> {
    for (const record of this.#byId.values()) if (record.prefix === prefix) return record;
    return undefined;
  }

  async list(filter: { readonly owner?: string } & ListOptions = {}): Promise<ApiKeyRecord[]> {
    const all = [...this.#byId.values()].filter((r) => filter.owner === undefined || r.owner === filter.owner);
    const offset = filter.offset ?? 0;
    return all.slice(offset, offset + Math.min(filter.limit ?? 100, 1000));
  }

  async touch(id: string): Promise<void> {
    const record = this.#byId.get(id);
    if (record) this.#byId.set(id, { ...record, lastUsedAt: this.#now() });
  }

  async revoke(id: string): Promise<boolean> {
    const record = this.#byId.get(id);
    if (!record) return false;
    if (record.revokedAt === null) this.#byId.set(id, { ...record, revokedAt: this.#now() });
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.#byId.delete(id);
  }
}
