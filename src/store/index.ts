export type { StoreConfig } from './config.js';
export { DEFAULT_STORE_CONFIG, storeSchema } from './config.js';
export { MasterKey } from './crypto.js';
export { isStoreError, StoreError } from './errors.js';
export { LATEST_VERSION, migrate } from './migrations.js';
export { openDb, openStore, SqlStore } from './store.js';
export type * from './types.js';
