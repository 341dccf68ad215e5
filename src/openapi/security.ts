/**
 * OpenAPI `security` requirements to the gateway's auth policy.
 *
 * A requirement list is an OR of ANDs (OpenAPI 3.1 §4.8.30): any one object must be met, and
 * every scheme within it. Each scheme maps to the authentication method that verifies it; its
 * scopes become required scopes.
 */
import type { AuthMethod } from '../pipeline/identity.js';
import { isPlainObject } from './convert.js';

/** The route's `auth` key (src/stages/authn): methods that may authenticate the caller, any-of. */
export interface AuthSection {
  readonly accept: readonly AuthMethod[];
}

/**
 * The route's `allow` key (src/stages/authz). One requirement: its scopes, all of them.
 * Alternatives needing different scopes: a CEL condition that is their OR.
 */
export type AllowSection = { readonly scopes: { readonly allOf: readonly string[] } } | { readonly when: string };

export type SecurityMapping =
  | { readonly kind: 'public' }
  | { readonly kind: 'none' }
  | { readonly kind: 'protected'; readonly auth: AuthSection; readonly allow?: AllowSection };

export class SecurityMappingError extends Error {}

/** Maps one Security Scheme Object (OpenAPI 3.1 §4.8.27) to a method. */
export function schemeMethod(scheme: unknown): AuthMethod {
  if (!isPlainObject(scheme)) throw new SecurityMappingError('security scheme is not an object');
  switch (scheme.type) {
    case 'http': {
      const name = typeof scheme.scheme === 'string' ? scheme.scheme.toLowerCase() : '';
      // RFC 9110 §11.1: auth-scheme names are case-insensitive.
      if (name === 'bearer') return 'jwt';
      if (name === 'basic') return 'basic';
      throw new SecurityMappingError(`http scheme "${name}" is not supported (bearer or basic)`);
    }
    case 'apiKey':
      // Keys travel in a header only (OWASP REST Security: never in the URL).
      if (scheme.in !== 'header') throw new SecurityMappingError('apiKey schemes must use in: header');
      return 'apiKey';
    case 'oauth2':
    case 'openIdConnect':
      return 'jwt';
    case 'mutualTLS':
      return 'mtls';
    default:
      throw new SecurityMappingError(`security scheme type "${String(scheme.type)}" is not supported`);
  }
}

export function mapSecurity(requirements: unknown, schemes: Record<string, unknown>): SecurityMapping {
  if (requirements === undefined) return { kind: 'none' };
  if (!Array.isArray(requirements)) throw new SecurityMappingError('security must be a list');
  // An empty list, or an empty requirement among the alternatives, means anonymous access.
  if (requirements.length === 0 || requirements.some((r) => isPlainObject(r) && Object.keys(r).length === 0)) {
    return { kind: 'public' };
  }
  const alternatives = requirements.map((requirement) => {
    if (!isPlainObject(requirement)) throw new SecurityMappingError('a security requirement must be an object');
    const methods = new Set<AuthMethod>();
    const scopes = new Set<string>();
    for (const [name, list] of Object.entries(requirement)) {
      if (!(name in schemes)) throw new SecurityMappingError(`security scheme "${name}" is not declared in components`);
      methods.add(schemeMethod(schemes[name]));
      if (Array.isArray(list)) for (const scope of list) if (typeof scope === 'string') scopes.add(scope);
    }
    return { methods: [...methods], scopes: [...scopes].sort() };
  });
  const methods = [...new Set(alternatives.flatMap((a) => a.methods))];
  const first = alternatives[0]!;
  const sameScopes = alternatives.every((a) => a.scopes.join(' ') === first.scopes.join(' '));
  let allow: AllowSection | undefined;
  if (sameScopes) allow = first.scopes.length > 0 ? { scopes: { allOf: first.scopes } } : undefined;
  else allow = { when: alternatives.map(celAlternative).join(' || ') };
  return { kind: 'protected', auth: { accept: methods }, ...(allow ? { allow } : {}) };
}

// Scope tokens are NQCHAR (RFC 6749 §3.3); we accept the subset that needs no escaping in CEL.
const SAFE_SCOPE = /^[A-Za-z0-9:._/+-]+$/;

function celAlternative(alternative: { methods: readonly AuthMethod[]; scopes: readonly string[] }): string {
  const terms = [
    alternative.methods.length === 1
      ? `identity.method == '${alternative.methods[0]}'`
      : `identity.method in [${alternative.methods.map((m) => `'${m}'`).join(', ')}]`,
  ];
  for (const scope of alternative.scopes) {
    if (!SAFE_SCOPE.test(scope))
      throw new SecurityMappingError(`scope "${scope}" has characters we do not put in a policy`);
    terms.push(`'${scope}' in identity.scopes`);
  }
  return `(${terms.join(' && ')})`;
}
