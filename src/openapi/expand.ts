/**
 * Route-list expansion for the configuration loader: every `{ openapi: {...} }` entry in
 * `routes:` is replaced by the routes generated from its document, in place and in order.
 */
import { isPlainObject } from './convert.js';
import { loadOpenApiRoutes } from './load.js';

export interface ExpandedRoutes {
  readonly routes: Record<string, unknown>[];
  /** For each expanded route, the index of the entry it came from in the original list (for positions). */
  readonly origin: number[];
}

/** Whether a `routes:` entry is an OpenAPI group rather than a route. */
export function isOpenApiGroup(entry: unknown): entry is Record<string, unknown> & { openapi: unknown } {
  return isPlainObject(entry) && 'openapi' in entry;
}

/**
 * Replaces OpenAPI groups by their generated routes. Throws ConfigError with a key path under
 * the group's original position, e.g. ['routes', 2, 'openapi', 'spec'].
 */
export async function expandOpenApiGroups(routes: readonly unknown[], configDir: string): Promise<ExpandedRoutes> {
  const out: Record<string, unknown>[] = [];
  const origin: number[] = [];
  for (let i = 0; i < routes.length; i++) {
    const entry = routes[i];
    if (!isOpenApiGroup(entry)) {
      out.push(entry as Record<string, unknown>);
      origin.push(i);
      continue;
    }
    for (const route of await loadOpenApiRoutes(entry, configDir, ['routes', i])) {
      out.push({ ...route });
      origin.push(i);
    }
  }
  return { routes: out, origin };
}
