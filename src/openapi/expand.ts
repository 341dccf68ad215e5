/**
 * Route-list expansion for the configuration loader: every `{ openapi: {...} }` entry in
 * `routes:` is replaced by the routes generated from its document, in place and in order.
 */
import { isPlainObject } from './convert.js';
import { type GeneratedRoute, loadOpenApiRoutes, loadOpenApiRoutesSync } from './load.js';

export interface ExpandedRoutes {
  readonly routes: Record<string, unknown>[];
  /** For each expanded route, the index of the entry it came from in the original list (for positions). */
  readonly origin: number[];
  /** For each expanded route, whether it was generated from a group. */
  readonly generated: boolean[];
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
  const generated = new Map<number, GeneratedRoute[]>();
  for (let i = 0; i < routes.length; i++) {
    const entry = routes[i];
    if (isOpenApiGroup(entry)) generated.set(i, await loadOpenApiRoutes(entry, configDir, ['routes', i]));
  }
  return splice(routes, generated);
}

/** expandOpenApiGroups for a synchronous loader (see loadOpenApiRoutesSync). */
export function expandOpenApiGroupsSync(routes: readonly unknown[], configDir: string): ExpandedRoutes {
  const generated = new Map<number, GeneratedRoute[]>();
  for (let i = 0; i < routes.length; i++) {
    const entry = routes[i];
    if (isOpenApiGroup(entry)) generated.set(i, loadOpenApiRoutesSync(entry, configDir, ['routes', i]));
  }
  return splice(routes, generated);
}

/**
 * Maps a key path of the expanded configuration back to the written one: a generated route
 * points at its group entry.
 */
export function originalPath(path: readonly (string | number)[], expanded: ExpandedRoutes): (string | number)[] {
  if (path[0] !== 'routes' || typeof path[1] !== 'number') return [...path];
  const origin = expanded.origin[path[1]];
  if (origin === undefined) return [...path];
  return expanded.generated[path[1]] ? ['routes', origin] : ['routes', origin, ...path.slice(2)];
}

function splice(routes: readonly unknown[], generated: ReadonlyMap<number, GeneratedRoute[]>): ExpandedRoutes {
  const out: Record<string, unknown>[] = [];
  const origin: number[] = [];
  const flags: boolean[] = [];
  routes.forEach((entry, i) => {
    const made = generated.get(i);
    if (made === undefined) {
      out.push(entry as Record<string, unknown>);
      origin.push(i);
      flags.push(false);
      return;
    }
    for (const route of made) {
      out.push({ ...route });
      origin.push(i);
      flags.push(true);
    }
  });
  return { routes: out, origin, generated: flags };
}
