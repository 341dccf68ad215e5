import FindMyWay from 'find-my-way';

/**
 * Path matching with a radix tree (find-my-way) used as a pure path matcher: every pattern is
 * registered under one internal method, and host and method are chosen among the routes that
 * share the most specific matching pattern. That keeps 404 (no pattern) and 405 (pattern, but
 * not this method; Allow lists the methods) apart.
 */
export interface RouteEntry<T> {
  readonly value: T;
  /** Upper-case methods, or undefined for any. */
  readonly methods: ReadonlySet<string> | undefined;
  /** Lower-case host names (`*.example.com` allowed), or undefined for any host. */
  readonly hosts: readonly string[] | undefined;
}

export type MatchResult<T> =
  | { readonly kind: 'found'; readonly value: T; readonly params: Record<string, string> }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] };

interface Slot<T> {
  entries: RouteEntry<T>[];
  /** Per entry, its answer for a path without parameters: shared, so such a match allocates nothing. */
  found: MatchResult<T>[];
}

const LOOKUP_METHOD = 'GET';
const NON_ASCII_ESCAPE = /%([89A-Fa-f][0-9A-Fa-f])/g;
const EMPTY_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class Router<T> {
  readonly #tree = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 500 });
  readonly #slots = new Map<string, Slot<T>>();

  add(pattern: string, entry: RouteEntry<T>): void {
    let slot = this.#slots.get(pattern);
    if (!slot) {
      slot = { entries: [], found: [] };
      this.#slots.set(pattern, slot);
      const target = slot;
      this.#tree.on(LOOKUP_METHOD, pattern, () => undefined, target);
    }
    slot.entries.push(entry);
    slot.found.push(Object.freeze({ kind: 'found', value: entry.value, params: EMPTY_PARAMS }));
  }

  match(method: string, host: string, path: string): MatchResult<T> {
    // find-my-way decodes the path as UTF-8 and finds nothing when it cannot (`/i%FFndex.html`,
    // a Latin-1 file name); such a path is still a valid URI (RFC 3986 §2.1), so it is matched
    // with its non-ASCII escapes kept as text (parameters then hold `%FF` as sent).
    const found =
      this.#tree.find(LOOKUP_METHOD, path) ??
      (path.includes('%') ? this.#tree.find(LOOKUP_METHOD, path.replace(NON_ASCII_ESCAPE, '%25$1')) : null);
    if (!found) return { kind: 'not-found' };
    const slot = found.store as Slot<T>;
    let hostMatched = false;
    // Built only when the method is refused (405): a match allocates no set.
    let allow: Set<string> | undefined;
    for (let i = 0; i < slot.entries.length; i++) {
      const entry = slot.entries[i] as RouteEntry<T>;
      if (entry.hosts && !hostMatches(entry.hosts, host)) continue;
      hostMatched = true;
      if (!entry.methods || entry.methods.has(method) || (method === 'HEAD' && entry.methods.has('GET'))) {
        // find-my-way fills every declared parameter with a string (optional ones are not used).
        const params = found.params as Record<string, string>;
        return hasKeys(params) ? { kind: 'found', value: entry.value, params } : (slot.found[i] as MatchResult<T>);
      }
      allow ??= new Set();
      for (const m of entry.methods) allow.add(m);
    }
    if (!hostMatched) return { kind: 'not-found' };
    return { kind: 'method-not-allowed', allow: [...(allow ?? [])].sort() };
  }
}

function hostMatches(hosts: readonly string[], host: string): boolean {
  for (const h of hosts) {
    if (h === host) return true;
    if (h.startsWith('*.') && host.endsWith(h.slice(1)) && host.length > h.length - 1) return true;
  }
  return false;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
