import { createPrivateKey, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import Provider, { errors } from 'oidc-provider';
import { BodyTooLarge, CLIENT_SECRET_PURPOSE, forwardedRequest, issuerHeaders, readBody } from './forwarding.js';
import { ACCESS_TOKEN_TTL_SEC } from './issuer.js';

export { CLIENT_SECRET_PURPOSE };

import { userRoles } from '../auth/store-verifiers.js';
import type { InternalHandler } from '../server/internal.js';
import { isStoreError } from '../store/errors.js';
import { createOidcAdapterClass } from '../store/oidc-adapter.js';
import { rotateSigningKey } from '../store/signing.js';
import type { JsonObject, Store } from '../store/types.js';

/** Purpose of Store.keyedHash for client secrets: the secret itself is never stored. */

const MAX_BODY = 64 * 1024;

export interface OidcOptions {
  readonly store: Store;
  readonly issuer: string;
  readonly audience: string;
  /** Where the provider sends the browser to log in or consent. */
  readonly interactionPath: (uid: string) => string;
  readonly accessTokenTtlSec?: number;
}

/**
 * Every signing key still published, active first: oidc-provider signs with the first key of
 * the algorithm and publishes them all in the JWKS. A database without one gets an ES256 key.
 */
async function signingJwks(store: Store): Promise<JsonObject[]> {
  let keys = await store.signingKeys.list();
  if (!keys.some((k) => k.retiredAt === null)) {
    await rotateSigningKey(store, 'ES256', 24 * 3_600_000);
    keys = await store.signingKeys.list();
  }
  keys.sort((a, b) => Number(a.retiredAt !== null) - Number(b.retiredAt !== null) || b.createdAt - a.createdAt);
  return keys.map((k) => ({
    ...(createPrivateKey(k.privateKey).export({ format: 'jwk' }) as JsonObject),
    kid: k.kid,
    alg: k.alg,
    use: 'sig',
  }));
}

/** Cookie-signing keys shared by every instance on the database (interaction cookies survive a restart). */
async function cookieKeys(store: Store): Promise<string[]> {
  let value = await store.secrets.get('idp.cookie-keys');
  if (!value) {
    value = randomBytes(32).toString('base64url');
    await store.secrets.put('idp.cookie-keys', value);
  }
  return [value];
}

/**
 * The client adapter: clients live in the store's oauth_clients table. The `client_secret` given to
 * oidc-provider is the keyed hash; requests are rewritten to carry the keyed hash of what the
 * client sent (see hashClientSecret), so the comparison still happens inside oidc-provider.
 */
function clientAdapter(store: Store) {
  return {
    async find(id: string) {
      const record = await store.oauthClients.get(id);
      if (!record || record.disabled) return undefined;
      return {
        ...record.metadata,
        client_id: record.clientId,
        ...(record.secretHash ? { client_secret: record.secretHash } : {}),
      };
    },
    async upsert() {},
    async findByUid() {
      return undefined;
    },
    async findByUserCode() {
      return undefined;
    },
    async consume() {},
    async destroy() {},
    async revokeByGrantId() {},
  };
}

export async function createOidcProvider(options: OidcOptions): Promise<Provider> {
  const { store, audience } = options;
  const StoreAdapter = createOidcAdapterClass(store);
  const clients = clientAdapter(store);
  const ttl = options.accessTokenTtlSec ?? ACCESS_TOKEN_TTL_SEC;
  const jwks = await signingJwks(store);
  // Sign with the active key's algorithm (it is first): a retired key only verifies.
  const alg = String(jwks[0]?.alg ?? 'ES256');
  const provider = new Provider(options.issuer, {
    adapter: (name: string) => (name === 'Client' ? clients : new StoreAdapter(name)),
    jwks: { keys: jwks },
    cookies: { keys: await cookieKeys(store) },
    // OAuth 2.1 §4.1 / RFC 9700 §2.1.1: PKCE for every client; oidc-provider accepts only S256.
    pkce: { required: () => true },
    responseTypes: ['code'],
    // RFC 9700 §4.14.2: refresh tokens rotate; oidc-provider revokes the grant when a used one returns.
    rotateRefreshToken: true,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'api'],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'roles'], email: ['email'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 7662 §4 / RFC 7009 §2.1: a client learns about, and revokes, only the tokens issued to
      // it. Another client's token is answered as inactive / silently left alone (no oracle).
      introspection: { enabled: true, allowedPolicy: ownTokenOnly },
      revocation: { enabled: true, allowedPolicy: ownTokenOnly },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Every access token is a JWT for the gateway's audience, verifiable by the authn stage.
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== audience) throw new errors.InvalidTarget!('unknown resource');
          return {
            scope: 'api',
            audience,
            accessTokenTTL: ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
    extraTokenClaims: async (_ctx: unknown, token: { accountId?: string }) => {
      if (!token.accountId) return undefined;
      const user = await store.users.get(token.accountId);
      return user ? { roles: await userRoles(store, user) } : undefined;
    },
    findAccount: async (_ctx: unknown, sub: string) => {
      const user = await store.users.get(sub);
      if (!user || user.disabled) return undefined;
      const roles = await userRoles(store, user);
      return {
        accountId: user.id,
        claims: async () => ({
          sub: user.id,
          preferred_username: user.username,
          ...(user.displayName ? { name: user.displayName } : {}),
          ...(user.email ? { email: user.email } : {}),
          roles,
        }),
      };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => options.interactionPath(interaction.uid) },
    routes: {
      authorization: '/oidc/auth',
      token: '/oidc/token',
      jwks: '/oidc/jwks',
      userinfo: '/oidc/me',
      introspection: '/oidc/token/introspection',
      revocation: '/oidc/token/revocation',
      end_session: '/oidc/session/end',
      pushed_authorization_request: '/oidc/request',
      code_verification: '/oidc/device',
      device_authorization: '/oidc/device/auth',
      backchannel_authentication: '/oidc/backchannel',
      registration: '/oidc/reg',
      challenge: '/oidc/challenge',
    },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 86_400,
      Interaction: 600,
      Session: 14 * 86_400,
      Grant: 14 * 86_400,
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256', 'EdDSA'] },
    clientDefaults: { id_token_signed_response_alg: alg, grant_types: ['authorization_code'] },
    renderError: async (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'application/json';
      ctx.body = JSON.stringify({ error: out.error, error_description: out.error_description });
    },
  });
  // The gateway terminated TLS; the issuer (and so scheme and host) come from configuration only.
  provider.proxy = true;
  return provider;
}

