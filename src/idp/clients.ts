import { randomBytes } from 'node:crypto';
import type { JsonObject, OAuthClientRecord, Store } from '../store/types.js';
import { AccountError } from './accounts.js';
import { CLIENT_SECRET_PURPOSE } from './forwarding.js';

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';
const GRANTS: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];

export interface NewClient {
  readonly clientId: string;
  readonly redirectUris?: readonly string[];
  readonly grantTypes?: readonly GrantType[];
  /** A public client (SPA, native app) has no secret and relies on PKCE alone. */
  readonly public?: boolean;
  readonly scope?: string;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{3,64}$/;

/**
 * OAuth 2.1 §2.3.1 / RFC 9700 §4.1.3: redirect URIs are registered in full and compared exactly;
 * https only, except loopback http for native apps (RFC 8252 §7.3); no fragment.
 */
function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AccountError(`"${uri}" is not an absolute URL`);
  }
  if (url.hash) throw new AccountError(`"${uri}": a redirect URI has no fragment`);
  const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new AccountError(`"${uri}": redirect URIs use https (http only on loopback)`);
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Creates a client; returns its secret once (confidential clients), stored only as a keyed hash. */
export async function addClient(
  store: Store,
  input: NewClient,
): Promise<{ client: OAuthClientRecord; secret?: string }> {
  if (!CLIENT_ID.test(input.clientId))
    throw new AccountError('a client id is 3-64 letters, digits and . _ - characters');
  const grantTypes = input.grantTypes ?? ['authorization_code', 'refresh_token'];
  for (const g of grantTypes) if (!GRANTS.includes(g)) throw new AccountError(`unsupported grant type "${g}"`);
  const redirectUris = input.redirectUris ?? [];
  redirectUris.forEach(checkRedirectUri);
  const code = grantTypes.includes('authorization_code');
  if (code && redirectUris.length === 0)
    throw new AccountError('the authorization_code grant needs at least one --redirect-uri');
  if (input.public && grantTypes.includes('client_credentials'))
    throw new AccountError('a public client cannot use client_credentials (it has no secret)');
  if (await store.oauthClients.get(input.clientId))
    throw new AccountError(`the client "${input.clientId}" already exists`);
  const metadata: JsonObject = {
    redirect_uris: [...redirectUris],
    grant_types: [...grantTypes],
    response_types: code ? ['code'] : [],
    token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
    scope: input.scope ?? (code ? 'openid profile email offline_access api' : 'api'),
  };
  const secret = input.public ? undefined : newSecret();
  const client = await store.oauthClients.create({
    clientId: input.clientId,
    secretHash: secret ? await store.keyedHash(CLIENT_SECRET_PURPOSE, secret) : null,
    metadata,
  });
  return { client, ...(secret ? { secret } : {}) };
}

export async function rotateClientSecret(store: Store, clientId: string): Promise<string> {
  const client = await store.oauthClients.get(clientId);
  if (!client) throw new AccountError(`no client "${clientId}"`);
  if (client.secretHash === null) throw new AccountError(`"${clientId}" is a public client: it has no secret`);
  const secret = newSecret();
  await store.oauthClients.update(clientId, { secretHash: await store.keyedHash(CLIENT_SECRET_PURPOSE, secret) });
  return secret;
}
