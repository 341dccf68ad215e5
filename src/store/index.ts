export type { StoreConfig } from './config.js';
export { DEFAULT_STORE_CONFIG, storeSchema, validateStoreConfig } from './config.js';
export { MasterKey } from './crypto.js';
export { isStoreError, StoreError } from './errors.js';
export { LATEST_VERSION, migrate } from './migrations.js';
export { createOidcAdapterClass, type OidcAdapter, type OidcAdapterClass } from './oidc-adapter.js';
export { attachStore, STORE_SHARED_KEY } from './services.js';
export { openDb, openStore, SqlStore } from './store.js';
export type * from './types.js';
