import type { JsonObject, Store } from './types.js';

/**
 * oidc-provider's storage adapter contract (its docs: "Adapter"): one instance per model name,
 * payloads are plain JSON, `expiresIn` is in seconds, and a consumed record is returned with
 * `consumed` set to the epoch second of consumption.
 */
export interface OidcAdapter {
  upsert(id: string, payload: JsonObject, expiresIn?: number): Promise<void>;
  find(id: string): Promise<JsonObject | undefined>;
  findByUserCode(userCode: string): Promise<JsonObject | undefined>;
  findByUid(uid: string): Promise<JsonObject | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type OidcAdapterClass = new (model: string) => OidcAdapter;

function optionalString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Builds the class to pass as oidc-provider's `adapter` option, persisting every model in the
 * store's oidc_models table (so grants, codes and tokens survive restarts and are shared by
 * every instance on the same database).
 */
export function createOidcAdapterClass(store: Store, now: () => number = Date.now): OidcAdapterClass {
  const withConsumed = (record: { payload: JsonObject; consumedAt: number | null } | undefined) => {
    if (!record) return undefined;
    return record.consumedAt === null
      ? record.payload
      : { ...record.payload, consumed: Math.floor(record.consumedAt / 1000) };
  };
  return class StoreOidcAdapter implements OidcAdapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    async upsert(id: string, payload: JsonObject, expiresIn?: number): Promise<void> {
      await store.oidc.upsert({
        model: this.#model,
        id,
        payload,
        expiresAt: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? now() + expiresIn * 1000 : null,
        grantId: optionalString(payload.grantId),
        uid: optionalString(payload.uid),
        userCode: optionalString(payload.userCode),
        accountId: optionalString(payload.accountId),
      });
    }

    async find(id: string) {
      return withConsumed(await store.oidc.find(this.#model, id));
    }

    async findByUserCode(userCode: string) {
      return withConsumed(await store.oidc.findByUserCode(this.#model, userCode));
    }

    async findByUid(uid: string) {
      return withConsumed(await store.oidc.findByUid(this.#model, uid));
    }

    async consume(id: string): Promise<void> {
      await store.oidc.consume(this.#model, id);
    }

    async destroy(id: string): Promise<void> {
      await store.oidc.destroy(this.#model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidc.revokeByGrantId(grantId);
    }
  };
}
