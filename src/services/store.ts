import type { RouteConfig } from '../config/core-schema.js';
import type { ServiceDefinition } from '../stages/definition.js';
import { type StoreConfig, storeSchema, validateStoreConfig } from '../store/config.js';
import { attachStore } from '../store/services.js';
import type { Store } from '../store/types.js';

/** Credentials whose verification reads the store. */
const STORE_METHODS = new Set(['apiKey', 'basic', 'session']);

/**
 * Opens the store (SQLite in the data directory by default, or PostgreSQL) once per loaded
 * configuration and publishes it as services.shared 'store'. It is opened only when something
 * needs it — a `store` section, the identity provider, or a route accepting API keys, Basic or
 * sessions — so a plain proxy never touches a database (drivers load only when configured).
 */
export const storeService: ServiceDefinition<StoreConfig, Store | undefined> = {
  name: 'store',
  global: { key: 'store', schema: storeSchema },
  async setup(global, services) {
    const [first] = validateStoreConfig(global);
    if (first) throw first;
    const config = services.config as { routes?: RouteConfig[]; identityProvider?: unknown };
    const needed =
      global !== undefined ||
      config.identityProvider !== undefined ||
      (config.routes ?? []).some((route) => usesStore(route.auth));
    if (!needed || services.dryRun) return undefined;
    return attachStore(services);
  },
  async dispose(store) {
    await store?.close();
  },
};

function usesStore(auth: unknown): boolean {
  if (!auth || typeof auth !== 'object') return false;
  const rule = auth as { accept?: string[]; perMethod?: Record<string, { accept?: string[] }> };
  if (rule.accept?.some((m) => STORE_METHODS.has(m))) return true;
  return Object.values(rule.perMethod ?? {}).some((r) => r.accept?.some((m) => STORE_METHODS.has(m)));
}
