import type { Services } from '../stages/definition.js';
import type { StoreConfig } from './config.js';
import { openStore } from './store.js';
import type { Store } from './types.js';

/** Key under which the opened store is published in `Services.shared`. */
export const STORE_SHARED_KEY = 'store';

/**
 * Opens the store described by the top-level `store` key once per runtime and publishes it in
 * `services.shared` for the stages (authenticate, authorize) and the identity provider, and
 * purges expired sessions, bans and OIDC models every 10 minutes. Close it with `store.close()`
 * on shutdown.
 */
export async function attachStore(services: Services): Promise<Store> {
  const existing = services.shared.get(STORE_SHARED_KEY) as Store | undefined;
  if (existing) return existing;
  const logger = services.logger.child({ component: 'store' });
  const store = await openStore(services.config.store as StoreConfig | undefined, {
    dataDir: services.dataDir,
    configDir: services.configDir,
    logger,
  });
  store.startHousekeeping(logger);
  services.shared.set(STORE_SHARED_KEY, store);
  return store;
}