async function hashClientSecret(
  store: Store,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): Promise<Buffer> {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      const hashed = await store.keyedHash(CLIENT_SECRET_PURPOSE, secret);
      headers.authorization = `Basic ${Buffer.from(`${decoded.slice(0, colon)}:${hashed}`).toString('base64')}`;
    }
  }
  if (!/^application\/x-www-form-urlencoded/i.test(String(headers['content-type'] ?? ''))) return body;
  const form = new URLSearchParams(body.toString('utf8'));
  const secret = form.get('client_secret');
  if (secret === null) return body;
  form.set('client_secret', await store.keyedHash(CLIENT_SECRET_PURPOSE, secret));
  return Buffer.from(form.toString());
}

/**
 * Hands a request to oidc-provider as a fresh stream (the gateway may already have read the body),
 * with forwarding headers derived from the configured issuer, never from the client.
 */
export function createOidcHandler(provider: Provider, store: Store, issuer: string): InternalHandler {
  const callback = provider.callback();
  const url = new URL(issuer);
  return (req, res, ctx) => {
    (async () => {
      const headers = issuerHeaders(req, url);
      let body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, ctx, MAX_BODY);
      if (ctx.path.startsWith('/oidc/token')) body = await hashClientSecret(store, headers, body);
      callback(forwardedRequest(req, ctx, url, body, headers), res as ServerResponse);
    })().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // RFC 6749 §5.2 error bodies: the client's fault (too large, malformed credentials) or ours
      // (the store could not hash the secret), never the detail.
      const [status, code] =
        error instanceof BodyTooLarge
          ? [413, 'invalid_request']
          : isStoreError(error)
            ? [503, 'temporarily_unavailable']
            : [400, 'invalid_request'];
      ctx.logFields.idpError = (error as Error).message;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error: code }));
    });
  };
}

/** Introspection and revocation policy: the calling client must be the one the token was issued to. */
async function ownTokenOnly(
  _ctx: unknown,
  client: { clientId: string },
  token: { clientId?: string },
): Promise<boolean> {
  return token.clientId === client.clientId;
}
