import type { AuthMethod, Identity } from '../pipeline/identity.js';

export interface ClaimMapping {
  readonly method: AuthMethod;
  readonly issuer?: string;
  /** Dotted path to the roles claim; default "roles". */
  readonly rolesClaim?: string;
  /** Claim with scopes; default: "scope" (RFC 8693 §4.2, space-separated) then "scp" (array). */
  readonly scopesClaim?: string;
}

/** Turns verified claims (JWT payload or introspection answer) into the gateway's Identity. */
export function claimsToIdentity(claims: Record<string, unknown>, mapping: ClaimMapping): Identity {
  const roles = stringList(readPath(claims, mapping.rolesClaim ?? 'roles'));
  const scopes =
    mapping.scopesClaim !== undefined
      ? stringList(readPath(claims, mapping.scopesClaim))
      : stringList(claims.scope ?? claims.scp);
  const clientId =
    typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : undefined;
  return {
    subject: String(claims.sub),
    method: mapping.method,
    ...(mapping.issuer !== undefined ? { issuer: mapping.issuer } : {}),
    roles,
    scopes,
    claims,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(typeof claims.plan === 'string' ? { plan: claims.plan } : {}),
    ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
  };
}

function readPath(obj: Record<string, unknown>, path: string): unknown {
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A space-separated string or an array of strings; anything else contributes nothing. */
function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}
