import { ConfigError, type KeyPath } from '../config/errors.js';

/** `authorization.roles.<name>`: what a role grants and which roles it includes. */
export interface RoleDefinition {
  readonly permissions?: readonly string[];
  readonly inherits?: readonly string[];
}

export interface Grants {
  /** The identity's roles plus every role they inherit. */
  readonly roles: ReadonlySet<string>;
  readonly permissions: ReadonlySet<string>;
}

/**
 * Roles -> permissions with inheritance, flattened once at load so a request costs one set union
 * per role it holds. Cycles and references to undefined roles are configuration errors: a typo
 * in `inherits` would otherwise silently grant less (or, after a later fix, more) than intended.
 */
export class RoleGraph {
  readonly #closure = new Map<string, { roles: readonly string[]; permissions: readonly string[] }>();

  constructor(roles: Readonly<Record<string, RoleDefinition>>, path: KeyPath) {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, trail: readonly string[]): void => {
      const mark = state.get(name);
      if (mark === 'done') return;
      if (mark === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(name)), name].join(' -> ');
        throw new ConfigError([...path, trail.at(-1)!, 'inherits'], `role inheritance has a cycle: ${cycle}`);
      }
      state.set(name, 'visiting');
      const def = roles[name]!;
      const allRoles = new Set<string>([name]);
      const permissions = new Set<string>(def.permissions ?? []);
      for (const [i, parent] of (def.inherits ?? []).entries()) {
        if (!Object.hasOwn(roles, parent)) {
          throw new ConfigError([...path, name, 'inherits', i], `role "${parent}" is not defined`);
        }
        visit(parent, [...trail, name]);
        const inherited = this.#closure.get(parent)!;
        for (const r of inherited.roles) allRoles.add(r);
        for (const p of inherited.permissions) permissions.add(p);
      }
      this.#closure.set(name, { roles: [...allRoles], permissions: [...permissions] });
      state.set(name, 'done');
    };
    for (const name of Object.keys(roles)) visit(name, []);
  }

  has(role: string): boolean {
    return this.#closure.has(role);
  }

  /** Roles not defined in config still count as themselves (roles may come from a token or the store). */
  expand(roles: readonly string[]): Grants {
    const allRoles = new Set<string>();
    const permissions = new Set<string>();
    for (const role of roles) {
      const closure = this.#closure.get(role);
      if (!closure) {
        allRoles.add(role);
        continue;
      }
      for (const r of closure.roles) allRoles.add(r);
      for (const p of closure.permissions) permissions.add(p);
    }
    return { roles: allRoles, permissions };
  }
}
